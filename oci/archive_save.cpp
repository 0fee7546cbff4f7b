// `berth save`: images into one tar that is both a docker-archive (manifest.json,
// repositories) and an OCI image layout (oci-layout, index.json, blobs/sha256/...), as
// docker 25+ writes it, so that `docker load`, `podman load` and `skopeo` all accept it.
//
// Read: OCI image spec, image-layout.md and annotations.md; docker's image/spec/v1.2.md.
// Blobs are written exactly as stored (same bytes, same digests): loading the archive back
// gives the same image ids and manifest digests.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <map>
#include <set>
#include <vector>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/lock.h"
#include "oci/digest.h"
#include "oci/store.h"

namespace berth::oci {

namespace {

class TarWriter {
 public:
  ~TarWriter() {
    if (a_) archive_write_free(a_);
  }
  Result<> open(const std::string& path) {
    path_ = path;
    a_ = archive_write_new();
    archive_write_set_format_pax_restricted(a_);
    if (archive_write_open_filename(a_, path.c_str()) != ARCHIVE_OK) return failure("open");
    return {};
  }
  Result<> add_dir(const std::string& name) { return header(name, AE_IFDIR, 0755, 0); }
  Result<> add_text(const std::string& name, const std::string& content) {
    TRY(header(name, AE_IFREG, 0644, static_cast<int64_t>(content.size())));
    if (archive_write_data(a_, content.data(), content.size()) < 0) return failure("write");
    return {};
  }
  Result<> add_file(const std::string& name, const std::string& path);
  Result<> close() {
    if (archive_write_close(a_) != ARCHIVE_OK) return failure("close");
    return {};
  }

 private:
  Result<> header(const std::string& name, mode_t type, mode_t perm, int64_t size) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 0, 0);  // reproducible output: same images, same bytes
    int rc = archive_write_header(a_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return failure("write header");
    return {};
  }
  std::unexpected<Error> failure(const char* what) {
    const char* msg = archive_error_string(a_);
    return fail(std::string(what) + (msg ? std::string(": ") + msg : ""), path_);
  }
  std::string path_;
  struct archive* a_ = nullptr;
};

Result<> TarWriter::add_file(const std::string& name, const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY));
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || ::lseek(fd.get(), 0, SEEK_SET) < 0) return sys_error("seek", path);
  TRY(header(name, AE_IFREG, 0644, size));
  std::vector<char> buf(1 << 20);
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", path);
    if (n == 0) break;
    if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0) return failure("write");
  }
  return {};
}

std::string blob_member(const std::string& digest) {
  return "blobs/sha256/" + digest.substr(kSha256Prefix.size());
}

}  // namespace

Result<> Store::save(const std::vector<std::string>& names, const std::string& out_path) {
  if (names.empty()) return fail("save needs at least one image");
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), FileLock::Mode::kShared));
  ASSIGN_OR_RETURN(auto entries, read_index());
  // Which images, and under which names each is saved (by id: all its names).
  std::vector<size_t> order;
  std::map<size_t, std::vector<std::string>> saved_names;
  for (const auto& n : names) {
    ASSIGN_OR_RETURN(Match m, resolve(entries, n));
    if (!saved_names.contains(m.index)) order.push_back(m.index);
    auto& list = saved_names[m.index];
    std::vector<std::string> add = m.by_id ? entries[m.index].names
                                           : std::vector<std::string>{parse_reference(n)->str()};
    for (auto& a : add) {
      if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
    }
  }
  std::string tmp = out_path + ".tmp-" + random_hex(4);
  TarWriter tar;
  TRY(tar.open(tmp));
  auto written = [&]() -> Result<> {
    Json index_manifests = Json::array(), docker_manifest = Json::array(), repositories = Json::object();
    std::set<std::string> blobs_done;
    TRY(tar.add_dir("blobs/"));
    TRY(tar.add_dir("blobs/sha256/"));
    auto add_blob = [&](const std::string& digest) -> Result<> {
      if (!blobs_done.insert(digest).second) return {};
      return tar.add_file(blob_member(digest), blob_path(digest));
    };
    for (size_t idx : order) {
      const IndexEntry& e = entries[idx];
      ASSIGN_OR_RETURN(std::string manifest_text, read_blob(e.manifest_digest));
      ASSIGN_OR_RETURN(Json manifest, parse_json(manifest_text, "manifest " + e.manifest_digest));
      TRY(add_blob(e.manifest_digest));
      TRY(add_blob(e.id));
      Json layers = Json::array();
      try {
        for (const auto& l : manifest.at("layers")) {
          std::string d = l.at("digest").get<std::string>();
          TRY(add_blob(d));
          layers.push_back(blob_member(d));
        }
      } catch (const Json::exception& ex) {
        return fail(std::string("invalid manifest (") + ex.what() + ")", e.manifest_digest);
      }
      Json desc = {{"mediaType", manifest.value("mediaType",
                                                "application/vnd.oci.image.manifest.v1+json")},
                   {"digest", e.manifest_digest},
                   {"size", manifest_text.size()}};
      Json repo_tags = Json::array();
      for (const auto& n : saved_names[idx]) {
        ASSIGN_OR_RETURN(Reference ref, parse_reference(n));
        Json d = desc;
        d["annotations"] = {{"io.containerd.image.name", ref.str()},
                            {"org.opencontainers.image.ref.name", ref.tag}};
        index_manifests.push_back(d);
        repo_tags.push_back(ref.familiar());
        repositories[ref.familiar_repository()][ref.tag] = e.id.substr(kSha256Prefix.size());
      }
      if (saved_names[idx].empty()) index_manifests.push_back(desc);
      docker_manifest.push_back(
          {{"Config", blob_member(e.id)}, {"RepoTags", repo_tags}, {"Layers", layers}});
    }
    Json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests", index_manifests}};
    TRY(tar.add_text("index.json", index.dump() + "\n"));
    TRY(tar.add_text("manifest.json", docker_manifest.dump() + "\n"));
    TRY(tar.add_text("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"));
    TRY(tar.add_text("repositories", repositories.dump() + "\n"));
    return tar.close();
  }();
  if (!written || ::rename(tmp.c_str(), out_path.c_str()) < 0) {
    Error err = written ? Error(errno, "rename", out_path) : written.error();
    ::unlink(tmp.c_str());
    return std::unexpected(wrap(err, "saving to \"" + out_path + "\""));
  }
  return {};
}

}  // namespace berth::oci
