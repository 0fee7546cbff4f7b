// .dockerignore: which files of the build context the builder may see.
//
// Read: Dockerfile reference, ".dockerignore file". Each line is a pattern in Go's
// filepath.Match syntax (* ? [a-z] and \ escapes) plus `**` for any number of
// directories; `#` lines are comments; patterns are cleaned (leading `/` and `./`
// dropped, `a//b` -> `a/b`); a line starting with `!` is an exception that re-includes
// what an earlier pattern excluded. The last pattern that matches a path decides. A
// pattern that matches a directory also matches everything below it (so `node_modules`
// excludes node_modules/x/y). `Dockerfile` and `.dockerignore` are still sent to the
// builder by Docker even when excluded (the caller handles that).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::builder {

class DockerIgnore {
 public:
  // The patterns of a .dockerignore file's text (blank and # lines skipped).
  static DockerIgnore parse(std::string_view text);
  // Reads `path`; a missing file means nothing is excluded.
  static Result<DockerIgnore> load(const std::string& path);

  // `path` is relative to the context root, '/'-separated, no leading "./".
  bool excluded(std::string_view path) const;
  // True when a directory that is excluded may still contain re-included paths (some `!`
  // pattern could match below it), so the walk must descend into it.
  bool may_include_below(std::string_view dir) const;
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;  // cleaned, without the '!'
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
};

}  // namespace berth::builder
