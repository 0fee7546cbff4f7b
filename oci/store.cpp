// The image store: open, the images.json index, lookups, tag and rmi with garbage
// collection (see store.h for the layout). Loading, saving and importing live in
// archive_load.cpp, archive_save.cpp and import.cpp; layers arrive through store_layer.cpp.
#include "oci/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/json.h"
#include "base/lock.h"
#include "oci/digest.h"

namespace berth::oci {

namespace {

using Lock = FileLock::Mode;

// Leftovers of a writer that died: only removable while nobody else writes. A pull
// downloads under tmp/ without the exclusive lock, holding an flock on its directory
// instead (oci/pull.cpp): a directory still locked is in use, not left over.
void remove_leftovers(const std::string& root) {
  auto tmp = list_dir(path_join(root, "tmp"));
  if (tmp) {
    for (const auto& n : *tmp) {
      std::string path = path_join(root, "tmp/" + n);
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      bool busy = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) < 0;
      if (fd >= 0) ::close(fd);
      if (!busy) (void)remove_tree(path);
    }
  }
  auto layers = list_dir(path_join(root, "layers"));
  if (layers) {
    for (const auto& n : *layers) {
      if (n.starts_with("tmp-")) (void)remove_tree(path_join(root, "layers/" + n));
    }
  }
}

}  // namespace

Result<Store> Store::open(const std::string& root) {
  if (root.empty()) return fail("empty store root");
  for (const char* sub : {"blobs/sha256", "layers/sha256", "tmp"}) {
    TRY_CTX(make_dirs(path_join(root, sub), 0700), "opening image store");
  }
  // Layer directories become overlay lowerdirs: readable by container users.
  ::chmod(path_join(root, "layers").c_str(), 0711);
  ::chmod(path_join(root, "layers/sha256").c_str(), 0711);
  char* real = ::realpath(root.c_str(), nullptr);  // layer_dirs() hands out absolute paths
  if (!real) return sys_error("realpath", root);
  Store store(real);
  ::free(real);
  if (auto lock = FileLock::try_acquire(store.lock_path(), Lock::kExclusive)) {
    remove_leftovers(root);
  }
  return store;
}

std::string Store::lock_path() const { return path_join(root_, "lock"); }

Result<std::vector<Store::IndexEntry>> Store::read_index() const {
  std::vector<IndexEntry> out;
  std::string path = path_join(root_, "images.json");
  if (!path_exists(path)) return out;
  ASSIGN_OR_RETURN(Json doc, read_json_file(path));
  try {
    for (const auto& j : doc.at("images")) {
      IndexEntry e;
      e.id = j.at("id").get<std::string>();
      e.manifest_digest = j.at("manifest_digest").get<std::string>();
      e.names = j.at("names").get<std::vector<std::string>>();
      e.size = j.value("size", int64_t{0});
      e.created = j.value("created", std::string());
      e.build_cache = j.value("build_cache", false);
      out.push_back(std::move(e));
    }
  } catch (const Json::exception& ex) {
    return fail(std::string("invalid image index (") + ex.what() + ")", path);
  }
  return out;
}

Result<> Store::write_index(const std::vector<IndexEntry>& entries) const {
  Json images = Json::array();
  for (const auto& e : entries) {
    Json j = {{"id", e.id}, {"manifest_digest", e.manifest_digest}, {"names", e.names},
              {"size", e.size}, {"created", e.created}};
    if (e.build_cache) j["build_cache"] = true;
    images.push_back(std::move(j));
  }
  Json doc = {{"images", images}};
  return write_file_atomic(path_join(root_, "images.json"), doc.dump(2) + "\n", 0600);
}

Result<ImageRecord> Store::to_record(const IndexEntry& e) const {
  ASSIGN_OR_RETURN(std::string text, read_blob(e.id));
  ASSIGN_OR_RETURN(ImageConfig config, parse_image_config(text, "image config " + e.id));
  return ImageRecord{e.id, e.manifest_digest, e.names, e.size, e.created, std::move(config), e.build_cache};
}

std::string Store::blob_path(std::string_view digest) const {
  return path_join(root_, "blobs/sha256/" + std::string(digest.substr(kSha256Prefix.size())));
}

bool Store::has_blob(std::string_view digest) const {
  return is_sha256_digest(digest) && path_exists(blob_path(digest));
}

Result<std::string> Store::read_blob(std::string_view digest) const {
  if (!is_sha256_digest(digest)) return fail("invalid digest", std::string(digest));
  return read_file(blob_path(digest));
}

Result<std::string> Store::put_blob(const std::string& content) {
  std::string digest = sha256_digest_of(content);
  std::string path = blob_path(digest);
  if (!path_exists(path)) TRY(write_file_atomic(path, content, 0644));
  return digest;
}

Result<> Store::adopt_blob(const std::string& staged_path, const std::string& digest) {
  std::string path = blob_path(digest);
  if (path_exists(path) || staged_path == path) return {};
  if (::rename(staged_path.c_str(), path.c_str()) < 0) return sys_error("rename", staged_path);
  return {};
}

Result<WorkDir> WorkDir::lock(std::string path) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY | O_DIRECTORY));
  if (::flock(fd.get(), LOCK_EX) < 0) return sys_error("flock", path);
  return WorkDir(std::move(path), std::move(fd));
}

WorkDir::~WorkDir() {
  if (!path_.empty()) (void)remove_tree(path_);
}

Result<WorkDir> Store::make_work_dir() {
  ASSIGN_OR_RETURN(std::string path, make_temp_dir());
  auto locked = WorkDir::lock(path);
  if (!locked) (void)remove_tree(path);
  return locked;
}

Result<std::string> Store::make_temp_dir() {
  std::string dir = path_join(root_, "tmp/" + random_hex(8));
  if (::mkdir(dir.c_str(), 0700) < 0) return sys_error("mkdir", dir);
  return dir;
}

Result<std::vector<ImageRecord>> Store::list_images() {
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), Lock::kShared));
  ASSIGN_OR_RETURN(auto entries, read_index());
  std::vector<ImageRecord> out;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(auto rec, to_record(e));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<ImageRecord> Store::find_image(std::string_view name_or_id) {
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), Lock::kShared));
  ASSIGN_OR_RETURN(auto entries, read_index());
  ASSIGN_OR_RETURN(Match m, resolve(entries, name_or_id));
  return to_record(entries[m.index]);
}

// Docker's order: an id (full, or a unique hex prefix of at least 4), then a name.
Result<Store::Match> Store::resolve(const std::vector<IndexEntry>& entries,
                                    std::string_view s) const {
  std::string_view hex = s.starts_with(kSha256Prefix) ? s.substr(kSha256Prefix.size()) : s;
  if (hex.size() >= 4 && hex.size() <= 64 && is_lower_hex(hex)) {
    std::optional<size_t> found;
    for (size_t i = 0; i < entries.size(); i++) {
      if (!std::string_view(entries[i].id).substr(kSha256Prefix.size()).starts_with(hex)) continue;
      if (found) return fail("ambiguous image id prefix", std::string(s));
      found = i;
    }
    if (found) return Match{*found, true};
    if (s.starts_with(kSha256Prefix)) return fail_errno(ENOENT, "no such image", std::string(s));
  }
  ASSIGN_OR_RETURN(Reference ref, parse_reference(s));
  for (size_t i = 0; i < entries.size(); i++) {
    const auto& e = entries[i];
    if (!ref.digest.empty()) {
      if (e.manifest_digest == ref.digest) return Match{i, true};
    } else if (std::find(e.names.begin(), e.names.end(), ref.str()) != e.names.end()) {
      return Match{i, false};
    }
  }
  return fail_errno(ENOENT, "no such image", std::string(s));
}

// Adds or merges a record; its names are taken away from any other image (docker moves a
// tag; the image it leaves stays, untagged).
Result<> Store::commit(IndexEntry entry) {
  ASSIGN_OR_RETURN(auto entries, read_index());
  for (auto& e : entries) {
    std::erase_if(e.names, [&](const std::string& n) {
      return std::find(entry.names.begin(), entry.names.end(), n) != entry.names.end();
    });
  }
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const IndexEntry& e) { return e.id == entry.id; });
  if (it == entries.end()) {
    entries.push_back(std::move(entry));
  } else {
    for (auto& n : entry.names) it->names.push_back(n);
    if (!path_exists(blob_path(it->manifest_digest))) it->manifest_digest = entry.manifest_digest;
    it->build_cache = it->build_cache && entry.build_cache;
  }
  return write_index(entries);
}

Result<> Store::tag(std::string_view source, const Reference& target) {
  if (target.tag.empty()) return fail("tag target needs a tag", target.str());
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), Lock::kExclusive));
  ASSIGN_OR_RETURN(auto entries, read_index());
  ASSIGN_OR_RETURN(Match m, resolve(entries, source));
  IndexEntry e = entries[m.index];
  e.names = {Reference{target.domain, target.path, target.tag, {}}.str()};
  return commit(std::move(e));
}

namespace {

std::string familiar_name(const std::string& name) {
  auto ref = parse_reference(name);
  return ref ? ref->familiar() : name;
}

}  // namespace

Result<std::vector<std::string>> Store::remove_image(std::string_view name_or_id,
                                                     bool force_all_names) {
  ASSIGN_OR_RETURN(auto lock, FileLock::acquire(lock_path(), Lock::kExclusive));
  ASSIGN_OR_RETURN(auto entries, read_index());
  ASSIGN_OR_RETURN(Match m, resolve(entries, name_or_id));
  IndexEntry& e = entries[m.index];
  std::vector<std::string> lines;
  if (!m.by_id) {
    std::string name = parse_reference(name_or_id)->str();
    std::erase(e.names, name);
    lines.push_back("Untagged: " + familiar_name(name));
    if (!e.names.empty()) {
      TRY(write_index(entries));
      return lines;
    }
  } else {
    if (e.names.size() > 1 && !force_all_names) {
      return fail("conflict: unable to delete " + e.id.substr(kSha256Prefix.size(), 12) +
                  " (must be forced) - image is referenced in multiple repositories");
    }
    for (const auto& n : e.names) lines.push_back("Untagged: " + familiar_name(n));
  }
  ASSIGN_OR_RETURN(auto deleted, delete_image(entries, m.index));
  lines.insert(lines.end(), deleted.begin(), deleted.end());
  return lines;
}

namespace {

// The blobs and diff ids one image holds on to.
struct ImageContent {
  std::set<std::string> blobs, diff_ids;
};

Result<ImageContent> content_of(const std::string& manifest_text, const std::string& config_text,
                                const std::string& id, const std::string& manifest_digest) {
  ImageContent c;
  c.blobs = {id, manifest_digest};
  ASSIGN_OR_RETURN(Json manifest, parse_json(manifest_text, "manifest " + manifest_digest));
  try {
    for (const auto& l : manifest.at("layers")) c.blobs.insert(l.at("digest").get<std::string>());
  } catch (const Json::exception& ex) {
    return fail(std::string("invalid manifest (") + ex.what() + ")", manifest_digest);
  }
  ASSIGN_OR_RETURN(auto config, parse_image_config(config_text, "image config " + id));
  c.diff_ids.insert(config.diff_ids.begin(), config.diff_ids.end());
  return c;
}

}  // namespace

// Drops the record, then every blob and extracted layer no remaining image uses.
Result<std::vector<std::string>> Store::delete_image(std::vector<IndexEntry>& entries,
                                                     size_t index) {
  IndexEntry gone = entries[index];
  entries.erase(entries.begin() + static_cast<ptrdiff_t>(index));
  TRY(write_index(entries));
  std::vector<std::string> lines = {"Deleted: " + gone.id};
  auto content_of_entry = [this](const IndexEntry& e) -> Result<ImageContent> {
    ASSIGN_OR_RETURN(std::string manifest, read_blob(e.manifest_digest));
    ASSIGN_OR_RETURN(std::string config, read_blob(e.id));
    return content_of(manifest, config, e.id, e.manifest_digest);
  };
  ASSIGN_OR_RETURN(ImageContent doomed, content_of_entry(gone));
  ImageContent kept;
  for (const auto& e : entries) {
    ASSIGN_OR_RETURN(ImageContent c, content_of_entry(e));
    kept.blobs.insert(c.blobs.begin(), c.blobs.end());
    kept.diff_ids.insert(c.diff_ids.begin(), c.diff_ids.end());
  }
  for (const auto& b : doomed.blobs) {
    if (!kept.blobs.contains(b) && is_sha256_digest(b)) TRY(remove_tree(blob_path(b)));
  }
  for (const auto& d : doomed.diff_ids) {
    if (kept.diff_ids.contains(d)) continue;
    std::string dir = path_join(root_, "layers/sha256/" + d.substr(kSha256Prefix.size()));
    TRY(remove_tree(dir));
    TRY(remove_tree(dir + ".size"));
    lines.push_back("Deleted: " + d);
  }
  return lines;
}

Result<std::vector<std::string>> Store::layer_dirs(const ImageRecord& image) {
  return layer_dirs(image.config.diff_ids);
}

Result<std::vector<std::string>> Store::layer_dirs(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> dirs;
  for (const auto& d : diff_ids) {
    std::string dir = path_join(root_, "layers/sha256/" + d.substr(kSha256Prefix.size()));
    if (!is_directory(dir)) return fail_errno(ENOENT, "layer is not extracted", d);
    dirs.push_back(dir);
  }
  return dirs;
}

}  // namespace berth::oci
