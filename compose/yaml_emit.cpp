// Block YAML output (see compose/yaml_emit.h).
//
// Read: YAML 1.2 "Plain Style" (which characters a plain scalar may start with and
// contain) and "Core Schema" (which plain scalars mean null, booleans and numbers); YAML 1.1
// booleans (yes/no/on/off) are quoted too, for readers that still use 1.1.
#include "compose/yaml_emit.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace berth::compose {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits (and '_', which YAML 1.1 allows inside numbers) from `i`; returns how many.
size_t skip_digits(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && (is_digit(s[i]) || (i > start && s[i] == '_'))) i++;
  return i - start;
}

// [-+] (digits[.digits*] | .digits) [e[-+]digits], 0x.., 0o.., .inf, .nan.
bool looks_like_number(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0o")) {
    std::string_view digits = s.substr(2);
    return !digits.empty() && digits.find_first_not_of(s[1] == 'x' ? "0123456789abcdefABCDEF"
                                                                     : "01234567") ==
                                  std::string_view::npos;
  }
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  for (std::string_view special : {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"})
    if (s == special) return true;
  size_t i = 0;
  size_t whole = skip_digits(s, i);
  size_t fraction = 0;
  if (i < s.size() && s[i] == '.') {
    i++;
    fraction = skip_digits(s, i);
  }
  if (whole == 0 && fraction == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) i++;
    if (skip_digits(s, i) == 0) return false;
  }
  return i == s.size();
}

// YAML 1.1 sexagesimal numbers ("22:30"), which 1.1 readers would take for 1350.
bool looks_like_base60(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t i = 0;
  if (skip_digits(s, i) == 0 || i == s.size() || s[i] != ':') return false;
  while (i < s.size() && s[i] == ':') {
    size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) i++;
    if (i == start || i - start > 2 || (i - start == 2 && s[start] > '5')) return false;
  }
  if (i < s.size() && s[i] == '.') {
    i++;
    skip_digits(s, i);
  }
  return i == s.size();
}

bool looks_like_non_string(const std::string& s) {
  static const char* const kWords[] = {"null", "Null", "NULL", "~",   "true", "True", "TRUE",
                                        "false", "False", "FALSE", "yes", "Yes",  "YES", "no",
                                        "No",   "NO",   "on",   "On",  "ON",   "off",  "Off",
                                        "OFF",  "y",    "Y",    "n",   "N"};
  for (const char* w : kWords)
    if (s == w) return true;
  return looks_like_number(s) || looks_like_base60(s);
}

std::string double_quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string format_number(const nlohmann::ordered_json& v) {
  if (v.is_number_integer()) return v.dump();
  double d = v.get<double>();
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
    return std::to_string(static_cast<long long>(d));
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, p) : v.dump();
}

// A literal block keeps line breaks; it cannot start with a blank (that would need an
// indentation indicator), so such strings are double-quoted instead.
bool use_literal_block(const std::string& s) {
  if (s.find('\n') == std::string::npos || s[0] == ' ' || s[0] == '\t') return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

std::string literal_block(const std::string& s, int indent) {
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') trailing++;
  std::string out = trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
  std::string body = s.substr(0, s.size() - trailing);
  std::string pad(indent, ' ');
  size_t start = 0;
  for (;;) {
    size_t nl = body.find('\n', start);
    std::string line = body.substr(start, nl == std::string::npos ? nl : nl - start);
    out += "\n" + (line.empty() ? "" : pad + line);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  for (size_t i = 1; i < trailing; i++) out += "\n";
  return out;
}

std::string scalar(const nlohmann::ordered_json& v, int indent) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return format_number(v);
  const std::string& s = v.get_ref<const std::string&>();
  if (use_literal_block(s)) return literal_block(s, indent);
  return is_plain_safe(s) ? s : double_quoted(s);
}

bool is_block(const nlohmann::ordered_json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void emit(const nlohmann::ordered_json& v, int indent, std::string& out);

void emit_mapping(const nlohmann::ordered_json& v, int indent, std::string& out) {
  std::string pad(indent, ' ');
  for (const auto& [key, value] : v.items()) {
    out += pad + (is_plain_safe(key) ? key : double_quoted(key)) + ":";
    if (is_block(value)) {
      out += "\n";
      emit(value, indent + 2, out);
    } else {
      out += " " + (value.is_object() ? "{}" : value.is_array() ? "[]" : scalar(value, indent + 2));
      out += "\n";
    }
  }
}

// Items of a sequence: "- " then the item; a mapping item's first key sits on the dash line.
void emit_sequence(const nlohmann::ordered_json& v, int indent, std::string& out) {
  std::string pad(indent, ' ');
  for (const auto& item : v) {
    if (is_block(item)) {
      std::string nested;
      emit(item, indent + 2, nested);
      out += pad + "- " + nested.substr(indent + 2);
    } else {
      std::string s = item.is_object() ? "{}" : item.is_array() ? "[]" : scalar(item, indent + 2);
      out += pad + "- " + s + "\n";
    }
  }
}

void emit(const nlohmann::ordered_json& v, int indent, std::string& out) {
  if (v.is_object()) {
    emit_mapping(v, indent, out);
  } else if (v.is_array()) {
    emit_sequence(v, indent, out);
  } else {
    out += std::string(indent, ' ') + scalar(v, indent) + "\n";
  }
}

}  // namespace

bool is_plain_safe(const std::string& s) {
  if (s.empty() || looks_like_non_string(s)) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  // Indicators may not start a plain scalar; '-', '?' and ':' may when a non-blank follows.
  static const std::string kIndicators = ",[]{}#&*!|>'\"%@`";
  char first = s[0];
  if (kIndicators.find(first) != std::string::npos) return false;
  if ((first == '-' || first == '?' || first == ':') && (s.size() == 1 || s[1] == ' '))
    return false;
  if (s == "---" || s == "...") return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

std::string emit_yaml(const nlohmann::ordered_json& document) {
  std::string out;
  if (is_block(document)) {
    emit(document, 0, out);
  } else {
    out = (document.is_object() ? "{}" : document.is_array() ? "[]" : scalar(document, 0)) + "\n";
  }
  return out;
}

}  // namespace berth::compose
