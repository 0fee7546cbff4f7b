// The userland proxy (runtime/port_proxy.h) on loopback: TCP byte-exactness in both
// directions, half-close, a refusing target, many connections at once, the connection
// limit, UDP flows kept apart and idling out, bind errors; small messages to a stalled
// target, and bytes with their FIN in one turn.
//
// The proxy runs its loop in a thread of its own, as it would in the shim's poll loop; the
// targets are small blocking servers in threads. The test process ignores SIGPIPE, as the
// shim blocks it (port_proxy.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <thread>

#include "base/fd.h"
#include "runtime/port_proxy.h"

namespace berth::runtime {
namespace {

using namespace std::chrono_literals;

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A socket on 127.0.0.1 with a port the kernel picks: listening (TCP), or not (for a
// target that refuses: the port is taken, so nobody else listens on it meanwhile).
Fd bind_loopback(int type, bool listen) {
  Fd s(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(0);
  EXPECT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (listen) {
    EXPECT_EQ(::listen(s.get(), 512), 0);
  }
  return s;
}

Fd connect_to(uint16_t port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(port);
  EXPECT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  struct timeval tv = {10, 0};  // a hung proxy fails the test instead of hanging it
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return s;
}

bool send_all(int fd, const std::string& data) {
  for (size_t off = 0; off < data.size();) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF (or an error, or a timeout).
std::string read_to_end(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string read_exactly(int fd, size_t len) {
  std::string out(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::recv(fd, out.data() + got, len - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

std::string random_bytes(size_t len, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

// A TCP target: each connection is handed to `serve` in a thread of its own.
class TcpServer {
 public:
  explicit TcpServer(std::function<void(int)> serve)
      : socket_(bind_loopback(SOCK_STREAM, true)), serve_(std::move(serve)) {
    acceptor_ = std::thread([this] {
      for (int fd; (fd = ::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC)) >= 0;)
        workers_.emplace_back([this, fd] {
          Fd conn(fd);
          struct timeval tv = {10, 0};  // a proxy that loses a FIN fails the test, not hangs it
          ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
          serve_(conn.get());
        });
    });
  }
  ~TcpServer() {
    ::shutdown(socket_.get(), SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    for (auto& w : workers_) w.join();
  }
  uint16_t port() const { return local_port(socket_.get()); }

 private:
  Fd socket_;
  std::function<void(int)> serve_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

// Sends back what it reads; at EOF, ends its own side too.
void echo(int fd) {
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    if (!send_all(fd, std::string(buf, static_cast<size_t>(n)))) return;
  ::shutdown(fd, SHUT_WR);
}

// The proxy with its loop in a thread, polling its fd as the shim does.
class ProxyThread {
 public:
  explicit ProxyThread(std::vector<ProxyRule> rules, ProxyLimits limits = {}) {
    auto p = PortProxy::open(rules, limits);
    EXPECT_TRUE(p) << (p ? "" : p.error().message());
    if (!p) return;
    proxy_ = std::move(*p);
    for (size_t i = 0; i < rules.size(); i++) ports_.push_back(proxy_.port(i));
    thread_ = std::thread([this] {
      while (!stop_) {
        int t = proxy_.next_timeout_ms();
        struct pollfd p = {proxy_.fd(), POLLIN, 0};
        ::poll(&p, 1, t < 0 || t > 20 ? 20 : t);
        parked_ = paused_.load();
        if (parked_) {
          std::this_thread::sleep_for(1ms);
          continue;
        }
        proxy_.on_ready();
        connections_ = proxy_.connections();
        flows_ = proxy_.udp_flows();
      }
    });
  }
  ~ProxyThread() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port(size_t i = 0) const { return ports_.at(i); }
  // While paused the loop does not serve: whatever arrives meanwhile is there all at once
  // at the next turn. Returns once the loop has seen it.
  void pause(bool on) {
    paused_ = on;
    while (thread_.joinable() && parked_ != on) std::this_thread::sleep_for(1ms);
  }
  size_t connections() const { return connections_; }
  size_t flows() const { return flows_; }

 private:
  PortProxy proxy_;
  std::vector<uint16_t> ports_;
  std::atomic<bool> stop_ = false, paused_ = false, parked_ = false;
  std::atomic<size_t> connections_ = 0, flows_ = 0;
  std::thread thread_;
};

ProxyRule tcp_to(uint16_t target) { return {"tcp", "127.0.0.1", 0, "127.0.0.1", target}; }

bool eventually(const std::function<bool()>& done) {
  for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

class PortProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ::signal(SIGPIPE, SIG_IGN); }
};

TEST_F(PortProxyTest, TcpCarriesEightMiBBothWaysByteExact) {
  TcpServer target(echo);
  ProxyThread proxy({tcp_to(target.port())});
  std::string data = random_bytes(8 << 20, 1);
  Fd client = connect_to(proxy.port());
  // Writing and reading at once: the echo cannot finish before the reading starts.
  std::thread writer([&] {
    EXPECT_TRUE(send_all(client.get(), data));
    ::shutdown(client.get(), SHUT_WR);
  });
  std::string back = read_to_end(client.get());
  writer.join();
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  client.reset();
  EXPECT_TRUE(eventually([&] { return proxy.connections() == 0; }));
}

TEST_F(PortProxyTest, HalfCloseLetsTheClientReadTheAnswer) {
  // The target answers only once the client has finished sending: it must see the
  // client's FIN through the proxy, and the client must still get all of the answer.
  std::string answer = random_bytes(1 << 20, 2);
  TcpServer target([&](int fd) {
    std::string request = read_to_end(fd);
    send_all(fd, std::to_string(request.size()) + "\n" + answer);
  });
  ProxyThread proxy({tcp_to(target.port())});
  Fd client = connect_to(proxy.port());
  ASSERT_TRUE(send_all(client.get(), random_bytes(100000, 3)));
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  std::string got = read_to_end(client.get());
  EXPECT_TRUE(got == "100000\n" + answer) << got.size();
}

TEST_F(PortProxyTest, SmallWritesToAStalledTargetArriveWholeAndInOrder) {
  // Small messages, a little apart (the proxy reads and sends each on its own, its short
  // path), to a target that does not read for a while: once the buffers on the way are
  // full, a send to it comes up short, and what the target did not take must wait in the
  // proxy and go on, in order, once it reads. The client reads the echo as it comes.
  TcpServer target([](int fd) {
    std::this_thread::sleep_for(1500ms);
    echo(fd);
  });
  ProxyThread proxy({tcp_to(target.port())});
  Fd client = connect_to(proxy.port());
  int one = 1;
  ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string data = random_bytes(8 << 20, 4);
  std::thread writer([&] {
    std::mt19937 gen(5);
    for (size_t off = 0; off < data.size();) {
      size_t len = std::min<size_t>(data.size() - off, 1 + gen() % 2000);
      if (!send_all(client.get(), data.substr(off, len))) break;
      off += len;
      std::this_thread::sleep_for(20us);
    }
    ::shutdown(client.get(), SHUT_WR);
  });
  std::string back = read_to_end(client.get());
  writer.join();
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
}

TEST_F(PortProxyTest, BytesAndTheirFinArrivingTogetherAreBothPassedOn) {
  // The client's last bytes and its FIN reach the proxy in the same turn: the short read
  // of the bytes must not be taken for "nothing more", or the target would never see the
  // end of the request. The target says which it saw: the end, or 2 s of nothing.
  TcpServer target([](int fd) {
    struct timeval tv = {2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string request;
    char buf[256];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) request.append(buf, static_cast<size_t>(n));
    send_all(fd, (n == 0 ? "end after " : "no end after ") + request);
  });
  ProxyThread proxy({tcp_to(target.port())});
  Fd client = connect_to(proxy.port());
  ASSERT_TRUE(eventually([&] { return proxy.connections() == 1; }));
  std::this_thread::sleep_for(50ms);  // the connect to the target has completed
  proxy.pause(true);
  ASSERT_TRUE(send_all(client.get(), "hello"));
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  std::this_thread::sleep_for(50ms);
  proxy.pause(false);
  EXPECT_EQ(read_to_end(client.get()), "end after hello");
}

TEST_F(PortProxyTest, RefusingTargetClosesTheClient) {
  Fd taken = bind_loopback(SOCK_STREAM, false);  // bound, not listening: connects are refused
  ProxyThread proxy({tcp_to(local_port(taken.get()))});
  Fd client = connect_to(proxy.port());
  char c;
  ssize_t n = ::recv(client.get(), &c, 1, 0);
  int err = errno;
  EXPECT_TRUE(n == 0 || (n < 0 && err == ECONNRESET)) << n << " " << std::strerror(err);
  EXPECT_TRUE(eventually([&] { return proxy.connections() == 0; }));
}

TEST_F(PortProxyTest, TargetResetEndsTheClientToo) {
  TcpServer target([](int fd) {
    send_all(fd, "partial");
    struct linger abort = {1, 0};  // close with a reset
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  });
  ProxyThread proxy({tcp_to(target.port())});
  Fd client = connect_to(proxy.port());
  std::string got = read_to_end(client.get());
  int err = errno;
  EXPECT_EQ(std::string("partial").rfind(got, 0), 0u) << got;  // a prefix, perhaps all
  EXPECT_TRUE(got.size() < 7 || err == ECONNRESET || err == 0) << std::strerror(err);
  EXPECT_TRUE(eventually([&] { return proxy.connections() == 0; }));
}

TEST_F(PortProxyTest, ManyConnectionsAtOnce) {
  TcpServer target(echo);
  ProxyThread proxy({tcp_to(target.port())});
  std::vector<Fd> clients;
  for (int i = 0; i < 200; i++) {
    clients.push_back(connect_to(proxy.port()));
    ASSERT_TRUE(send_all(clients.back().get(), "hello " + std::to_string(i) + "\n"));
  }
  EXPECT_TRUE(eventually([&] { return proxy.connections() == 200; }));
  for (int i = 0; i < 200; i++) {
    std::string want = "hello " + std::to_string(i) + "\n";
    EXPECT_EQ(read_exactly(clients[i].get(), want.size()), want);
  }
  clients.clear();
  EXPECT_TRUE(eventually([&] { return proxy.connections() == 0; }));
}

// Whether a reply arrives on fd within ms.
bool readable_within(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

TEST_F(PortProxyTest, ConnectionLimitHoldsNewClientsUntilOneEnds) {
  TcpServer target(echo);
  ProxyThread proxy({tcp_to(target.port())}, ProxyLimits{.max_connections = 2});
  Fd a = connect_to(proxy.port()), b = connect_to(proxy.port());
  for (int fd : {a.get(), b.get()}) {
    ASSERT_TRUE(send_all(fd, "x"));
    EXPECT_EQ(read_exactly(fd, 1), "x");
  }
  // The kernel completes the third handshake (the backlog), but the proxy does not take it.
  Fd c = connect_to(proxy.port());
  ASSERT_TRUE(send_all(c.get(), "y"));
  EXPECT_FALSE(readable_within(c.get(), 300));
  EXPECT_EQ(proxy.connections(), 2u);
  a.reset();
  ASSERT_TRUE(readable_within(c.get(), 5000));
  EXPECT_EQ(read_exactly(c.get(), 1), "y");
}

// A UDP target that answers each datagram with "<datagram> from <sender's port>".
class UdpServer {
 public:
  UdpServer() : socket_(bind_loopback(SOCK_DGRAM, false)) {
    thread_ = std::thread([this] {
      char buf[2048];
      for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(socket_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) return;  // shutdown() below
        std::string reply =
            std::string(buf, static_cast<size_t>(n)) + " from " + std::to_string(ntohs(from.sin_port));
        ::sendto(socket_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    });
  }
  ~UdpServer() {
    ::shutdown(socket_.get(), SHUT_RDWR);
    thread_.join();
  }
  uint16_t port() const { return local_port(socket_.get()); }

 private:
  Fd socket_;
  std::thread thread_;
};

// Sends a datagram to the proxy's port and returns the reply ("" after 5 s without one).
std::string ask(int fd, uint16_t port, const std::string& text) {
  sockaddr_in to = loopback(port);
  ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  if (!readable_within(fd, 5000)) return "";
  char buf[2048];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST_F(PortProxyTest, UdpKeepsClientsApartAndIdlesOut) {
  UdpServer target;
  ProxyThread proxy({{"udp", "127.0.0.1", 0, "127.0.0.1", target.port()}},
                    ProxyLimits{.udp_idle_ms = 300});
  Fd one = bind_loopback(SOCK_DGRAM, false), two = bind_loopback(SOCK_DGRAM, false);
  std::string a1 = ask(one.get(), proxy.port(), "one-a");
  std::string b1 = ask(two.get(), proxy.port(), "two-a");
  std::string a2 = ask(one.get(), proxy.port(), "one-b");
  ASSERT_EQ(a1.rfind("one-a from ", 0), 0u) << a1;
  ASSERT_EQ(b1.rfind("two-a from ", 0), 0u) << b1;
  ASSERT_EQ(a2.rfind("one-b from ", 0), 0u) << a2;
  // Each client has its own flow (the target sees two senders), and keeps it.
  std::string port_one = a1.substr(11), port_two = b1.substr(11);
  EXPECT_NE(port_one, port_two);
  EXPECT_EQ(a2.substr(11), port_one);
  EXPECT_EQ(proxy.flows(), 2u);
  EXPECT_TRUE(eventually([&] { return proxy.flows() == 0; }));
  // After the idle timeout the client simply gets a new flow.
  EXPECT_EQ(ask(one.get(), proxy.port(), "again").rfind("again from ", 0), 0u);
}

TEST_F(PortProxyTest, IPv6ListenerReachesAnIPv4Target) {
  Fd probe(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (!probe || ::bind(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    GTEST_SKIP() << "no IPv6 loopback here";
  TcpServer target(echo);
  ProxyThread proxy({{"tcp", "::1", 0, "127.0.0.1", target.port()}});
  Fd client(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  a.sin6_port = htons(proxy.port());
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_TRUE(send_all(client.get(), "over six"));
  ::shutdown(client.get(), SHUT_WR);
  EXPECT_EQ(read_to_end(client.get()), "over six");
}

TEST_F(PortProxyTest, BindErrorNamesTheRule) {
  Fd taken = bind_loopback(SOCK_STREAM, true);
  uint16_t port = local_port(taken.get());
  auto p = PortProxy::open({{"tcp", "127.0.0.1", port, "10.0.0.2", 80}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().errno_value(), EADDRINUSE);
  EXPECT_NE(p.error().message().find("publishing tcp 127.0.0.1:" + std::to_string(port) + " -> 10.0.0.2:80"),
            std::string::npos)
      << p.error().message();
  EXPECT_FALSE(PortProxy::open({{"sctp", "127.0.0.1", 0, "10.0.0.2", 80}}));
  EXPECT_FALSE(PortProxy::open({{"tcp", "127.0.0.1", 0, "not-an-ip", 80}}));
}

}  // namespace
}  // namespace berth::runtime
