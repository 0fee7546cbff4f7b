// Docker's word lexer (see builder/shell_words.h): one pass over the text that removes
// quotes, honours the escape character and substitutes variables, building at the same time
// the whole text (expand_word) and its whitespace-separated words (expand_words).
//
// The scanner reads a `${...}` operand with the same loop, stopping at the closing `}`: that
// is why quotes and nested substitutions work inside it (`${A:-"x y"}`, `${A:-${B}}`).
// The pattern forms `${V#p}` `${V%p}` `${V/p/r}` (newer Dockerfile syntax) use shell
// patterns: `*` any run of characters, `?` one character, escape+char that character.
#include "builder/shell_words.h"

#include <cctype>

namespace berth::builder {

namespace {

constexpr int kNoStop = -1;

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
// POSIX's special parameters ($@ $* $# ...): Docker reads them as one-character names, so
// they expand to "" unless the build happens to define them.
bool is_special_param(char c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
         c == '0';
}

// Collects the result twice: as one string (whitespace kept) and as words.
struct Words {
  std::string text;
  std::vector<std::string> list;
  std::string current;
  bool in_word = false;

  // An unquoted, unescaped character: whitespace ends the current word.
  void add_literal(char c) {
    text += c;
    if (is_blank(c)) {
      end_word();
    } else {
      current += c;
      in_word = true;
    }
  }
  // Quoted or escaped text: never split, and starts a word even when empty ("" is a word).
  void add_quoted(std::string_view s) {
    text += s;
    current += s;
    in_word = true;
  }
  // A substitution's value: not split again; an empty one does not make a word by itself.
  void add_expansion(std::string_view s) {
    text += s;
    current += s;
    if (!s.empty()) in_word = true;
  }
  void end_word() {
    if (in_word) list.push_back(current);
    current.clear();
    in_word = false;
  }
};

// Does the shell pattern match all of `s`? Backtracks to the last `*` on a mismatch.
bool match_shell_pattern(std::string_view p, std::string_view s, char escape) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = ++pi;
      mark = si;
      continue;
    }
    if (pi < p.size()) {
      bool escaped = p[pi] == escape && pi + 1 < p.size();
      char want = escaped ? p[pi + 1] : p[pi];
      if ((!escaped && want == '?') || want == s[si]) {
        pi += escaped ? 2 : 1;
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

// ${V#p} ${V##p} (remove the shortest / longest matching prefix), ${V%p} ${V%%p} (suffix).
std::string trim_by_pattern(const std::string& value, std::string_view pattern, char op,
                            char escape) {
  bool longest = !pattern.empty() && pattern[0] == op;
  if (longest) pattern.remove_prefix(1);
  size_t n = value.size();
  for (size_t k = 0; k <= n; k++) {
    size_t len = longest ? n - k : k;  // how many characters to remove
    std::string_view v(value);
    if (op == '#' && match_shell_pattern(pattern, v.substr(0, len), escape))
      return value.substr(len);
    if (op == '%' && match_shell_pattern(pattern, v.substr(n - len), escape))
      return value.substr(0, n - len);
  }
  return value;
}

// The leftmost match of `pattern` in `v` at or after `from`, longest first: {begin, end}.
std::optional<std::pair<size_t, size_t>> find_pattern(std::string_view v, std::string_view pattern,
                                                      size_t from, char escape) {
  for (size_t b = from; b <= v.size(); b++)
    for (size_t e = v.size() + 1; e-- > b;)
      if (match_shell_pattern(pattern, v.substr(b, e - b), escape)) return std::pair{b, e};
  return std::nullopt;
}

// ${V/p/r} replaces the first match, ${V//p/r} every match (an empty match right after the
// previous one is skipped, as Go's ReplaceAll does, so `*` replaces the whole value once).
std::string replace_by_pattern(const std::string& value, std::string_view pattern,
                               std::string_view replacement, bool all, char escape) {
  std::string out;
  size_t pos = 0;
  size_t last_end = std::string::npos;
  while (pos <= value.size()) {
    auto m = find_pattern(value, pattern, pos, escape);
    if (!m) break;
    auto [b, e] = *m;
    if (b == e && b == last_end) {  // empty match abutting the previous one
      if (b >= value.size()) break;
      out.append(value, pos, b + 1 - pos);
      pos = b + 1;
      continue;
    }
    out.append(value, pos, b - pos);
    out += replacement;
    pos = last_end = e;
    if (!all) break;
  }
  if (pos < value.size()) out.append(value, pos);
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view text, const VarLookup& vars, char escape)
      : text_(text), vars_(vars), escape_(escape) {}

  // Reads up to `stop` (consumed) or, with kNoStop, to the end. With `raw_escapes` the escape
  // characters are kept in the result (for patterns, where they still mean something).
  Result<Words> read(int stop, bool raw_escapes);

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  bool next_is(char c) const { return !at_end() && text_[pos_] == c; }
  Result<std::string> read_single_quoted();
  Result<std::string> read_double_quoted(bool raw_escapes);
  Result<std::string> read_dollar();
  Result<std::string> read_braced();
  Result<std::string> apply_operator(const std::string& name, bool colon, char op);
  Result<std::string> apply_replacement(const std::string& name);
  Result<Words> read_operand(char stop, bool raw_escapes, const char* missing);
  std::string read_name();
  std::optional<std::string> lookup(const std::string& name) const {
    return vars_ ? vars_(name) : std::nullopt;
  }

  std::string_view text_;
  const VarLookup& vars_;
  char escape_;
  size_t pos_ = 0;
};

Result<Words> Lexer::read(int stop, bool raw_escapes) {
  Words w;
  while (!at_end()) {
    char c = text_[pos_];
    if (stop != kNoStop && c == stop) {
      pos_++;
      w.end_word();
      return w;
    }
    if (c == '$') {
      ASSIGN_OR_RETURN(std::string value, read_dollar());
      w.add_expansion(value);
    } else if (c == '\'') {
      ASSIGN_OR_RETURN(std::string quoted, read_single_quoted());
      w.add_quoted(quoted);
    } else if (c == '"') {
      ASSIGN_OR_RETURN(std::string quoted, read_double_quoted(raw_escapes));
      w.add_quoted(quoted);
    } else if (c == escape_) {
      pos_++;
      if (raw_escapes) w.add_quoted(std::string(1, c));
      if (at_end()) break;  // a trailing escape character is dropped
      w.add_quoted(std::string(1, text_[pos_++]));
    } else {
      pos_++;
      w.add_literal(c);
    }
  }
  if (stop != kNoStop)
    return fail(std::string("unexpected end of statement while looking for matching ") +
                static_cast<char>(stop));
  w.end_word();
  return w;
}

// '...': everything literal, the escape character too (sh(1), "Single Quotes").
Result<std::string> Lexer::read_single_quoted() {
  size_t close = text_.find('\'', pos_ + 1);
  if (close == std::string_view::npos)
    return fail("unexpected end of statement while looking for matching single-quote");
  std::string out(text_.substr(pos_ + 1, close - pos_ - 1));
  pos_ = close + 1;
  return out;
}

// "...": substitution still happens; the escape character only escapes " $ and itself,
// before anything else it stays (so "C:\dir" keeps its backslash).
Result<std::string> Lexer::read_double_quoted(bool raw_escapes) {
  std::string out;
  pos_++;
  while (!at_end()) {
    char c = text_[pos_];
    if (c == '"') {
      pos_++;
      return out;
    }
    if (c == '$') {
      ASSIGN_OR_RETURN(std::string value, read_dollar());
      out += value;
      continue;
    }
    pos_++;
    if (c == escape_ && !at_end()) {
      char next = text_[pos_];
      if (next == '"' || next == '$' || next == escape_) {
        if (raw_escapes) out += c;
        out += next;
        pos_++;
        continue;
      }
    }
    out += c;
  }
  return fail("unexpected end of statement while looking for matching double-quote");
}

// A name after `$`: letters, digits and '_', or a run of digits ($1), or one special
// parameter character. Empty when `$` is followed by anything else.
std::string Lexer::read_name() {
  size_t start = pos_;
  if (at_end()) return {};
  char c = text_[pos_];
  if (std::isdigit(static_cast<unsigned char>(c))) {
    while (!at_end() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) pos_++;
  } else if (is_special_param(c)) {
    pos_++;
  } else {
    while (!at_end() && is_name_char(text_[pos_])) pos_++;
  }
  return std::string(text_.substr(start, pos_ - start));
}

Result<std::string> Lexer::read_dollar() {
  pos_++;  // '$'
  if (!next_is('{')) {
    std::string name = read_name();
    if (name.empty()) return std::string("$");  // "$" before a non-name: literal
    return lookup(name).value_or("");
  }
  pos_++;  // '{'
  return read_braced();
}

// After `${`: the name, then `}` or an operator and its operand.
Result<std::string> Lexer::read_braced() {
  if (at_end()) return fail("syntax error: missing '}'");
  if (next_is('{') || next_is('}') || next_is(':')) return fail("syntax error: bad substitution");
  std::string name = read_name();
  if (at_end()) return fail("syntax error: missing '}'");
  char op = text_[pos_++];
  if (op == '}') return lookup(name).value_or("");
  bool colon = op == ':';
  if (colon) {
    if (at_end()) return fail("syntax error: missing '}'");
    op = text_[pos_++];
  }
  switch (op) {
    case '-':
    case '+':
    case '?':
    case '#':
    case '%':
      return apply_operator(name, colon, op);
    case '/':
      if (!colon) return apply_replacement(name);
      break;
    default:
      break;
  }
  return fail(std::string("unsupported modifier (") + (colon ? ":" : "") + op +
              ") in substitution");
}

Result<Words> Lexer::read_operand(char stop, bool raw_escapes, const char* missing) {
  auto words = read(stop, raw_escapes);
  if (!words && at_end()) return fail(missing);
  return words;
}

// The operand is read (and any error in it reported) whether or not it is used, as Docker
// does. With a colon, an empty value counts as unset.
Result<std::string> Lexer::apply_operator(const std::string& name, bool colon, char op) {
  bool pattern = op == '#' || op == '%';
  ASSIGN_OR_RETURN(Words operand, read_operand('}', pattern, "syntax error: missing '}'"));
  std::optional<std::string> value = lookup(name);
  bool set = value.has_value() && !(colon && value->empty());
  switch (op) {
    case '-':
      return set ? *value : operand.text;
    case '+':
      return set ? operand.text : std::string();
    case '?': {
      if (set) return *value;
      std::string why = value ? "is not allowed to be empty" : "is not allowed to be unset";
      return fail(name + ": " + (operand.text.empty() ? why : operand.text));
    }
    default:
      return trim_by_pattern(value.value_or(""), operand.text, op, escape_);
  }
}

// ${V/pattern/replacement} and ${V//pattern/replacement}.
Result<std::string> Lexer::apply_replacement(const std::string& name) {
  bool all = next_is('/');
  if (all) pos_++;
  ASSIGN_OR_RETURN(Words pattern, read_operand('/', true, "syntax error: missing '/' in ${}"));
  ASSIGN_OR_RETURN(Words replacement, read_operand('}', false, "syntax error: missing '}'"));
  return replace_by_pattern(lookup(name).value_or(""), pattern.text, replacement.text, all,
                            escape_);
}

Result<Words> lex(std::string_view text, const VarLookup& vars, char escape) {
  Lexer lexer(text, vars, escape);
  auto words = lexer.read(kNoStop, false);
  if (!words)
    return std::unexpected(wrap(words.error(), "processing \"" + std::string(text) + "\""));
  return words;
}

}  // namespace

Result<std::string> expand_word(std::string_view text, const VarLookup& vars, char escape) {
  ASSIGN_OR_RETURN(Words words, lex(text, vars, escape));
  return std::move(words.text);
}

Result<std::vector<std::string>> expand_words(std::string_view text, const VarLookup& vars,
                                              char escape) {
  ASSIGN_OR_RETURN(Words words, lex(text, vars, escape));
  return std::move(words.list);
}

std::vector<std::string> split_raw_words(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (quote == 0 && is_blank(c)) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    // The escape character escapes the next one, except inside single quotes.
    if (c == escape && quote != '\'') {
      if (i + 1 == text.size()) break;
      word += c;
      word += text[++i];
      continue;
    }
    if (quote == 0 && (c == '\'' || c == '"'))
      quote = c;
    else if (c == quote)
      quote = 0;
    word += c;
  }
  if (in_word) words.push_back(word);
  return words;
}

namespace {

// `K V with spaces`: the key is the first word as written, the value the rest of the text.
Result<KeyValue> parse_legacy_pair(std::string_view text, const VarLookup& vars, char escape) {
  size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) end++;
  size_t value_start = end;
  while (value_start < text.size() && is_blank(text[value_start])) value_start++;
  std::string key(text.substr(0, end));
  if (value_start == text.size())
    return fail("\"" + key + "\" has no value (expected NAME=VALUE or NAME VALUE)");
  ASSIGN_OR_RETURN(std::string value, expand_word(text.substr(value_start), vars, escape));
  return KeyValue{std::move(key), std::move(value)};
}

}  // namespace

Result<std::vector<KeyValue>> parse_key_values(std::string_view text, const VarLookup& vars,
                                               char escape, bool allow_legacy,
                                               bool allow_no_value) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  std::vector<std::string> words = split_raw_words(text, escape);
  std::vector<KeyValue> out;
  if (words.empty()) return out;
  // Docker tells the two forms apart by the first word: no '=' in it means the legacy form.
  if (allow_legacy && words[0].find('=') == std::string::npos) {
    ASSIGN_OR_RETURN(KeyValue pair, parse_legacy_pair(text, vars, escape));
    out.push_back(std::move(pair));
    return out;
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      if (!allow_no_value)
        return fail("can't find = in \"" + word + "\"; must be of the form: name=value");
      out.push_back(KeyValue{word, std::nullopt});
      continue;
    }
    if (eq == 0) return fail("empty name in \"" + word + "\"; must be of the form: name=value");
    ASSIGN_OR_RETURN(std::string value,
                     expand_word(std::string_view(word).substr(eq + 1), vars, escape));
    out.push_back(KeyValue{word.substr(0, eq), std::move(value)});
  }
  return out;
}

}  // namespace berth::builder
