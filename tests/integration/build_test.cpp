// `berth build` end to end: Dockerfiles built on busybox, then run. Single and multi-stage
// builds, ARG/ENV substitution, USER and WORKDIR, a RUN that deletes a base file (a
// whiteout), the cache (a rebuild with no change is all CACHED with the same image id; a
// changed file invalidates only the steps from its COPY on), .dockerignore, a failing RUN
// (its output and exit code, and no image), parse errors, and `compose up --build`.
#include "harness.h"

namespace berth_it {
namespace {

class BuildTest : public BusyboxTest {
 protected:
  void SetUp() override {
    BusyboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ctx_ = root_ + "/ctx";
    fs::create_directories(ctx_);
  }

  void write(const std::string& rel, const std::string& content) {
    fs::path p = fs::path(ctx_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }

  Result build(const std::vector<std::string>& flags) {
    std::vector<std::string> a = {"build"};
    a.insert(a.end(), flags.begin(), flags.end());
    a.push_back(ctx_);
    return berth(a, 120s);
  }

  // The stored config document of the image named `name` ("demo:1").
  nlohmann::json image_config(const std::string& name) {
    auto index = nlohmann::json::parse(slurp(root_ + "/images/images.json"));
    std::string want = "docker.io/library/" + name;
    for (const auto& e : index["images"])
      for (const auto& n : e["names"])
        if (n == want) return nlohmann::json::parse(slurp(root_ + "/images/blobs/sha256/" + e["id"].get<std::string>().substr(7)));
    ADD_FAILURE() << "no image " << name;
    return {};
  }

  Result run_image(const std::string& image, const std::vector<std::string>& cmd) {
    std::vector<std::string> a = {"run", "--rm", image};
    a.insert(a.end(), cmd.begin(), cmd.end());
    return berth(a);
  }

  // The step lines that say CACHED, by their instruction text.
  static std::vector<std::string> cached_steps(const std::string& err) {
    std::map<std::string, std::string> names;  // "#5" -> "RUN ..."
    std::vector<std::string> out;
    for (const auto& l : lines_of(err)) {
      if (l.size() < 3 || l[0] != '#') continue;
      auto sp = l.find(' ');
      std::string id = l.substr(0, sp), rest = l.substr(sp + 1);
      if (rest.starts_with("[")) names[id] = rest.substr(rest.find("] ") + 2);
      if (rest == "CACHED") out.push_back(names[id]);
    }
    return out;
  }

  std::string ctx_;
};

TEST_F(BuildTest, SingleStageImageRunsWithItsConfig) {
  write("hello.txt", "hello from the context\n");
  write("Dockerfile",
        "# a comment\n"
        "FROM busybox\n"
        "LABEL org.example.team=\"web team\"\n"
        "ENV GREETING=hi \\\n"
        "    TARGET=world\n"
        "WORKDIR /app\n"
        "COPY hello.txt .\n"
        "RUN echo \"$GREETING $TARGET\" > greeting.txt\n"
        "EXPOSE 8080/tcp 53/udp\n"
        "STOPSIGNAL SIGINT\n"
        "HEALTHCHECK --interval=5s --retries=2 CMD cat /app/greeting.txt\n"
        "CMD [\"sh\", \"-c\", \"cat hello.txt greeting.txt; pwd\"]\n");
  Result b = build({"-t", "demo:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  EXPECT_NE(b.err.find("[3/4] COPY hello.txt ."), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("naming to docker.io/library/demo:1 done"), std::string::npos) << b.err;
  Result r = berth({"run", "--rm", "demo:1"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "hello from the context\nhi world\n/app\n");
  auto cfg = image_config("demo:1");
  auto c = cfg["config"];
  EXPECT_EQ(c["WorkingDir"], "/app");
  EXPECT_EQ(c["Labels"]["org.example.team"], "web team");
  EXPECT_TRUE(c["ExposedPorts"].contains("8080/tcp") && c["ExposedPorts"].contains("53/udp")) << c.dump();
  EXPECT_EQ(c["StopSignal"], "SIGINT");
  EXPECT_EQ(c["Healthcheck"]["Test"], nlohmann::json({"CMD-SHELL", "cat /app/greeting.txt"}));
  EXPECT_EQ(c["Healthcheck"]["Interval"], 5000000000LL);
  auto env = c["Env"].dump();
  EXPECT_NE(env.find("GREETING=hi"), std::string::npos) << env;
  EXPECT_NE(env.find("TARGET=world"), std::string::npos) << env;
  // busybox's layer, then WORKDIR, COPY and RUN: one layer each; one history entry per
  // instruction after FROM, the metadata ones marked empty_layer.
  EXPECT_EQ(cfg["rootfs"]["diff_ids"].size(), 4u) << cfg.dump();
  int empty = 0;
  for (const auto& h : cfg["history"]) empty += h.value("empty_layer", false);
  EXPECT_EQ(empty, 6) << cfg["history"].dump();
  // Built images are ordinary images: listed, saved, removed.
  Result images = berth({"images"});
  EXPECT_NE(images.out.find("demo "), std::string::npos) << images.out;
}

TEST_F(BuildTest, MultiStageCopiesFromAnEarlierStageAndSkipsUnneededOnes) {
  write("Dockerfile",
        "FROM busybox AS builder\n"
        "WORKDIR /src\n"
        "RUN echo compiled > app.bin && mkdir -p lib && echo lib > lib/a.so && chown 123:45 app.bin\n"
        "\n"
        "FROM busybox AS unused\n"
        "RUN echo this stage must not run && exit 9\n"
        "\n"
        "FROM busybox\n"
        "COPY --from=builder /src/app.bin /usr/local/bin/\n"
        "COPY --from=builder --chown=7:8 /src/lib /opt/lib\n"
        "CMD [\"sh\", \"-c\", \"cat /usr/local/bin/app.bin /opt/lib/a.so; stat -c %u:%g /usr/local/bin/app.bin /opt/lib/a.so\"]\n");
  Result b = build({"-t", "multi:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  EXPECT_EQ(b.err.find("must not run"), std::string::npos) << b.err;
  EXPECT_EQ(b.err.find("[unused"), std::string::npos) << b.err;
  Result r = berth({"run", "--rm", "multi:1"});
  ASSERT_EQ(r.code, 0) << describe(r);
  // --from keeps the owners, --chown sets them.
  EXPECT_EQ(r.out, "compiled\nlib\n123:45\n7:8\n");
  // --target builds that stage (and what it needs) only.
  Result t = build({"--target", "builder", "-t", "multi:builder"});
  ASSERT_EQ(t.code, 0) << describe(t);
  Result rt = run_image("multi:builder", {"sh", "-c", "pwd; cat app.bin"});
  EXPECT_EQ(rt.out, "/src\ncompiled\n") << describe(rt);
  Result bad = build({"--target", "nosuch"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("target stage \"nosuch\" could not be found"), std::string::npos) << bad.err;
}

TEST_F(BuildTest, ArgAndEnvSubstitution) {
  write("Dockerfile",
        "ARG BASE=busybox\n"
        "FROM $BASE\n"
        "ARG COLOR=blue\n"
        "ARG SIZE\n"
        "ENV SHADE=${COLOR:-none}-${SIZE:-medium} FLAG=${COLOR:+set}\n"
        "ENV DIR=/data\n"
        "WORKDIR ${DIR}/$COLOR\n"
        "RUN echo \"run sees $COLOR $SIZE\" > /run.txt\n"
        "CMD [\"sh\", \"-c\", \"echo $SHADE $FLAG; pwd; cat /run.txt; echo arg-not-kept=${COLOR}\"]\n");
  Result b = build({"-t", "args:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  Result r = run_image("args:1", {});
  EXPECT_EQ(r.out, "blue-medium set\n/data/blue\nrun sees blue \narg-not-kept=\n") << describe(r);
  Result b2 = build({"-t", "args:2", "--build-arg", "COLOR=red", "--build-arg", "SIZE=xl", "--build-arg", "UNUSED=1"});
  ASSERT_EQ(b2.code, 0) << describe(b2);
  EXPECT_NE(b2.err.find("[Warning] One or more build-args [UNUSED] were not consumed"), std::string::npos) << b2.err;
  Result r2 = run_image("args:2", {});
  EXPECT_EQ(r2.out, "red-xl set\n/data/red\nrun sees red xl\narg-not-kept=\n") << describe(r2);
}

TEST_F(BuildTest, UserAndWorkdirApplyToRunAndToTheImage) {
  write("Dockerfile",
        "FROM busybox\n"
        "WORKDIR /w\n"
        "RUN chown 1000:1000 /w\n"
        "USER 1000:1000\n"
        "RUN id -u > /w/uid && pwd > /w/pwd\n"
        "WORKDIR sub\n"
        "CMD [\"sh\", \"-c\", \"id -u; pwd; cat /w/uid /w/pwd; stat -c %u /w/uid\"]\n");
  Result b = build({"-t", "user:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  Result r = run_image("user:1", {});
  EXPECT_EQ(r.out, "1000\n/w/sub\n1000\n/w\n1000\n") << describe(r);
}

TEST_F(BuildTest, RunDeletingABaseFileWritesAWhiteout) {
  write("Dockerfile",
        "FROM busybox\n"
        "RUN rm /etc/group && mkdir /made && echo x > /made/f\n");
  Result b = build({"-t", "wh:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  Result r = run_image("wh:1", {"sh", "-c", "ls /etc/group 2>&1; cat /made/f"});
  EXPECT_NE(r.out.find("No such file"), std::string::npos) << describe(r);
  EXPECT_NE(r.out.find("x\n"), std::string::npos) << describe(r);
  // The layer blob spells the deletion the OCI way, and holds none of the runtime's mount
  // points (etc/hosts and friends).
  auto cfg = image_config("wh:1");
  std::string top = cfg["rootfs"]["diff_ids"].back().get<std::string>().substr(7);
  Result tar = run_command({"/bin/tar", "-tf", root_ + "/images/blobs/sha256/" + top}, 10s);
  ASSERT_EQ(tar.code, 0) << describe(tar);
  EXPECT_NE(tar.out.find("etc/.wh.group"), std::string::npos) << tar.out;
  EXPECT_EQ(tar.out.find("etc/hosts"), std::string::npos) << tar.out;
  EXPECT_EQ(tar.out.find("resolv.conf"), std::string::npos) << tar.out;
}

TEST_F(BuildTest, UnchangedRebuildIsAllCachedWithTheSameImageId) {
  write("a.txt", "a\n");
  write("Dockerfile", "FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nENV X=1\nCMD [\"cat\", \"/b.txt\"]\n");
  Result first = build({"-q", "-t", "cache:1"});
  ASSERT_EQ(first.code, 0) << describe(first);
  Result second = build({"-t", "cache:1"});
  ASSERT_EQ(second.code, 0) << describe(second);
  EXPECT_EQ(cached_steps(second.err), (std::vector<std::string>{"COPY a.txt /a.txt", "RUN cat /a.txt > /b.txt"}))
      << second.err;
  Result third = build({"-q", "-t", "cache:1"});
  EXPECT_EQ(third.out, first.out);  // -q prints the id: the same image
  // --no-cache runs every step again.
  Result fresh = build({"--no-cache", "-t", "cache:1"});
  ASSERT_EQ(fresh.code, 0) << describe(fresh);
  EXPECT_TRUE(cached_steps(fresh.err).empty()) << fresh.err;
}

TEST_F(BuildTest, AChangedFileInvalidatesOnlyTheStepsFromItsCopyOn) {
  write("a.txt", "a\n");
  write("b.txt", "b\n");
  write("Dockerfile",
        "FROM busybox\n"
        "COPY a.txt /a.txt\n"
        "RUN echo step-one > /one\n"
        "COPY b.txt /b.txt\n"
        "RUN cat /b.txt > /two\n"
        "CMD [\"cat\", \"/one\", \"/two\"]\n");
  ASSERT_EQ(build({"-t", "inv:1"}).code, 0);
  write("b.txt", "b changed\n");
  Result again = build({"-t", "inv:1"});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_EQ(cached_steps(again.err), (std::vector<std::string>{"COPY a.txt /a.txt", "RUN echo step-one > /one"}))
      << again.err;
  EXPECT_EQ(run_image("inv:1", {}).out, "step-one\nb changed\n");
  // A touch (same content) changes nothing.
  fs::last_write_time(fs::path(ctx_) / "a.txt", fs::file_time_type::clock::now());
  Result touched = build({"-t", "inv:1"});
  EXPECT_EQ(cached_steps(touched.err).size(), 4u) << touched.err;
}

TEST_F(BuildTest, DockerignoreHidesFilesFromCopy) {
  write("app/main.txt", "main\n");
  write("app/debug.log", "noise\n");
  write("app/keep.log", "kept\n");
  write("secret/key", "do not ship\n");
  write(".dockerignore", "# comments are fine\n**/*.log\n!app/keep.log\nsecret\n");
  write("Dockerfile", "FROM busybox\nCOPY . /ctx\nCMD [\"sh\", \"-c\", \"cd /ctx && find . -type f | sort\"]\n");
  Result b = build({"-t", "ign:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  Result r = run_image("ign:1", {});
  EXPECT_EQ(r.out, "./.dockerignore\n./Dockerfile\n./app/keep.log\n./app/main.txt\n") << describe(r);
  // An ignored file changing does not invalidate the COPY.
  write("app/debug.log", "more noise\n");
  Result again = build({"-t", "ign:1"});
  EXPECT_EQ(cached_steps(again.err), std::vector<std::string>{"COPY . /ctx"}) << again.err;
  // Naming an ignored file is an error, as in docker.
  write("Dockerfile", "FROM busybox\nCOPY secret/key /key\n");
  Result bad = build({"-t", "ign:2"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("Dockerfile:2"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("secret/key"), std::string::npos) << bad.err;
}

TEST_F(BuildTest, FailingRunReportsItsOutputAndExitCodeAndLeavesNoImage) {
  write("Dockerfile", "FROM busybox\nRUN echo first > /f\nRUN echo about to fail; exit 3\nCMD [\"true\"]\n");
  Result b = build({"-t", "fail:1"});
  EXPECT_EQ(b.code, 1) << describe(b);
  EXPECT_NE(b.err.find("about to fail"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("ERROR: failed to solve: Dockerfile:3: process \"/bin/sh -c echo about to fail; exit 3\" "
                       "did not complete successfully: exit code: 3"),
            std::string::npos)
      << b.err;
  Result images = berth({"images"});
  EXPECT_EQ(images.out.find("fail"), std::string::npos) << images.out;
  EXPECT_TRUE(container_dirs().empty());
  EXPECT_TRUE(fs::is_empty(root_ + "/images/tmp"));
  // The step before the failure is cached: fixing the Dockerfile reuses it.
  write("Dockerfile", "FROM busybox\nRUN echo first > /f\nRUN echo fixed\nCMD [\"true\"]\n");
  Result fixed = build({"-t", "fail:1"});
  ASSERT_EQ(fixed.code, 0) << describe(fixed);
  EXPECT_EQ(cached_steps(fixed.err), std::vector<std::string>{"RUN echo first > /f"}) << fixed.err;
}

TEST_F(BuildTest, AddHeredocsShellEntrypointAndOnbuild) {
  // A local tar is extracted by ADD (not by COPY); a URL is downloaded, mode 0600.
  write("payload/inner/data.txt", "from the tar\n");
  Result tar = run_command({"/bin/tar", "-czf", ctx_ + "/payload.tar.gz", "-C", ctx_ + "/payload", "inner"}, 10s);
  ASSERT_EQ(tar.code, 0) << describe(tar);
  std::string served = root_ + "/served";
  fs::create_directories(served);
  std::ofstream(served + "/tool.sh") << "echo downloaded\n";
  uint16_t port = static_cast<uint16_t>(free_port());
  Process server = Process::spawn({"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(port),
                                   "--directory", served});
  for (int i = 0; i < 100; i++) {
    int fd = connect_loopback(SOCK_STREAM, port, 100ms);
    if (fd >= 0) {
      close(fd);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/tool.sh";
  write("Dockerfile",
        "FROM busybox\n"
        "ADD payload.tar.gz /opt/\n"
        "COPY payload.tar.gz /kept/\n"
        "ADD " + url + " /bin/tool.sh\n"
        "COPY --chmod=0750 <<EOF /etc/motd\n"
        "hello from a heredoc\n"
        "EOF\n"
        "RUN <<EOF\n"
        "echo script line one > /script.out\n"
        "echo script line two >> /script.out\n"
        "EOF\n"
        "SHELL [\"/bin/sh\", \"-ec\"]\n"
        "RUN echo shell $0 > /shell.out\n"
        "RUN --network=none ls /sys/class/net > /nets\n"
        "ONBUILD RUN echo triggered > /onbuild.out\n"
        "ENTRYPOINT [\"sh\", \"-c\"]\n");
  Result b = build({"-t", "misc:1"});
  ASSERT_EQ(b.code, 0) << describe(b);
  Result r = run_image("misc:1", {"cat /opt/inner/data.txt; ls /kept; stat -c %a /bin/tool.sh /etc/motd; "
                                  "sh /bin/tool.sh; cat /etc/motd /script.out /shell.out /nets; ls /onbuild.out 2>&1 | head -c 2"});
  EXPECT_EQ(r.out,
            "from the tar\npayload.tar.gz\n600\n750\ndownloaded\nhello from a heredoc\n"
            "script line one\nscript line two\nshell /bin/sh\nlo\nls")
      << describe(r);
  // An ENTRYPOINT drops the CMD inherited from the base (busybox's ["sh"]); the trigger
  // waits for a child image.
  auto cfg = image_config("misc:1");
  EXPECT_TRUE(cfg["config"]["Cmd"].is_null()) << cfg["config"].dump();
  EXPECT_EQ(cfg["config"]["OnBuild"], nlohmann::json({"RUN echo triggered > /onbuild.out"}));
  write("Dockerfile", "FROM misc:1\n");
  Result child = build({"-t", "misc:child"});
  ASSERT_EQ(child.code, 0) << describe(child);
  EXPECT_EQ(run_image("misc:child", {"cat /onbuild.out"}).out, "triggered\n");
  EXPECT_FALSE(image_config("misc:child")["config"].contains("OnBuild"));
  // The base's SHELL (-ec) is the child's too: `false;` stops the step there.
  write("Dockerfile", "FROM misc:1\nRUN false; echo kept going\n");
  Result strict = build({"-t", "misc:strict"});
  EXPECT_EQ(strict.code, 1) << describe(strict);
  EXPECT_NE(strict.err.find("/bin/sh -ec false; echo kept going"), std::string::npos) << strict.err;
  // ADD copies a file that is not a tar as it is; COPY never merges a directory into a
  // symlink of the image (the image would lose what the link pointed at).
  write("plain.json.gz", "not really gzip\n");
  write("tree/lnk/file", "x\n");
  write("Dockerfile", "FROM busybox\nADD plain.json.gz /etc/\nRUN ln -s /usr /lnk\nCOPY tree/ /\n");
  Result mixed = build({"-t", "misc:mixed"});
  EXPECT_EQ(mixed.code, 1) << describe(mixed);
  EXPECT_NE(mixed.err.find("cannot copy to non-directory"), std::string::npos) << mixed.err;
  EXPECT_NE(mixed.err.find("[2/4] ADD plain.json.gz /etc/\n#3 DONE"), std::string::npos) << mixed.err;
  // A wrong --checksum is refused before anything is copied.
  write("Dockerfile", "FROM busybox\nADD --checksum=sha256:" + std::string(64, '0') + " " + url + " /x\n");
  Result bad = build({"-t", "misc:bad"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("digest mismatch"), std::string::npos) << bad.err;
}

TEST_F(BuildTest, ParseErrorsNameTheFileAndLine) {
  write("Dockerfile", "FROM busybox\n\nRUNN echo typo\n");
  Result b = build({});
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.err.find("Dockerfile:3: unknown instruction: RUNN"), std::string::npos) << b.err;
  write("Dockerfile", "FROM busybox\nCOPY missing.txt /x\n");
  Result m = build({});
  EXPECT_EQ(m.code, 1);
  EXPECT_NE(m.err.find("Dockerfile:2"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("missing.txt"), std::string::npos) << m.err;
  Result none = berth({"build", "-f", ctx_ + "/Nope.dockerfile", ctx_});
  EXPECT_NE(none.err.find("Nope.dockerfile"), std::string::npos) << none.err;
}

TEST_F(BuildTest, ComposeUpBuildsMissingImagesAndRebuildsWithBuild) {
  write("web/Dockerfile",
        "FROM busybox\nARG MSG=default\nRUN echo \"$MSG\" > /msg\nCMD [\"sh\", \"-c\", \"cat /msg; sleep 30\"]\n");
  write("compose.yaml",
        "name: bstack\n"
        "services:\n"
        "  web:\n"
        "    build:\n"
        "      context: ./web\n"
        "      args:\n"
        "        MSG: first\n");
  std::string file = ctx_ + "/compose.yaml";
  Result up = berth({"compose", "-f", file, "up", "-d"}, 120s);
  ASSERT_EQ(up.code, 0) << describe(up);
  EXPECT_NE(up.err.find("naming to docker.io/library/bstack-web:latest"), std::string::npos) << up.err;
  Result logs = berth({"logs", "bstack-web-1"});
  EXPECT_EQ(logs.out, "first\n") << describe(logs);
  // Unchanged: up builds nothing and keeps the container.
  Result again = berth({"compose", "-f", file, "up", "-d"}, 120s);
  EXPECT_EQ(again.err.find("Building"), std::string::npos) << again.err;
  // A change and --build: rebuilt, and the container recreated on the new image.
  write("web/Dockerfile",
        "FROM busybox\nARG MSG=default\nRUN echo \"$MSG again\" > /msg\nCMD [\"sh\", \"-c\", \"cat /msg; sleep 30\"]\n");
  Result rebuilt = berth({"compose", "-f", file, "up", "-d", "--build", "-t", "1"}, 120s);
  ASSERT_EQ(rebuilt.code, 0) << describe(rebuilt);
  EXPECT_EQ(berth({"logs", "bstack-web-1"}).out, "first again\n");
  Result cb = berth({"compose", "-f", file, "build", "-q"}, 120s);
  EXPECT_EQ(cb.code, 0) << describe(cb);
  Result down = berth({"compose", "-f", file, "down", "-t", "1", "--rmi", "local"}, 60s);
  ASSERT_EQ(down.code, 0) << describe(down);
  EXPECT_EQ(berth({"images"}).out.find("bstack-web"), std::string::npos);
}

}  // namespace
}  // namespace berth_it
