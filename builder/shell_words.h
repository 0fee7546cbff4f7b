// Docker's word lexer: how the text of an instruction becomes words, with ${VAR}
// substitution.
//
// Read: Dockerfile reference, "Environment replacement". Substitution happens in ADD COPY
// ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ONBUILD (and ARG), never in RUN
// CMD ENTRYPOINT's text (the shell in the container does it there). Forms: $VAR, ${VAR},
// ${VAR:-word} (word when unset or empty), ${VAR-word} (when unset), ${VAR:+word} (word
// when set and non-empty), ${VAR+word} (when set), ${VAR:?message} (error when unset or
// empty). Single quotes keep everything literal; double quotes keep spaces but still
// substitute; the escape character escapes the next one ('\$' is a literal $). Quotes are
// removed from the result. An unset variable expands to "".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace berth::builder {

// A variable's value, or nullopt when it is not set.
using VarLookup = std::function<std::optional<std::string>(std::string_view)>;

// The text as one word: substituted, quotes removed, whitespace kept as it is.
Result<std::string> expand_word(std::string_view text, const VarLookup& vars, char escape = '\\');

// The text split into words at unquoted whitespace, each substituted, quotes removed.
// A substitution's result is not split again (Docker's behaviour).
Result<std::vector<std::string>> expand_words(std::string_view text, const VarLookup& vars,
                                              char escape = '\\');

// The text split at unquoted whitespace with quotes and escapes kept as written and nothing
// substituted: the first pass over ENV/LABEL/ARG (the '=' is found before the quotes are
// removed) and over RUN/COPY/ADD when looking for `<<EOF` words. An escape character at the
// very end is dropped.
std::vector<std::string> split_raw_words(std::string_view text, char escape = '\\');

// ENV, LABEL and ARG: `K=V K2="a b"` pairs, or the legacy `K V with spaces` form (ENV and
// LABEL only, one pair, value is the rest of the text). ARG gives `NAME` (no value:
// nullopt) or `NAME=default`. Values are substituted; keys are not.
struct KeyValue {
  std::string key;
  std::optional<std::string> value;
};
Result<std::vector<KeyValue>> parse_key_values(std::string_view text, const VarLookup& vars,
                                               char escape = '\\', bool allow_legacy = true,
                                               bool allow_no_value = false);

}  // namespace berth::builder
