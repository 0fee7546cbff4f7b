// Named volumes without privileges: names, the local driver's options, the store on disk,
// the -v grammar, a container's volumes at create, and the copy-up from image layers.
#include "engine/volume_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fs.h"
#include "engine/image_tree.h"
#include "engine/spec_builder.h"
#include "engine/volume_mounts.h"

namespace berth::engine {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-volume-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_tree(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_join(path_, rel); }

 private:
  std::string path_;
};

VolumeStore open_store(const TempDir& dir) {
  auto store = VolumeStore::open(dir.path());
  if (!store) ADD_FAILURE() << store.error().message();
  return std::move(store).value();
}

VolumeRecord named(const std::string& name) {
  VolumeRecord r;
  r.name = name;
  return r;
}

void write(const std::string& path, const std::string& content, mode_t mode = 0644) {
  ASSERT_TRUE(make_dirs(dir_name(path)));
  ASSERT_TRUE(write_file_atomic(path, content, mode, Sync::kNoSync));
}

// ---- names and options ----

TEST(VolumeName, FollowsDockersRule) {
  for (const char* ok : {"data", "ab", "my_vol.1-x", "0abc", "A-b_c.d"}) EXPECT_TRUE(validate_volume_name(ok)) << ok;
  for (const char* bad : {"", "a", "-x", "_x", ".x", "a/b", "../x", "a b", "a:b", "x\n"})
    EXPECT_FALSE(validate_volume_name(bad)) << bad;
  auto r = validate_volume_name("a/b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "create a/b: \"a/b\" includes invalid characters for a local volume name, only "
            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
}

TEST(LocalVolumeOptions, BindFormOnly) {
  auto none = parse_local_volume_options({});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->bind());
  auto bind = parse_local_volume_options({{"type", "none"}, {"o", "bind"}, {"device", "/srv/data"}});
  ASSERT_TRUE(bind) << bind.error().message();
  EXPECT_TRUE(bind->bind());
  EXPECT_EQ(bind->device, "/srv/data");
  EXPECT_TRUE(parse_local_volume_options({{"o", "bind"}, {"device", "/srv"}}));

  auto tmpfs = parse_local_volume_options({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=100m"}});
  ASSERT_FALSE(tmpfs);
  EXPECT_NE(tmpfs.error().message().find("volume driver option type=tmpfs is not supported yet"), std::string::npos);
  auto nfs = parse_local_volume_options({{"type", "nfs"}, {"o", "addr=10.0.0.1"}, {"device", ":/export"}});
  ASSERT_FALSE(nfs);
  EXPECT_NE(nfs.error().message().find("type=nfs is not supported yet"), std::string::npos);
  auto key = parse_local_volume_options({{"size", "10g"}});
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message().find("invalid option: \"size\""), std::string::npos);
  EXPECT_FALSE(parse_local_volume_options({{"o", "bind"}}));                          // no device
  EXPECT_FALSE(parse_local_volume_options({{"device", "/srv"}}));                     // no o=bind
  EXPECT_FALSE(parse_local_volume_options({{"o", "bind"}, {"device", "srv/data"}}));  // relative
  EXPECT_FALSE(parse_local_volume_options({{"o", "bind,uid=1"}, {"device", "/srv"}}));
}

// ---- the store ----

TEST(VolumeStore, CreatesFindsAndListsVolumes) {
  TempDir dir;
  VolumeStore store = open_store(dir);
  auto made = store.create(named("web_data"));
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_TRUE(made->created);
  EXPECT_EQ(made->rec.name, "web_data");
  EXPECT_EQ(made->rec.driver, "local");
  EXPECT_EQ(made->rec.mountpoint, dir / "volumes/web_data/_data");
  EXPECT_EQ(made->rec.host_dir(), made->rec.mountpoint);
  EXPECT_TRUE(is_directory(dir / "volumes/web_data/_data"));
  EXPECT_TRUE(path_exists(dir / "volumes/web_data/volume.json"));
  EXPECT_FALSE(made->rec.created.empty());

  // docker's `volume create` is idempotent: the same volume again, untouched.
  ASSERT_TRUE(write_file_atomic(made->rec.mountpoint + "/f", "x"));
  auto again = store.create(named("web_data"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->rec.created, made->rec.created);
  EXPECT_TRUE(path_exists(made->rec.mountpoint + "/f"));

  VolumeRecord other = named("cache");
  other.labels = {{"com.example.tier", "db"}};
  ASSERT_TRUE(store.create(other));
  auto all = store.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "cache");  // by name
  EXPECT_EQ((*all)[0].labels.at("com.example.tier"), "db");
  EXPECT_EQ((*all)[1].name, "web_data");

  // A fresh store over the same directory sees the same records.
  VolumeStore reopened = open_store(dir);
  auto found = reopened.find("cache");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->labels.at("com.example.tier"), "db");
}

TEST(VolumeStore, InspectShape) {
  TempDir dir;
  VolumeStore store = open_store(dir);
  auto made = store.create(named("db"));
  ASSERT_TRUE(made);
  Json j = made->rec.to_json();
  for (const char* key : {"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["Driver"], "local");
  EXPECT_TRUE(j["Labels"].is_object());
  auto back = VolumeRecord::from_json(j, "test");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to_json(), j);
  // docker writes null for no labels or options.
  j["Labels"] = nullptr;
  j["Options"] = nullptr;
  auto nulls = VolumeRecord::from_json(j, "test");
  ASSERT_TRUE(nulls);
  EXPECT_TRUE(nulls->labels.empty());
}

TEST(VolumeStore, RandomNamesAndErrors) {
  TempDir dir;
  VolumeStore store = open_store(dir);
  auto anon = store.create(VolumeRecord{});
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->rec.name.size(), 64u);
  EXPECT_EQ(anon->rec.name.find_first_not_of("0123456789abcdef"), std::string::npos);

  auto missing = store.find("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
  EXPECT_EQ(missing.error().message(), "get nope: no such volume: No such file or directory");
  EXPECT_FALSE(store.find("../volumes"));  // never outside the store
  EXPECT_FALSE(store.create(named("a/b")));

  VolumeRecord other = named("plug");
  other.driver = "rexray";
  auto plugin = store.create(other);
  ASSERT_FALSE(plugin);
  EXPECT_NE(plugin.error().message().find("volume driver \"rexray\" is not supported"), std::string::npos);
  EXPECT_FALSE(path_exists(dir / "volumes/plug"));

  VolumeRecord tmpfs = named("scratch");
  tmpfs.options = {{"type", "tmpfs"}, {"device", "tmpfs"}};
  auto refused = store.create(tmpfs);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("create scratch: volume driver option type=tmpfs is not supported yet"),
            std::string::npos);
  EXPECT_FALSE(path_exists(dir / "volumes/scratch"));

  // Same name, another driver: a conflict, not the existing volume.
  ASSERT_TRUE(store.create(named("dup")));
  VolumeRecord dup = named("dup");
  dup.driver = "nfs";
  EXPECT_FALSE(store.create(dup));
}

TEST(VolumeStore, RemovesAndSkipsHalfMadeOnes) {
  TempDir dir;
  VolumeStore store = open_store(dir);
  auto made = store.create(named("gone"));
  ASSERT_TRUE(made);
  write(made->rec.mountpoint + "/sub/file", "12345");
  EXPECT_EQ(store.size_of(made->rec), 5u);
  {
    auto lock = store.lock();
    ASSERT_TRUE(lock);
    ASSERT_TRUE(store.remove_locked("gone"));
  }
  EXPECT_FALSE(path_exists(dir / "volumes/gone"));
  EXPECT_FALSE(store.find("gone"));
  // A crash between mkdir and the record: a directory, not a volume.
  ASSERT_TRUE(make_dirs(dir / "volumes/half/_data"));
  auto all = store.list();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
  // ... and creating it completes it.
  auto completed = store.create(named("half"));
  ASSERT_TRUE(completed);
  EXPECT_TRUE(completed->created);
}

TEST(VolumeStore, BindVolumeUsesItsDeviceAndNeverRemovesIt) {
  TempDir dir;
  write(dir / "host/keep.txt", "mine");
  VolumeStore store = open_store(dir);
  VolumeRecord wanted = named("hostdir");
  wanted.options = {{"type", "none"}, {"o", "bind"}, {"device", dir / "host"}};
  auto made = store.create(wanted);
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_EQ(made->rec.host_dir(), dir / "host");
  EXPECT_EQ(made->rec.mountpoint, dir / "volumes/hostdir/_data");  // as docker shows it
  EXPECT_EQ(store.size_of(made->rec), 0u);
  auto lock = store.lock();
  ASSERT_TRUE(store.remove_locked("hostdir"));
  EXPECT_EQ(read_file(dir / "host/keep.txt").value_or(""), "mine");
}

TEST(VolumeStore, MountedVolumesOfARecord) {
  ContainerRecord rec;
  EXPECT_TRUE(mounted_volumes(rec).empty());  // an old record, without Mounts
  rec.mounts = Json::array({{{"Type", "bind"}, {"Source", "/srv"}},
                            {{"Type", "volume"}, {"Name", "data"}},
                            {{"Type", "volume"}, {"Name", "cache"}}});
  EXPECT_EQ(mounted_volumes(rec), (std::vector<std::string>{"data", "cache"}));
}

// ---- the -v grammar ----

TEST(VolumeArg, DockersGrammar) {
  auto anon = parse_volume_arg("/data");
  ASSERT_TRUE(anon);
  EXPECT_TRUE(anon->is_anonymous());
  EXPECT_EQ(anon->destination, "/data");
  auto anon_ro = parse_volume_arg("/data:ro");  // DEST:MODE
  ASSERT_TRUE(anon_ro);
  EXPECT_TRUE(anon_ro->is_anonymous());
  EXPECT_TRUE(anon_ro->read_only);
  auto bind = parse_volume_arg("/srv:/data");
  ASSERT_TRUE(bind);
  EXPECT_TRUE(bind->is_bind());
  EXPECT_EQ(bind->source, "/srv");
  auto vol = parse_volume_arg("db:/var/lib/db:ro,nocopy");
  ASSERT_TRUE(vol) << vol.error().message();
  EXPECT_FALSE(vol->is_bind());
  EXPECT_FALSE(vol->is_anonymous());
  EXPECT_EQ(vol->source, "db");
  EXPECT_TRUE(vol->read_only);
  EXPECT_TRUE(vol->nocopy);
  EXPECT_EQ(vol->modes, std::vector<std::string>{"ro"});
  auto rw = parse_volume_arg("db:/x:rw,nocopy");
  ASSERT_TRUE(rw);
  EXPECT_FALSE(rw->read_only);

  auto relative = parse_volume_arg("./data:/data");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message().find("relative host path"), std::string::npos);
  auto bad_name = parse_volume_arg("a/b:/data");
  ASSERT_FALSE(bad_name);
  EXPECT_NE(bad_name.error().message().find("If you intended to pass a host directory"), std::string::npos);
  EXPECT_FALSE(parse_volume_arg("db:relative"));
  EXPECT_FALSE(parse_volume_arg("db:/"));
  EXPECT_FALSE(parse_volume_arg("db:/x:rx"));
  EXPECT_FALSE(parse_volume_arg("a:/b:ro:extra"));
  EXPECT_FALSE(parse_volume_arg(":/data"));
}

TEST(VolumeArg, MountUsesTheVolumesDirectory) {
  auto m = parse_volume("db:/var/lib/db:ro", {{"/var/lib/db", "/store/volumes/db/_data"}});
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->source, "/store/volumes/db/_data");
  EXPECT_EQ(m->destination, "/var/lib/db");
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->options, (std::vector<std::string>{"rbind", "rprivate", "ro"}));
  EXPECT_FALSE(parse_volume("db:/var/lib/db"));  // no directory chosen for it
  auto nocopy = parse_volume("/srv:/x:nocopy");  // not a mount option
  ASSERT_TRUE(nocopy);
  EXPECT_EQ(nocopy->options, (std::vector<std::string>{"rbind", "rprivate"}));
}

// ---- the copy-up ----

// Two layers under dir/l1 (lowest) and dir/l2.
struct Layers {
  explicit Layers(const TempDir& d) : dir(d) {
    write(dir / "l1/data/keep.txt", "keep 1\n");
    write(dir / "l1/data/over.txt", "over 1\n");
    write(dir / "l1/data/sub/deep.txt", "deep\n", 0600);
    write(dir / "l2/data/over.txt", "over 2\n", 0640);
    write(dir / "l2/data/new.txt", "new\n");
    EXPECT_EQ(::link((dir / "l2/data/new.txt").c_str(), (dir / "l2/data/hard").c_str()), 0);
    EXPECT_EQ(::symlink("keep.txt", (dir / "l2/data/link").c_str()), 0);
    EXPECT_EQ(::symlink("/data", (dir / "l2/alias").c_str()), 0);
    EXPECT_EQ(::symlink("../../../../..", (dir / "l2/escape").c_str()), 0);
    EXPECT_EQ(::chmod((dir / "l2/data").c_str(), 0750), 0);
  }
  std::vector<std::string> dirs() const { return {dir / "l1", dir / "l2"}; }
  const TempDir& dir;
};

TEST(ImageTree, CopiesTheMergedDirectory) {
  TempDir dir;
  Layers layers(dir);
  ASSERT_TRUE(make_dirs(dir / "out"));
  auto copied = copy_image_dir(layers.dirs(), "/data", dir / "out", IdShift{});
  ASSERT_TRUE(copied) << copied.error().message();
  EXPECT_TRUE(*copied);
  EXPECT_EQ(read_file(dir / "out/keep.txt").value_or(""), "keep 1\n");
  EXPECT_EQ(read_file(dir / "out/over.txt").value_or(""), "over 2\n");  // the top layer wins
  EXPECT_EQ(read_file(dir / "out/sub/deep.txt").value_or(""), "deep\n");
  struct stat st;
  ASSERT_EQ(::stat((dir / "out/over.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::stat((dir / "out/sub/deep.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((dir / "out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // the image directory's mode
  char target[64] = {};
  ASSERT_GT(::readlink((dir / "out/link").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "keep.txt");
  struct stat a, b;
  ASSERT_EQ(::stat((dir / "out/new.txt").c_str(), &a), 0);
  ASSERT_EQ(::stat((dir / "out/hard").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // still one file
}

TEST(ImageTree, ResolvesSymlinksInsideTheImage) {
  TempDir dir;
  Layers layers(dir);
  ASSERT_TRUE(make_dirs(dir / "out"));
  auto via_alias = copy_image_dir(layers.dirs(), "/alias", dir / "out", IdShift{});
  ASSERT_TRUE(via_alias) << via_alias.error().message();
  EXPECT_TRUE(*via_alias);
  EXPECT_TRUE(path_exists(dir / "out/keep.txt"));
  // "escape" climbs to the image's root, never above it: /escape/data is /data.
  ASSERT_TRUE(make_dirs(dir / "out2"));
  auto escaped = copy_image_dir(layers.dirs(), "/escape/data", dir / "out2", IdShift{});
  ASSERT_TRUE(escaped) << escaped.error().message();
  EXPECT_TRUE(*escaped);
  EXPECT_TRUE(path_exists(dir / "out2/new.txt"));
  ASSERT_TRUE(make_dirs(dir / "out3"));
  auto missing = copy_image_dir(layers.dirs(), "/nowhere", dir / "out3", IdShift{});
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto file = copy_image_dir(layers.dirs(), "/data/keep.txt", dir / "out3", IdShift{});
  ASSERT_TRUE(file);
  EXPECT_FALSE(*file);
}

TEST(ImageTree, WhiteoutsAndOpaqueDirectories) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts (mknod 0:0) and trusted.* xattrs need root";
  TempDir dir;
  Layers layers(dir);
  write(dir / "l1/data/opq/old.txt", "hidden\n");
  write(dir / "l2/data/opq/fresh.txt", "fresh\n");
  ASSERT_EQ(::setxattr((dir / "l2/data/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::mknod((dir / "l2/data/keep.txt").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(::chown((dir / "l1/data/sub/deep.txt").c_str(), 1000, 1000), 0);
  ASSERT_TRUE(make_dirs(dir / "out"));
  IdShift shift{{{0, 100000, 65536}}, {{0, 100000, 65536}}};
  auto copied = copy_image_dir(layers.dirs(), "/data", dir / "out", shift);
  ASSERT_TRUE(copied) << copied.error().message();
  EXPECT_FALSE(path_exists(dir / "out/keep.txt"));  // whited out
  EXPECT_TRUE(path_exists(dir / "out/opq/fresh.txt"));
  EXPECT_FALSE(path_exists(dir / "out/opq/old.txt"));  // below an opaque directory
  char value[8];
  EXPECT_LT(::getxattr((dir / "out/opq").c_str(), "trusted.overlay.opaque", value, sizeof value), 0);
  struct stat st;
  ASSERT_EQ(::stat((dir / "out/sub/deep.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 101000u);  // shifted into the user namespace's range
  ASSERT_EQ(::stat((dir / "out").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 100000u);
}

// ---- a container's volumes ----

TEST(ContainerVolumes, PlanThenTake) {
  TempDir dir;
  Layers layers(dir);
  VolumeStore store = open_store(dir);
  ASSERT_TRUE(store.create(named("existing")));
  write(dir / "volumes/existing/_data/mine.txt", "mine");
  auto plan = plan_container_volumes(store, {"/srv:/srv:ro", "fresh:/data", "existing:/data2", "/data:ro",
                                             "quiet:/data3:nocopy"});
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->volumes.size(), 4u);
  EXPECT_EQ(plan->volumes[0].name, "fresh");
  std::string anon = plan->volumes[2].name;
  EXPECT_EQ(anon.size(), 64u);
  EXPECT_TRUE(plan->volumes[2].anonymous);
  EXPECT_EQ(plan->dirs.at("/data"), dir / "volumes/" + anon + "/_data");  // the last -v for /data
  EXPECT_EQ(plan->dirs.at("/data2"), dir / "volumes/existing/_data");
  EXPECT_FALSE(plan->dirs.contains("/srv"));  // a bind
  EXPECT_FALSE(path_exists(dir / "volumes/fresh"));  // nothing made yet
  ASSERT_EQ(plan->mounts.size(), 5u);
  EXPECT_EQ(plan->mounts[0], Json({{"Type", "bind"}, {"Source", "/srv"}, {"Destination", "/srv"}, {"Mode", "ro"},
                                   {"RW", false}, {"Propagation", "rprivate"}}));
  EXPECT_EQ(plan->mounts[1], Json({{"Type", "volume"}, {"Name", "fresh"}, {"Source", dir / "volumes/fresh/_data"},
                                   {"Destination", "/data"}, {"Driver", "local"}, {"Mode", "z"}, {"RW", true},
                                   {"Propagation", ""}}));
  EXPECT_EQ(plan->mounts[3]["RW"], false);

  auto lock = take_container_volumes(store, *plan, layers.dirs(), IdShift{});
  ASSERT_TRUE(lock) << lock.error().message();
  EXPECT_TRUE(lock->has_value());  // held until the container's record names them
  lock->reset();
  EXPECT_EQ(plan->created, (std::vector<std::string>{"fresh", anon, "quiet"}));
  EXPECT_EQ(read_file(dir / "volumes/fresh/_data/over.txt").value_or(""), "over 2\n");  // copied up
  EXPECT_TRUE(path_exists(dir / "volumes/" + anon + "/_data/keep.txt"));
  EXPECT_FALSE(path_exists(dir / "volumes/existing/_data/keep.txt"));  // not empty: left alone
  auto quiet = list_dir(dir / "volumes/quiet/_data");
  ASSERT_TRUE(quiet);
  EXPECT_TRUE(quiet->empty());  // nocopy
  auto anon_rec = store.find(anon);
  ASSERT_TRUE(anon_rec);
  EXPECT_TRUE(anon_rec->anonymous());
  EXPECT_FALSE(store.find("fresh")->anonymous());

  // The next container with the same named volume finds it filled: no second copy.
  ASSERT_TRUE(write_file_atomic(dir / "volumes/fresh/_data/over.txt", "changed"));
  auto again = plan_container_volumes(store, {"fresh:/data"});
  ASSERT_TRUE(again);
  ASSERT_TRUE(take_container_volumes(store, *again, layers.dirs(), IdShift{}));
  EXPECT_TRUE(again->created.empty());
  EXPECT_EQ(read_file(dir / "volumes/fresh/_data/over.txt").value_or(""), "changed");

  auto none = plan_container_volumes(store, {"/srv:/srv"});
  ASSERT_TRUE(none);
  auto no_lock = take_container_volumes(store, *none, layers.dirs(), IdShift{});
  ASSERT_TRUE(no_lock);
  EXPECT_FALSE(no_lock->has_value());  // binds only: the store is not locked
}

TEST(ContainerVolumes, BindVolumeWithMissingDeviceFailsAndLeavesNothing) {
  TempDir dir;
  VolumeStore store = open_store(dir);
  VolumeRecord wanted = named("hostdir");
  wanted.options = {{"o", "bind"}, {"device", dir / "missing"}};
  ASSERT_TRUE(store.create(wanted));
  auto plan = plan_container_volumes(store, {"new1:/a", "hostdir:/b"});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->dirs.at("/b"), dir / "missing");
  auto taken = take_container_volumes(store, *plan, {}, IdShift{});
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message().find("volume hostdir"), std::string::npos) << taken.error().message();
  EXPECT_FALSE(store.find("new1"));  // made for it, removed again
  EXPECT_TRUE(store.find("hostdir"));
}

}  // namespace
}  // namespace berth::engine
