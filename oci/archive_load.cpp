// `berth load`: images from a tar archive, in either of the two formats docker knows.
//
// Read: OCI image spec, image-layout.md (oci-layout, index.json, blobs/) and
// annotations.md (org.opencontainers.image.ref.name); docker's image/spec/v1.2.md
// "Combined Image JSON + Filesystem Changeset Format" for manifest.json + repositories.
// Docker 25+ writes both in one tar. The archive is read once: every member is staged
// under tmp/ while being hashed, then the index decides what is an image. Layer blobs
// are verified against their digests and diff ids before anything is recorded.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <map>
#include <set>

#include "base/fd.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/sha256.h"
#include "oci/compression.h"
#include "oci/digest.h"
#include "oci/platform.h"
#include "oci/safe_path.h"
#include "oci/store.h"

namespace berth::oci {

namespace {

constexpr size_t kMaxJsonSize = 64 << 20;

struct StagedFile {
  std::string path, digest;
  int64_t size = 0;
};

// The archive's members, staged as files named by their position, looked up by name.
class ArchiveContents {
 public:
  Result<> stage(const std::string& archive_path, const std::string& dir);
  bool has(const std::string& name) const { return find(name) != nullptr; }
  const StagedFile* find(std::string name) const;
  Result<StagedFile> member(const std::string& name) const;
  Result<std::string> read_text(const std::string& name) const;
  // blobs/sha256/<hex>, checked against its digest.
  Result<StagedFile> blob(const std::string& digest) const;

 private:
  Result<> stage_member(struct archive* a, const std::string& name, const std::string& dir);
  std::map<std::string, StagedFile> files_;
  std::map<std::string, std::string> links_;  // symlink member -> target (older docker save)
};

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

Result<> ArchiveContents::stage(const std::string& archive_path, const std::string& dir) {
  ArchiveReader r;
  archive_read_support_filter_gzip(r.a);
  archive_read_support_filter_zstd(r.a);
  archive_read_support_filter_xz(r.a);
  archive_read_support_format_tar(r.a);
  if (archive_read_open_filename(r.a, archive_path.c_str(), 1 << 20) != ARCHIVE_OK) {
    return fail(std::string("open archive: ") + archive_error_string(r.a), archive_path);
  }
  struct archive_entry* e;
  while (true) {
    int rc = archive_read_next_header(r.a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return fail(std::string("read: ") + archive_error_string(r.a), archive_path);
    const char* raw = archive_entry_pathname(e);
    auto comps = clean_member_path(raw ? raw : "");
    if (!comps) continue;  // names outside the archive are not part of any image
    std::string name = join_components(*comps, comps->size());
    if (const char* target = archive_entry_hardlink(e)) {
      auto t = clean_member_path(target);
      if (t && files_.contains(join_components(*t, t->size()))) {
        files_[name] = files_[join_components(*t, t->size())];
      }
    } else if (archive_entry_filetype(e) == AE_IFLNK) {
      links_[name] = archive_entry_symlink(e);
    } else if (archive_entry_filetype(e) == AE_IFREG) {
      TRY_CTX(stage_member(r.a, name, dir), "reading \"" + archive_path + "\"");
    }
  }
  return {};
}

Result<> ArchiveContents::stage_member(struct archive* a, const std::string& name,
                                       const std::string& dir) {
  StagedFile f;
  f.path = path_join(dir, std::to_string(files_.size()));
  ASSIGN_OR_RETURN(Fd fd, open_fd(f.path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  Sha256 sha;
  while (true) {
    const void* data;
    size_t len;
    la_int64_t offset;
    int rc = archive_read_data_block(a, &data, &len, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return fail(std::string("member: ") + archive_error_string(a), name);
    if (offset != f.size) return fail("sparse members are not supported", name);
    sha.update(data, len);
    TRY(write_all(fd.get(), data, len));
    f.size += static_cast<int64_t>(len);
  }
  f.digest = std::string(kSha256Prefix) + sha.hex_digest();
  files_[name] = std::move(f);
  return {};
}

// Follows symlink members lexically (relative to the link's directory), a few hops at most.
const StagedFile* ArchiveContents::find(std::string name) const {
  for (int hops = 0; hops < 8; hops++) {
    if (auto it = files_.find(name); it != files_.end()) return &it->second;
    auto link = links_.find(name);
    if (link == links_.end()) return nullptr;
    std::string target = link->second.starts_with("/") ? link->second
                                                       : dir_name(name) + "/" + link->second;
    auto comps = clean_member_path(target);
    if (!comps) return nullptr;
    name = join_components(*comps, comps->size());
  }
  return nullptr;
}

Result<StagedFile> ArchiveContents::member(const std::string& name) const {
  auto comps = clean_member_path(name);
  const StagedFile* f = comps ? find(join_components(*comps, comps->size())) : nullptr;
  if (!f) return fail("archive has no member", name);
  return *f;
}

Result<std::string> ArchiveContents::read_text(const std::string& name) const {
  ASSIGN_OR_RETURN(StagedFile f, member(name));
  if (static_cast<size_t>(f.size) > kMaxJsonSize) return fail("member too large", name);
  return read_file(f.path);
}

Result<StagedFile> ArchiveContents::blob(const std::string& digest) const {
  ASSIGN_OR_RETURN(std::string hex, digest_hex(digest));
  ASSIGN_OR_RETURN(StagedFile f, member("blobs/sha256/" + hex));
  if (f.digest != digest) return fail("blob digest mismatch: content is " + f.digest, digest);
  return f;
}

using StagedImage = Store::StagedImage;
using StagedLayer = Store::StagedLayer;

Result<StagedLayer> staged_layer(const StagedFile& f) {
  ASSIGN_OR_RETURN(Compression c, detect_file_compression(f.path));
  return StagedLayer{f.path, f.digest, f.size, layer_media_type(c)};
}

std::string display_name(const std::vector<std::string>& names, const std::string& fallback) {
  if (names.empty()) return fallback;
  auto ref = parse_reference(names.front());
  return ref ? ref->familiar() : names.front();
}

void add_name(std::vector<std::string>& names, std::string_view s) {
  auto ref = parse_reference(s);
  if (!ref || ref->tag.empty()) return;
  std::string n = ref->str();
  if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
}

// docker-archive: manifest.json = [{"Config": "<file>", "RepoTags": [...], "Layers": [...]}]
Result<std::vector<StagedImage>> stage_docker_archive(const ArchiveContents& contents) {
  ASSIGN_OR_RETURN(std::string text, contents.read_text("manifest.json"));
  ASSIGN_OR_RETURN(Json doc, parse_json(text, "manifest.json"));
  std::vector<StagedImage> out;
  try {
    for (const auto& m : doc) {
      StagedImage img;
      ASSIGN_OR_RETURN(img.config_text, contents.read_text(m.at("Config").get<std::string>()));
      for (const auto& l : m.at("Layers")) {
        ASSIGN_OR_RETURN(StagedFile f, contents.member(l.get<std::string>()));
        ASSIGN_OR_RETURN(StagedLayer layer, staged_layer(f));
        img.layers.push_back(std::move(layer));
      }
      if (auto tags = m.find("RepoTags"); tags != m.end() && tags->is_array()) {
        for (const auto& t : *tags) add_name(img.names, t.get<std::string>());
      }
      img.display = display_name(img.names, sha256_digest_of(img.config_text));
      out.push_back(std::move(img));
    }
  } catch (const Json::exception& ex) {
    return fail(std::string("invalid manifest.json (") + ex.what() + ")");
  }
  return out;
}

// OCI layout names: containerd's full name first, else a ref.name that is a full reference
// (the spec also allows a bare tag there, which names no repository: ignored).
std::vector<std::string> names_from_annotations(const Json& desc) {
  std::vector<std::string> names;
  auto ann = desc.find("annotations");
  if (ann == desc.end() || !ann->is_object()) return names;
  if (auto it = ann->find("io.containerd.image.name"); it != ann->end() && it->is_string()) {
    add_name(names, it->get<std::string>());
  } else if (auto r = ann->find("org.opencontainers.image.ref.name");
             r != ann->end() && r->is_string()) {
    std::string s = r->get<std::string>();
    if (s.find_first_of("/:") != std::string::npos) add_name(names, s);
  }
  return names;
}

bool is_index(const Json& doc, const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json" ||
         (media_type.empty() && doc.contains("manifests"));
}

// From a multi-platform index, the manifest for this host (linux/<arch>), else the first.
const Json* pick_platform(const Json& manifests) {
  for (const auto& m : manifests) {
    auto p = m.find("platform");
    if (p != m.end() && p->value("os", "") == "linux" &&
        p->value("architecture", "") == host_architecture()) {
      return &m;
    }
  }
  return manifests.empty() ? nullptr : &manifests[0];
}

struct OciContext {
  const ArchiveContents& contents;
  std::map<std::string, std::vector<std::string>> repo_tags;  // config digest -> names
  std::vector<StagedImage> out;
};

Result<> stage_oci_descriptor(OciContext& ctx, const Json& desc, std::vector<std::string> names,
                              int depth) {
  if (depth > 4) return fail("image indexes nested too deeply");
  std::string digest = desc.at("digest").get<std::string>();
  ASSIGN_OR_RETURN(StagedFile f, ctx.contents.blob(digest));
  ASSIGN_OR_RETURN(std::string text, read_file(f.path));
  ASSIGN_OR_RETURN(Json doc, parse_json(text, "manifest " + digest));
  std::string media_type = desc.value("mediaType", doc.value("mediaType", ""));
  if (is_index(doc, media_type)) {
    const Json* child = pick_platform(doc.at("manifests"));
    if (!child) return fail("empty image index", digest);
    return stage_oci_descriptor(ctx, *child, std::move(names), depth + 1);
  }
  StagedImage img;
  img.manifest_text = text;
  std::string config_digest = doc.at("config").at("digest").get<std::string>();
  ASSIGN_OR_RETURN(StagedFile cf, ctx.contents.blob(config_digest));
  ASSIGN_OR_RETURN(img.config_text, read_file(cf.path));
  for (const auto& l : doc.at("layers")) {
    ASSIGN_OR_RETURN(StagedFile lf, ctx.contents.blob(l.at("digest").get<std::string>()));
    ASSIGN_OR_RETURN(StagedLayer layer, staged_layer(lf));
    img.layers.push_back(std::move(layer));
  }
  for (const auto& n : ctx.repo_tags[config_digest]) add_name(names, n);
  // docker 25+ writes one index entry per tag of the same manifest: one image, many names.
  for (auto& seen : ctx.out) {
    if (seen.manifest_text != text) continue;
    for (const auto& n : names) add_name(seen.names, n);
    return {};
  }
  img.names = std::move(names);
  img.display = display_name(img.names, config_digest);
  ctx.out.push_back(std::move(img));
  return {};
}

// Docker 25+ also writes manifest.json: its RepoTags name images whose index entry may not.
void read_repo_tags(OciContext& ctx) {
  auto text = ctx.contents.read_text("manifest.json");
  if (!text) return;
  auto doc = parse_json(*text, "manifest.json");
  if (!doc || !doc->is_array()) return;
  for (const auto& m : *doc) {
    auto config = m.find("Config");
    auto tags = m.find("RepoTags");
    if (config == m.end() || !config->is_string() || tags == m.end() || !tags->is_array()) continue;
    auto f = ctx.contents.member(config->get<std::string>());
    if (!f) continue;
    for (const auto& t : *tags) {
      if (t.is_string()) ctx.repo_tags[f->digest].push_back(t.get<std::string>());
    }
  }
}

Result<std::vector<StagedImage>> stage_oci_layout(const ArchiveContents& contents) {
  ASSIGN_OR_RETURN(std::string text, contents.read_text("index.json"));
  ASSIGN_OR_RETURN(Json index, parse_json(text, "index.json"));
  OciContext ctx{contents, {}, {}};
  read_repo_tags(ctx);
  try {
    for (const auto& desc : index.at("manifests")) {
      TRY_CTX(stage_oci_descriptor(ctx, desc, names_from_annotations(desc), 0), "index.json");
    }
  } catch (const Json::exception& ex) {
    return fail(std::string("invalid OCI layout (") + ex.what() + ")");
  }
  return std::move(ctx.out);
}

// Removes a directory when the load is over, whatever happened.
struct TempDir {
  std::string path;
  ~TempDir() {
    if (!path.empty()) (void)remove_tree(path);
  }
};

}  // namespace

Result<std::vector<std::string>> Store::load_archive(const std::string& path) {
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), FileLock::Mode::kExclusive));
  TempDir tmp;
  ASSIGN_OR_RETURN(tmp.path, make_temp_dir());
  ArchiveContents contents;
  TRY(contents.stage(path, tmp.path));
  std::vector<StagedImage> images;
  if (contents.has("index.json")) {
    ASSIGN_OR_RETURN_CTX(images, stage_oci_layout(contents), "loading \"" + path + "\"");
  } else if (contents.has("manifest.json")) {
    ASSIGN_OR_RETURN_CTX(images, stage_docker_archive(contents), "loading \"" + path + "\"");
  } else {
    return fail("not an image archive (no index.json nor manifest.json)", path);
  }
  std::vector<std::string> loaded;
  for (const auto& img : images) {
    ASSIGN_OR_RETURN(ImageRecord rec, store_image(img));
    if (rec.names.empty()) loaded.push_back(rec.id);
    for (const auto& n : rec.names) loaded.push_back(display_name({n}, n));
  }
  return loaded;
}

}  // namespace berth::oci
