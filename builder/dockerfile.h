// The Dockerfile: its text turned into a list of instructions, before anything is run.
//
// Read: the Dockerfile reference (docs.docker.com/reference/dockerfile): "Format",
// "Parser directives" (# syntax=, # escape=), "Environment replacement", "Shell and exec
// form", "Here-Documents". What the reader should take away: a Dockerfile is a line-based
// format where a trailing escape character (\ or the `# escape=` one) joins lines,
// comment lines are dropped even inside a continued instruction, the first words of an
// instruction may be --flags, and the rest is either a JSON array (exec form) or text that
// is later split into words by a small shell-like lexer (builder/shell_words.h), which
// also does the ${VAR} substitution. Substitution is not done here: it needs the ARG and
// ENV values known at that point of the build.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::builder {

// A here-document: `RUN <<EOF` ... `EOF` (or <<-EOF to strip leading tabs, <<"EOF" or
// <<'EOF' for no expansion).
struct Heredoc {
  std::string name;     // "EOF"
  std::string content;  // the lines between, each ending in '\n'
  bool expand = true;   // false when the delimiter was quoted
};

struct Instruction {
  std::string keyword;  // upper-case: "FROM", "RUN", ...
  int line = 0;         // 1-based line of the keyword in the file
  // Leading --name=value flags, in order ("--from=builder" -> {"from", "builder"};
  // a bare "--link" -> {"link", ""}).
  std::vector<std::pair<std::string, std::string>> flags;
  // Exec form: the JSON array's strings. Only set when `json` is true. For HEALTHCHECK,
  // the array after its CMD word (`text` still holds "CMD [...]").
  std::vector<std::string> json_args;
  bool json = false;
  // Everything after the flags, continuation lines joined (escape+newline removed),
  // comment lines inside the continuation dropped, leading/trailing whitespace trimmed.
  // For the shell form this is what the shell (or the word lexer) gets.
  std::string text;
  std::vector<Heredoc> heredocs;
  // The instruction as written, continuation lines joined with a space: for history
  // ("created_by") and progress lines ("RUN npm ci").
  std::string original;
};

struct Dockerfile {
  std::string path;    // for errors: "Dockerfile:12: ..."
  char escape = '\\';  // `# escape=` directive
  std::string syntax;  // `# syntax=` directive (recorded, not acted on)
  std::vector<Instruction> instructions;
};

// Parses `text`; errors name the file and line: "Dockerfile:7: unknown instruction: RUNN".
// Checks the structure only: known keyword, JSON arrays well formed, a heredoc closed,
// instructions that need arguments having them, the first instruction being FROM (ARG
// may come before it).
Result<Dockerfile> parse_dockerfile(std::string_view text, const std::string& path);

// One instruction that fits on one line, checked as parse_dockerfile checks each one (known
// keyword, flags, JSON form, arguments present) but without the file-level rules (FROM
// first, directives, continuations, heredocs). For ONBUILD: the trigger's text is parsed
// again when a later build uses the image, at the line of the ONBUILD that stored it.
Result<Instruction> parse_instruction_line(std::string_view line, const std::string& path,
                                           int line_no, char escape);

}  // namespace berth::builder
