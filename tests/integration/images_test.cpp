// Image commands against a real store: load (both archive kinds), images, tag, rmi, save,
// and the whiteouts of a multi-layer image as seen from inside a container.
#include "harness.h"

namespace berth_it {
namespace {

class ImagesTest : public BerthTest {
 protected:
  // The images listing as (repository:tag -> short id).
  std::map<std::string, std::string> images() {
    Result r = berth({"images", "--format", "json"});
    EXPECT_EQ(r.code, 0) << describe(r);
    std::map<std::string, std::string> out;
    for (const auto& l : lines_of(r.out)) {
      if (l.empty()) continue;
      auto j = nlohmann::json::parse(l);
      out[j["Repository"].get<std::string>() + ":" + j["Tag"].get<std::string>()] =
          j["ID"].get<std::string>();
    }
    return out;
  }
};

TEST_F(ImagesTest, LoadsDockerArchiveAndListsIt) {
  Result r = berth({"load", "-i", image("busybox.docker.tar")});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "Loaded image: busybox:latest\n");
  auto imgs = images();
  ASSERT_EQ(imgs.size(), 1u);
  ASSERT_TRUE(imgs.contains("busybox:latest"));
  EXPECT_EQ(imgs["busybox:latest"].size(), 12u);
  Result table = berth({"images"});
  ASSERT_EQ(table.code, 0) << describe(table);
  auto rows = lines_of(table.out);
  ASSERT_EQ(rows.size(), 2u) << table.out;
  EXPECT_EQ(rows[0].rfind("REPOSITORY", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1].rfind("busybox ", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find("latest"), std::string::npos) << rows[1];
  Result echo = berth({"run", "--rm", "busybox", "echo", "from-docker-archive"});
  EXPECT_EQ(echo.code, 0) << describe(echo);
  EXPECT_EQ(echo.out, "from-docker-archive\n");
}

TEST_F(ImagesTest, LoadsOciArchiveWithTheSameIdAsTheDockerArchive) {
  load("busybox.oci.tar");
  std::string oci_id = images()["busybox:latest"];
  ASSERT_EQ(oci_id.size(), 12u);
  load("busybox.docker.tar");
  auto imgs = images();
  ASSERT_EQ(imgs.size(), 1u);
  // Same config bytes in both archives: same image id.
  EXPECT_EQ(imgs["busybox:latest"], oci_id);
}

TEST_F(ImagesTest, TagThenRmiRemovesOnlyTheTag) {
  load("busybox.oci.tar");
  Result t = berth({"tag", "busybox", "mybox:v1"});
  ASSERT_EQ(t.code, 0) << describe(t);
  auto imgs = images();
  ASSERT_EQ(imgs.size(), 2u);
  EXPECT_EQ(imgs["mybox:v1"], imgs["busybox:latest"]);
  Result ok = berth({"run", "--rm", "mybox:v1", "echo", "tagged"});
  EXPECT_EQ(ok.code, 0) << describe(ok);
  EXPECT_EQ(ok.out, "tagged\n");
  Result rmi = berth({"rmi", "mybox:v1"});
  ASSERT_EQ(rmi.code, 0) << describe(rmi);
  EXPECT_NE(rmi.out.find("Untagged: mybox:v1"), std::string::npos) << rmi.out;
  imgs = images();
  EXPECT_EQ(imgs.size(), 1u);
  EXPECT_TRUE(imgs.contains("busybox:latest"));
  Result rmi2 = berth({"rmi", "busybox"});
  ASSERT_EQ(rmi2.code, 0) << describe(rmi2);
  EXPECT_TRUE(images().empty());
  Result gone = berth({"run", "--rm", "--pull", "never", "busybox", "true"});  // no Docker Hub
  EXPECT_EQ(gone.code, 125) << describe(gone);
}

TEST_F(ImagesTest, RmiRefusesWhileAStoppedContainerUsesTheImageUnlessForced) {
  load("busybox.oci.tar");
  Result run = berth({"run", "--name", "keeper-rmi", "busybox", "true"});
  ASSERT_EQ(run.code, 0) << describe(run);
  Result rmi = berth({"rmi", "busybox"});
  EXPECT_NE(rmi.code, 0) << describe(rmi);
  EXPECT_NE(rmi.err.find("conflict"), std::string::npos) << rmi.err;
  EXPECT_TRUE(images().contains("busybox:latest"));
  Result forced = berth({"rmi", "-f", "busybox"});
  EXPECT_EQ(forced.code, 0) << describe(forced);
  EXPECT_TRUE(images().empty());
  // The container record survives the image, as with docker.
  auto ps = ps_all();
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]["Names"], "keeper-rmi");
  Result rm = berth({"rm", "keeper-rmi"});
  EXPECT_EQ(rm.code, 0) << describe(rm);
  EXPECT_TRUE(ps_all().empty());
}

TEST_F(ImagesTest, SaveThenLoadIntoAFreshRootKeepsTheImageId) {
  load("layers.oci.tar");
  std::string id = images()["berth-test/layers:latest"];
  ASSERT_EQ(id.size(), 12u);
  std::string archive = root_ + "/saved.tar";
  Result save = berth({"save", "-o", archive, "berth-test/layers:latest"});
  ASSERT_EQ(save.code, 0) << describe(save);
  // A second root under the first, so the fixture removes it too.
  std::string root2 = root_ + "/second-root";
  Result load2 = run_command({kBerth, "--root", root2, "load", "-i", archive});
  ASSERT_EQ(load2.code, 0) << describe(load2);
  EXPECT_EQ(load2.out, "Loaded image: berth-test/layers:latest\n");
  Result imgs = run_command({kBerth, "--root", root2, "images", "--format", "json"});
  ASSERT_EQ(imgs.code, 0) << describe(imgs);
  auto rows = lines_of(imgs.out);
  ASSERT_EQ(rows.size(), 1u) << imgs.out;
  EXPECT_EQ(nlohmann::json::parse(rows[0])["ID"], id);
  Result cat = run_command({kBerth, "--root", root2, "run", "--rm", "berth-test/layers"});
  EXPECT_EQ(cat.code, 0) << describe(cat);
  EXPECT_EQ(cat.out, "keep: from layer 2\n");
  EXPECT_EQ(run_command({kBerth, "--root", root2, "system", "reset", "-f"}).code, 0);
}

TEST_F(ImagesTest, ImportRootfsTarball) {
  Result r = berth({"import", image("busybox-rootfs.tar.gz"), "imported:1"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(images().contains("imported:1"));
  Result echo = berth({"run", "--rm", "imported:1", "/bin/echo", "imported"});
  EXPECT_EQ(echo.code, 0) << describe(echo);
  EXPECT_EQ(echo.out, "imported\n");
}

class LayersTest : public BerthTest {
 protected:
  void SetUp() override {
    BerthTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    load("layers.docker.tar");
  }
  Result sh(const std::string& script) {
    return berth({"run", "--rm", "berth-test/layers", "sh", "-c", script});
  }
};

TEST_F(LayersTest, WhiteoutsHideDeletedFilesAndOpaqueDirectories) {
  Result r = sh("ls /data; echo --; ls -a /opq; echo --; test -e /data/gone.txt; echo gone=$?");
  ASSERT_EQ(r.code, 0) << describe(r);
  auto l = lines_of(r.out);
  // /data: keep.txt, hard, link (gone.txt deleted by the whiteout, no .wh. file visible).
  std::string data = r.out.substr(0, r.out.find("--"));
  EXPECT_EQ(data.find("gone.txt"), std::string::npos) << r.out;
  EXPECT_EQ(data.find(".wh."), std::string::npos) << r.out;
  EXPECT_NE(data.find("keep.txt"), std::string::npos) << r.out;
  std::string opq = r.out.substr(r.out.find("--") + 3);
  opq = opq.substr(0, opq.find("--"));
  EXPECT_EQ(opq, ".\n..\nc.txt\n") << r.out;
  EXPECT_NE(r.out.find("gone=1"), std::string::npos) << r.out;
}

TEST_F(LayersTest, ImageConfigCmdWorkingDirAndEnv) {
  Result cmd = berth({"run", "--rm", "berth-test/layers"});
  EXPECT_EQ(cmd.code, 0) << describe(cmd);
  EXPECT_EQ(cmd.out, "keep: from layer 2\n");
  Result pwd = sh("pwd; echo FOO=$FOO; cat /opq/c.txt");
  EXPECT_EQ(pwd.code, 0) << describe(pwd);
  EXPECT_EQ(pwd.out, "/data\nFOO=bar\nc: from layer 3\n");
}

}  // namespace
}  // namespace berth_it
