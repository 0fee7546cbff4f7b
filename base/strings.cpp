#include "base/strings.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return std::string(s.substr(b, e - b));
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view x) {
  return s.size() >= x.size() && s.substr(s.size() - x.size()) == x;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_bytes(std::string_view s) {
  std::string t = trim(s);
  if (t.empty()) return std::nullopt;
  // Optional trailing "b"/"B" after a unit ("32mb"), as docker's go-units accepts.
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.size() > 1 && lower.back() == 'b' && std::isalpha(static_cast<unsigned char>(lower[lower.size() - 2])))
    lower.pop_back();
  double mult = 1;
  char unit = lower.back();
  if (std::isalpha(static_cast<unsigned char>(unit))) {
    switch (unit) {
      case 'b': mult = 1; break;
      case 'k': mult = 1024.0; break;
      case 'm': mult = 1024.0 * 1024; break;
      case 'g': mult = 1024.0 * 1024 * 1024; break;
      case 't': mult = 1024.0 * 1024 * 1024 * 1024; break;
      default: return std::nullopt;
    }
    lower.pop_back();
  }
  if (lower.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(lower.data(), lower.data() + lower.size(), v);
  if (ec != std::errc() || p != lower.data() + lower.size() || v < 0) return std::nullopt;
  double bytes = v * mult;
  if (bytes > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

std::string human_size(int64_t bytes) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    u++;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.3g%s", v, units[u]);
  return buf;
}

std::string human_duration_ago(int64_t s) {
  char buf[64];
  if (s < 1) return "Less than a second ago";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lld seconds ago", static_cast<long long>(s));
    return s == 1 ? "1 second ago" : buf;
  }
  int64_t m = s / 60;
  if (m == 1) return "About a minute ago";
  if (m < 60) {
    std::snprintf(buf, sizeof buf, "%lld minutes ago", static_cast<long long>(m));
    return buf;
  }
  int64_t h = m / 60;
  if (h == 1) return "About an hour ago";
  if (h < 48) {
    std::snprintf(buf, sizeof buf, "%lld hours ago", static_cast<long long>(h));
    return buf;
  }
  int64_t d = h / 24;
  if (d < 14) {
    std::snprintf(buf, sizeof buf, "%lld days ago", static_cast<long long>(d));
    return buf;
  }
  if (d < 60) {
    std::snprintf(buf, sizeof buf, "%lld weeks ago", static_cast<long long>(d / 7));
    return buf;
  }
  if (d < 730) {
    std::snprintf(buf, sizeof buf, "%lld months ago", static_cast<long long>(d / 30));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%lld years ago", static_cast<long long>(d / 365));
  return buf;
}

namespace {

constexpr int64_t kSecond = 1'000'000'000;

// The nanoseconds of a duration unit at the start of s (Go's time.ParseDuration units),
// with its length; 0 when there is none. Two-letter units first: "ms" is not "m".
std::pair<int64_t, size_t> duration_unit(std::string_view s) {
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ns", 1},          {"us", 1'000},       {"\xC2\xB5s", 1'000}, {"\xCE\xBCs", 1'000},
      {"ms", 1'000'000},  {"s", kSecond}, {"m", 60 * kSecond},
      {"h", 3600 * kSecond}};
  for (const auto& [name, ns] : kUnits)
    if (s.starts_with(name)) return {ns, name.size()};
  return {0, 0};
}

}  // namespace

std::optional<int64_t> parse_duration_ns(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && ((s[n] >= '0' && s[n] <= '9') || s[n] == '.')) n++;
    double number = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + n, number);
    if (n == 0 || ec != std::errc() || p != s.data() + n) return std::nullopt;
    auto [unit_ns, unit_len] = duration_unit(s.substr(n));
    if (unit_len == 0) return std::nullopt;
    total += static_cast<long double>(number) * unit_ns;
    s.remove_prefix(n + unit_len);
  }
  if (total > 9.2e18L) return std::nullopt;
  return static_cast<int64_t>(total);
}

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') i++;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace berth
