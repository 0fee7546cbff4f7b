// Reading json-file logs: time arguments, a consistent snapshot of the rotated files, and
// following the live file across rotations (see log_reader.h for the why).
#include "runtime/log_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>
#include <thread>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"

namespace berth::runtime {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int kFollowPollMs = 100;     // keep_going() is asked at least this often
constexpr int kMaxRaceRetries = 1000;  // snapshots retaken because a rotation raced us

// Between retries: at once for the first few, then 1 ms, so that a writer descheduled in the
// middle of a rotation (a loaded machine) gets a second to finish it, not a few microseconds.
void wait_before_retry(int attempt) {
  if (attempt >= 10) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// ---- times -----------------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A left-to-right reader over a time string.
struct Cursor {
  std::string_view s;
  size_t pos = 0;

  bool done() const { return pos == s.size(); }
  bool eat(char c) {
    if (pos < s.size() && s[pos] == c) return ++pos, true;
    return false;
  }
  // Exactly n digits.
  std::optional<int> digits(size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
      if (!is_digit(s[pos + i])) return std::nullopt;
      v = v * 10 + (s[pos + i] - '0');
    }
    pos += n;
    return v;
  }
  // The digits of a fraction of a second as nanoseconds ("5" -> 500000000); past nine
  // digits they are read and dropped. At least one digit.
  std::optional<int64_t> fraction_ns() {
    int64_t ns = 0;
    size_t n = 0;
    for (; pos < s.size() && is_digit(s[pos]); pos++, n++)
      if (n < 9) ns = ns * 10 + (s[pos] - '0');
    if (n == 0) return std::nullopt;
    for (; n < 9; n++) ns *= 10;
    return ns;
  }
};

// A calendar time as written, before it is placed on the time line.
struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  bool has_time = false;
  std::optional<int> utc_offset_s;  // none: local time
};

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

bool is_valid(const CivilTime& t) {
  return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= days_in_month(t.year, t.month) &&
         t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

// "Z", "+01:00", "-0530".
bool parse_zone(Cursor& c, CivilTime& t) {
  if (c.eat('Z') || c.eat('z')) {
    t.utc_offset_s = 0;
    return true;
  }
  int sign = c.eat('+') ? 1 : c.eat('-') ? -1 : 0;
  if (sign == 0) return true;  // no zone
  auto hh = c.digits(2);
  c.eat(':');
  auto mm = c.digits(2);
  if (!hh || !mm || *hh > 23 || *mm > 59) return false;
  t.utc_offset_s = sign * (*hh * 3600 + *mm * 60);
  return true;
}

// RFC 3339 and the shorter forms docker accepts: "2026-11-26", "2026-11-26T12:00",
// "2026-11-26T12:00:00.5", each optionally with a zone.
std::optional<CivilTime> parse_civil_time(std::string_view text) {
  Cursor c{text};
  CivilTime t;
  auto y = c.digits(4);
  bool dash1 = c.eat('-');
  auto mo = c.digits(2);
  bool dash2 = c.eat('-');
  auto d = c.digits(2);
  if (!y || !dash1 || !mo || !dash2 || !d) return std::nullopt;
  t.year = *y, t.month = *mo, t.day = *d;
  if (!c.done()) {
    if (!c.eat('T') && !c.eat('t') && !c.eat(' ')) return std::nullopt;
    auto h = c.digits(2);
    bool colon = c.eat(':');
    auto mi = c.digits(2);
    if (!h || !colon || !mi) return std::nullopt;
    t.hour = *h, t.minute = *mi, t.has_time = true;
    if (c.eat(':')) {
      auto s = c.digits(2);
      if (!s) return std::nullopt;
      t.second = *s;
      if (c.eat('.') || c.eat(',')) {
        auto ns = c.fraction_ns();
        if (!ns) return std::nullopt;
        t.nanos = *ns;
      }
    }
    if (!parse_zone(c, t)) return std::nullopt;
  }
  if (!c.done() || !is_valid(t)) return std::nullopt;
  return t;
}

int64_t to_unix_ns(const CivilTime& t) {
  struct tm tm = {};
  tm.tm_year = t.year - 1900;
  tm.tm_mon = t.month - 1;
  tm.tm_mday = t.day;
  tm.tm_hour = t.hour;
  tm.tm_min = t.minute;
  tm.tm_sec = t.second;
  int64_t secs = 0;
  if (t.utc_offset_s) {
    secs = static_cast<int64_t>(::timegm(&tm)) - *t.utc_offset_s;
  } else {
    tm.tm_isdst = -1;  // local time: let the zone rules say whether DST applies
    secs = static_cast<int64_t>(::mktime(&tm));
  }
  return secs * kNanosPerSecond + t.nanos;
}

// The `time` field as the shim writes it: a full RFC 3339 time with a zone.
std::optional<int64_t> parse_stored_time(std::string_view text) {
  auto t = parse_civil_time(text);
  if (!t || !t->has_time || !t->utc_offset_s) return std::nullopt;
  return to_unix_ns(*t);
}

// "1700000000" or "1700000000.5": seconds since the epoch, as `docker logs --since` takes.
std::optional<int64_t> parse_unix_timestamp(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), secs);
  if (whole.empty() || ec != std::errc() || p != whole.data() + whole.size() || secs < 0 ||
      secs > INT64_MAX / kNanosPerSecond - 1)
    return std::nullopt;
  int64_t nanos = 0;
  if (dot != std::string_view::npos) {
    Cursor c{text, dot + 1};
    auto ns = c.fraction_ns();
    if (!ns || !c.done()) return std::nullopt;
    nanos = *ns;
  }
  return secs * kNanosPerSecond + nanos;
}

int64_t realtime_now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

// ---- entries -------------------------------------------------------------------------------

struct TimedEntry {
  LogEntry entry;
  int64_t time_ns = 0;
};

// "<file>:<line>: malformed log entry (<why>)", as compilers name a place in a file.
std::unexpected<Error> malformed(const std::string& file, size_t line_no, const std::string& why) {
  return std::unexpected(
      wrap(Error(0, "malformed log entry (" + why + ")"), file + ":" + std::to_string(line_no)));
}

// A string member of a JSON object, or nullptr.
const std::string* string_member(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// Line `line_no` of `file`.
Result<TimedEntry> parse_log_line(std::string_view line, const std::string& file, size_t line_no) {
  auto malformed_because = [&](const std::string& why) { return malformed(file, line_no, why); };
  auto json = parse_json(std::string(line), file);
  if (!json) return malformed_because(json.error().op());
  if (!json->is_object()) return malformed_because("not a JSON object");
  const std::string* log = string_member(*json, "log");
  const std::string* stream = string_member(*json, "stream");
  const std::string* time = string_member(*json, "time");
  if (!log || !stream || !time) return malformed_because("want string fields log, stream and time");
  TimedEntry out;
  if (*stream == "stdout")
    out.entry.stream = LogStream::kStdout;
  else if (*stream == "stderr")
    out.entry.stream = LogStream::kStderr;
  else
    return malformed_because("stream \"" + *stream + "\" is neither stdout nor stderr");
  auto ns = parse_stored_time(*time);
  if (!ns) return malformed_because("time \"" + *time + "\" is not RFC 3339");
  out.entry.time = *time;
  out.entry.log = *log;
  out.time_ns = *ns;
  return out;
}

bool in_window(const LogReadOptions& opts, int64_t t) {
  return (!opts.since_ns || t >= *opts.since_ns) && (!opts.until_ns || t <= *opts.until_ns);
}

// ---- files -----------------------------------------------------------------------------------

// Which file, whatever its name is now: rotation renames, the inode stays.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> id_of_name(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::string rotated_name(const std::string& path, int n) { return path + "." + std::to_string(n); }

// Returns false from the sink to stop reading.
using EntrySink = std::function<bool(TimedEntry&&)>;

// One open log file, read line by line as it grows. It keeps the name it was opened by for
// error messages, even after a rotation renamed it.
class OpenLogFile {
 public:
  OpenLogFile(Fd fd, std::string name, FileId id)
      : fd_(std::move(fd)), name_(std::move(name)), id_(id) {}

  const FileId& id() const { return id_; }
  const std::string& name() const { return name_; }  // as opened; it may have moved since

  // True once no name links to the file any more (a rotation renamed another file over it).
  Result<bool> unlinked() const {
    struct stat st;
    if (::fstat(fd_.get(), &st) < 0) return sys_error("fstat", name_);
    return st.st_nlink == 0;
  }

  // Reads up to the file's current end, passing each complete line to the sink. A last line
  // without its '\n' is still being written: it waits for the next call.
  Result<bool> read_available(const EntrySink& sink) {
    struct stat st;
    if (::fstat(fd_.get(), &st) < 0) return sys_error("fstat", name_);
    if (static_cast<uint64_t>(st.st_size) < offset_) restart();  // max-file=1 truncated it
    // Stop at the size seen now, so a container that writes faster than we read cannot
    // keep us here forever (follow_log must get to ask keep_going()).
    while (offset_ < static_cast<uint64_t>(st.st_size)) {
      ASSIGN_OR_RETURN(size_t n, read_chunk());
      if (n == 0) break;
      ASSIGN_OR_RETURN(bool go_on, take_lines(sink));
      if (!go_on) return false;
    }
    return true;
  }

 private:
  Result<size_t> read_chunk() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("read", name_);
      buf_.append(buf, static_cast<size_t>(n));
      offset_ += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  }

  Result<bool> take_lines(const EntrySink& sink) {
    size_t start = 0;
    Result<bool> result = true;
    for (size_t nl; (nl = buf_.find('\n', start)) != std::string::npos && result && *result;) {
      line_no_++;
      std::string_view line(buf_.data() + start, nl - start);
      start = nl + 1;
      auto entry = parse_log_line(line, name_, line_no_);
      if (!entry)
        result = std::unexpected(std::move(entry).error());
      else
        result = sink(std::move(*entry));
    }
    buf_.erase(0, start);
    return result;
  }

  void restart() {
    ::lseek(fd_.get(), 0, SEEK_SET);
    offset_ = 0;
    line_no_ = 0;
    buf_.clear();
  }

  Fd fd_;
  std::string name_;
  FileId id_;
  std::string buf_;      // read, not yet a complete line
  uint64_t offset_ = 0;  // bytes read so far
  size_t line_no_ = 0;
};

// The file at `name`, or nothing when there is no such file.
Result<std::optional<OpenLogFile>> open_if_exists(const std::string& name) {
  auto fd = open_fd(name, O_RDONLY);
  if (!fd && fd.error().errno_value() == ENOENT) return std::optional<OpenLogFile>();
  if (!fd) return std::unexpected(std::move(fd).error());
  struct stat st;
  if (::fstat(fd->get(), &st) < 0) return sys_error("fstat", name);
  return std::optional<OpenLogFile>(OpenLogFile(std::move(*fd), name, {st.st_dev, st.st_ino}));
}

// One try at opening path, path.1, path.2, ..., all before reading any, into `files` (oldest
// first). False when a rotation raced the opens. A rotation in progress leaves one name
// missing for a moment (it renames path.2 -> path.3, then path.1 -> path.2, ...), so the
// look ends at the second missing name in a row, not the first.
//
// Why the second pass proves the snapshot consistent: a rotation only ever moves an inode to
// a higher number (or gives path a new one), so a name that maps to the same inode when it
// was opened and again after all the opens mapped to it the whole time in between. All
// those intervals share the instant between the last open and the first re-check, and at
// one instant the names hold consecutive files of the log.
Result<bool> try_open_log_files(const std::string& path, std::vector<OpenLogFile>& files) {
  files.clear();  // newest first until the end
  ASSIGN_OR_RETURN(auto live, open_if_exists(path));
  if (live) files.push_back(std::move(*live));
  for (int n = 1, missing = 0; missing < 2; n++) {
    ASSIGN_OR_RETURN(auto rotated, open_if_exists(rotated_name(path, n)));
    missing = rotated ? 0 : missing + 1;
    if (rotated) files.push_back(std::move(*rotated));
  }
  for (const auto& f : files)
    if (id_of_name(f.name()) != f.id()) return false;
  std::reverse(files.begin(), files.end());
  return true;
}

// All the files of one log, oldest first, opened as one consistent snapshot.
Result<std::vector<OpenLogFile>> open_log_files(const std::string& path) {
  std::vector<OpenLogFile> files;
  for (int attempt = 0; attempt < kMaxRaceRetries; wait_before_retry(attempt++)) {
    ASSIGN_OR_RETURN(bool consistent, try_open_log_files(path, files));
    if (consistent) return files;
  }
  return fail("log files kept rotating while being opened", path);
}

// The entries of `files` that pass since/until, only the last opts.tail of them when set.
Result<bool> read_filtered(const std::vector<OpenLogFile*>& files, const LogReadOptions& opts,
                           const EntrySink& sink) {
  std::deque<TimedEntry> last;
  auto keep = [&](TimedEntry&& e) {
    if (!in_window(opts, e.time_ns)) return true;
    if (!opts.tail) return sink(std::move(e));
    last.push_back(std::move(e));
    if (last.size() > *opts.tail) last.pop_front();
    return true;
  };
  for (OpenLogFile* f : files) {
    ASSIGN_OR_RETURN(bool go_on, f->read_available(keep));
    if (!go_on) return false;
  }
  for (auto& e : last)
    if (!sink(std::move(e))) return false;
  return true;
}

// ---- following -----------------------------------------------------------------------------

// Where `done` is among path.1, path.2, ...: its number, or 0 when no name holds it. The
// oldest number seen goes to `oldest`. Like try_open_log_files, the look goes past one
// missing name (a rotation in progress).
int find_rotated(const std::string& path, const FileId& done, int& oldest) {
  oldest = 0;
  for (int n = 1, missing = 0; missing < 2; n++) {
    auto id = id_of_name(rotated_name(path, n));
    missing = id ? 0 : missing + 1;
    if (!id) continue;
    oldest = n;
    if (*id == done) return n;
  }
  return 0;
}

// The file the shim wrote after `done` (which is no longer the live file). It is the one
// just below `done` in the rotation order: if `done` is now path.k, that is path.(k-1), or
// path itself for k = 1. If `done` has no name left (its link count is 0: max-file dropped
// it), every file left is newer, and the oldest of them comes next.
// If path.k no longer holds `done` after the open, a rotation ran in between: look again.
Result<OpenLogFile> open_next_file(const std::string& path, const OpenLogFile& done) {
  for (int attempt = 0; attempt < kMaxRaceRetries; wait_before_retry(attempt++)) {
    ASSIGN_OR_RETURN(bool dropped, done.unlinked());
    int oldest = 0;
    int found = find_rotated(path, done.id(), oldest);
    if (found == 0 && !dropped) continue;  // it moved past our look: look again
    int next = found ? found - 1 : oldest;
    std::string name = next == 0 ? path : rotated_name(path, next);
    ASSIGN_OR_RETURN(auto file, open_if_exists(name));
    if (!file) continue;
    if (found && id_of_name(rotated_name(path, found)) != done.id()) continue;
    return std::move(*file);
  }
  return fail("log files kept rotating while being followed", path);
}

// Reads what the shim has written since the last call, moving on to the next file whenever
// the one being read is no longer the live file. False when the sink said stop.
Result<bool> read_new_entries(const std::string& path, std::optional<OpenLogFile>& current,
                              const EntrySink& sink) {
  for (;;) {
    if (!current) {
      ASSIGN_OR_RETURN(current, open_if_exists(path));
      if (!current) return true;  // no log yet
    }
    ASSIGN_OR_RETURN(bool go_on, current->read_available(sink));
    if (!go_on) return false;
    auto live = id_of_name(path);
    // Missing: renamed away and the new file not created yet; the next call sees it.
    if (!live || *live == current->id()) return true;
    // Renamed: the shim writes to the new file only, so what this one holds now is final.
    ASSIGN_OR_RETURN(go_on, current->read_available(sink));
    if (!go_on) return false;
    ASSIGN_OR_RETURN(OpenLogFile next, open_next_file(path, *current));
    current = std::move(next);
  }
}

// inotify on the log's directory: wakes the follower when a file in it is written, created
// or renamed. Best effort: without it (inotify limits reached) the wait is a plain 100 ms poll.
class DirWatch {
 public:
  explicit DirWatch(const std::string& dir) {
    Fd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!fd) return;
    uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO;
    if (::inotify_add_watch(fd.get(), dir.c_str(), mask) < 0) return;
    fd_ = std::move(fd);
  }

  void wait(int timeout_ms) {
    struct pollfd p = {fd_.get(), POLLIN, 0};  // fd -1: poll just sleeps
    if (::poll(&p, 1, timeout_ms) <= 0 || !fd_) return;
    alignas(struct inotify_event) char buf[4096];
    while (::read(fd_.get(), buf, sizeof buf) > 0) {
    }  // the events only say "look again"
  }

 private:
  Fd fd_;
};

}  // namespace

Result<int64_t> parse_log_time(const std::string& text, int64_t now_ns) {
  if (auto ts = parse_unix_timestamp(text)) return *ts;
  if (auto d = parse_duration_ns(text)) return now_ns - *d;
  if (auto t = parse_civil_time(text)) return to_unix_ns(*t);
  return std::unexpected(wrap(Error(0, "want an RFC 3339 time (2026-11-26T12:00:00Z), a unix "
                                       "timestamp or a duration (10m, 1h30m)"),
                              "invalid time \"" + text + "\""));
}

Result<std::vector<LogEntry>> read_log(const std::string& path, const LogReadOptions& opts) {
  ASSIGN_OR_RETURN(auto files, open_log_files(path));
  std::vector<OpenLogFile*> order;
  for (auto& f : files) order.push_back(&f);
  std::vector<LogEntry> out;
  TRY(read_filtered(order, opts, [&](TimedEntry&& e) {
    out.push_back(std::move(e.entry));
    return true;
  }));
  return out;
}

Result<> follow_log(const std::string& path, const LogReadOptions& opts,
                    const std::function<bool(const LogEntry&)>& on_entry,
                    const std::function<bool()>& keep_going) {
  DirWatch watch(dir_name(path));  // before the first read, so no change goes unnoticed
  ASSIGN_OR_RETURN(auto files, open_log_files(path));
  std::vector<OpenLogFile*> order;
  for (auto& f : files) order.push_back(&f);
  ASSIGN_OR_RETURN(bool go_on, read_filtered(order, opts, [&](TimedEntry&& e) {
    return on_entry(e.entry);
  }));
  if (!go_on) return {};
  // From here on, entries are new: since still filters; one past until ends the follow.
  auto on_new = [&](TimedEntry&& e) {
    if (opts.until_ns && e.time_ns > *opts.until_ns) return false;
    return !in_window(opts, e.time_ns) || on_entry(e.entry);
  };
  std::optional<OpenLogFile> current;
  if (!files.empty()) current = std::move(files.back());
  for (;;) {
    // Asked before reading, so that once it says "stopped" what was written is still read.
    bool last_round = !keep_going() || (opts.until_ns && realtime_now_ns() > *opts.until_ns);
    ASSIGN_OR_RETURN(go_on, read_new_entries(path, current, on_new));
    if (!go_on || last_round) return {};
    watch.wait(kFollowPollMs);
  }
}

}  // namespace berth::runtime
