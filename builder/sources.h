// COPY and ADD sources: which files a pattern names in the build context (or in another
// stage's filesystem), and a digest of their content for the build cache.
//
// Read: Dockerfile reference, "COPY" (source paths are relative to the context; wildcards
// follow Go's filepath.Match: * ? [a-z]; a path may not leave the context) and
// ".dockerignore" (excluded files are invisible to COPY, as if absent).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "builder/dockerignore.h"

namespace berth::builder {

// A source pattern cleaned: leading "/" and "./" dropped, ".." that would leave the root
// refused ("forbidden path outside the build context: ../x").
Result<std::string> clean_source(const std::string& pattern);

// The paths (relative to root_fd, sorted) that a cleaned pattern names; wildcards expand
// per path component. Paths that `ignore` excludes do not exist. None: an error as
// docker's ("\"x\": not found").
Result<std::vector<std::string>> expand_source(int root_fd, const std::string& pattern,
                                               const DockerIgnore* ignore);

// A digest of the files at `paths` (relative to root_fd) and everything below them that
// `ignore` lets through: names, types, modes, sizes, link targets and contents. Owners
// and times are left out: COPY sets its own owner, and a touch changes nothing.
Result<std::string> digest_sources(int root_fd, const std::vector<std::string>& paths,
                                   const DockerIgnore* ignore);

}  // namespace berth::builder
