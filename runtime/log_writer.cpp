// The json-file writer: lines in, JSON entries out, rotation by rename (see log_writer.h).
//
// Only libc, the standard library and base/result, base/fd, base/clock: the static shim
// links this file with those three and nothing else, so it stays small and starts fast.
#include "runtime/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <charconv>
#include <cstdio>
#include <optional>

#include "base/clock.h"

namespace berth::runtime {
namespace {

// ---- --log-opt parsing -------------------------------------------------------------------

std::unexpected<Error> invalid_option(const std::string& opt, std::string reason) {
  return std::unexpected(wrap(Error(0, std::move(reason)), "invalid log option \"" + opt + "\""));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The multiplier of a unit suffix ("", "b", "k", "kb", "kib", ... as docker's RAMInBytes
// reads them), or 0 when the suffix is not one.
uint64_t unit_multiplier(std::string_view suffix) {
  std::string s;
  for (char c : suffix) s += lower(c);
  if (s.starts_with(' ')) s.erase(0, 1);  // "10 m" is accepted by docker too
  if (s.empty() || s == "b") return 1;
  static constexpr std::string_view kUnits = "kmgtp";
  size_t power = kUnits.find(s[0]);
  if (power == std::string_view::npos) return 0;
  std::string_view rest = std::string_view(s).substr(1);
  if (!rest.empty() && rest != "b" && rest != "ib") return 0;
  return uint64_t{1} << (10 * (power + 1));
}

// "10m" -> 10485760, "1.5k" -> 1536. Binary multiples, as docker's --log-opt max-size.
std::optional<uint64_t> parse_size(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) end++;
  if (end == 0 || text[0] == '.') return std::nullopt;
  double number = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + end, number);
  if (ec != std::errc() || p != text.data() + end) return std::nullopt;
  uint64_t mult = unit_multiplier(text.substr(end));
  if (mult == 0) return std::nullopt;
  double bytes = number * static_cast<double>(mult);
  if (bytes >= 9.2e18) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::optional<int> parse_count(std::string_view text) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

// ---- JSON strings --------------------------------------------------------------------------

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when there
// is none. Valid means RFC 3629: shortest form only, no surrogates (U+D800..DFFF), nothing
// past U+10FFFF. The second byte's allowed range depends on the first; the rest are plain
// continuation bytes.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char b0 = byte(0);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // below: overlong
    if (b0 == 0xED) hi = 0x9F;  // above: surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // below: overlong
    if (b0 == 0xF4) hi = 0x8F;  // above: past U+10FFFF
  } else {
    return 0;  // a stray continuation byte, C0/C1 (always overlong) or F5..FF
  }
  if (i + len > s.size() || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t k = 2; k < len; k++)
    if (!is_continuation(byte(k))) return 0;
  return len;
}

void append_escaped_ascii(unsigned char c, std::string& out) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    default: break;
  }
  if (c < 0x20) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
    return;
  }
  out += static_cast<char>(c);
}

// Where to cut `s` at most `limit` bytes in, without splitting a UTF-8 character in two
// (each half would then become U+FFFD): back up over at most three continuation bytes.
size_t utf8_safe_cut(std::string_view s, size_t limit) {
  size_t cut = limit;
  while (cut > limit - 3 && is_continuation(static_cast<unsigned char>(s[cut]))) cut--;
  return is_continuation(static_cast<unsigned char>(s[cut])) ? limit : cut;
}

// ---- files ---------------------------------------------------------------------------------

std::string rotated_name(const std::string& path, int n) { return path + "." + std::to_string(n); }

// rename(2), where a missing source is fine (fewer rotated files exist than max-file allows).
Result<> rename_if_exists(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT) return sys_error("rename", from);
  return {};
}

Result<Fd> open_for_append(const std::string& path) {
  return open_fd(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
}

}  // namespace

Result<LogOptions> parse_log_options(const std::vector<std::string>& opts) {
  LogOptions out;
  std::string size_opt, file_opt;
  for (const auto& opt : opts) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos) return invalid_option(opt, "want key=value");
    std::string key = opt.substr(0, eq);
    std::string_view value = std::string_view(opt).substr(eq + 1);
    if (key == "max-size") {
      auto size = parse_size(value);
      if (!size) return invalid_option(opt, "max-size must be a size like 10m, 512k or 1g");
      if (*size == 0) return invalid_option(opt, "max-size must be a positive number");
      out.max_size = *size;
      size_opt = opt;
    } else if (key == "max-file") {
      auto count = parse_count(value);
      if (!count) return invalid_option(opt, "max-file must be a whole number");
      if (*count < 1) return invalid_option(opt, "max-file must be at least 1");
      out.max_files = *count;
      file_opt = opt;
    } else {
      return invalid_option(opt,
                            "unknown option (the json-file driver knows max-size and max-file)");
    }
  }
  if (out.max_files > 1 && size_opt.empty())
    return invalid_option(file_opt, "max-file cannot be set without max-size");
  return out;
}

const char* log_stream_name(LogStream stream) {
  return stream == LogStream::kStdout ? "stdout" : "stderr";
}

std::string json_quote(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 2);
  out += '"';
  for (size_t i = 0; i < bytes.size();) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      append_escaped_ascii(c, out);
      i++;
      continue;
    }
    size_t len = utf8_sequence_length(bytes, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER, one per bad byte (as Go)
      i++;
      continue;
    }
    out.append(bytes.substr(i, len));
    i += len;
  }
  out += '"';
  return out;
}

std::string format_log_entry(LogStream stream, std::string_view log, std::string_view time) {
  // docker's field order: log, stream, time.
  std::string out = "{\"log\":";
  out += json_quote(log);
  out += ",\"stream\":\"";
  out += log_stream_name(stream);
  out += "\",\"time\":\"";
  out += time;
  out += "\"}\n";
  return out;
}

std::string log_timestamp_now() { return rfc3339_now(); }

Result<LogWriter> LogWriter::open(const std::string& path, LogOptions opts) {
  ASSIGN_OR_RETURN_CTX(Fd fd, open_for_append(path), "opening container log");
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat", path);
  return LogWriter(path, opts, std::move(fd), static_cast<uint64_t>(st.st_size));
}

Result<> LogWriter::write(LogStream stream, std::string_view data) {
  time_ = log_timestamp_now();
  pending(stream).append(data);
  std::string out;
  TRY(take_complete_lines(stream, out));
  return append_to_file(out);
}

Result<> LogWriter::flush() {
  time_ = log_timestamp_now();
  std::string out;
  for (LogStream stream : {LogStream::kStdout, LogStream::kStderr}) {
    std::string rest = std::move(pending(stream));
    pending(stream).clear();
    if (!rest.empty()) TRY(add_entry(stream, rest, out));
  }
  return append_to_file(out);
}

Result<> LogWriter::take_complete_lines(LogStream stream, std::string& out) {
  std::string& buf = pending(stream);
  std::string_view rest = buf;
  Result<> result;
  while (result) {
    // A newline within the first kMaxLogEntryBytes + 1 bytes ends an entry of at most
    // kMaxLogEntryBytes bytes of text plus its '\n'.
    size_t nl = rest.substr(0, kMaxLogEntryBytes + 1).find('\n');
    size_t take = 0;
    if (nl != std::string_view::npos)
      take = nl + 1;
    else if (rest.size() > kMaxLogEntryBytes)
      take = utf8_safe_cut(rest, kMaxLogEntryBytes);
    else
      break;  // an unfinished line: wait for more
    result = add_entry(stream, rest.substr(0, take), out);
    rest.remove_prefix(take);
  }
  buf.erase(0, buf.size() - rest.size());
  return result;
}

Result<> LogWriter::add_entry(LogStream stream, std::string_view log, std::string& out) {
  std::string entry = format_log_entry(stream, log, time_);
  uint64_t used = size_ + out.size();
  // An entry that alone is larger than max-size still goes into an empty file: rotating an
  // empty file would only make room for nothing.
  if (opts_.max_size > 0 && used > 0 && used + entry.size() > opts_.max_size) {
    TRY(append_to_file(out));
    TRY_CTX(rotate(), "rotating container log");
  }
  out += entry;
  return {};
}

Result<> LogWriter::append_to_file(std::string& bytes) {
  if (bytes.empty()) return {};
  // One write(2) for all the entries of one read from the container: a reader never sees
  // them in a different order, and O_APPEND puts them at the end even after a truncation.
  TRY_CTX(write_all(fd_.get(), bytes.data(), bytes.size()), "writing container log " + path_);
  size_ += bytes.size();
  bytes.clear();
  return {};
}

// Renames path.(n-1) -> path.n, ..., path -> path.1, oldest first so no name is ever
// overwritten before it has moved on; the last rename over path.(max_files-1) is what drops
// the oldest file. With max-file=1 there is nowhere to rename to, so the file starts over.
Result<> LogWriter::rotate() {
  if (opts_.max_files <= 1) {
    if (::ftruncate(fd_.get(), 0) < 0) return sys_error("ftruncate", path_);
    size_ = 0;
    return {};
  }
  for (int n = opts_.max_files - 1; n >= 2; n--)
    TRY(rename_if_exists(rotated_name(path_, n - 1), rotated_name(path_, n)));
  TRY(rename_if_exists(path_, rotated_name(path_, 1)));
  ASSIGN_OR_RETURN(fd_, open_for_append(path_));
  size_ = 0;
  return {};
}

}  // namespace berth::runtime
