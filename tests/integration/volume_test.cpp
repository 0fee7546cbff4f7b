// Named and anonymous volumes end to end: data that outlives its container, docker's
// copy-up from the image, `rm -v` and `run --rm`, the in-use refusal, read-only mounts,
// the local driver's bind form, `volume ls|inspect|prune` output, and `system reset`.
#include "harness.h"

namespace berth_it {
namespace {

class VolumeTest : public BusyboxTest {
 protected:
  // `volume ls -q`, one name a line.
  std::vector<std::string> volume_names() {
    Result r = berth({"volume", "ls", "-q"});
    EXPECT_EQ(r.code, 0) << describe(r);
    return lines_of(r.out);
  }

  nlohmann::json inspect_one(const std::vector<std::string>& args) {
    Result r = berth(args);
    EXPECT_EQ(r.code, 0) << describe(r);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array() && j.size() == 1) << describe(r);
    return j.is_array() && j.size() == 1 ? j[0] : nlohmann::json();
  }

  std::string volume_dir(const std::string& name) const { return root_ + "/volumes/" + name + "/_data"; }
};

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_F(VolumeTest, DataWrittenByOneContainerIsSeenByTheNext) {
  Result w = run({"-v", "data:/data"}, {"sh", "-c", "echo hello > /data/f"});
  ASSERT_EQ(w.code, 0) << describe(w);
  EXPECT_EQ(volume_names(), std::vector<std::string>{"data"});  // made on first use
  Result r = run({"-v", "data:/mnt"}, {"cat", "/mnt/f"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(slurp(volume_dir("data") + "/f"), "hello\n");
  // --rm took the containers, not the named volume.
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_EQ(volume_names(), std::vector<std::string>{"data"});
}

TEST_F(VolumeTest, EmptyVolumeGetsTheImagesContentOnce) {
  load("layers.oci.tar");
  const std::string list = "cd /data && ls -A; cat keep.txt; readlink link; "
                           "[ $(stat -c %i keep.txt) = $(stat -c %i hard) ] && echo hardlinked";
  Result r = berth({"run", "--rm", "-v", "lv:/data", "berth-test/layers", "sh", "-c", list});
  ASSERT_EQ(r.code, 0) << describe(r);
  // Layer 3 whited out gone.txt; the link and the hard link stay what they were.
  EXPECT_EQ(r.out, "hard\nkeep.txt\nlink\nkeep: from layer 2\nkeep.txt\nhardlinked\n");
  // Not again once it has content: the volume's data wins over the image's.
  Result change = berth({"run", "--rm", "-v", "lv:/data", "berth-test/layers", "sh", "-c",
                         "echo mine > /data/keep.txt; rm /data/hard"});
  ASSERT_EQ(change.code, 0) << describe(change);
  Result again = berth({"run", "--rm", "-v", "lv:/data", "berth-test/layers", "sh", "-c", "ls -A /data; cat /data/keep.txt"});
  EXPECT_EQ(again.out, "keep.txt\nlink\nmine\n") << describe(again);
  // An opaque directory shows only its own layer's files; nocopy leaves the volume empty;
  // an anonymous volume is filled too.
  Result opq = berth({"run", "--rm", "-v", "ov:/opq", "-v", "quiet:/data:nocopy", "berth-test/layers", "sh", "-c",
                      "ls -A /opq; echo --; ls -A /data"});
  EXPECT_EQ(opq.code, 0) << describe(opq);
  EXPECT_EQ(opq.out, "c.txt\n--\n");
  Result anon = berth({"run", "--rm", "-v", "/data", "berth-test/layers", "cat", "/data/keep.txt"});
  EXPECT_EQ(anon.out, "keep: from layer 2\n") << describe(anon);
  // The image directory's owner and mode came along (/home/app is 1000:1000 0755).
  Result owner = berth({"run", "--rm", "-v", "home:/home/app", "busybox", "stat", "-c", "%u:%g %a", "/home/app"});
  EXPECT_EQ(owner.out, "1000:1000 755\n") << describe(owner);
}

TEST_F(VolumeTest, AnonymousVolumeIsRemovedByRmV) {
  std::string host_path = "/berth-anon-" + std::to_string(getpid());
  Result c = berth({"create", "--name", "anon", "-v", host_path, "busybox", "true"});
  ASSERT_EQ(c.code, 0) << describe(c);
  EXPECT_FALSE(fs::exists(host_path)) << "an anonymous volume is not a host path";
  auto mounts = inspect_one({"inspect", "anon"})["Mounts"];
  ASSERT_EQ(mounts.size(), 1u) << mounts.dump();
  std::string name = mounts[0].value("Name", "");
  EXPECT_TRUE(is_hex64(name)) << mounts.dump();
  EXPECT_EQ(mounts[0]["Type"], "volume");
  EXPECT_EQ(mounts[0]["Source"], volume_dir(name));
  EXPECT_EQ(mounts[0]["Destination"], host_path);
  EXPECT_EQ(mounts[0]["Driver"], "local");
  EXPECT_EQ(mounts[0]["RW"], true);
  auto vol = inspect_one({"volume", "inspect", name});
  EXPECT_TRUE(vol["Labels"].contains("com.docker.volume.anonymous")) << vol.dump();
  // The record keeps -v as written.
  EXPECT_EQ(inspect_one({"inspect", "anon"})["HostConfig"]["Binds"], nlohmann::json::array({host_path}));

  Result rm = berth({"rm", "-v", "anon"});
  EXPECT_EQ(rm.code, 0) << describe(rm);
  EXPECT_TRUE(volume_names().empty());
  EXPECT_FALSE(fs::exists(root_ + "/volumes/" + name));

  // Without -v it stays, until `volume prune` (which takes anonymous ones only).
  ASSERT_EQ(berth({"create", "--name", "anon2", "-v", "/data", "-v", "named:/named", "busybox", "true"}).code, 0);
  ASSERT_EQ(berth({"rm", "anon2"}).code, 0);
  EXPECT_EQ(volume_names().size(), 2u);
  Result prune = berth({"volume", "prune", "-f"});
  EXPECT_EQ(prune.code, 0) << describe(prune);
  EXPECT_EQ(prune.out.rfind("Deleted Volumes:\n", 0), 0u) << describe(prune);
  EXPECT_NE(prune.out.find("Total reclaimed space: "), std::string::npos) << describe(prune);
  EXPECT_EQ(volume_names(), std::vector<std::string>{"named"});
  Result prune_all = berth({"volume", "prune", "-f", "-a"});
  EXPECT_EQ(prune_all.code, 0) << describe(prune_all);
  EXPECT_TRUE(volume_names().empty());

  // run --rm takes its anonymous volumes along.
  Result r = run({"-v", "/data"}, {"sh", "-c", "echo x > /data/x"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(volume_names().empty());
}

TEST_F(VolumeTest, VolumeInUseIsNotRemoved) {
  Result c = berth({"create", "--name", "holder", "-v", "keep:/data", "busybox", "true"});
  ASSERT_EQ(c.code, 0) << describe(c);
  std::string id = c.out.substr(0, c.out.find('\n'));
  Result rm = berth({"volume", "rm", "keep"});
  EXPECT_EQ(rm.code, 1) << describe(rm);
  EXPECT_NE(rm.err.find("remove keep: volume is in use - [" + id + "]"), std::string::npos) << describe(rm);
  EXPECT_EQ(berth({"volume", "rm", "-f", "keep"}).code, 1);  // -f does not override that
  EXPECT_EQ(berth({"volume", "prune", "-f", "-a"}).code, 0);
  EXPECT_EQ(volume_names(), std::vector<std::string>{"keep"});
  Result dangling = berth({"volume", "ls", "-q", "--filter", "dangling=true"});
  EXPECT_EQ(dangling.out, "") << describe(dangling);

  ASSERT_EQ(berth({"rm", "holder"}).code, 0);
  Result gone = berth({"volume", "rm", "keep"});
  EXPECT_EQ(gone.code, 0) << describe(gone);
  EXPECT_EQ(gone.out, "keep\n");
  Result missing = berth({"volume", "rm", "keep"});
  EXPECT_EQ(missing.code, 1) << describe(missing);
  EXPECT_NE(missing.err.find("no such volume"), std::string::npos) << describe(missing);
  EXPECT_EQ(berth({"volume", "rm", "-f", "keep"}).code, 0);
}

TEST_F(VolumeTest, ReadOnlyVolume) {
  Result r = run({"-v", "ro:/data:ro"},
                 {"sh", "-c", "grep ' /data ' /proc/mounts | grep -c ' ro,'; touch /data/x 2>/dev/null; echo touch=$?"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "1\ntouch=1\n");
  EXPECT_FALSE(fs::exists(volume_dir("ro") + "/x"));
}

TEST_F(VolumeTest, CreateLsInspectOutput) {
  Result c = berth({"volume", "create", "--label", "tier=db", "--label", "backup", "myvol"});
  EXPECT_EQ(c.code, 0) << describe(c);
  EXPECT_EQ(c.out, "myvol\n");
  Result again = berth({"volume", "create", "myvol"});  // docker: idempotent
  EXPECT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(again.out, "myvol\n");
  Result random = berth({"volume", "create"});
  EXPECT_EQ(random.code, 0) << describe(random);
  std::string random_name = random.out.substr(0, random.out.find('\n'));
  EXPECT_TRUE(is_hex64(random_name)) << describe(random);

  Result ls = berth({"volume", "ls"});
  EXPECT_EQ(ls.code, 0) << describe(ls);
  auto lines = lines_of(ls.out);
  ASSERT_EQ(lines.size(), 3u) << ls.out;
  EXPECT_EQ(lines[0], "DRIVER   VOLUME NAME");
  EXPECT_EQ(lines[1], "local    " + random_name);  // by name
  EXPECT_EQ(lines[2], "local    myvol");
  Result labelled = berth({"volume", "ls", "-q", "--filter", "label=tier=db"});
  EXPECT_EQ(labelled.out, "myvol\n") << describe(labelled);
  Result by_name = berth({"volume", "ls", "-q", "--filter", "name=yvo"});
  EXPECT_EQ(by_name.out, "myvol\n") << describe(by_name);
  Result json = berth({"volume", "ls", "--format", "json", "--filter", "name=myvol"});
  auto row = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(row.is_object()) << describe(json);
  EXPECT_EQ(row["Name"], "myvol");
  EXPECT_EQ(row["Driver"], "local");
  EXPECT_EQ(row["Labels"], "backup=,tier=db");
  EXPECT_EQ(row["Mountpoint"], volume_dir("myvol"));
  Result tpl = berth({"volume", "ls", "--format", "{{.Name}} {{.Driver}}", "--filter", "name=myvol"});
  EXPECT_EQ(tpl.out, "myvol local\n") << describe(tpl);

  auto v = inspect_one({"volume", "inspect", "myvol"});
  EXPECT_EQ(v["Name"], "myvol");
  EXPECT_EQ(v["Driver"], "local");
  EXPECT_EQ(v["Scope"], "local");
  EXPECT_EQ(v["Mountpoint"], volume_dir("myvol"));
  EXPECT_EQ(v["Labels"], nlohmann::json({{"tier", "db"}, {"backup", ""}}));
  EXPECT_EQ(v["Options"], nlohmann::json::object());
  EXPECT_GE(v.value("CreatedAt", "").size(), 20u) << v.dump();
  Result fmt = berth({"volume", "inspect", "--format", "{{.Mountpoint}}", "myvol"});
  EXPECT_EQ(fmt.out, volume_dir("myvol") + "\n") << describe(fmt);
  Result missing = berth({"volume", "inspect", "nope"});
  EXPECT_EQ(missing.code, 1) << describe(missing);
  EXPECT_NE(missing.err.find("no such volume"), std::string::npos) << describe(missing);

  // A container's Mounts name the volume.
  ASSERT_EQ(berth({"create", "--name", "user", "-v", "myvol:/data:ro", "busybox", "true"}).code, 0);
  auto m = inspect_one({"inspect", "user"})["Mounts"];
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], nlohmann::json({{"Type", "volume"},
                                  {"Name", "myvol"},
                                  {"Source", volume_dir("myvol")},
                                  {"Destination", "/data"},
                                  {"Driver", "local"},
                                  {"Mode", "ro"},
                                  {"RW", false},
                                  {"Propagation", ""}}));
  ASSERT_EQ(berth({"rm", "user"}).code, 0);
}

TEST_F(VolumeTest, BadNamesAndOptionsAreRefused) {
  Result bad = berth({"run", "--rm", "-v", "a/b:/x", "busybox", "true"});
  EXPECT_EQ(bad.code, 125) << describe(bad);
  EXPECT_NE(bad.err.find("includes invalid characters for a local volume name"), std::string::npos) << describe(bad);
  EXPECT_TRUE(container_dirs().empty());
  Result one = berth({"volume", "create", "a"});
  EXPECT_EQ(one.code, 1) << describe(one);
  Result tmpfs = berth({"volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "tv"});
  EXPECT_EQ(tmpfs.code, 1) << describe(tmpfs);
  EXPECT_NE(tmpfs.err.find("volume driver option type=tmpfs is not supported yet"), std::string::npos)
      << describe(tmpfs);
  Result driver = berth({"volume", "create", "--driver", "nfs", "n1"});
  EXPECT_EQ(driver.code, 1) << describe(driver);
  // A failed create takes no volume with it.
  Result mem = berth({"run", "--rm", "-v", "stillborn:/x", "-m", "1k", "busybox", "true"});
  EXPECT_EQ(mem.code, 125) << describe(mem);
  EXPECT_TRUE(volume_names().empty());
}

TEST_F(VolumeTest, BindVolumeMountsItsDevice) {
  std::string host = root_ + "/hostdir";
  fs::create_directories(host);
  {
    std::ofstream f(host + "/f");
    f << "from host\n";
  }
  Result c = berth({"volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", "device=" + host, "bv"});
  ASSERT_EQ(c.code, 0) << describe(c);
  Result r = run({"-v", "bv:/data"}, {"sh", "-c", "cat /data/f; echo back > /data/g"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "from host\n");
  EXPECT_EQ(slurp(host + "/g"), "back\n");
  ASSERT_EQ(berth({"volume", "rm", "bv"}).code, 0);
  EXPECT_TRUE(fs::exists(host + "/f"));  // the device is the user's, never removed
}

TEST_F(VolumeTest, ResetRemovesVolumes) {
  ASSERT_EQ(berth({"volume", "create", "v1"}).code, 0);
  ASSERT_EQ(run({"-v", "v2:/data"}, {"true"}).code, 0);
  ASSERT_EQ(berth({"create", "--name", "c", "-v", "/data", "busybox", "true"}).code, 0);
  EXPECT_EQ(volume_names().size(), 3u);
  Result reset = berth({"system", "reset", "-f"});
  EXPECT_EQ(reset.code, 0) << describe(reset);
  EXPECT_FALSE(fs::exists(root_ + "/volumes"));
  EXPECT_TRUE(volume_names().empty());
}

}  // namespace
}  // namespace berth_it
