// ADD from a URL (see fetch_url.h).
#include "builder/fetch_url.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/sha256.h"
#include "oci/http.h"

namespace berth::builder {

namespace {

// The body into a file, hashed on the way.
class FileSink : public oci::BodyWriter {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  Result<> begin(long) override { return {}; }
  Result<> write(std::string_view chunk) override {
    hash_.update(chunk);
    return write_all(fd_, chunk.data(), chunk.size());
  }
  std::string digest() { return "sha256:" + hash_.hex_digest(); }

 private:
  int fd_;
  Sha256 hash_;
};

std::string file_name_of(const std::string& url) {
  std::string path = url.substr(url.find("://") + 3);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.rfind('/');
  std::string name = slash == std::string::npos ? "" : path.substr(slash + 1);
  return name.empty() || name == "." || name == ".." ? "__unnamed__" : name;
}

}  // namespace

bool is_url_source(const std::string& source) {
  return source.starts_with("http://") || source.starts_with("https://");
}

Result<FetchedFile> fetch_url(const std::string& url, const std::string& dir, const std::string& checksum) {
  FetchedFile f;
  f.name = file_name_of(url);
  std::string path = path_join(dir, f.name);
  ASSIGN_OR_RETURN(Fd out, open_fd(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSIGN_OR_RETURN(oci::HttpClient client, oci::HttpClient::create());
  FileSink sink(out.get());
  oci::HttpRequest req;
  req.url = url;
  ASSIGN_OR_RETURN_CTX(oci::HttpResponse resp, client.send(req, &sink), "failed to load " + url);
  if (resp.status < 200 || resp.status > 299)
    return fail("failed to load " + url + ": invalid response status " + std::to_string(resp.status));
  f.digest = sink.digest();
  if (!checksum.empty() && checksum != f.digest)
    return fail("digest mismatch for " + url + ": expected " + checksum + ", got " + f.digest);
  if (std::string lm = resp.header("last-modified"); !lm.empty()) {
    struct tm tm = {};
    if (::strptime(lm.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) f.mtime = ::timegm(&tm);
  }
  if (f.mtime > 0) {
    struct timespec times[2] = {{f.mtime, 0}, {f.mtime, 0}};
    ::futimens(out.get(), times);
  }
  return f;
}

}  // namespace berth::builder
