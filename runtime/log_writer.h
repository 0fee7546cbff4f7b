// The json-file log driver, writing side: what a detached container prints, kept on disk.
//
// A detached container (`berth run -d`) has nobody reading its stdout and stderr, so a
// small shim process holds the other ends of its pipes and appends what arrives to one
// file (docker's is <id>-json.log), in the format of docker's default "json-file" driver:
// one JSON object per line of output,
//
//   {"log":"hello\n","stream":"stdout","time":"2026-11-26T12:00:00.123456789Z"}
//
// `log` is the line with its newline (a line without one is a partial line: the output was
// flushed before the program wrote the newline, or the line was too long), `stream` says which
// pipe it came from, and `time` is when the shim read it. One object per line is what lets
// `berth logs` interleave stdout and stderr in order, filter by time, and show the last N
// lines without understanding the program's output.
//
// Rotation (--log-opt max-size=10m --log-opt max-file=3): when the next entry would make the
// file larger than max-size, the shim renames <log>.1 to <log>.2, <log> itself to <log>.1,
// and starts a new empty <log>. Renaming rather than copying matters: a `berth logs -f`
// that has the file open keeps reading the very same inode after the rename, to its end,
// then opens the new file, so it neither misses nor repeats a line (runtime/log_reader.h).
// And rename(2) within a directory is atomic: at every instant each name is a whole file.
//
// This file is linked into the static shim, so it uses only libc, the C++ standard library
// and base/result + base/fd (their .cpp files: base/result.cpp and base/fd.cpp).
//
// Read: docker's "JSON File logging driver" page; rename(2); RFC 8259 section 7 (strings).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::runtime {

struct LogOptions {
  uint64_t max_size = 0;  // bytes; 0 = the file grows without limit
  int max_files = 1;      // the live file plus max_files - 1 rotated ones
};

// docker's --log-opt values: "max-size=10m" (a number with an optional k, m, g, t or p suffix,
// binary multiples as docker's: 1k = 1024; "10mb", "10MiB" and "1.5g" too) and "max-file=3". An
// unknown key or a bad value is an error naming the option:
//   invalid log option "max-file=0": max-file must be at least 1
// As in docker, max-file above 1 needs max-size (without a size nothing ever rotates).
Result<LogOptions> parse_log_options(const std::vector<std::string>& opts);

enum class LogStream { kStdout, kStderr };
// "stdout" / "stderr", the `stream` field's words.
const char* log_stream_name(LogStream stream);

// A line longer than this is written as several entries, the first ones without a newline
// (docker's log copier splits at its 16 KiB buffer too), so one endless line cannot make the
// shim's memory grow without bound.
inline constexpr size_t kMaxLogEntryBytes = 16 * 1024;

// The JSON string for `bytes`, quotes included. Quote, backslash and control characters are
// escaped (\n \r \t \b \f by name, others as \u00XX); valid UTF-8 passes through as is, and
// each byte that is not part of valid UTF-8 becomes U+FFFD, as Go's encoding/json does
// (so `berth logs` output matches what docker would have stored).
std::string json_quote(std::string_view bytes);

// One entry, newline included: {"log":...,"stream":...,"time":...}\n.
std::string format_log_entry(LogStream stream, std::string_view log, std::string_view time);

// Now, from CLOCK_REALTIME, as RFC 3339 in UTC with nine fractional digits.
std::string log_timestamp_now();

class LogWriter {
 public:
  // Opens (creating, mode 0640) `path` for appending. An existing file is continued: a
  // container that is restarted keeps one log.
  static Result<LogWriter> open(const std::string& path, LogOptions opts);

  LogWriter(LogWriter&&) = default;
  LogWriter& operator=(LogWriter&&) = default;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  // Does not flush (a destructor cannot report a failed write): call flush() first.
  ~LogWriter() = default;

  // Appends one entry per complete line of `data`. A trailing piece without '\n' waits,
  // per stream, until a later write completes it or flush() is called, so a program that
  // writes a line in two write(2) calls still gets one entry.
  Result<> write(LogStream stream, std::string_view data);
  // Writes the waiting partial lines as they are (without '\n'): when the container exits.
  Result<> flush();

  const std::string& path() const { return path_; }

 private:
  LogWriter(std::string path, LogOptions opts, Fd fd, uint64_t size)
      : path_(std::move(path)), opts_(opts), fd_(std::move(fd)), size_(size) {}

  // Moves every complete (or too long) line out of the stream's pending bytes into `out`.
  Result<> take_complete_lines(LogStream stream, std::string& out);
  // Adds one entry to `out`, first writing `out` and rotating if the entry would not fit.
  Result<> add_entry(LogStream stream, std::string_view log, std::string& out);
  Result<> append_to_file(std::string& bytes);
  Result<> rotate();
  std::string& pending(LogStream stream) {
    return stream == LogStream::kStdout ? pending_stdout_ : pending_stderr_;
  }

  std::string path_;
  LogOptions opts_;
  Fd fd_;
  uint64_t size_ = 0;  // bytes in the live file
  std::string time_;   // the timestamp of the entries of the current write()
  std::string pending_stdout_;
  std::string pending_stderr_;
};

}  // namespace berth::runtime
