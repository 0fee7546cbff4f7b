// The json-file log driver: the writer the shim runs (escaping, partial and long lines,
// rotation, --log-opt parsing) and the reader `berth logs` runs (tail/since/until across
// rotated files, time arguments, following a log while a writer rotates it).
//
// nlohmann-json parses what the writer wrote, as an independent witness that it is JSON.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strings.h"
#include "runtime/log_reader.h"
#include "runtime/log_writer.h"

namespace berth::runtime {
namespace {

constexpr int64_t kSec = 1'000'000'000;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-log-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c-json.log";
  }
  void TearDown() override { ASSERT_TRUE(remove_tree(dir_)); }

  // The lines of a file, without their '\n'.
  static std::vector<std::string> lines_of(const std::string& path) {
    auto text = read_file(path);
    EXPECT_TRUE(text) << path;
    if (!text || text->empty()) return {};
    EXPECT_EQ(text->back(), '\n') << path;
    return split(text->substr(0, text->size() - 1), '\n');
  }
  // The `log` fields of a file, parsed by nlohmann.
  static std::vector<std::string> logs_of(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& line : lines_of(path))
      out.push_back(Json::parse(line).at("log").get<std::string>());
    return out;
  }
  // Writes hand-made entries, one per second from `first_second` after 2026-01-01T00:00:00Z.
  static void write_entries(const std::string& path, int first_second, int count) {
    std::string text;
    for (int s = first_second; s < first_second + count; s++) {
      char time[64];
      std::snprintf(time, sizeof time, "2026-01-01T00:00:%02d.000000000Z", s);
      text += format_log_entry(s % 2 ? LogStream::kStderr : LogStream::kStdout,
                               "entry " + std::to_string(s) + "\n", time);
    }
    ASSERT_TRUE(write_file_atomic(path, text));
  }
  static int64_t at_second(int s) { return (1767225600 + s) * kSec; }

  std::string dir_, path_;
};

std::string numbered(int i) { return "line " + std::to_string(i) + "\n"; }

// ---- escaping -------------------------------------------------------------------------------

TEST(LogJson, EscapesQuotesBackslashAndControlCharacters) {
  EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json_quote(std::string("\x01\x1f\x00x", 4)), R"("\u0001\u001f\u0000x")");
  EXPECT_EQ(json_quote("\x1b[31mred\x1b[0m"), R"("\u001b[31mred\u001b[0m")");
  EXPECT_EQ(json_quote(""), R"("")");
  EXPECT_EQ(json_quote("</script> & \x7f"), "\"</script> & \x7f\"");
}

TEST(LogJson, PassesValidUtf8AndReplacesEachInvalidByte) {
  std::string valid = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF";
  EXPECT_EQ(json_quote(valid), "\"" + valid + "\"");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json_quote("a\xFF" "b"), "\"a" + fffd + "b\"");
  EXPECT_EQ(json_quote("\xE2\x82" "a"), "\"" + fffd + fffd + "a\"") << "a truncated sequence";
  EXPECT_EQ(json_quote("\xC0\xAF"), "\"" + fffd + fffd + "\"") << "overlong '/'";
  EXPECT_EQ(json_quote("\xE0\x80\xAF"), "\"" + fffd + fffd + fffd + "\"") << "overlong";
  EXPECT_EQ(json_quote("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"") << "a surrogate";
  EXPECT_EQ(json_quote("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"")
      << "past U+10FFFF";
  EXPECT_EQ(json_quote("\xC3"), "\"" + fffd + "\"") << "cut at the end";
}

TEST(LogJson, EveryByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x80; c++) all += static_cast<char>(c);
  all += "\xC3\xA9\xE2\x82\xAC";
  auto parsed = Json::parse(json_quote(all));
  EXPECT_EQ(parsed.get<std::string>(), all);
}

TEST(LogJson, EntryHasDockersFieldOrder) {
  EXPECT_EQ(
      format_log_entry(LogStream::kStderr, "oops\n", "2026-11-26T12:00:00.000000001Z"),
      "{\"log\":\"oops\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-26T12:00:00.000000001Z\"}\n");
}

// Whether `text` has the shape of `pattern`, where '9' stands for any digit.
bool has_shape(const std::string& text, const std::string& pattern) {
  if (text.size() != pattern.size()) return false;
  for (size_t i = 0; i < text.size(); i++)
    if (pattern[i] == '9' ? !std::isdigit(static_cast<unsigned char>(text[i]))
                          : text[i] != pattern[i])
      return false;
  return true;
}

TEST(LogJson, TimestampIsUtcWithNineDigits) {
  std::string t = log_timestamp_now();
  EXPECT_TRUE(has_shape(t, "9999-99-99T99:99:99.999999999Z")) << t;
  auto now = parse_log_time(t, 0);
  ASSERT_TRUE(now) << now.error().message();
  EXPECT_LT(std::abs(*now - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()),
            5 * kSec);
}

// ---- writing --------------------------------------------------------------------------------

TEST_F(LogTest, WritesOneEntryPerLine) {
  auto w = LogWriter::open(path_, {});
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_TRUE(w->write(LogStream::kStdout, "hello\nworld\n"));
  ASSERT_TRUE(w->write(LogStream::kStderr, "bad \"thing\"\n"));
  auto lines = lines_of(path_);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with(R"({"log":"hello\n","stream":"stdout","time":")")) << lines[0];
  EXPECT_TRUE(lines[2].starts_with(R"({"log":"bad \"thing\"\n","stream":"stderr","time":")"))
      << lines[2];
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0137, 0u) << "at most rw-r-----";
}

TEST_F(LogTest, AppendsToAnExistingLog) {
  {
    auto w = LogWriter::open(path_, {});
    ASSERT_TRUE(w && w->write(LogStream::kStdout, "first\n"));
  }
  auto w = LogWriter::open(path_, {});
  ASSERT_TRUE(w && w->write(LogStream::kStdout, "second\n"));
  EXPECT_EQ(logs_of(path_), (std::vector<std::string>{"first\n", "second\n"}));
}

TEST_F(LogTest, KeepsPartialLinesPerStreamUntilCompleted) {
  auto w = LogWriter::open(path_, {});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write(LogStream::kStdout, "hel"));
  ASSERT_TRUE(w->write(LogStream::kStderr, "err"));
  EXPECT_TRUE(lines_of(path_).empty()) << "nothing complete yet";
  ASSERT_TRUE(w->write(LogStream::kStderr, "or\n"));
  ASSERT_TRUE(w->write(LogStream::kStdout, "lo\nwor"));
  ASSERT_TRUE(w->write(LogStream::kStdout, "ld\nand"));
  EXPECT_EQ(logs_of(path_), (std::vector<std::string>{"error\n", "hello\n", "world\n"}));
  auto lines = lines_of(path_);
  EXPECT_EQ(Json::parse(lines[0]).at("stream"), "stderr");
  EXPECT_EQ(Json::parse(lines[1]).at("stream"), "stdout");
}

TEST_F(LogTest, FlushWritesPendingPartialLinesWithoutNewline) {
  auto w = LogWriter::open(path_, {});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->flush()) << "nothing pending: nothing written";
  EXPECT_TRUE(lines_of(path_).empty());
  ASSERT_TRUE(w->write(LogStream::kStdout, "done\nprompt> "));
  ASSERT_TRUE(w->write(LogStream::kStderr, "no newline"));
  ASSERT_TRUE(w->flush());
  EXPECT_EQ(logs_of(path_), (std::vector<std::string>{"done\n", "prompt> ", "no newline"}));
  ASSERT_TRUE(w->flush());
  EXPECT_EQ(lines_of(path_).size(), 3u) << "a second flush has nothing left";
}

TEST_F(LogTest, SplitsLinesLongerThan16KiB) {
  auto w = LogWriter::open(path_, {});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write(LogStream::kStdout, std::string(40000, 'x') + "\n"));
  ASSERT_TRUE(w->write(LogStream::kStdout, std::string(kMaxLogEntryBytes, 'y') + "\n"));
  auto logs = logs_of(path_);
  ASSERT_EQ(logs.size(), 4u);
  EXPECT_EQ(logs[0], std::string(16384, 'x'));
  EXPECT_EQ(logs[1], std::string(16384, 'x'));
  EXPECT_EQ(logs[2], std::string(40000 - 2 * 16384, 'x') + "\n");
  EXPECT_EQ(logs[3], std::string(16384, 'y') + "\n") << "exactly 16 KiB fits one entry";
}

TEST_F(LogTest, SplitsLongLinesArrivingInPiecesWithoutCuttingACharacter) {
  auto w = LogWriter::open(path_, {});
  ASSERT_TRUE(w);
  std::string line = std::string(16383, 'a') + "\xC3\xA9" + "tail\n";
  for (size_t i = 0; i < line.size(); i += 1000)
    ASSERT_TRUE(w->write(LogStream::kStdout, line.substr(i, 1000)));
  auto logs = logs_of(path_);
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0], std::string(16383, 'a')) << "the cut moves before the two-byte character";
  EXPECT_EQ(logs[1], "\xC3\xA9tail\n");
}

// ---- rotation ---------------------------------------------------------------------------------

// The `log` fields of path.(n-1) ... path.1, path, oldest first.
std::vector<std::string> logs_across(const std::string& path, int max_files) {
  std::vector<std::string> out;
  for (int n = max_files - 1; n >= 0; n--) {
    std::string name = n == 0 ? path : path + "." + std::to_string(n);
    if (!path_exists(name)) continue;
    auto text = read_file(name);
    for (const auto& line : split(*text, '\n'))
      if (!line.empty()) out.push_back(Json::parse(line).at("log").get<std::string>());
  }
  return out;
}

uint64_t size_of(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST_F(LogTest, RotatesIntoNumberedFilesAndDropsTheOldest) {
  auto w = LogWriter::open(path_, {.max_size = 300, .max_files = 3});
  ASSERT_TRUE(w);
  for (int i = 0; i < 20; i++) ASSERT_TRUE(w->write(LogStream::kStdout, numbered(i)));
  EXPECT_TRUE(path_exists(path_));
  EXPECT_TRUE(path_exists(path_ + ".1"));
  EXPECT_TRUE(path_exists(path_ + ".2"));
  EXPECT_FALSE(path_exists(path_ + ".3"));
  for (auto name : {path_, path_ + ".1", path_ + ".2"}) {
    EXPECT_LE(size_of(name), 300u) << name;
    EXPECT_GT(size_of(name), 0u) << name;
  }
  // What is left is the newest entries, in order, with no gap.
  auto logs = logs_across(path_, 3);
  ASSERT_FALSE(logs.empty());
  int first = 20 - static_cast<int>(logs.size());
  EXPECT_GT(first, 0) << "the oldest were dropped";
  for (size_t i = 0; i < logs.size(); i++)
    EXPECT_EQ(logs[i], numbered(first + static_cast<int>(i)));
}

TEST_F(LogTest, RotationLosesNothingWhileFilesAreKept) {
  auto w = LogWriter::open(path_, {.max_size = 300, .max_files = 50});
  ASSERT_TRUE(w);
  std::string batch;  // half as one write(2) from the container, half line by line
  for (int i = 0; i < 20; i++) batch += numbered(i);
  ASSERT_TRUE(w->write(LogStream::kStdout, batch));
  for (int i = 20; i < 40; i++) ASSERT_TRUE(w->write(LogStream::kStdout, numbered(i)));
  auto logs = logs_across(path_, 50);
  ASSERT_EQ(logs.size(), 40u);
  for (int i = 0; i < 40; i++) EXPECT_EQ(logs[i], numbered(i));
  EXPECT_TRUE(path_exists(path_ + ".5"));
  for (int n = 1; path_exists(path_ + "." + std::to_string(n)); n++)
    EXPECT_LE(size_of(path_ + "." + std::to_string(n)), 300u);
}

TEST_F(LogTest, RotationWithOneFileTruncates) {
  auto w = LogWriter::open(path_, {.max_size = 300, .max_files = 1});
  ASSERT_TRUE(w);
  for (int i = 0; i < 20; i++) ASSERT_TRUE(w->write(LogStream::kStdout, numbered(i)));
  EXPECT_FALSE(path_exists(path_ + ".1"));
  EXPECT_LE(size_of(path_), 300u);
  auto logs = logs_of(path_);
  ASSERT_FALSE(logs.empty());
  int first = 20 - static_cast<int>(logs.size());
  EXPECT_GT(first, 0);
  for (size_t i = 0; i < logs.size(); i++)
    EXPECT_EQ(logs[i], numbered(first + static_cast<int>(i)));
}

TEST_F(LogTest, AnEntryLargerThanMaxSizeStillGoesIntoAnEmptyFile) {
  auto w = LogWriter::open(path_, {.max_size = 50, .max_files = 2});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write(LogStream::kStdout, std::string(100, 'a') + "\n"));
  EXPECT_FALSE(path_exists(path_ + ".1")) << "an empty file is not rotated";
  ASSERT_TRUE(w->write(LogStream::kStdout, std::string(100, 'b') + "\n"));
  EXPECT_EQ(logs_of(path_ + ".1"), std::vector<std::string>{std::string(100, 'a') + "\n"});
  EXPECT_EQ(logs_of(path_), std::vector<std::string>{std::string(100, 'b') + "\n"});
}

// ---- --log-opt --------------------------------------------------------------------------------

TEST(LogOptions, ParsesDockersForms) {
  auto o = parse_log_options({"max-size=10m", "max-file=3"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->max_size, 10u * 1024 * 1024);
  EXPECT_EQ(o->max_files, 3);
  auto size = [](const std::string& v) {
    auto r = parse_log_options({"max-size=" + v});
    return r ? r->max_size : 0;
  };
  EXPECT_EQ(size("100"), 100u);
  EXPECT_EQ(size("1k"), 1024u);
  EXPECT_EQ(size("1.5k"), 1536u);
  EXPECT_EQ(size("10MB"), 10u << 20);
  EXPECT_EQ(size("10MiB"), 10u << 20);
  EXPECT_EQ(size("2g"), 2ull << 30);
  auto defaults = parse_log_options({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->max_size, 0u);
  EXPECT_EQ(defaults->max_files, 1);
  EXPECT_TRUE(parse_log_options({"max-file=1"})) << "one file needs no size";
}

std::string option_error(const std::vector<std::string>& opts) {
  auto r = parse_log_options(opts);
  return r ? "(accepted)" : r.error().message();
}

TEST(LogOptions, RejectsBadValuesNamingTheOption) {
  EXPECT_EQ(option_error({"max-size=1m", "max-file=0"}),
            "invalid log option \"max-file=0\": max-file must be at least 1");
  EXPECT_EQ(option_error({"max-file=3"}),
            "invalid log option \"max-file=3\": max-file cannot be set without max-size");
  EXPECT_EQ(option_error({"max-size=0"}),
            "invalid log option \"max-size=0\": max-size must be a positive number");
  EXPECT_EQ(option_error({"max-size=ten"}),
            "invalid log option \"max-size=ten\": max-size must be a size like 10m, 512k or 1g");
  EXPECT_NE(option_error({"max-size=10q"}).find("\"max-size=10q\""), std::string::npos);
  EXPECT_NE(option_error({"max-size=-1"}).find("\"max-size=-1\""), std::string::npos);
  EXPECT_EQ(option_error({"max-file=x", "max-size=1m"}),
            "invalid log option \"max-file=x\": max-file must be a whole number");
  EXPECT_EQ(option_error({"compress=true"}),
            "invalid log option \"compress=true\": unknown option (the json-file driver knows "
            "max-size and max-file)");
  EXPECT_EQ(option_error({"max-size"}), "invalid log option \"max-size\": want key=value");
}

// ---- time arguments ---------------------------------------------------------------------------

int64_t parsed(const std::string& text, int64_t now = 0) {
  auto r = parse_log_time(text, now);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message());
  return r ? *r : -1;
}

TEST(LogTime, ParsesRfc3339) {
  const int64_t t = 1795694400 * kSec;  // 2026-11-26T12:00:00Z
  EXPECT_EQ(parsed("2026-11-26T12:00:00Z"), t);
  EXPECT_EQ(parsed("2026-11-26T12:00:00.5Z"), t + kSec / 2);
  EXPECT_EQ(parsed("2026-11-26T12:00:00.123456789Z"), t + 123456789);
  EXPECT_EQ(parsed("2026-11-26T12:00:00.1234567891Z"), t + 123456789) << "past ns: dropped";
  EXPECT_EQ(parsed("2026-11-26T13:00:00+01:00"), t);
  EXPECT_EQ(parsed("2026-11-26T06:30:00-05:30"), t);
  EXPECT_EQ(parsed("2026-11-26t12:00:00z"), t);
  EXPECT_EQ(parsed("2024-02-29T00:00:00Z"), 1709164800 * kSec) << "a leap day";
}

TEST(LogTime, WithoutAZoneIsLocalTime) {
  struct tm tm = {};
  tm.tm_year = 2026 - 1900, tm.tm_mon = 10, tm.tm_mday = 26, tm.tm_hour = 12, tm.tm_isdst = -1;
  int64_t local_noon = static_cast<int64_t>(::mktime(&tm)) * kSec;
  EXPECT_EQ(parsed("2026-11-26T12:00:00"), local_noon);
  EXPECT_EQ(parsed("2026-11-26T12:00"), local_noon);
  tm = {};
  tm.tm_year = 2026 - 1900, tm.tm_mon = 10, tm.tm_mday = 26, tm.tm_isdst = -1;
  EXPECT_EQ(parsed("2026-11-26"), static_cast<int64_t>(::mktime(&tm)) * kSec);
}

TEST(LogTime, ParsesUnixTimestamps) {
  EXPECT_EQ(parsed("1700000000"), 1700000000 * kSec);
  EXPECT_EQ(parsed("1700000000.5"), 1700000000 * kSec + kSec / 2);
  EXPECT_EQ(parsed("1700000000.000000001"), 1700000000 * kSec + 1);
  EXPECT_EQ(parsed("0"), 0);
}

TEST(LogTime, ParsesDurationsBeforeNow) {
  const int64_t now = 1800000000 * kSec;
  EXPECT_EQ(parsed("45s", now), now - 45 * kSec);
  EXPECT_EQ(parsed("10m", now), now - 600 * kSec);
  EXPECT_EQ(parsed("1h30m", now), now - 5400 * kSec);
  EXPECT_EQ(parsed("1.5h", now), now - 5400 * kSec);
  EXPECT_EQ(parsed("2h45m30s", now), now - (2 * 3600 + 45 * 60 + 30) * kSec);
  EXPECT_EQ(parsed("500ms", now), now - kSec / 2);
  EXPECT_EQ(parsed("1m500ms", now), now - 60 * kSec - kSec / 2);
}

TEST(LogTime, RejectsOtherTextSayingWhatItWants) {
  for (const char* bad : {"", "yesterday", "10x", "h", "1h30", "2026-13-01T00:00:00Z",
                          "2026-02-29T00:00:00Z", "2026-11-26T25:00:00Z", "2026-11-26T12:00:00+1",
                          "2026-11-26T12:00:00Zjunk", "1700000000.", "-10m"}) {
    auto r = parse_log_time(bad, 0);
    ASSERT_FALSE(r) << "accepted: " << bad;
    EXPECT_EQ(r.error().message().find("invalid time \"" + std::string(bad) + "\": want "), 0u)
        << r.error().message();
  }
}

// ---- reading ----------------------------------------------------------------------------------

std::vector<std::string> logs_in(const std::vector<LogEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.log);
  return out;
}

std::vector<std::string> entries_named(std::initializer_list<int> seconds) {
  std::vector<std::string> out;
  for (int s : seconds) out.push_back("entry " + std::to_string(s) + "\n");
  return out;
}

class LogReadTest : public LogTest {
 protected:
  void SetUp() override {
    LogTest::SetUp();
    write_entries(path_ + ".2", 1, 3);  // oldest
    write_entries(path_ + ".1", 4, 3);
    write_entries(path_, 7, 3);  // live
  }
  std::vector<std::string> read(const LogReadOptions& opts) {
    auto r = read_log(path_, opts);
    EXPECT_TRUE(r) << r.error().message();
    return r ? logs_in(*r) : std::vector<std::string>{};
  }
};

TEST_F(LogReadTest, ReadsRotatedFilesOldestFirst) {
  auto all = read_log(path_, {});
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(logs_in(*all), entries_named({1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ((*all)[0].stream, LogStream::kStderr);
  EXPECT_EQ((*all)[1].stream, LogStream::kStdout);
  EXPECT_EQ((*all)[0].time, "2026-01-01T00:00:01.000000000Z") << "kept as stored";
}

TEST_F(LogReadTest, TailCountsAcrossFiles) {
  EXPECT_EQ(read({.tail = 5}), entries_named({5, 6, 7, 8, 9}));
  EXPECT_EQ(read({.tail = 1}), entries_named({9}));
  EXPECT_TRUE(read({.tail = 0}).empty());
  EXPECT_EQ(read({.tail = 100}).size(), 9u);
}

TEST_F(LogReadTest, SinceAndUntilAreInclusive) {
  EXPECT_EQ(read({.since_ns = at_second(5)}), entries_named({5, 6, 7, 8, 9}));
  EXPECT_EQ(read({.since_ns = at_second(5) + 1}), entries_named({6, 7, 8, 9}));
  EXPECT_EQ(read({.until_ns = at_second(3)}), entries_named({1, 2, 3}));
  EXPECT_EQ(read({.since_ns = at_second(3), .until_ns = at_second(7)}),
            entries_named({3, 4, 5, 6, 7}));
  EXPECT_EQ(read({.tail = 2, .since_ns = at_second(3), .until_ns = at_second(7)}),
            entries_named({6, 7}))
      << "tail counts the entries that pass the time filters";
  EXPECT_TRUE(read({.since_ns = at_second(10)}).empty());
}

TEST_F(LogTest, NoLogYetIsEmpty) {
  auto r = read_log(path_, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->empty());
}

TEST_F(LogTest, IgnoresALastLineStillBeingWritten) {
  write_entries(path_, 1, 2);
  ASSERT_TRUE(write_file(path_, *read_file(path_) + "{\"log\":\"half"));
  auto r = read_log(path_, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(logs_in(*r), entries_named({1, 2}));
}

TEST_F(LogTest, MalformedLineIsAnErrorNamingFileAndLine) {
  write_entries(path_ + ".1", 1, 2);
  write_entries(path_, 3, 2);
  ASSERT_TRUE(write_file(path_, *read_file(path_) + "not json\n"));
  auto r = read_log(path_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().find(path_ + ":3: malformed log entry (invalid JSON"), 0u)
      << r.error().message();

  ASSERT_TRUE(write_file_atomic(path_, "{\"log\":\"x\\n\",\"time\":\"2026-01-01T00:00:00Z\"}\n"));
  r = read_log(path_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), path_ +
                                     ":1: malformed log entry (want string fields log, stream "
                                     "and time)");

  ASSERT_TRUE(
      write_file_atomic(path_, "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"noon\"}\n"));
  r = read_log(path_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            path_ + ":1: malformed log entry (time \"noon\" is not RFC 3339)");
}

TEST_F(LogTest, ReadsWhatTheWriterWrote) {
  auto w = LogWriter::open(path_, {.max_size = 200, .max_files = 10});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write(LogStream::kStdout, "a \"quoted\" \xFF line\n"));
  ASSERT_TRUE(w->write(LogStream::kStderr, "tab\there\n"));
  ASSERT_TRUE(w->write(LogStream::kStdout, "partial"));
  ASSERT_TRUE(w->flush());
  auto r = read_log(path_, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(logs_in(*r), (std::vector<std::string>{"a \"quoted\" \xEF\xBF\xBD line\n",
                                                   "tab\there\n", "partial"}));
  EXPECT_EQ((*r)[1].stream, LogStream::kStderr);
  EXPECT_TRUE(path_exists(path_ + ".1"));
}

TEST_F(LogTest, ReadLogSeesAConsistentSnapshotWhileTheWriterRotates) {
  auto w = LogWriter::open(path_, {.max_size = 1024, .max_files = 5});
  ASSERT_TRUE(w);
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int i = 0; i < 4000 && !done && w->write(LogStream::kStdout, numbered(i)); i++) {
    }
    done = true;
  });
  int reads = 0;
  std::string problem;  // the test body must reach join() even when a check fails
  while (!done && problem.empty()) {
    auto r = read_log(path_, {});
    if (!r) problem = r.error().message();
    reads++;
    // Whatever moment it was taken at: consecutive lines, none twice, none skipped.
    for (size_t i = 1; r && i < r->size() && problem.empty(); i++) {
      int prev = std::stoi((*r)[i - 1].log.substr(5)), cur = std::stoi((*r)[i].log.substr(5));
      if (cur != prev + 1)
        problem = "read " + std::to_string(reads) + ": line " + std::to_string(cur) +
                  " after line " + std::to_string(prev);
    }
  }
  done = true;
  writer.join();
  EXPECT_EQ(problem, "");
  EXPECT_GT(reads, 0);
}

// ---- following ------------------------------------------------------------------------------

TEST_F(LogTest, FollowFollowsAWriterThroughRotations) {
  constexpr int kExisting = 5, kTotal = 3000;
  LogOptions opts{.max_size = 4096, .max_files = 100};  // ~60 rotations, none dropped
  auto w = LogWriter::open(path_, opts);
  ASSERT_TRUE(w);
  for (int i = 0; i < kExisting; i++) ASSERT_TRUE(w->write(LogStream::kStdout, numbered(i)));
  std::atomic<bool> writer_done = false;
  bool write_failed = false;
  std::thread writer([&] {
    for (int i = kExisting; i < kTotal && !write_failed; i++) {
      // Lines in pieces, sometimes several per write, with pauses so the follower waits.
      std::string text = numbered(i);
      if (i % 7 == 0 && i + 1 < kTotal) text += numbered(++i);
      write_failed = !w->write(LogStream::kStdout, text.substr(0, 3)) ||
                     !w->write(LogStream::kStdout, text.substr(3));
      if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    writer_done = true;
  });
  std::vector<std::string> seen;
  auto r = follow_log(
      path_, {},
      [&](const LogEntry& e) {
        seen.push_back(e.log);
        return true;
      },
      [&] { return !writer_done.load(); });
  writer.join();
  ASSERT_FALSE(write_failed);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(path_exists(path_ + ".30")) << "the writer did rotate";
  ASSERT_EQ(seen.size(), static_cast<size_t>(kTotal)) << "nothing lost, nothing repeated";
  for (int i = 0; i < kTotal; i++) ASSERT_EQ(seen[i], numbered(i)) << i;
}

TEST_F(LogTest, FollowNeverRepeatsWhenRotationDropsFilesItHasNotRead) {
  constexpr int kTotal = 3000;
  auto w = LogWriter::open(path_, {.max_size = 1024, .max_files = 2});  // a fast, tight writer
  ASSERT_TRUE(w);
  std::atomic<bool> writer_done = false;
  std::thread writer([&] {
    for (int i = 0; i < kTotal && w->write(LogStream::kStdout, numbered(i)); i++) {
    }
    writer_done = true;
  });
  std::vector<int> seen;
  auto r = follow_log(
      path_, {},
      [&](const LogEntry& e) {
        seen.push_back(std::stoi(e.log.substr(5)));
        return true;
      },
      [&] { return !writer_done.load(); });
  writer.join();
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), kTotal - 1) << "the end is always read";
  for (size_t i = 1; i < seen.size(); i++)
    ASSERT_GT(seen[i], seen[i - 1]) << "in order, none twice (lines may be lost to max-file)";
}

// keep_going() runs between two looks at the files, so writing from inside it puts several
// rotations (or a truncation) exactly where the follower is not looking.
std::vector<std::string> follow_while_writing(const std::string& path, LogWriter& w, int from,
                                              int to) {
  std::vector<std::string> seen;
  int calls = 0;
  auto r = follow_log(
      path, {},
      [&](const LogEntry& e) {
        seen.push_back(e.log);
        return true;
      },
      [&] {
        if (++calls > 1) return false;
        for (int i = from; i < to; i++) EXPECT_TRUE(w.write(LogStream::kStdout, numbered(i)));
        return true;
      });
  EXPECT_TRUE(r) << r.error().message();
  return seen;
}

TEST_F(LogTest, FollowCatchesUpAfterSeveralRotationsBetweenTwoLooks) {
  auto w = LogWriter::open(path_, {.max_size = 200, .max_files = 20});
  ASSERT_TRUE(w);
  for (int i = 0; i < 3; i++) ASSERT_TRUE(w->write(LogStream::kStdout, numbered(i)));
  auto seen = follow_while_writing(path_, *w, 3, 30);
  EXPECT_TRUE(path_exists(path_ + ".5")) << "several rotations happened";
  ASSERT_EQ(seen.size(), 30u);
  for (int i = 0; i < 30; i++) EXPECT_EQ(seen[i], numbered(i));
}

TEST_F(LogTest, FollowStartsOverWhenMaxFileOneTruncates) {
  auto w = LogWriter::open(path_, {.max_size = 240, .max_files = 1});  // three 77-byte entries
  ASSERT_TRUE(w);
  for (int i = 0; i < 3; i++) ASSERT_TRUE(w->write(LogStream::kStdout, numbered(i)));
  ASSERT_EQ(size_of(path_), 3 * 77u) << "the next entry truncates";
  auto seen = follow_while_writing(path_, *w, 3, 4);
  EXPECT_EQ(seen, (std::vector<std::string>{numbered(0), numbered(1), numbered(2), numbered(3)}));
}

TEST_F(LogTest, FollowStartsWithTheTailThenNewEntries) {
  write_entries(path_ + ".1", 1, 3);
  write_entries(path_, 4, 3);
  std::string more = format_log_entry(LogStream::kStdout, "entry 7\n", "2026-01-01T00:00:07Z") +
                     format_log_entry(LogStream::kStdout, "entry 8\n", "2026-01-01T00:00:08Z");
  std::atomic<int> rounds = 0;
  std::atomic<bool> writer_done = false, follow_returned = false;
  std::thread writer([&] {
    // Once the follower is waiting for new entries: one append, as the shim does.
    while (rounds < 2 && !follow_returned)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto fd = open_fd(path_, O_WRONLY | O_APPEND);
    EXPECT_TRUE(fd && write_all(fd->get(), more.data(), more.size()));
    writer_done = true;
  });
  std::vector<std::string> seen;
  auto r = follow_log(
      path_, {.tail = 2},
      [&](const LogEntry& e) {
        seen.push_back(e.log);
        return true;
      },
      [&] {
        ++rounds;
        return !writer_done.load();
      });
  follow_returned = true;
  writer.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(seen, entries_named({5, 6, 7, 8}));
}

TEST_F(LogTest, FollowWaitsForTheLogToAppearAndStopsWhenAsked) {
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto w = LogWriter::open(path_, {});
    EXPECT_TRUE(w);
    for (int i = 0; w && i < 10; i++) EXPECT_TRUE(w->write(LogStream::kStderr, numbered(i)));
  });
  std::vector<std::string> seen;
  auto start = std::chrono::steady_clock::now();
  auto r = follow_log(
      path_, {},
      [&](const LogEntry& e) {
        seen.push_back(e.log);
        return seen.size() < 3;  // stop after the third entry
      },
      [] { return true; });
  writer.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(seen, (std::vector<std::string>{numbered(0), numbered(1), numbered(2)}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(LogTest, FollowDrainsWhatIsLeftWhenTheContainerStops) {
  write_entries(path_, 1, 3);
  int calls = 0;
  std::vector<std::string> seen;
  auto r = follow_log(
      path_, {.since_ns = at_second(2)},
      [&](const LogEntry& e) {
        seen.push_back(e.log);
        return true;
      },
      [&] {
        ++calls;
        return false;  // the container has already stopped
      });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(seen, entries_named({2, 3}));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace berth::runtime
