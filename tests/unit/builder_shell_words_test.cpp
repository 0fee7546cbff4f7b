#include <gtest/gtest.h>

#include <map>

#include "builder/shell_words.h"

namespace berth::builder {
namespace {

const VarLookup kVars = [](std::string_view name) -> std::optional<std::string> {
  static const std::map<std::string, std::string, std::less<>> vars = {
      {"HOME", "/root"},          {"EMPTY", ""},        {"SPACED", "a  b"}, {"V", "v1.2.3"},
      {"FILE", "archive.tar.gz"}, {"PATHS", "/a/b/a/b"}};
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
};

std::string word(std::string_view text, char escape = '\\') {
  auto r = expand_word(text, kVars, escape);
  EXPECT_TRUE(r) << text << ": " << r.error().message();
  return r ? *r : "<error>";
}

std::vector<std::string> words(std::string_view text, char escape = '\\') {
  auto r = expand_words(text, kVars, escape);
  EXPECT_TRUE(r) << text << ": " << r.error().message();
  return r ? *r : std::vector<std::string>{"<error>"};
}

std::string word_error(std::string_view text) {
  auto r = expand_word(text, kVars);
  EXPECT_FALSE(r) << text << " expanded to " << *r;
  return r ? "" : r.error().message();
}

using Words = std::vector<std::string>;

TEST(ShellWords, PlainAndBracedVariables) {
  EXPECT_EQ(word("$HOME/bin"), "/root/bin");
  EXPECT_EQ(word("${HOME}bin"), "/rootbin");
  EXPECT_EQ(word("$HOMEbin"), "") << "the name runs as far as name characters go";
  EXPECT_EQ(word("x${UNSET}y$UNSET"), "xy");
  EXPECT_EQ(word("keep  spaces "), "keep  spaces ") << "expand_word keeps whitespace";
}

TEST(ShellWords, DollarBeforeANonNameIsLiteral) {
  EXPECT_EQ(word("cost: 5$"), "cost: 5$");
  EXPECT_EQ(word("a $ b $/x $."), "a $ b $/x $.");
  EXPECT_EQ(word("$1$@x"), "x") << "positional and special parameters are names, unset here";
}

TEST(ShellWords, DefaultAndAlternativeForms) {
  EXPECT_EQ(word("${UNSET:-dflt}"), "dflt");
  EXPECT_EQ(word("${EMPTY:-dflt}"), "dflt") << "with ':' an empty value counts as unset";
  EXPECT_EQ(word("${EMPTY-dflt}"), "");
  EXPECT_EQ(word("${UNSET-dflt}"), "dflt");
  EXPECT_EQ(word("${HOME:-dflt}"), "/root");
  EXPECT_EQ(word("${HOME:+alt}"), "alt");
  EXPECT_EQ(word("${EMPTY:+alt}"), "");
  EXPECT_EQ(word("${EMPTY+alt}"), "alt");
  EXPECT_EQ(word("${UNSET+alt}"), "");
  EXPECT_EQ(word("${UNSET:-}"), "");
}

TEST(ShellWords, NestedSubstitutionAndQuotesInTheOperand) {
  EXPECT_EQ(word("${UNSET:-${HOME}/x}"), "/root/x");
  EXPECT_EQ(word("${UNSET:-${ALSO_UNSET:-deep}}"), "deep");
  EXPECT_EQ(word("${UNSET:-\"a } b\"}"), "a } b");
  EXPECT_EQ(word("${UNSET:-a\\}b}"), "a}b");
}

TEST(ShellWords, RequiredVariables) {
  EXPECT_EQ(word("${HOME:?must be set}"), "/root");
  EXPECT_EQ(word("${EMPTY?must be set}"), "") << "without ':' empty is fine";
  EXPECT_EQ(word_error("${UNSET:?please set UNSET}"),
            "processing \"${UNSET:?please set UNSET}\": UNSET: please set UNSET");
  EXPECT_EQ(word_error("${UNSET?}"), "processing \"${UNSET?}\": UNSET: is not allowed to be unset");
  EXPECT_EQ(word_error("${EMPTY:?}"),
            "processing \"${EMPTY:?}\": EMPTY: is not allowed to be empty");
}

TEST(ShellWords, PatternForms) {
  EXPECT_EQ(word("${V#v}"), "1.2.3");
  EXPECT_EQ(word("${FILE#*.}"), "tar.gz");
  EXPECT_EQ(word("${FILE##*.}"), "gz");
  EXPECT_EQ(word("${FILE%.*}"), "archive.tar");
  EXPECT_EQ(word("${FILE%%.*}"), "archive");
  EXPECT_EQ(word("${FILE%.zip}"), "archive.tar.gz") << "no match: unchanged";
  EXPECT_EQ(word("${PATHS/b/X}"), "/a/X/a/b");
  EXPECT_EQ(word("${PATHS//b/X}"), "/a/X/a/X");
  EXPECT_EQ(word("${PATHS//a?/}"), "/b/b");
  EXPECT_EQ(word("${V/\\./-}"), "v1-2.3");
}

TEST(ShellWords, SyntaxErrors) {
  EXPECT_EQ(word_error("${HOME"), "processing \"${HOME\": syntax error: missing '}'");
  EXPECT_EQ(word_error("${UNSET:-x"), "processing \"${UNSET:-x\": syntax error: missing '}'");
  EXPECT_EQ(word_error("${}"), "processing \"${}\": syntax error: bad substitution");
  EXPECT_EQ(word_error("${:-x}"), "processing \"${:-x}\": syntax error: bad substitution");
  EXPECT_EQ(word_error("${HOME:x}"),
            "processing \"${HOME:x}\": unsupported modifier (:x) in substitution");
  EXPECT_EQ(word_error("${HOME^}"),
            "processing \"${HOME^}\": unsupported modifier (^) in substitution");
}

TEST(ShellWords, SingleQuotesAreLiteral) {
  EXPECT_EQ(word("'$HOME \\n ${X'"), "$HOME \\n ${X");
  EXPECT_EQ(word("a'b c'd"), "ab cd");
  EXPECT_EQ(word_error("'open"),
            "processing \"'open\": unexpected end of statement while looking for matching "
            "single-quote");
}

TEST(ShellWords, DoubleQuotesSubstituteAndEscapeOnlySome) {
  EXPECT_EQ(word("\"$HOME 'x'\""), "/root 'x'");
  EXPECT_EQ(word("\"\\\" \\$HOME \\\\ \\n\""), "\" $HOME \\ \\n")
      << "\\ escapes \" $ and itself; before anything else it stays";
  EXPECT_EQ(word_error("\"open"),
            "processing \"\"open\": unexpected end of statement while looking for matching "
            "double-quote");
}

TEST(ShellWords, EscapeCharacter) {
  EXPECT_EQ(word("\\$HOME"), "$HOME");
  EXPECT_EQ(word("a\\ b\\\\c\\"), "a b\\c") << "a trailing escape is dropped";
  EXPECT_EQ(word("`$HOME C:\\dir", '`'), "$HOME C:\\dir") << "with escape=` a backslash is plain";
  EXPECT_EQ(word("\"C:\\dir `\"q`\"\"", '`'), "C:\\dir \"q\"");
}

TEST(ShellWords, WordSplitting) {
  EXPECT_EQ(words("  a  b\tc  "), (Words{"a", "b", "c"}));
  EXPECT_EQ(words("\"a b\" 'c d' e\\ f"), (Words{"a b", "c d", "e f"}));
  EXPECT_EQ(words("x$HOME \"$SPACED\" $SPACED"), (Words{"x/root", "a  b", "a  b"}))
      << "a substitution's result is not split again";
  EXPECT_EQ(words("a $EMPTY $UNSET b"), (Words{"a", "b"})) << "empty unquoted words vanish";
  EXPECT_EQ(words("a \"\" '' b"), (Words{"a", "", "", "b"})) << "quoted empty words stay";
  EXPECT_EQ(words("\"$EMPTY\""), (Words{""}));
  EXPECT_TRUE(words("").empty());
}

TEST(ShellWords, SplitRawWordsKeepsQuotesAndEscapes) {
  EXPECT_EQ(split_raw_words("A=\"x y\" B='$z w' C=a\\ b  D"),
            (Words{"A=\"x y\"", "B='$z w'", "C=a\\ b", "D"}));
  EXPECT_EQ(split_raw_words("'a\\' b"), (Words{"'a\\'", "b"})) << "no escape in single quotes";
  EXPECT_EQ(split_raw_words("x `\"a b`\" y", '`'), (Words{"x", "`\"a", "b`\"", "y"}));
  EXPECT_EQ(split_raw_words("end\\"), (Words{"end"}));
}

std::vector<KeyValue> pairs(std::string_view text, bool allow_legacy = true,
                            bool allow_no_value = false) {
  auto r = parse_key_values(text, kVars, '\\', allow_legacy, allow_no_value);
  EXPECT_TRUE(r) << text << ": " << r.error().message();
  return r ? *r : std::vector<KeyValue>{};
}

std::string pairs_error(std::string_view text, bool allow_legacy = true,
                        bool allow_no_value = false) {
  auto r = parse_key_values(text, kVars, '\\', allow_legacy, allow_no_value);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message();
}

TEST(ShellWordsKeyValues, Pairs) {
  auto kv = pairs("A=1 B=\"a b\" C= D=$HOME/x E='$HOME' $HOME=raw F=a=b");
  ASSERT_EQ(kv.size(), 7u);
  EXPECT_EQ(kv[0].key, "A");
  EXPECT_EQ(kv[0].value, "1");
  EXPECT_EQ(kv[1].value, "a b");
  EXPECT_EQ(kv[2].value, "");
  EXPECT_EQ(kv[3].value, "/root/x");
  EXPECT_EQ(kv[4].value, "$HOME");
  EXPECT_EQ(kv[5].key, "$HOME") << "keys are not substituted";
  EXPECT_EQ(kv[6].key, "F");
  EXPECT_EQ(kv[6].value, "a=b") << "only the first '=' separates";
}

TEST(ShellWordsKeyValues, LegacyForm) {
  auto kv = pairs("MY_VAR  a value  with $HOME and \"quotes\"");
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0].key, "MY_VAR");
  EXPECT_EQ(kv[0].value, "a value  with /root and quotes");
  EXPECT_EQ(pairs_error("ALONE"), "\"ALONE\" has no value (expected NAME=VALUE or NAME VALUE)");
}

TEST(ShellWordsKeyValues, ArgNamesWithoutValues) {
  auto kv = pairs("VERSION TARGET=linux OTHER", false, true);
  ASSERT_EQ(kv.size(), 3u);
  EXPECT_EQ(kv[0].key, "VERSION");
  EXPECT_FALSE(kv[0].value.has_value());
  EXPECT_EQ(kv[1].value, "linux");
  EXPECT_FALSE(kv[2].value.has_value());
}

TEST(ShellWordsKeyValues, Errors) {
  EXPECT_EQ(pairs_error("=value"), "empty name in \"=value\"; must be of the form: name=value");
  EXPECT_EQ(pairs_error("A=1 B"), "can't find = in \"B\"; must be of the form: name=value");
  EXPECT_EQ(pairs_error("A B", false, false),
            "can't find = in \"A\"; must be of the form: name=value");
  EXPECT_EQ(pairs_error("A=${UNSET:?no}"), "processing \"${UNSET:?no}\": UNSET: no");
  EXPECT_TRUE(pairs("   ").empty());
}

}  // namespace
}  // namespace berth::builder
