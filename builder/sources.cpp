// COPY sources: expansion and content digests (see sources.h).
#include "builder/sources.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fd.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "runtime/safe_path.h"

namespace berth::builder {

namespace {

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }


bool visible(const DockerIgnore* ignore, const std::string& rel) { return !ignore || !ignore->excluded(rel); }

}  // namespace

Result<std::string> clean_source(const std::string& pattern) {
  std::vector<std::string> parts;
  for (const auto& c : split(pattern, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (parts.empty()) return fail("forbidden path outside the build context", pattern);
      parts.pop_back();
      continue;
    }
    parts.push_back(c);
  }
  return join(parts, "/");
}

Result<std::vector<std::string>> expand_source(int root_fd, const std::string& pattern,
                                               const DockerIgnore* ignore) {
  std::vector<std::string> found = {""};
  for (const auto& comp : split(pattern, '/')) {
    if (comp.empty()) continue;
    std::vector<std::string> next;
    for (const auto& base : found) {
      std::string prefix = base.empty() ? "" : base + "/";
      if (!has_wildcard(comp)) {
        next.push_back(prefix + comp);
        continue;
      }
      auto dir = runtime::open_in_root(root_fd, base.empty() ? "." : base, O_DIRECTORY);
      if (!dir) continue;  // not a directory: nothing below it matches
      Fd real(::openat(dir->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!real) continue;
      ASSIGN_OR_RETURN(auto names, list_dir_at(real.get(), base));
      for (const auto& n : names)
        if (::fnmatch(comp.c_str(), n.c_str(), 0) == 0) next.push_back(prefix + n);
    }
    found = std::move(next);
  }
  std::vector<std::string> out;
  for (const auto& p : found) {
    if (!visible(ignore, p)) continue;
    struct stat st;
    auto fd = runtime::open_in_root(root_fd, p.empty() ? "." : p);
    if (!fd || ::fstat(fd->get(), &st) < 0) continue;
    out.push_back(p);
  }
  if (out.empty()) return fail_errno(ENOENT, "\"" + (pattern.empty() ? "." : pattern) + "\": not found");
  return out;
}

namespace {

class Digester {
 public:
  explicit Digester(const DockerIgnore* ignore) : ignore_(ignore) {}

  // `fd`: an O_PATH fd on rel (not followed if it is a symlink).
  Result<> add(int fd, const std::string& rel) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return sys_error("stat", rel);
    hash_.update(rel + "\n" + std::to_string(st.st_mode) + " " +
                 std::to_string(S_ISREG(st.st_mode) ? st.st_size : 0) + "\n");
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(fd, "", target, sizeof target);
      if (n < 0) return sys_error("readlink", rel);
      hash_.update(target, static_cast<size_t>(n));
    } else if (S_ISREG(st.st_mode)) {
      ASSIGN_OR_RETURN(Fd in, open_fd(runtime::fd_path(fd), O_RDONLY));
      TRY(add_content(in.get(), rel));
    } else if (S_ISDIR(st.st_mode)) {
      ASSIGN_OR_RETURN(Fd dir, open_fd(runtime::fd_path(fd), O_RDONLY | O_DIRECTORY));
      ASSIGN_OR_RETURN(auto names, list_dir_at(dir.get(), rel));
      for (const auto& n : names) {
        std::string child = rel.empty() ? n : rel + "/" + n;
        ASSIGN_OR_RETURN(Fd c, open_at(dir.get(), n, O_PATH | O_NOFOLLOW));
        if (ignore_ && ignore_->excluded(child)) {
          // Excluded, but a `!` pattern may bring back something below it.
          struct stat cst;
          if (!ignore_->may_include_below(child) || ::fstat(c.get(), &cst) < 0 || !S_ISDIR(cst.st_mode)) continue;
        }
        TRY(add(c.get(), child));
      }
    }
    return {};
  }
  std::string digest() { return "sha256:" + hash_.hex_digest(); }

 private:
  Result<> add_content(int in, const std::string& rel) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("read", rel);
      if (n == 0) return {};
      hash_.update(buf, static_cast<size_t>(n));
    }
  }
  const DockerIgnore* ignore_;
  Sha256 hash_;
};

}  // namespace

Result<std::string> digest_sources(int root_fd, const std::vector<std::string>& paths, const DockerIgnore* ignore) {
  Digester d(ignore);
  for (const auto& p : paths) {
    // The top-level source is followed if it is a symlink (docker copies what it names).
    ASSIGN_OR_RETURN(Fd target, runtime::open_in_root(root_fd, p.empty() ? "." : p));
    TRY(d.add(target.get(), p));
  }
  return d.digest();
}

}  // namespace berth::builder
