// The store: load (docker-archive and OCI layout), verification, save round trip, tag, rmi
// and garbage collection, import.
#include <gtest/gtest.h>

#include "base/json.h"
#include "base/sha256.h"
#include "oci/store.h"
#include "oci_test_util.h"

namespace berth::oci {
namespace {

using testing::Filter;
using testing::TarMember;
using testing::TempRoot;

std::string digest_of(const std::string& bytes) { return "sha256:" + sha256_hex(bytes); }
std::string hex_of(const std::string& bytes) { return sha256_hex(bytes); }

// Compresses bytes exactly as given (libarchive "raw" format with a filter).
std::string compress(const std::string& bytes, Filter f) {
  if (f == Filter::kNone) return bytes;
  struct archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  if (f == Filter::kGzip) archive_write_add_filter_gzip(a);
  if (f == Filter::kZstd) archive_write_add_filter_zstd(a);
  std::string out(bytes.size() + 65536, '\0');
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(a, e);
  archive_write_data(a, bytes.data(), bytes.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::string tar_bytes(const TempRoot& t, const std::vector<TarMember>& members) {
  return testing::slurp(testing::write_tar(t / ("tmp-" + std::to_string(members.size()) + members[0].name.substr(0, 1)), members));
}

struct TestImage {
  std::vector<std::string> layer_tars;  // uncompressed
  std::vector<Filter> filters;
  std::string config;
};

TestImage make_image(const TempRoot& t, std::vector<Filter> filters, std::string cmd = "sh",
                     bool bad_diff_id = false) {
  TestImage img;
  img.filters = filters;
  Json diff_ids = Json::array();
  for (size_t i = 0; i < filters.size(); i++) {
    std::string tar = tar_bytes(t, {{"layer" + std::to_string(i), 'd'},
                                    {"layer" + std::to_string(i) + "/file", 'f', cmd + std::to_string(i)}});
    img.layer_tars.push_back(tar);
    diff_ids.push_back(bad_diff_id ? "sha256:" + std::string(64, 'e') : digest_of(tar));
  }
  Json config = {{"architecture", "amd64"}, {"os", "linux"}, {"created", "2024-01-01T00:00:00Z"},
                 {"config", {{"Cmd", {cmd}}, {"Env", {"PATH=/bin"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  img.config = config.dump();
  return img;
}

// docker save (before 25): <config-hex>.json, <n>/layer.tar, manifest.json, repositories.
std::string docker_archive(const TempRoot& t, const std::string& name, const TestImage& img,
                           const std::vector<std::string>& tags) {
  std::vector<TarMember> m = {{hex_of(img.config) + ".json", 'f', img.config}};
  Json layers = Json::array();
  for (size_t i = 0; i < img.layer_tars.size(); i++) {
    std::string member = "l" + std::to_string(i) + "/layer.tar";
    m.push_back({member, 'f', compress(img.layer_tars[i], img.filters[i])});
    layers.push_back(member);
  }
  Json manifest = Json::array({{{"Config", hex_of(img.config) + ".json"}, {"RepoTags", tags},
                                {"Layers", layers}}});
  m.push_back({"manifest.json", 'f', manifest.dump()});
  m.push_back({"repositories", 'f', "{}"});
  return testing::write_tar(t / name, m);
}

// An OCI image layout tar whose index names the image with annotations.
std::string oci_archive(const TempRoot& t, const std::string& name, const TestImage& img,
                        const Json& annotations, bool corrupt = false) {
  std::vector<TarMember> m = {{"oci-layout", 'f', R"({"imageLayoutVersion":"1.0.0"})"},
                              {"blobs/sha256/" + hex_of(img.config), 'f', img.config}};
  Json layers = Json::array();
  for (size_t i = 0; i < img.layer_tars.size(); i++) {
    std::string blob = compress(img.layer_tars[i], img.filters[i]);
    m.push_back({"blobs/sha256/" + hex_of(blob), 'f', corrupt ? blob + "x" : blob});
    layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                      {"digest", digest_of(blob)}, {"size", blob.size()}});
  }
  std::string manifest = Json{{"schemaVersion", 2},
                              {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                              {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                          {"digest", digest_of(img.config)},
                                          {"size", img.config.size()}}},
                              {"layers", layers}}.dump();
  m.push_back({"blobs/sha256/" + hex_of(manifest), 'f', manifest});
  Json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
               {"digest", digest_of(manifest)}, {"size", manifest.size()}};
  if (!annotations.is_null()) desc["annotations"] = annotations;
  m.push_back({"index.json", 'f', Json{{"schemaVersion", 2}, {"manifests", {desc}}}.dump()});
  return testing::write_tar(t / name, m);
}

size_t count(const std::string& dir) { return list_dir(dir)->size(); }

TEST(Store, LoadDockerArchiveWithMixedCompression) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store) << store.error().message();
  TestImage img = make_image(t, {Filter::kNone, Filter::kGzip, Filter::kZstd});
  auto loaded = store->load_archive(docker_archive(t, "a.tar", img, {"busybox:latest"}));
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(*loaded, std::vector<std::string>{"busybox:latest"});
  auto rec = store->find_image("busybox");
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_EQ(rec->id, digest_of(img.config));
  EXPECT_EQ(rec->names, std::vector<std::string>{"docker.io/library/busybox:latest"});
  EXPECT_EQ(rec->config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(rec->created, "2024-01-01T00:00:00Z");
  EXPECT_EQ(rec->size, 9);
  EXPECT_TRUE(store->find_image(rec->id));
  EXPECT_TRUE(store->find_image(rec->id.substr(7, 4)));
  EXPECT_TRUE(store->find_image("docker.io/library/busybox:latest"));
  EXPECT_TRUE(store->find_image("busybox@" + rec->manifest_digest));
  auto missing = store->find_image("nothere");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  auto dirs = store->layer_dirs(*rec);
  ASSERT_TRUE(dirs);
  ASSERT_EQ(dirs->size(), 3u);
  EXPECT_EQ(testing::slurp((*dirs)[2] + "/layer2/file"), "sh2");
  EXPECT_EQ((*dirs)[0].front(), '/');
  EXPECT_EQ(store->list_images()->size(), 1u);
  EXPECT_EQ(count(t / "root/tmp"), 0u);
  EXPECT_EQ(count(t / "root/blobs/sha256"), 5u);  // 3 layers, config, manifest
}

TEST(Store, LoadOciArchive) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  TestImage img = make_image(t, {Filter::kZstd, Filter::kGzip}, "run");
  auto loaded = store->load_archive(oci_archive(
      t, "o.tar", img,
      {{"io.containerd.image.name", "localhost:5000/app/web:v1"},
       {"org.opencontainers.image.ref.name", "v1"}}));
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(*loaded, std::vector<std::string>{"localhost:5000/app/web:v1"});
  auto rec = store->find_image("localhost:5000/app/web:v1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->config.cmd, std::vector<std::string>{"run"});
  // Untagged: the loader reports the id.
  TestImage other = make_image(t, {Filter::kNone}, "other");
  auto untagged = store->load_archive(oci_archive(t, "u.tar", other, Json()));
  ASSERT_TRUE(untagged) << untagged.error().message();
  EXPECT_EQ(*untagged, std::vector<std::string>{digest_of(other.config)});
  // ref.name alone when it is a full reference.
  TestImage third = make_image(t, {Filter::kGzip}, "third");
  auto named = store->load_archive(oci_archive(
      t, "n.tar", third, {{"org.opencontainers.image.ref.name", "example.com/x:2"}}));
  ASSERT_TRUE(named) << named.error().message();
  EXPECT_EQ(*named, std::vector<std::string>{"example.com/x:2"});
}

void expect_store_empty(const TempRoot& t) {
  EXPECT_EQ(count(t / "root/layers/sha256"), 0u);
  EXPECT_EQ(count(t / "root/layers"), 1u);  // only sha256/, no tmp-*
  EXPECT_EQ(count(t / "root/blobs/sha256"), 0u);
  EXPECT_EQ(count(t / "root/tmp"), 0u);
}

TEST(Store, DiffIdMismatchIsRefusedAndLeavesNothing) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  TestImage img = make_image(t, {Filter::kGzip}, "sh", /*bad_diff_id=*/true);
  auto loaded = store->load_archive(docker_archive(t, "a.tar", img, {"busybox:latest"}));
  ASSERT_FALSE(loaded);
  std::string msg = loaded.error().message();
  EXPECT_NE(msg.find("loading busybox:latest: layer sha256:eeee"), std::string::npos) << msg;
  EXPECT_NE(msg.find("diff id mismatch"), std::string::npos) << msg;
  EXPECT_TRUE(store->list_images()->empty());
  expect_store_empty(t);
}

TEST(Store, BlobDigestMismatchInOciLayoutIsRefused) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  TestImage img = make_image(t, {Filter::kGzip});
  auto loaded = store->load_archive(oci_archive(t, "o.tar", img, Json(), /*corrupt=*/true));
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message().find("blob digest mismatch"), std::string::npos)
      << loaded.error().message();
  expect_store_empty(t);
}

TEST(Store, MaliciousLayerInArchiveLeavesNothing) {
  TempRoot t;
  TempRoot victim;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  TestImage img;
  img.layer_tars = {tar_bytes(t, {{"ok", 'f', "fine"}, {"l", 'l', victim.path}, {"l/pwned", 'f', "x"}})};
  img.filters = {Filter::kGzip};
  img.config = Json{{"os", "linux"}, {"rootfs", {{"type", "layers"},
                                                  {"diff_ids", {digest_of(img.layer_tars[0])}}}}}.dump();
  auto loaded = store->load_archive(docker_archive(t, "a.tar", img, {"evil:1"}));
  ASSERT_FALSE(loaded);
  std::string msg = loaded.error().message();
  EXPECT_NE(msg.find("loading evil:1: layer " + digest_of(img.layer_tars[0]) +
                     ": member \"l/pwned\": path goes through the symbolic link \"l\""),
            std::string::npos)
      << msg;
  EXPECT_FALSE(path_exists(victim / "pwned"));
  expect_store_empty(t);
}

TEST(Store, SaveThenLoadRoundTrips) {
  TempRoot t;
  auto a = Store::open(t / "root");
  ASSERT_TRUE(a);
  TestImage img = make_image(t, {Filter::kGzip, Filter::kNone});
  ASSERT_TRUE(a->load_archive(docker_archive(t, "a.tar", img, {"busybox:latest", "busybox:1"})));
  auto before = a->find_image("busybox:1");
  ASSERT_TRUE(before);
  auto saved = a->save({"busybox:latest", "busybox:1"}, t / "saved.tar");
  ASSERT_TRUE(saved) << saved.error().message();
  auto b = Store::open(t / "root2");
  ASSERT_TRUE(b);
  auto loaded = b->load_archive(t / "saved.tar");
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(*loaded, (std::vector<std::string>{"busybox:latest", "busybox:1"}));
  auto after = b->find_image("busybox:latest");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->id, before->id);
  EXPECT_EQ(after->manifest_digest, before->manifest_digest);
  EXPECT_EQ(after->size, before->size);
  // The same tar is a docker-archive too: drop index.json and load through manifest.json.
  auto c = Store::open(t / "root3");
  ASSERT_TRUE(c);
  TempRoot x;
  std::string cmd = "cd " + x.path + " && tar -xf " + t / "saved.tar" +
                    " && rm index.json && tar -cf ../berth-docker-only.tar . && mv ../berth-docker-only.tar " +
                    x.path + "/d.tar";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto docker_loaded = c->load_archive(x / "d.tar");
  ASSERT_TRUE(docker_loaded) << docker_loaded.error().message();
  EXPECT_EQ(c->find_image("busybox:1")->id, before->id);
  // Saving by id keeps every name.
  ASSERT_TRUE(a->save({before->id}, t / "byid.tar"));
  auto d = Store::open(t / "root4");
  EXPECT_EQ(d->load_archive(t / "byid.tar")->size(), 2u);
}

TEST(Store, TagRemoveAndGarbageCollect) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  TestImage one = make_image(t, {Filter::kGzip}, "one");
  ASSERT_TRUE(store->load_archive(docker_archive(t, "1.tar", one, {"one:latest"})));
  auto parsed = parse_reference("two:v2");
  ASSERT_TRUE(store->tag("one", *parsed));
  auto rec = store->find_image("two:v2");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->names.size(), 2u);
  auto conflict = store->remove_image(rec->id, false);
  ASSERT_FALSE(conflict);
  EXPECT_NE(conflict.error().message().find("must be forced"), std::string::npos);
  auto untag = store->remove_image("one", false);
  ASSERT_TRUE(untag) << untag.error().message();
  EXPECT_EQ(*untag, std::vector<std::string>{"Untagged: one:latest"});
  EXPECT_FALSE(store->find_image("one"));
  auto gone = store->remove_image("two:v2", false);
  ASSERT_TRUE(gone) << gone.error().message();
  ASSERT_EQ(gone->size(), 3u);
  EXPECT_EQ((*gone)[0], "Untagged: two:v2");
  EXPECT_EQ((*gone)[1], "Deleted: " + rec->id);
  EXPECT_EQ((*gone)[2], "Deleted: " + rec->config.diff_ids[0]);
  expect_store_empty(t);
  EXPECT_TRUE(store->list_images()->empty());
}

TEST(Store, SharedLayersSurviveGc) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  TestImage a = make_image(t, {Filter::kNone}, "same");
  TestImage b = a;
  Json cfg = Json::parse(b.config);
  cfg["config"]["Cmd"] = {"different"};
  b.config = cfg.dump();  // another image id, the same layer
  ASSERT_TRUE(store->load_archive(docker_archive(t, "a.tar", a, {"a:1"})));
  ASSERT_TRUE(store->load_archive(docker_archive(t, "b.tar", b, {"b:1"})));
  auto rb = store->find_image("b:1");
  auto removed = store->remove_image("a:1", false);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->size(), 2u);  // Untagged, Deleted image: the layer stays
  auto dirs = store->layer_dirs(*rb);
  ASSERT_TRUE(dirs);
  EXPECT_EQ(testing::slurp((*dirs)[0] + "/layer0/file"), "same0");
  ASSERT_TRUE(store->remove_image("b:1", false));
  expect_store_empty(t);
}

TEST(Store, ImportRootfs) {
  TempRoot t;
  auto store = Store::open(t / "root");
  ASSERT_TRUE(store);
  std::string tar = testing::write_tar(t / "rootfs.tar.gz", {{"bin", 'd'}, {"bin/sh", 'f', "elf"}},
                                       Filter::kGzip);
  auto rec = store->import_rootfs(tar, *parse_reference("imported:1"));
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_EQ(rec->names, std::vector<std::string>{"docker.io/library/imported:1"});
  ASSERT_EQ(rec->config.diff_ids.size(), 1u);
  auto found = store->find_image("imported:1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, rec->id);
  EXPECT_EQ(found->config.os, "linux");
  auto dirs = store->layer_dirs(*found);
  ASSERT_TRUE(dirs);
  EXPECT_EQ(testing::slurp((*dirs)[0] + "/bin/sh"), "elf");
  EXPECT_EQ(count(t / "root/tmp"), 0u);
  EXPECT_EQ(count(t / "root/blobs/sha256"), 3u);
}

TEST(Store, OpenRemovesLeftovers) {
  TempRoot t;
  ASSERT_TRUE(Store::open(t / "root"));
  ASSERT_TRUE(make_dirs(t / "root/layers/tmp-dead/x"));
  ASSERT_TRUE(make_dirs(t / "root/tmp/dead"));
  ASSERT_TRUE(Store::open(t / "root"));
  EXPECT_FALSE(path_exists(t / "root/layers/tmp-dead"));
  EXPECT_FALSE(path_exists(t / "root/tmp/dead"));
}

}  // namespace
}  // namespace berth::oci
