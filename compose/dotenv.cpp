// The dotenv parser (syntax in compose/dotenv.h): a cursor over the text that reads one
// assignment at a time, since a quoted value may run over several lines.
#include "compose/dotenv.h"

#include <cctype>
#include <map>

#include "base/strings.h"

namespace berth::compose {

namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

class DotenvParser {
 public:
  DotenvParser(std::string_view text, const std::string& display, const Lookup& lookup)
      : text_(text), display_(display), outer_(lookup) {}

  Result<EnvList> parse();

 private:
  std::unexpected<Error> error(std::string what) const {
    return fail(display_ + ":" + std::to_string(line_) + ": " + what);
  }
  bool at_end() const { return pos_ >= text_.size(); }
  std::string_view rest_of_line();
  Result<> parse_line();
  Result<std::string> read_single_quoted();
  Result<std::string> read_double_quoted();
  Result<std::string> read_unquoted();
  Result<> expect_line_end();
  std::optional<std::string> lookup(std::string_view name) const;

  std::string_view text_;
  const std::string& display_;
  const Lookup& outer_;
  size_t pos_ = 0;
  int line_ = 1;
  EnvList out_;
  std::map<std::string, std::string, std::less<>> defined_;
};

std::optional<std::string> DotenvParser::lookup(std::string_view name) const {
  // The process environment wins over the file, as it does for the compose file itself.
  if (outer_)
    if (auto v = outer_(name)) return v;
  auto it = defined_.find(name);
  if (it != defined_.end()) return it->second;
  return std::nullopt;
}

std::string_view DotenvParser::rest_of_line() {
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  std::string_view line = text_.substr(pos_, end - pos_);
  pos_ = end < text_.size() ? end + 1 : end;
  return line;
}

Result<EnvList> DotenvParser::parse() {
  while (!at_end()) TRY(parse_line());
  return std::move(out_);
}

Result<> DotenvParser::parse_line() {
  while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) pos_++;
  if (at_end()) return {};
  if (text_[pos_] == '\n' || text_[pos_] == '#') {
    rest_of_line();
    line_++;
    return {};
  }
  if (text_.substr(pos_).starts_with("export ")) pos_ += 7;
  size_t key_start = pos_;
  while (!at_end() && is_key_char(text_[pos_])) pos_++;
  std::string key(text_.substr(key_start, pos_ - key_start));
  while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t')) pos_++;
  if (key.empty()) return error("invalid variable name");
  if (at_end() || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '#') {
    rest_of_line();  // "KEY" alone: inherit it when the environment has it
    line_++;
    if (auto v = lookup(key)) out_.emplace_back(key, *v);
    return {};
  }
  if (text_[pos_] != '=' && text_[pos_] != ':')
    return error("unexpected character \"" + std::string(1, text_[pos_]) + "\" in variable name");
  pos_++;
  while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t')) pos_++;
  Result<std::string> value = !at_end() && text_[pos_] == '\'' ? read_single_quoted()
                              : !at_end() && text_[pos_] == '"' ? read_double_quoted()
                                                                  : read_unquoted();
  if (!value) return std::unexpected(value.error());
  defined_[key] = *value;
  out_.emplace_back(std::move(key), std::move(*value));
  return {};
}

// After a closing quote: only blanks or a comment may follow on the line.
Result<> DotenvParser::expect_line_end() {
  std::string tail = trim(rest_of_line());
  if (!tail.empty() && tail[0] != '#') return error("unexpected text after the closing quote");
  line_++;
  return {};
}

Result<std::string> DotenvParser::read_single_quoted() {
  int start = line_;
  std::string value;
  for (pos_++; !at_end(); pos_++) {
    char c = text_[pos_];
    if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\'') {
      value += '\'';
      pos_++;
    } else if (c == '\'') {
      pos_++;
      TRY(expect_line_end());
      return value;
    } else {
      if (c == '\n') line_++;
      value += c;
    }
  }
  line_ = start;
  return error("unterminated single-quoted value");
}

Result<std::string> DotenvParser::read_double_quoted() {
  int start = line_;
  std::string raw;  // escapes resolved; `\$` kept as "$$" so interpolation leaves it a "$"
  for (pos_++; !at_end(); pos_++) {
    char c = text_[pos_];
    if (c == '\\' && pos_ + 1 < text_.size()) {
      char e = text_[++pos_];
      switch (e) {
        case 'n': raw += '\n'; break;
        case 'r': raw += '\r'; break;
        case 't': raw += '\t'; break;
        case '$': raw += "$$"; break;
        case '"': case '\\': raw += e; break;
        default: raw += '\\'; raw += e; break;
      }
    } else if (c == '"') {
      pos_++;
      auto value = interpolate(raw, [this](std::string_view n) { return lookup(n); }, nullptr);
      if (!value) {
        line_ = start;
        return error(value.error().op());
      }
      TRY(expect_line_end());
      return value;
    } else {
      if (c == '\n') line_++;
      raw += c;
    }
  }
  line_ = start;
  return error("unterminated double-quoted value");
}

Result<std::string> DotenvParser::read_unquoted() {
  std::string_view line = rest_of_line();
  // An inline comment needs a blank before the '#': KEY=a#b keeps "a#b".
  size_t hash = std::string_view::npos;
  for (size_t i = 1; i < line.size(); i++) {
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      hash = i;
      break;
    }
  }
  if (!line.empty() && line[0] == '#') hash = 0;
  std::string raw = trim(line.substr(0, hash));
  auto value = interpolate(raw, [this](std::string_view n) { return lookup(n); }, nullptr);
  if (!value) return error(value.error().op());
  line_++;
  return value;
}

}  // namespace

Result<EnvList> parse_dotenv(const std::string& text, const std::string& display,
                             const Lookup& lookup) {
  DotenvParser parser(text, display, lookup);
  return parser.parse();
}

Result<EnvList> parse_dotenv_raw(const std::string& text, const std::string& display) {
  EnvList out;
  std::vector<std::string> lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); i++) {
    std::string line = lines[i];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      return fail(display + ":" + std::to_string(i + 1) + ": expected KEY=VALUE");
    out.emplace_back(trim(line.substr(0, eq)), line.substr(eq + 1));
  }
  return out;
}

}  // namespace berth::compose
