#include <gtest/gtest.h>

#include "oci/reference.h"

namespace berth::oci {
namespace {

struct Case {
  const char* in;
  const char* str;
  const char* familiar_repo;
};

TEST(Reference, NormalisesLikeDocker) {
  const Case cases[] = {
      {"busybox", "docker.io/library/busybox:latest", "busybox"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox"},
      {"library/busybox", "docker.io/library/busybox:latest", "busybox"},
      {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox"},
      {"index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox"},
      {"user/app:v2", "docker.io/user/app:v2", "user/app"},
      {"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b"},
      {"localhost/app", "localhost/app:latest", "localhost/app"},
      {"localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b"},
      {"quay.io/coreos/etcd:v3.5.0", "quay.io/coreos/etcd:v3.5.0", "quay.io/coreos/etcd"},
      {"Foo/bar", "Foo/bar:latest", "Foo/bar"},  // upper case first component: a domain
      {"[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x"},
      {"a_b/c__d/e-f--g.h:T_1.x-y", "docker.io/a_b/c__d/e-f--g.h:T_1.x-y", "a_b/c__d/e-f--g.h"},
  };
  for (const auto& c : cases) {
    auto r = parse_reference(c.in);
    ASSERT_TRUE(r) << c.in << ": " << r.error().message();
    EXPECT_EQ(r->str(), c.str) << c.in;
    EXPECT_EQ(r->familiar_repository(), c.familiar_repo) << c.in;
  }
}

TEST(Reference, Digest) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = parse_reference("busybox@" + d);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->digest, d);
  EXPECT_EQ(r->str(), "docker.io/library/busybox@" + d);
  EXPECT_EQ(r->familiar(), "busybox@" + d);
  auto both = parse_reference("localhost:5000/x:1@" + d);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->str(), "localhost:5000/x:1@" + d);
  EXPECT_EQ(r->repository(), "docker.io/library/busybox");
}

TEST(Reference, Familiar) {
  EXPECT_EQ(parse_reference("busybox")->familiar(), "busybox:latest");
  EXPECT_EQ(parse_reference("docker.io/user/x:1")->familiar(), "user/x:1");
}

TEST(Reference, RefusesBadReferences) {
  const char* bad[] = {"", "Busybox", "busybox:", ":tag", "a//b", "-a", "a-", "busybox@sha256:abc",
                       "busybox@md5:" "0123", "bad host!/x", "x:tag with space", "UPPER/Case/x",
                       "a/B", "a:b:c", "localhost:/x",
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  for (const char* b : bad) {
    auto r = parse_reference(b);
    EXPECT_FALSE(r) << "accepted: " << b << " as " << (r ? r->str() : "");
  }
  auto upper = parse_reference("Busybox");
  ASSERT_FALSE(upper);
  EXPECT_NE(upper.error().message().find("must be lowercase"), std::string::npos);
  std::string long_name(300, 'a');
  EXPECT_FALSE(parse_reference(long_name));
}

}  // namespace
}  // namespace berth::oci
