// ADD's remote sources: `ADD https://example.com/tool.tar.gz /opt/` downloads the file
// (it is not extracted, unlike a local archive) and copies it in with mode 0600, as
// docker does, its modification time from the Last-Modified header when there is one.
// `--checksum=sha256:...` makes a mismatch an error.
//
// Read: Dockerfile reference, "ADD" ("Adding files from a URL", "--checksum"); RFC 9110
// "Last-Modified".
#pragma once

#include <ctime>
#include <string>

#include "base/result.h"

namespace berth::builder {

bool is_url_source(const std::string& source);

struct FetchedFile {
  std::string name;    // the file name ADD gives it: the URL path's last component
  std::string digest;  // "sha256:..." of the content
  time_t mtime = 0;    // Last-Modified, 0 when absent
};

// Downloads `url` into `dir`/NAME; `checksum` ("" or "sha256:<hex>") must match.
Result<FetchedFile> fetch_url(const std::string& url, const std::string& dir, const std::string& checksum);

}  // namespace berth::builder
