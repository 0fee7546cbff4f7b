// The Dockerfile parser (format in builder/dockerfile.h): lines are read one at a time, since
// what a line means depends on the lines before it. At the top, `# key=value` comments may be
// parser directives; a line ending in the escape character continues on the next one (with
// comment and blank lines skipped in between); a RUN, COPY or ADD that names `<<EOF` takes the
// following lines, raw, as the heredoc's body. Each joined line is then split into keyword,
// --flags and the rest, which may be a JSON array (exec form).
//
// Errors name the file and the instruction's first line, like Docker's "Dockerfile:7: ...".
#include "builder/dockerfile.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "builder/shell_words.h"

namespace berth::builder {

namespace {

constexpr std::array<std::string_view, 18> kKeywords = {
    "FROM",    "RUN", "CMD",     "LABEL",      "MAINTAINER",  "EXPOSE",
    "ENV",     "ADD", "COPY",    "ENTRYPOINT", "VOLUME",      "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"};

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_one_of(std::string_view word, std::initializer_list<std::string_view> set) {
  for (std::string_view s : set)
    if (word == s) return true;
  return false;
}

std::unexpected<Error> line_error(const std::string& path, int line, const std::string& what) {
  return fail(path + ":" + std::to_string(line) + ": " + what);
}

// `# key = value` (Docker: ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$). The key is
// returned lower-case: directives are case-insensitive.
std::optional<std::pair<std::string, std::string>> match_directive(std::string_view line) {
  if (line.empty() || line[0] != '#') return std::nullopt;
  std::string_view s = trim_left(line.substr(1));
  size_t n = 0;
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return std::nullopt;
  while (n < s.size() && std::isalnum(static_cast<unsigned char>(s[n]))) n++;
  std::string key = to_lower(s.substr(0, n));
  s = trim_left(s.substr(n));
  if (s.empty() || s[0] != '=') return std::nullopt;
  std::string_view value = trim(s.substr(1));
  if (value.empty()) return std::nullopt;
  return std::pair{key, std::string(value)};
}

// A line continues when its last non-blank character is the escape character, unless that
// one is itself escaped ("echo \\" ends the instruction). Returns the line without it.
std::pair<std::string_view, bool> trim_continuation(std::string_view line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) end--;
  if (end == 0 || line[end - 1] != escape) return {line, false};
  if (end >= 2 && line[end - 2] == escape) return {line, false};
  return {line.substr(0, end - 1), true};
}

// Leading `--name=value` / `--name` words go to `flags`; a lone `--` ends them. Quotes in a
// flag are removed (`--mount="type=cache,target=/a b"`). Returns what follows the flags.
std::string_view extract_flags(std::string_view rest, char escape,
                               std::vector<std::pair<std::string, std::string>>& flags) {
  size_t i = 0;
  for (;;) {
    while (i < rest.size() && is_blank(rest[i])) i++;
    if (rest.substr(i, 2) != "--") return rest.substr(i);
    std::string word;
    char quote = 0;
    for (; i < rest.size() && (quote != 0 || !is_blank(rest[i])); i++) {
      char c = rest[i];
      if (c == escape && quote != '\'') {
        if (i + 1 < rest.size()) word += rest[++i];
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    }
    if (word == "--") return rest.substr(i);
    size_t eq = word.find('=');
    flags.emplace_back(word.substr(2, eq == std::string::npos ? eq : eq - 2),
                       eq == std::string::npos ? "" : word.substr(eq + 1));
  }
}

// Docker's rule for the exec form: text starting with '[' that parses as a JSON array is the
// exec form, and then every element must be a string; text that is not valid JSON (a shell
// test like `[ -f x ] && ...`) is the shell form.
Result<bool> parse_json_array(std::string_view text, std::vector<std::string>& out) {
  if (text.empty() || text[0] != '[') return false;
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded() || !json.is_array()) return false;
  std::vector<std::string> args;
  for (const auto& element : json) {
    if (!element.is_string())
      return fail("when using JSON array syntax, arrays must be comprised of strings only");
    args.push_back(element.get<std::string>());
  }
  out = std::move(args);
  return true;
}

// RUN CMD ENTRYPOINT SHELL ADD COPY VOLUME may be written as JSON arrays; HEALTHCHECK's
// array comes after its type word (`HEALTHCHECK CMD ["curl", "-f", "x"]`).
Result<> detect_exec_form(Instruction& ins) {
  std::string_view candidate = ins.text;
  if (ins.keyword == "HEALTHCHECK") {
    size_t end = 0;
    while (end < candidate.size() && !is_blank(candidate[end])) end++;
    candidate = trim_left(candidate.substr(end));
  } else if (!is_one_of(ins.keyword,
                        {"RUN", "CMD", "ENTRYPOINT", "SHELL", "ADD", "COPY", "VOLUME"})) {
    return {};
  }
  ASSIGN_OR_RETURN(ins.json, parse_json_array(candidate, ins.json_args));
  return {};
}

// ONBUILD's text is an instruction run later, in the builds that use this image: it is
// checked now so the mistake shows where it was made. Docker refuses these three triggers.
Result<> check_onbuild_trigger(const Instruction& ins, const std::string& path, char escape) {
  ASSIGN_OR_RETURN(Instruction trigger, parse_instruction_line(ins.text, path, ins.line, escape));
  if (trigger.keyword == "ONBUILD")
    return line_error(path, ins.line, "chaining ONBUILD via ONBUILD ONBUILD is not allowed");
  if (trigger.keyword == "FROM" || trigger.keyword == "MAINTAINER")
    return line_error(path, ins.line, trigger.keyword + " is not allowed as an ONBUILD trigger");
  return {};
}

// A heredoc announced in an instruction, before its body is read.
struct PendingHeredoc {
  Heredoc doc;
  bool strip_tabs = false;  // <<-EOF
};

// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, optionally after a file descriptor (`3<<EOF`).
// A quote anywhere in the delimiter turns expansion of the body off, as in sh(1).
std::optional<PendingHeredoc> heredoc_of_word(std::string_view word, char escape) {
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) i++;
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  PendingHeredoc pending;
  if (i < word.size() && word[i] == '-') {
    pending.strip_tabs = true;
    i++;
  }
  std::string_view rest = word.substr(i);
  // `<<<word` is bash's here-string, not a heredoc.
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
  for (size_t k = 0; k < rest.size(); k++) {
    if (rest[k] == '"' || rest[k] == '\'') {
      pending.doc.expand = false;
    } else if (rest[k] == escape && k + 1 < rest.size()) {
      pending.doc.name += rest[++k];
    } else {
      pending.doc.name += rest[k];
    }
  }
  if (pending.doc.name.empty()) return std::nullopt;
  return pending;
}

std::string_view strip_leading_tabs(std::string_view s) {
  while (!s.empty() && s.front() == '\t') s.remove_prefix(1);
  return s;
}

class DockerfileParser {
 public:
  DockerfileParser(std::string_view text, const std::string& path);
  Result<Dockerfile> parse();

 private:
  bool has_line() const { return next_ < lines_.size(); }
  std::string_view take_line() {
    line_no_++;
    return lines_[next_++];
  }
  Result<> read_directive(std::string_view line);
  void append_continuation_lines(std::string& joined);
  Result<> read_heredoc_bodies(Instruction& ins);
  Result<> check_stage_order(const Instruction& ins);

  std::vector<std::string_view> lines_;
  size_t next_ = 0;
  int line_no_ = 0;
  Dockerfile df_;
  bool directives_done_ = false;
  std::set<std::string> directives_seen_;
  bool seen_from_ = false;
};

// Splits into lines once, dropping the UTF-8 byte order mark and CRLF's '\r'.
DockerfileParser::DockerfileParser(std::string_view text, const std::string& path) {
  df_.path = path;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines_.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

Result<Dockerfile> DockerfileParser::parse() {
  while (has_line()) {
    std::string_view line = trim_left(take_line());
    int start = line_no_;
    if (!directives_done_) TRY(read_directive(line));
    if (line.empty() || line[0] == '#') continue;
    auto [first, continues] = trim_continuation(line, df_.escape);
    std::string joined(first);
    if (continues) append_continuation_lines(joined);
    ASSIGN_OR_RETURN(Instruction ins, parse_instruction_line(joined, df_.path, start, df_.escape));
    if (is_one_of(ins.keyword, {"RUN", "COPY", "ADD"}) && !ins.json) TRY(read_heredoc_bodies(ins));
    TRY(check_stage_order(ins));
    df_.instructions.push_back(std::move(ins));
  }
  if (df_.instructions.empty()) return fail(df_.path + ": the Dockerfile has no instructions");
  if (!seen_from_) return fail(df_.path + ": the Dockerfile has no FROM instruction");
  return std::move(df_);
}

// Directives are only looked for before anything else: the first line that is not one
// (an instruction, a blank line, an ordinary comment, an unknown key) ends them, and from
// there on `# escape=x` is just a comment.
Result<> DockerfileParser::read_directive(std::string_view line) {
  auto directive = match_directive(line);
  if (!directive || (directive->first != "syntax" && directive->first != "escape")) {
    directives_done_ = true;
    return {};
  }
  auto& [key, value] = *directive;
  if (!directives_seen_.insert(key).second)
    return line_error(df_.path, line_no_, "only one " + key + " parser directive can be used");
  if (key == "syntax") {
    df_.syntax = value;
  } else if (value == "\\" || value == "`") {
    df_.escape = value[0];
  } else {
    return line_error(df_.path, line_no_,
                      "invalid escape token '" + value + "' does not match ` or \\");
  }
  return {};
}

// Continuation lines keep their leading whitespace (Docker joins them as written). Comment
// and blank lines in between are skipped, so a long RUN can be commented piece by piece.
void DockerfileParser::append_continuation_lines(std::string& joined) {
  bool continues = true;
  while (continues && has_line()) {
    std::string_view line = take_line();
    std::string_view content = trim_left(line);
    if (content.empty() || content[0] == '#') continue;
    auto [part, more] = trim_continuation(line, df_.escape);
    joined += part;
    continues = more;
  }
}

// Each `<<NAME` word, in order, takes the lines up to a line that is exactly NAME (after
// leading tabs with <<-). The body is raw: no comments, continuations or directives in it.
Result<> DockerfileParser::read_heredoc_bodies(Instruction& ins) {
  for (const std::string& word : split_raw_words(ins.text, df_.escape)) {
    auto pending = heredoc_of_word(word, df_.escape);
    if (!pending) continue;
    bool closed = false;
    while (!closed && has_line()) {
      std::string_view line = take_line();
      if (pending->strip_tabs) line = strip_leading_tabs(line);
      closed = line == pending->doc.name;
      if (!closed) pending->doc.content.append(line).append("\n");
    }
    if (!closed)
      return line_error(df_.path, ins.line, "unterminated heredoc \"" + pending->doc.name + "\"");
    ins.heredocs.push_back(std::move(pending->doc));
  }
  return {};
}

// A build stage starts at FROM; before the first one only ARG (for FROM's image name) has
// a meaning.
Result<> DockerfileParser::check_stage_order(const Instruction& ins) {
  if (ins.keyword == "FROM") seen_from_ = true;
  if (seen_from_ || ins.keyword == "ARG") return {};
  return line_error(df_.path, ins.line,
                    ins.keyword + " before the first FROM (only ARG may come before FROM)");
}

}  // namespace

Result<Instruction> parse_instruction_line(std::string_view line, const std::string& path,
                                           int line_no, char escape) {
  std::string_view text = trim(line);
  size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) end++;
  std::string_view rest = trim(text.substr(end));
  Instruction ins;
  ins.keyword = to_upper(text.substr(0, end));
  ins.line = line_no;
  if (std::find(kKeywords.begin(), kKeywords.end(), ins.keyword) == kKeywords.end())
    return line_error(path, line_no, "unknown instruction: " + ins.keyword);
  ins.original = rest.empty() ? ins.keyword : ins.keyword + " " + std::string(rest);
  ins.text = trim(extract_flags(rest, escape, ins.flags));
  if (ins.text.empty()) return line_error(path, line_no, ins.keyword + " requires arguments");
  auto exec_form = detect_exec_form(ins);
  if (!exec_form) return line_error(path, line_no, exec_form.error().message());
  if (ins.keyword == "ONBUILD") TRY(check_onbuild_trigger(ins, path, escape));
  return ins;
}

Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& path) {
  return DockerfileParser(text, path).parse();
}

}  // namespace berth::builder
