// String helpers shared by the parsers (flags, env files, image references).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep);
std::string trim(std::string_view s);
// Words separated by runs of spaces and tabs (no quoting).
std::vector<std::string> split_whitespace(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::optional<int64_t> parse_int(std::string_view s);
// Docker's human sizes: "32m", "1g", "512k", "100" (bytes), "1.5g". Binary units (1024).
std::optional<int64_t> parse_bytes(std::string_view s);
// "12.3MB" style output as docker prints sizes (decimal units, 3 significant digits).
std::string human_size(int64_t bytes);
// "2 minutes ago", "About an hour ago" as docker prints ages.
std::string human_duration_ago(int64_t seconds);
// Go's time.ParseDuration, as docker's flags take it: "10m", "1h30m", "1.5h", "250ms",
// "30s" -> nanoseconds; nullopt when malformed.
std::optional<int64_t> parse_duration_ns(std::string_view s);

}  // namespace berth
