// .dockerignore matching (rules in builder/dockerignore.h).
//
// Patterns and paths are compared segment by segment ('/'-separated). A segment is matched
// with Go's filepath.Match rules (`*` never crosses a '/', so working per segment is the same
// thing); a segment that is exactly `**` stands for any number of segments. A pattern
// excludes a path when it matches the path or one of its parent directories, which is how
// `node_modules` keeps everything below it out of the build context.
#include "builder/dockerignore.h"

#include <cerrno>
#include <optional>
#include <span>

#include "base/fs.h"

namespace berth::builder {

namespace {

using Segments = std::vector<std::string_view>;

Segments split_segments(std::string_view path) {
  Segments out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Go's filepath.Clean ("a//b/./c/.." -> "a/b"), then a leading '/' dropped: patterns are
// relative to the context root however they are written.
std::string clean_pattern(std::string_view pattern) {
  bool rooted = pattern.starts_with('/');
  std::vector<std::string_view> kept;
  for (std::string_view seg : split_segments(pattern)) {
    if (seg == ".") continue;
    if (seg == "..") {
      if (!kept.empty() && kept.back() != "..")
        kept.pop_back();
      else if (!rooted)
        kept.push_back(seg);
      continue;
    }
    kept.push_back(seg);
  }
  std::string out;
  for (std::string_view seg : kept) {
    if (!out.empty()) out += '/';
    out += seg;
  }
  if (out.empty()) return rooted ? "/" : ".";
  return out;
}

// One character of a `[...]` class, with `\` escaping; Go rejects an unescaped '-' or ']'.
std::optional<char> class_char(std::string_view p, size_t& i) {
  if (i < p.size() && p[i] == '\\')
    i++;
  else if (i < p.size() && (p[i] == '-' || p[i] == ']'))
    return std::nullopt;
  if (i >= p.size()) return std::nullopt;
  return p[i++];
}

// `[a-z]`, `[^a-z]` (and `[!a-z]`, as in sh): the index after the class when `c` is in it.
// A malformed class (Go's ErrBadPattern) matches nothing.
std::optional<size_t> match_class(std::string_view p, size_t i, char c) {
  i++;  // '['
  bool negate = i < p.size() && (p[i] == '^' || p[i] == '!');
  if (negate) i++;
  bool matched = false;
  for (int ranges = 0;; ranges++) {
    if (i < p.size() && p[i] == ']' && ranges > 0)
      return matched != negate ? std::optional(i + 1) : std::nullopt;
    auto lo = class_char(p, i);
    if (!lo) return std::nullopt;
    char hi = *lo;
    if (i < p.size() && p[i] == '-') {
      i++;
      auto end = class_char(p, i);
      if (!end) return std::nullopt;
      hi = *end;
    }
    if (*lo <= c && c <= hi) matched = true;
  }
}

// The index after the pattern element at `i` when it matches `c`.
std::optional<size_t> match_one(std::string_view p, size_t i, char c) {
  switch (p[i]) {
    case '?':
      return i + 1;
    case '[':
      return match_class(p, i, c);
    case '\\':
      if (i + 1 < p.size() && p[i + 1] == c) return i + 2;
      return std::nullopt;
    default:
      return p[i] == c ? std::optional(i + 1) : std::nullopt;
  }
}

// filepath.Match for one segment: on a mismatch, let the last `*` swallow one more char.
bool match_segment(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = ++pi;
      mark = si;
      continue;
    }
    if (pi < p.size()) {
      if (auto next = match_one(p, pi, s[si])) {
        pi = *next;
        si++;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star;
    si = ++mark;
  }
  while (pi < p.size() && p[pi] == '*') pi++;
  return pi == p.size();
}

bool match_segments(std::span<const std::string_view> p, std::span<const std::string_view> s) {
  if (p.empty()) return s.empty();
  if (p[0] == "**") {
    // A trailing `**` needs something below: Docker's `a/**` matches a/x but not a itself.
    if (p.size() == 1) return !s.empty();
    for (size_t skip = 0; skip <= s.size(); skip++)
      if (match_segments(p.subspan(1), s.subspan(skip))) return true;
    return false;
  }
  return !s.empty() && match_segment(p[0], s[0]) && match_segments(p.subspan(1), s.subspan(1));
}

// Docker's rule: a pattern applies to a path when it matches the path or any parent of it.
bool matches_path_or_parent(const Segments& pattern, const Segments& path) {
  std::span<const std::string_view> all(path);
  for (size_t n = 1; n <= all.size(); n++)
    if (match_segments(pattern, all.first(n))) return true;
  return false;
}

// Could `pattern` match `dir` itself, a parent of it, or something below it?
bool may_match_below(const Segments& pattern, const Segments& dir) {
  for (size_t i = 0;; i++) {
    if (i == pattern.size() || i == dir.size() || pattern[i] == "**") return true;
    if (!match_segment(pattern[i], dir[i])) return false;
  }
}

}  // namespace

DockerIgnore DockerIgnore::parse(std::string_view text) {
  DockerIgnore out;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    // Only a '#' in the first column makes a comment (Docker's rule), so " #x" is a pattern.
    if (line.starts_with('#')) continue;
    auto is_space = [](char c) {
      return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
    };
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    Pattern pattern;
    if (line.starts_with('!')) {
      pattern.exception = true;
      line.remove_prefix(1);
      while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    }
    if (line.empty()) continue;
    pattern.text = clean_pattern(line);
    out.patterns_.push_back(std::move(pattern));
  }
  return out;
}

Result<DockerIgnore> DockerIgnore::load(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().errno_value() == ENOENT) return DockerIgnore{};
    return std::unexpected(text.error());
  }
  return parse(*text);
}

bool DockerIgnore::excluded(std::string_view path) const {
  Segments segments = split_segments(path);
  bool excluded = false;
  // The last pattern that matches decides, so every pattern is tried.
  for (const Pattern& pattern : patterns_)
    if (matches_path_or_parent(split_segments(pattern.text), segments))
      excluded = !pattern.exception;
  return excluded;
}

bool DockerIgnore::may_include_below(std::string_view dir) const {
  Segments segments = split_segments(dir);
  for (const Pattern& pattern : patterns_)
    if (pattern.exception && may_match_below(split_segments(pattern.text), segments)) return true;
  return false;
}

}  // namespace berth::builder
