// The json-file log driver, reading side: `berth logs [-f] [--tail N] [--since T] [--until T]`.
//
// The shim (runtime/log_writer.h) appends one JSON object per line of container output to
// <path>, and rotation renames full files to <path>.1, <path>.2, ... (the higher the number,
// the older). So the whole history, oldest first, is <path>.N ... <path>.1, <path>.
//
// Reading a set of files that another process is renaming under us takes care:
//   - All the files are opened before any is read, then each name is checked to still
//     name the inode that was opened; if a rotation moved one in between, the snapshot is
//     retaken. Once open, an fd keeps reading its inode whatever its name becomes.
//   - Following (-f) keeps the live file open. When <path> names a different inode, the shim
//     has rotated: the open file will not grow any more, so it is read to its end, and then
//     the file that came after it (found by its inode among <path>.1, <path>.2, ...) is
//     opened. Nothing is read twice and nothing is skipped, even if several rotations
//     happened between two looks.
//   - With max-file=1 the shim truncates instead; a file now shorter than what was read is
//     read again from its start.
// Waiting uses inotify(7) on the directory (IN_MODIFY, IN_CREATE, IN_MOVED_*), with a
// 100 ms timeout so keep_going() is asked often.
//
// Read: inotify(7), rename(2), docker's `docker logs` reference (--since, --until, --tail).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/log_writer.h"

namespace berth::runtime {

struct LogEntry {
  LogStream stream = LogStream::kStdout;
  std::string time;  // as stored: RFC 3339, UTC, nine fractional digits
  std::string log;   // the line, with its '\n' unless it was a partial line
};

struct LogReadOptions {
  // The last N entries (docker's `--tail N`; "all" is the CLI's nullopt). Counted among the
  // entries that pass since/until, so `--until T --tail 5` shows the five lines before T.
  std::optional<size_t> tail = std::nullopt;
  std::optional<int64_t> since_ns = std::nullopt;  // only entries at or after this (unix ns)
  std::optional<int64_t> until_ns = std::nullopt;  // only entries at or before this (unix ns)
};

// docker's --since/--until forms:
//   RFC 3339: "2026-11-26T12:00:00Z", "2026-11-26T12:00:00.5+01:00"; without a zone it is
//             local time, as docker reads it; a date alone ("2026-11-26") is its midnight
//   a unix timestamp: "1700000000", "1700000000.5"
//   a duration before now_ns: "45s", "10m", "1h30m", "1.5h", "500ms"
Result<int64_t> parse_log_time(const std::string& text, int64_t now_ns);

// All entries of path.N (oldest) ... path.1, path, in order, filtered. No files at all is an
// empty log (the container has not started yet). A malformed line is an error naming the
// file and line number: `/var/lib/berth/c/x-json.log:3: malformed log entry (...)`.
Result<std::vector<LogEntry>> read_log(const std::string& path, const LogReadOptions& opts);

// Calls on_entry for the existing entries (filtered as read_log does), then for new ones as
// the shim writes them, across rotations, until on_entry returns false, an entry later than
// until_ns arrives, or keep_going() (asked at least every 100 ms: "is the container still
// running?") returns false; then what is already written is read and the call returns.
Result<> follow_log(const std::string& path, const LogReadOptions& opts,
                    const std::function<bool(const LogEntry&)>& on_entry,
                    const std::function<bool()>& keep_going);

}  // namespace berth::runtime
