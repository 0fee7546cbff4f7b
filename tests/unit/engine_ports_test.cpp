#include "engine/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "base/fd.h"

namespace berth::engine {
namespace {

PortRequest req(std::string ip, uint16_t first, uint16_t last, uint16_t container, std::string proto = "tcp") {
  return PortRequest{std::move(ip), first, last, container, std::move(proto)};
}

TEST(Ports, ParsesDockerPublishForms) {
  EXPECT_EQ(*parse_publish("80"), std::vector{req("", 0, 0, 80)});
  EXPECT_EQ(*parse_publish("8080:80"), std::vector{req("", 8080, 8080, 80)});
  EXPECT_EQ(*parse_publish("127.0.0.1:8080:80/udp"), std::vector{req("127.0.0.1", 8080, 8080, 80, "udp")});
  EXPECT_EQ(*parse_publish("127.0.0.1::80"), std::vector{req("127.0.0.1", 0, 0, 80)});
  EXPECT_EQ(*parse_publish("0.0.0.0:81:80"), std::vector{req("", 81, 81, 80)});
  EXPECT_EQ(*parse_publish("[::1]:8080:80"), std::vector{req("::1", 8080, 8080, 80)});
  EXPECT_EQ(*parse_publish("8000-8001:80-81"),
            (std::vector{req("", 8000, 8000, 80), req("", 8001, 8001, 81)}));
  EXPECT_EQ(*parse_publish("8000-8010:80"), std::vector{req("", 8000, 8010, 80)});
  EXPECT_EQ(parse_publish("80-82")->size(), 3u);
}

TEST(Ports, BadPublishSpecsNameTheProblem) {
  for (const char* bad : {"", "0", "65536", "80800", "8080:", "a:80", "1.2.3:80:80", "80/sctp",
                          "8000-8002:80-81", "90-80", "1:2:3:4", "[::1:80:80"}) {
    auto r = parse_publish(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find('"'), std::string::npos) << r.error().message();
  }
  EXPECT_NE(parse_publish("80800").error().message().find("80800"), std::string::npos);
}

TEST(Ports, ParsesExposedPorts) {
  EXPECT_EQ(*parse_exposed("80/tcp"), std::vector{req("", 0, 0, 80)});
  EXPECT_EQ(*parse_exposed("53/udp"), std::vector{req("", 0, 0, 53, "udp")});
  EXPECT_EQ(parse_exposed("7000-7002")->size(), 3u);
  EXPECT_FALSE(parse_exposed("x/tcp"));
}

TEST(Ports, BindingShapes) {
  PortBinding b{"", 8080, 80, "tcp"};
  EXPECT_EQ(b.to_string(), "0.0.0.0:8080->80/tcp");
  EXPECT_EQ(PortBinding::from_json(b.to_json()), b);
  PortBinding v6{"::1", 53, 53, "udp"};
  EXPECT_EQ(v6.to_string(), "[::1]:53->53/udp");
  EXPECT_EQ(PortBinding::from_json(v6.to_json()), v6);
}

// A port some other program holds on loopback.
struct Held {
  Fd fd;
  uint16_t port = 0;
};
Held hold_port(int type) {
  Held h{Fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0))};
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(h.fd.get(), reinterpret_cast<sockaddr*>(&a), len), 0);
  if (type == SOCK_STREAM) ::listen(h.fd.get(), 1);
  ::getsockname(h.fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  h.port = ntohs(a.sin_port);
  return h;
}

TEST(Ports, PortInUseIsDockersError) {
  Held held = hold_port(SOCK_STREAM);
  auto r = choose_host_ports({req("127.0.0.1", held.port, held.port, 80)}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "Bind for 127.0.0.1:" + std::to_string(held.port) +
                                     " failed: port is already allocated");
  // The same number over UDP is another port.
  EXPECT_TRUE(choose_host_ports({req("127.0.0.1", held.port, held.port, 80, "udp")}, {}));
}

TEST(Ports, PortsOtherContainersPublishAreTaken) {
  Held held = hold_port(SOCK_STREAM);
  uint16_t p = held.port;
  held.fd.reset();  // free for the kernel, but "published" by another container:
  std::vector<PortBinding> taken = {{"", p, 80, "tcp"}};
  EXPECT_FALSE(choose_host_ports({req("127.0.0.1", p, p, 80)}, taken));
  // A range skips it (unless p + 1 happens to be in use by someone else).
  auto r = choose_host_ports({req("127.0.0.1", p, static_cast<uint16_t>(p + 1), 80)}, taken);
  if (r) {
    EXPECT_EQ((*r)[0].host_port, p + 1);
  } else {
    EXPECT_NE(r.error().message().find("already allocated"), std::string::npos) << r.error().message();
  }
  // Two requests of one container cannot share a port either.
  EXPECT_FALSE(choose_host_ports({req("", p, p, 80), req("127.0.0.1", p, p, 81)}, {}));
}

TEST(Ports, EphemeralPortsAreChosenByTheKernel) {
  auto r = choose_host_ports({req("127.0.0.1", 0, 0, 80), req("127.0.0.1", 0, 0, 81)}, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_NE((*r)[0].host_port, 0);
  EXPECT_NE((*r)[0].host_port, (*r)[1].host_port);
}

}  // namespace
}  // namespace berth::engine
