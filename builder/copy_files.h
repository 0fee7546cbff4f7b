// COPY and ADD's file semantics, inside the child of a layer job (layer_job.h).
//
// Read: Dockerfile reference, "COPY" and "ADD". The rules a Docker user relies on:
//   - a directory source copies its *contents* into the destination, not itself;
//   - a file source lands at the destination path, or inside it when the destination ends
//     in "/" or is an existing directory;
//   - several sources need a directory destination ending in "/";
//   - missing destination directories are made (0755);
//   - files from the context are owned by root unless --chown says otherwise; files from
//     another stage (--from) keep their owners; --chmod sets the mode of everything copied;
//   - ADD extracts a local tar archive (plain, gzip, bzip2, xz, zstd) into the destination.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "builder/dockerignore.h"

namespace berth::builder {

struct CopyRequest {
  std::vector<std::string> sources;  // relative to the source root, already expanded
  std::string dest;                  // absolute in the stage's filesystem, a trailing "/" kept
  std::optional<uid_t> uid;          // --chown
  std::optional<gid_t> gid;
  std::optional<mode_t> mode;        // --chmod
  bool keep_owners = false;          // --from: the source's owners (unless --chown)
  bool extract_archives = false;     // ADD
  const DockerIgnore* ignore = nullptr;  // the context's .dockerignore
};

// Copies from source_root (an O_PATH directory fd) into dest_root (the stage's filesystem).
Result<> copy_sources(int source_root, int dest_root, const CopyRequest& request);

// A small regular file of the stage's filesystem (/etc/passwd for --chown), resolved
// inside its root; nullopt when it is missing or not a regular file of at most 1 MiB.
std::optional<std::string> read_image_file(int root, const std::string& path);

// Writes `content` as the file `dest` (COPY <<EOF heredocs), mode 0644 unless request.mode.
Result<> write_heredoc_file(int dest_root, const std::string& dest, const std::string& content,
                            const CopyRequest& request);

}  // namespace berth::builder
