#include <gtest/gtest.h>

#include "builder/dockerfile.h"

namespace berth::builder {
namespace {

Dockerfile parse(std::string_view text) {
  auto r = parse_dockerfile(text, "Dockerfile");
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : Dockerfile{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_dockerfile(text, "Dockerfile");
  EXPECT_FALSE(r) << "parsed although it should not";
  return r ? "" : r.error().message();
}

using Flags = std::vector<std::pair<std::string, std::string>>;

TEST(Dockerfile, KeywordsAreCaseInsensitiveAndStoredUpperCase) {
  auto df = parse("from alpine:3.19 AS build\nrun echo hi\nCoPy a b\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(df.instructions[0].keyword, "FROM");
  EXPECT_EQ(df.instructions[0].text, "alpine:3.19 AS build");
  EXPECT_EQ(df.instructions[1].keyword, "RUN");
  EXPECT_EQ(df.instructions[1].line, 2);
  EXPECT_EQ(df.instructions[1].original, "RUN echo hi");
  EXPECT_EQ(df.instructions[2].keyword, "COPY");
  EXPECT_EQ(df.escape, '\\');
  EXPECT_EQ(df.path, "Dockerfile");
}

TEST(Dockerfile, CommentsAndBlankLinesAreDropped) {
  auto df = parse("# a comment\n\n   # indented comment\nFROM scratch\n\nCMD [\"/app\"]  \n");
  ASSERT_EQ(df.instructions.size(), 2u);
  EXPECT_EQ(df.instructions[0].line, 4);
  EXPECT_EQ(df.instructions[1].line, 6);
  EXPECT_EQ(df.instructions[1].text, "[\"/app\"]") << "trailing whitespace trimmed";
}

TEST(Dockerfile, ContinuationsSkipCommentAndBlankLines) {
  auto df = parse(
      "FROM debian\n"
      "RUN apt-get update && \\\n"
      "    # a comment inside the continuation\n"
      "\n"
      "    apt-get install -y curl \\   \n"
      "  # another\n"
      "    && rm -rf /var/lib/apt/lists\n"
      "USER app\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  const Instruction& run = df.instructions[1];
  EXPECT_EQ(run.line, 2);
  EXPECT_EQ(run.text,
            "apt-get update &&     apt-get install -y curl     && rm -rf /var/lib/apt/lists")
      << "continuation lines are joined as written, leading whitespace kept";
  EXPECT_EQ(run.original, "RUN " + run.text);
  EXPECT_EQ(df.instructions[2].line, 8);
}

TEST(Dockerfile, EscapedEscapeAtEndOfLineDoesNotContinue) {
  auto df = parse("FROM x\nRUN echo a\\\\\nRUN echo b\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(df.instructions[1].text, "echo a\\\\");
}

TEST(Dockerfile, ContinuationAtEndOfFile) {
  auto df = parse("FROM x\nRUN echo a \\");
  ASSERT_EQ(df.instructions.size(), 2u);
  EXPECT_EQ(df.instructions[1].text, "echo a");
}

TEST(Dockerfile, EscapeDirectiveWithBacktick) {
  auto df = parse(
      "# escape=`\n"
      "FROM mcr.microsoft.com/windows/servercore\n"
      "COPY testfile.txt c:\\\n"
      "RUN dir c:\\ `\n"
      "    && echo done\n");
  EXPECT_EQ(df.escape, '`');
  ASSERT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(df.instructions[1].text, "testfile.txt c:\\") << "a backslash no longer continues";
  EXPECT_EQ(df.instructions[2].text, "dir c:\\     && echo done");
}

TEST(Dockerfile, SyntaxDirectiveAndCaseInsensitiveKeys) {
  auto df = parse("# SYNTAX = docker/dockerfile:1.7\n#Escape=\\\nFROM x\n");
  EXPECT_EQ(df.syntax, "docker/dockerfile:1.7");
  EXPECT_EQ(df.escape, '\\');
}

TEST(Dockerfile, DirectivesOnlyCountAtTheTop) {
  // After an ordinary comment, a blank line or an instruction, `# escape=` is a comment.
  EXPECT_EQ(parse("# hello\n# escape=`\nFROM x\n").escape, '\\');
  EXPECT_EQ(parse("\n# escape=`\nFROM x\n").escape, '\\');
  EXPECT_EQ(parse("FROM x\n# escape=`\n").escape, '\\');
  EXPECT_EQ(parse("# unknown=1\n# escape=`\nFROM x\n").escape, '\\');
}

TEST(Dockerfile, DirectiveErrors) {
  EXPECT_EQ(parse_error("# escape=`\n# escape=\\\nFROM x\n"),
            "Dockerfile:2: only one escape parser directive can be used");
  EXPECT_EQ(parse_error("# escape=x\nFROM x\n"),
            "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
}

TEST(Dockerfile, ExecFormAndShellForm) {
  auto df = parse(
      "FROM x\n"
      "CMD [\"nginx\", \"-g\", \"daemon off;\"]\n"
      "RUN [ -f /etc/os-release ] && echo yes\n"
      "ENTRYPOINT [\"sh\", \"-c\"\n"
      "SHELL [\"/bin/bash\", \"-c\"]\n"
      "LABEL [\"not\", \"json\"]\n"
      "CMD []\n");
  ASSERT_EQ(df.instructions.size(), 7u);
  EXPECT_TRUE(df.instructions[1].json);
  EXPECT_EQ(df.instructions[1].json_args, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_FALSE(df.instructions[2].json) << "a shell test is not JSON";
  EXPECT_EQ(df.instructions[2].text, "[ -f /etc/os-release ] && echo yes");
  EXPECT_FALSE(df.instructions[3].json) << "invalid JSON falls back to the shell form";
  EXPECT_TRUE(df.instructions[4].json);
  EXPECT_FALSE(df.instructions[5].json) << "LABEL has no exec form";
  EXPECT_TRUE(df.instructions[6].json);
  EXPECT_TRUE(df.instructions[6].json_args.empty());
}

TEST(Dockerfile, JsonArrayOfNonStringsIsAnError) {
  EXPECT_EQ(parse_error("FROM x\nCMD [\"a\", 1]\n"),
            "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
}

TEST(Dockerfile, HealthcheckExecFormAfterCmd) {
  auto df = parse(
      "FROM x\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"http://x/\"]\n"
      "HEALTHCHECK NONE\n");
  const Instruction& hc = df.instructions[1];
  EXPECT_EQ(hc.flags, (Flags{{"interval", "5s"}}));
  EXPECT_EQ(hc.text, "CMD [\"curl\", \"-f\", \"http://x/\"]");
  EXPECT_TRUE(hc.json);
  EXPECT_EQ(hc.json_args, (std::vector<std::string>{"curl", "-f", "http://x/"}));
  EXPECT_FALSE(df.instructions[2].json);
}

TEST(Dockerfile, Flags) {
  auto df = parse(
      "FROM --platform=linux/amd64 golang AS build\n"
      "COPY --from=build --chown=1000:1000 --link /out/app /app\n"
      "RUN --mount=type=cache,target=/root/.cache \\\n"
      "    --network=none go build ./...\n"
      "RUN --mount=\"type=bind,target=/a b\" -- --not-a-flag\n");
  EXPECT_EQ(df.instructions[0].flags, (Flags{{"platform", "linux/amd64"}}));
  EXPECT_EQ(df.instructions[0].text, "golang AS build");
  EXPECT_EQ(df.instructions[1].flags,
            (Flags{{"from", "build"}, {"chown", "1000:1000"}, {"link", ""}}));
  EXPECT_EQ(df.instructions[1].text, "/out/app /app");
  EXPECT_EQ(df.instructions[1].original,
            "COPY --from=build --chown=1000:1000 --link /out/app /app");
  EXPECT_EQ(df.instructions[2].flags,
            (Flags{{"mount", "type=cache,target=/root/.cache"}, {"network", "none"}}));
  EXPECT_EQ(df.instructions[2].text, "go build ./...");
  EXPECT_EQ(df.instructions[3].flags, (Flags{{"mount", "type=bind,target=/a b"}}));
  EXPECT_EQ(df.instructions[3].text, "--not-a-flag") << "`--` ends the flags";
}

TEST(Dockerfile, Heredoc) {
  auto df = parse(
      "FROM x\n"
      "RUN <<EOF\n"
      "set -e\n"
      "# not a comment, and no continuation: \\\n"
      "echo $HOME\n"
      "EOF\n"
      "USER app\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  const Instruction& run = df.instructions[1];
  EXPECT_EQ(run.text, "<<EOF") << "the heredoc word stays in the text";
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content,
            "set -e\n# not a comment, and no continuation: \\\necho $HOME\n");
  EXPECT_TRUE(run.heredocs[0].expand);
  EXPECT_EQ(df.instructions[2].line, 7);
}

TEST(Dockerfile, SeveralQuotedAndTabStrippedHeredocs) {
  auto df = parse(
      "FROM x\n"
      "COPY <<one.txt <<\"two.txt\" /dest/\n"
      "first $X\n"
      "one.txt\n"
      "second $X\n"
      "two.txt\n"
      "RUN python3 <<-'PY' > /out\n"
      "\t\tprint('hi')\n"
      "\tPY\n");
  const Instruction& copy = df.instructions[1];
  ASSERT_EQ(copy.heredocs.size(), 2u);
  EXPECT_EQ(copy.heredocs[0].name, "one.txt");
  EXPECT_EQ(copy.heredocs[0].content, "first $X\n");
  EXPECT_TRUE(copy.heredocs[0].expand);
  EXPECT_EQ(copy.heredocs[1].name, "two.txt");
  EXPECT_EQ(copy.heredocs[1].content, "second $X\n");
  EXPECT_FALSE(copy.heredocs[1].expand) << "a quoted delimiter turns expansion off";
  const Instruction& run = df.instructions[2];
  EXPECT_EQ(run.text, "python3 <<-'PY' > /out");
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "PY");
  EXPECT_EQ(run.heredocs[0].content, "print('hi')\n");
  EXPECT_FALSE(run.heredocs[0].expand);
}

TEST(Dockerfile, NoHeredocInExecFormOrOtherInstructionsOrHereStrings) {
  auto df = parse(
      "FROM x\nRUN [\"cat\", \"<<EOF\"]\nRUN cat <<<word\nRUN echo '<<EOF'\n"
      "ENV A=<<EOF\n");
  for (const Instruction& ins : df.instructions) EXPECT_TRUE(ins.heredocs.empty()) << ins.original;
}

TEST(Dockerfile, UnterminatedHeredocNamesTheInstructionLine) {
  EXPECT_EQ(parse_error("FROM x\n\nRUN <<EOF\necho hi\nEOD\n"),
            "Dockerfile:3: unterminated heredoc \"EOF\"");
}

TEST(Dockerfile, UnknownInstruction) {
  EXPECT_EQ(parse_error("FROM x\n\n\nrunn echo\n"), "Dockerfile:4: unknown instruction: RUNN");
}

TEST(Dockerfile, OnlyArgMayComeBeforeFrom) {
  auto df = parse("# comment\nARG BASE=alpine\nFROM ${BASE}\nRUN true\n");
  EXPECT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(parse_error("ARG A\nRUN echo\nFROM x\n"),
            "Dockerfile:2: RUN before the first FROM (only ARG may come before FROM)");
}

TEST(Dockerfile, EmptyOrFromlessFiles) {
  EXPECT_EQ(parse_error(""), "Dockerfile: the Dockerfile has no instructions");
  EXPECT_EQ(parse_error("# only\n\n# comments\n"),
            "Dockerfile: the Dockerfile has no instructions");
  EXPECT_EQ(parse_error("ARG A=1\n"), "Dockerfile: the Dockerfile has no FROM instruction");
}

TEST(Dockerfile, InstructionsNeedArguments) {
  EXPECT_EQ(parse_error("FROM x\nRUN\n"), "Dockerfile:2: RUN requires arguments");
  EXPECT_EQ(parse_error("FROM x\nRUN --network=none   \n"), "Dockerfile:2: RUN requires arguments");
  EXPECT_EQ(parse_error("FROM\n"), "Dockerfile:1: FROM requires arguments");
}

TEST(Dockerfile, OnbuildTriggersAreChecked) {
  auto df = parse("FROM x\nONBUILD run --mount=type=cache,target=/c make\n");
  EXPECT_EQ(df.instructions[1].text, "run --mount=type=cache,target=/c make") << "kept raw";
  EXPECT_TRUE(df.instructions[1].flags.empty());
  EXPECT_EQ(parse_error("FROM x\nONBUILD ONBUILD RUN x\n"),
            "Dockerfile:2: chaining ONBUILD via ONBUILD ONBUILD is not allowed");
  EXPECT_EQ(parse_error("FROM x\nONBUILD from y\n"),
            "Dockerfile:2: FROM is not allowed as an ONBUILD trigger");
  EXPECT_EQ(parse_error("FROM x\nONBUILD RUNN y\n"), "Dockerfile:2: unknown instruction: RUNN");
}

TEST(Dockerfile, ParseInstructionLineForTriggers) {
  auto ins = parse_instruction_line("copy --from=base [\"a\", \"b\"]", "Dockerfile", 9, '\\');
  ASSERT_TRUE(ins) << ins.error().message();
  EXPECT_EQ(ins->keyword, "COPY");
  EXPECT_EQ(ins->line, 9);
  EXPECT_EQ(ins->flags, (Flags{{"from", "base"}}));
  EXPECT_TRUE(ins->json);
  EXPECT_EQ(ins->json_args, (std::vector<std::string>{"a", "b"}));
  auto bad = parse_instruction_line("NOPE x", "Dockerfile", 9, '\\');
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "Dockerfile:9: unknown instruction: NOPE");
}

TEST(Dockerfile, CrlfAndByteOrderMark) {
  auto df = parse("\xEF\xBB\xBF# escape=`\r\nFROM x\r\nRUN a `\r\n  b\r\n");
  EXPECT_EQ(df.escape, '`');
  ASSERT_EQ(df.instructions.size(), 2u);
  EXPECT_EQ(df.instructions[1].text, "a   b");
}

}  // namespace
}  // namespace berth::builder
