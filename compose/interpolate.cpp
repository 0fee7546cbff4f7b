// Interpolation of `$VAR` and `${VAR...}` forms (see compose/interpolate.h).
//
// The scanner walks the text once; a braced expression's operand is found by counting
// nested `${`...`}` pairs, and only the operand that the operator actually needs is
// interpolated (so `${SET:-${UNSET}}` does not warn about UNSET).
#include "compose/interpolate.h"

#include <cctype>

namespace berth::compose {

namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::unexpected<Error> invalid_format(std::string_view text) {
  return fail("invalid interpolation format \"" + std::string(text) +
              "\"; you may need to escape any $ with another $");
}

// The index of the `}` closing a braced expression whose body starts at `from`, or npos.
size_t find_closing_brace(std::string_view s, size_t from) {
  int depth = 1;
  for (size_t i = from; i < s.size(); i++) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') {
      i++;
    } else if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      depth++;
      i++;
    } else if (s[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

// One braced expression's body ("VAR:-default") -> its value.
Result<std::string> expand_braced(std::string_view body, std::string_view whole,
                                  const Lookup& lookup, std::set<std::string>* missing) {
  size_t n = 0;
  if (body.empty() || !is_name_start(body[0])) return invalid_format(whole);
  while (n < body.size() && is_name_char(body[n])) n++;
  std::string name(body.substr(0, n));
  std::optional<std::string> value = lookup(name);
  std::string_view rest = body.substr(n);
  if (rest.empty()) {
    if (!value && missing) missing->insert(name);
    return value.value_or("");
  }
  bool colon = rest[0] == ':';
  if (colon) rest.remove_prefix(1);
  if (rest.empty()) return invalid_format(whole);
  char op = rest[0];
  std::string_view operand = rest.substr(1);
  // With a colon, an empty value counts as unset.
  bool set = value.has_value() && (!colon || !value->empty());
  switch (op) {
    case '-':
      if (set) return *value;
      return interpolate(operand, lookup, missing);
    case '?': {
      if (set) return *value;
      ASSIGN_OR_RETURN(std::string message, interpolate(operand, lookup, missing));
      std::string what = "required variable " + name + " is missing a value";
      if (!message.empty()) what += ": " + message;
      return fail(what);
    }
    case '+':
      if (!set) return std::string();
      return interpolate(operand, lookup, missing);
    default:
      return invalid_format(whole);
  }
}

}  // namespace

Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::set<std::string>* missing) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      continue;
    }
    char next = text[i + 1];
    if (next == '$') {  // "$$" is a literal dollar
      out += '$';
      i++;
    } else if (next == '{') {
      size_t close = find_closing_brace(text, i + 2);
      if (close == std::string_view::npos) return invalid_format(text);
      ASSIGN_OR_RETURN(std::string value,
                       expand_braced(text.substr(i + 2, close - i - 2), text, lookup, missing));
      out += value;
      i = close;
    } else if (is_name_start(next)) {
      size_t end = i + 1;
      while (end < text.size() && is_name_char(text[end])) end++;
      std::string name(text.substr(i + 1, end - i - 1));
      std::optional<std::string> value = lookup(name);
      if (!value && missing) missing->insert(name);
      out += value.value_or("");
      i = end - 1;
    } else {
      out += c;  // not a variable: kept as written
    }
  }
  return out;
}

namespace {

Result<> interpolate_node(Node& node, const std::string& path, const InterpolateOptions& opts) {
  switch (node.kind) {
    case Node::Kind::kScalar: {
      if (node.scalar.find('$') == std::string::npos) return {};
      std::set<std::string> missing;
      auto value = interpolate(node.scalar, opts.lookup, &missing);
      if (!value) {
        return fail(node.where() + ": " + path + ": " + value.error().op(),
                    value.error().object());
      }
      node.scalar = std::move(*value);
      if (opts.warn_missing)
        for (const std::string& name : missing) opts.warn_missing(node, name);
      return {};
    }
    case Node::Kind::kSequence:
      for (size_t i = 0; i < node.items.size(); i++)
        TRY(interpolate_node(node.items[i], path + "[" + std::to_string(i) + "]", opts));
      return {};
    case Node::Kind::kMapping:
      for (Entry& e : node.entries)
        TRY(interpolate_node(e.value, path.empty() ? e.key : path + "." + e.key, opts));
      return {};
    case Node::Kind::kNull:
      return {};
  }
  return {};
}

}  // namespace

Result<> interpolate_tree(Node& root, const InterpolateOptions& options) {
  return interpolate_node(root, "", options);
}

}  // namespace berth::compose
