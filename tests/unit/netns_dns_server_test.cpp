// netns/dns_server over loopback: a real server in a thread, listening on a 127.53.x.1
// address and a high port, asked over UDP and TCP by the test, with fake upstream
// resolvers on 127.0.0.1 that the test controls. Everything stays on lo (all of
// 127.0.0.0/8 is local), needs no privilege, and each test runs in well under a second.
#include "netns/dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "netns/dns_forward.h"
#include "netns/dns_message.h"
#include "netns_dns_test_util.h"

namespace berth::netns::dns {
namespace {

using testing::append;
using testing::make_query;
using testing::parse_response;
using testing::QueryOptions;
using testing::Response;

sockaddr_in v4(const std::string& ip, uint16_t port) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

uint16_t local_port(int fd) {
  sockaddr_in a = {};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

bool read_exact(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0) return false;
    ssize_t got = read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// An upstream resolver on 127.0.0.1 (UDP and TCP on one port) that answers every A query
// with `address`, or behaves badly on request. It remembers the ids it was sent.
class FakeUpstream {
 public:
  enum class Mode { kAnswer, kSilent, kServfail, kGarbageFirst };

  explicit FakeUpstream(Mode mode, std::string address = "192.0.2.1")
      : mode_(mode), address_(std::move(address)) {
    tcp_ = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(tcp_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto any = v4("127.0.0.1", 0);
    bind(tcp_.get(), reinterpret_cast<sockaddr*>(&any), sizeof any);
    listen(tcp_.get(), 8);
    port_ = local_port(tcp_.get());
    udp_ = Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    auto same = v4("127.0.0.1", port_);
    if (bind(udp_.get(), reinterpret_cast<sockaddr*>(&same), sizeof same) < 0) port_ = 0;
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    thread_.join();
  }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  bool ok() const { return port_ != 0; }
  int queries() const { return queries_; }
  std::vector<uint16_t> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  std::vector<std::vector<uint8_t>> replies_to(const std::vector<uint8_t>& q) {
    queries_++;
    {
      std::lock_guard lock(mu_);
      ids_.push_back(static_cast<uint16_t>(q[0] << 8 | q[1]));
    }
    switch (mode_) {
      case Mode::kSilent: return {};
      case Mode::kServfail: return {testing::make_answer(q, "", 2)};
      case Mode::kGarbageFirst: {
        auto wrong_id = testing::make_answer(q, "203.0.113.66");
        wrong_id[1] ^= 1;
        auto other = make_query("other.example", 1, {.id = static_cast<uint16_t>(q[0] << 8 | q[1])});
        return {wrong_id, testing::make_answer(other, "203.0.113.77"), testing::make_answer(q, address_)};
      }
      case Mode::kAnswer: break;
    }
    return {testing::make_answer(q, address_)};
  }

  void serve() {
    while (!stop_) {
      pollfd fds[2] = {{udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
      if (poll(fds, 2, 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        std::vector<uint8_t> buf(2048);
        sockaddr_in from = {};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(udp_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 12) continue;
        buf.resize(static_cast<size_t>(n));
        for (auto& r : replies_to(buf))
          sendto(udp_.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
      if (fds[1].revents & POLLIN) {
        Fd c(accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        uint8_t lenb[2];
        if (!c || !read_exact(c.get(), lenb, 2)) continue;
        std::vector<uint8_t> q(static_cast<size_t>(lenb[0] << 8 | lenb[1]));
        if (q.size() < 12 || !read_exact(c.get(), q.data(), q.size())) continue;
        auto replies = replies_to(q);
        if (replies.empty()) continue;
        auto& r = replies.back();  // over TCP only the proper answer
        uint8_t l[2] = {static_cast<uint8_t>(r.size() >> 8), static_cast<uint8_t>(r.size())};
        (void)!write(c.get(), l, 2);
        (void)!write(c.get(), r.data(), r.size());
      }
    }
  }

  Mode mode_;
  std::string address_;
  Fd udp_, tcp_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::mutex mu_;
  std::vector<uint16_t> ids_;
  std::thread thread_;
};

class DnsServer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-dns-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
  }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }

  // Replaces the records the way the engine does: a new file renamed over the old one.
  void write_records(const std::string& text) {
    std::string tmp = dir_ + "/records.tmp";
    std::ofstream(tmp) << text;
    ASSERT_EQ(rename(tmp.c_str(), (dir_ + "/records").c_str()), 0);
  }

  // Starts a server on 127.53.A.1 and a free high port, both picked at random.
  void start(const std::string& records, ServerOptions o = {}) {
    write_records(records);
    std::mt19937 rng(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr)));
    for (int attempt = 0; attempt < 20 && !server_; attempt++) {
      net_ = "127.53." + std::to_string(1 + rng() % 250) + ".";
      port_ = static_cast<uint16_t>(20000 + rng() % 30000);
      o.dir = dir_;
      o.listen = {net_ + "1"};
      o.port = port_;
      o.log = [this](std::string_view line) {
        std::lock_guard lock(log_mu_);
        log_.emplace_back(line);
      };
      auto s = Server::open(o);
      if (s) {
        server_.emplace(std::move(*s));
      } else {
        ASSERT_EQ(s.error().errno_value(), EADDRINUSE) << s.error().message();
      }
    }
    ASSERT_TRUE(server_);
    running_ = true;
    thread_ = std::thread([this] {
      result_ = server_->run();
      running_ = false;
    });
  }
  void stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }
  // Waits for run() to return by itself.
  bool wait_stopped(int ms) {
    for (int i = 0; i < ms / 10 && running_; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (running_) return false;
    thread_.join();
    return true;
  }

  std::optional<Response> udp_ask(const std::vector<uint8_t>& q, const std::string& from = "",
                                  int timeout_ms = 1000) {
    Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!from.empty()) {
      auto src = v4(from, 0);
      if (bind(s.get(), reinterpret_cast<sockaddr*>(&src), sizeof src) < 0) return std::nullopt;
    }
    auto to = v4(net_ + "1", port_);
    sendto(s.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd pfd = {s.get(), POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return std::nullopt;
    std::vector<uint8_t> buf(65536);
    ssize_t n = recv(s.get(), buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return parse_response(buf);
  }
  Fd tcp_connect() {
    Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto to = v4(net_ + "1", port_);
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return Fd();
    return s;
  }
  static std::optional<Response> tcp_exchange(int fd, const std::vector<uint8_t>& q) {
    std::vector<uint8_t> framed = {static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
    framed.insert(framed.end(), q.begin(), q.end());
    if (write(fd, framed.data(), framed.size()) != static_cast<ssize_t>(framed.size())) return std::nullopt;
    uint8_t len[2];
    if (!read_exact(fd, len, 2)) return std::nullopt;
    std::vector<uint8_t> buf(static_cast<size_t>(len[0] << 8 | len[1]));
    if (!read_exact(fd, buf.data(), buf.size())) return std::nullopt;
    return parse_response(buf);
  }
  std::optional<Response> tcp_ask(const std::vector<uint8_t>& q) {
    Fd s = tcp_connect();
    return s ? tcp_exchange(s.get(), q) : std::nullopt;
  }

  std::string dir_;
  std::string net_;
  uint16_t port_ = 0;
  std::optional<Server> server_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  Result<StopReason> result_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

constexpr const char* kTable =
    "forward no\n"
    "host 172.18.0.2 web berthc0ffee1\n"
    "host 172.18.0.3 web\n"
    "host fd00:b3e7::2 web\n"
    "host 172.18.0.4 db.myproject\n";

TEST_F(DnsServer, AnswersLocalNamesOverUdp) {
  start(kTable);
  auto r = udp_ask(make_query("WEB", 1, {.id = 7}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 7);
  EXPECT_EQ(r->rcode, 0);
  EXPECT_TRUE(r->aa);
  ASSERT_EQ(r->answers.size(), 2u);
  r = udp_ask(make_query("web.", 28));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "fd00:b3e7::2");
  r = udp_ask(make_query("db.myproject", 28));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 0) << "NODATA";
  EXPECT_TRUE(r->answers.empty());
  r = udp_ask(make_query("4.0.18.172.in-addr.arpa", 12));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "db.myproject");
  r = udp_ask(make_query("elsewhere.example", 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 2) << "forward no: SERVFAIL";
}

TEST_F(DnsServer, TcpCarriesSeveralQueriesAndLargeAnswers) {
  std::string table = kTable;
  for (int i = 1; i <= 100; i++) table += "host 10.9.0." + std::to_string(i) + " many\n";
  start(table);
  auto udp = udp_ask(make_query("many", 1, {.edns_size = 4096}));
  ASSERT_TRUE(udp);
  EXPECT_TRUE(udp->tc) << "100 A records do not fit in 1232 bytes";
  EXPECT_TRUE(udp->answers.empty());
  Fd c = tcp_connect();
  ASSERT_TRUE(c);
  auto r = tcp_exchange(c.get(), make_query("many", 1));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->tc);
  EXPECT_EQ(r->answers.size(), 100u);
  r = tcp_exchange(c.get(), make_query("web", 28, {.id = 99}));
  ASSERT_TRUE(r) << "a second query on the same connection";
  EXPECT_EQ(r->id, 99);
  EXPECT_EQ(r->answers.size(), 1u);
}

TEST_F(DnsServer, TcpIdleConnectionsAndOversizedQueriesAreClosed) {
  ServerOptions o;
  o.tcp_idle_timeout_ms = 100;
  start(kTable, o);
  Fd idle = tcp_connect();
  ASSERT_TRUE(idle);
  uint8_t b;
  pollfd pfd = {idle.get(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 1000), 1);
  EXPECT_EQ(read(idle.get(), &b, 1), 0) << "closed after the idle timeout";
  Fd big = tcp_connect();
  uint8_t len[2] = {0x10, 0x00};  // 4096 bytes announced
  ASSERT_EQ(write(big.get(), len, 2), 2);
  pfd = {big.get(), POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 1000), 1);
  EXPECT_EQ(read(big.get(), &b, 1), 0);
}

TEST_F(DnsServer, ForwardsWithFreshIdAndRelaysAnswer) {
  FakeUpstream up(FakeUpstream::Mode::kAnswer, "198.51.100.7");
  ASSERT_TRUE(up.ok());
  start("upstream " + up.endpoint() + "\nhost 172.18.0.2 web\n");
  std::vector<uint16_t> sent;
  for (uint16_t id : {1000, 1001, 1002, 1003}) {
    auto r = udp_ask(make_query("example.com", 1, {.id = id}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, id) << "the client's id comes back";
    EXPECT_EQ(r->rcode, 0);
    ASSERT_EQ(r->answers.size(), 1u);
    EXPECT_EQ(r->answers[0].data, "198.51.100.7");
  }
  auto r = tcp_ask(make_query("example.org", 1, {.id = 2000}));
  ASSERT_TRUE(r) << "forwarded over TCP";
  EXPECT_EQ(r->id, 2000);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "198.51.100.7");
  auto ids = up.ids();
  ASSERT_EQ(ids.size(), 5u);
  int same = 0;
  for (size_t i = 0; i < 4; i++) same += ids[i] == 1000 + i;
  EXPECT_LT(same, 2) << "upstream ids are random, not the client's";
}

TEST_F(DnsServer, IgnoresAnswersWithWrongIdOrQuestion) {
  FakeUpstream up(FakeUpstream::Mode::kGarbageFirst, "198.51.100.9");
  ASSERT_TRUE(up.ok());
  start("upstream " + up.endpoint() + "\n");
  auto r = udp_ask(make_query("example.com", 1));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "198.51.100.9");
}

TEST_F(DnsServer, PerClientUpstreams) {
  FakeUpstream defaults(FakeUpstream::Mode::kAnswer, "192.0.2.1");
  FakeUpstream own(FakeUpstream::Mode::kAnswer, "192.0.2.2");
  ASSERT_TRUE(defaults.ok() && own.ok());
  // The client address is only known once start() picked the network: write it after.
  start("upstream " + defaults.endpoint() + "\n");
  write_records("upstream " + defaults.endpoint() + "\nclient " + net_ + "2 " + own.endpoint() + "\n");
  auto r = udp_ask(make_query("example.com", 1), net_ + "2");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "192.0.2.2");
  r = udp_ask(make_query("example.com", 1), net_ + "3");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "192.0.2.1");
}

TEST_F(DnsServer, RefusesClientsOutsideItsSubnets) {
  FakeUpstream upstream(FakeUpstream::Mode::kAnswer, "192.0.2.1");
  ASSERT_TRUE(upstream.ok());
  start("upstream " + upstream.endpoint() + "\n");
  // The network is only known once start() picked it. A TCP client connects from
  // 127.0.0.1, the source lo's route gives: outside it.
  write_records("subnet " + net_ + "0/24\nupstream " + upstream.endpoint() + "\nhost 172.18.0.2 web\n");
  auto r = udp_ask(make_query("web", 1), net_ + "2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 0);
  ASSERT_EQ(r->answers.size(), 1u);
  for (const char* name : {"web", "example.com"}) {
    r = udp_ask(make_query(name, 1), "127.54.0.2");
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->rcode, 5) << name << ": REFUSED";
    EXPECT_TRUE(r->answers.empty()) << name;
    r = tcp_ask(make_query(name, 1));
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->rcode, 5) << name << " over TCP: REFUSED";
  }
}

TEST_F(DnsServer, ReloadsOnRenameWithoutStaleAnswers) {
  start(kTable);
  ASSERT_EQ(udp_ask(make_query("web", 1))->answers.size(), 2u);
  // Each query goes out right after rename(2) returns: the answer must already be new.
  write_records("forward no\nhost 172.18.0.9 api\n");
  auto r = udp_ask(make_query("api", 1));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "172.18.0.9");
  r = udp_ask(make_query("web", 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 3) << "web was removed: no stale answer (NXDOMAIN: a single label)";
  EXPECT_TRUE(r->answers.empty());
  r = tcp_ask(make_query("web", 1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->answers.empty());
  // Written in place (no rename) counts too, and a bad line is reported, not fatal.
  std::ofstream(dir_ + "/records") << "forward no\nhost 172.18.0.8 api\nnonsense\n";
  r = udp_ask(make_query("api", 1));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "172.18.0.8");
  std::lock_guard lock(log_mu_);
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("line 3"), std::string::npos) << log_.back();
}

TEST_F(DnsServer, StopsWhenRecordsAreRemoved) {
  start(kTable);
  ASSERT_EQ(unlink((dir_ + "/records").c_str()), 0);
  ASSERT_TRUE(wait_stopped(1000));
  ASSERT_TRUE(result_);
  EXPECT_EQ(*result_, StopReason::kRecordsRemoved);
}

TEST_F(DnsServer, UpstreamTimeoutGivesServfailAndFailoverWorks) {
  FakeUpstream silent(FakeUpstream::Mode::kSilent);
  FakeUpstream failing(FakeUpstream::Mode::kServfail);
  FakeUpstream good(FakeUpstream::Mode::kAnswer, "192.0.2.50");
  ASSERT_TRUE(silent.ok() && failing.ok() && good.ok());
  ServerOptions o;
  o.upstream_timeout_ms = 100;
  start("upstream " + silent.endpoint() + "\n", o);
  auto t0 = std::chrono::steady_clock::now();
  auto r = udp_ask(make_query("example.com", 1));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 2);
  EXPECT_GE(took, std::chrono::milliseconds(90));
  r = tcp_ask(make_query("example.com", 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 2) << "over TCP too";
  // silent (timeout), then failing (SERVFAIL: try the next), then good.
  write_records("upstream " + silent.endpoint() + " " + failing.endpoint() + " " + good.endpoint() + "\n");
  r = udp_ask(make_query("example.net", 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 0);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "192.0.2.50");
  EXPECT_EQ(failing.queries(), 1);
  // Nothing listening at all: ECONNREFUSED fails over at once, no timeout to wait for.
  write_records("upstream 127.0.0.1:1\n");
  t0 = std::chrono::steady_clock::now();
  r = udp_ask(make_query("example.net", 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(90));
}

TEST_F(DnsServer, FloodOfForwardsStaysBoundedAndLocalNamesStillAnswer) {
  FakeUpstream silent(FakeUpstream::Mode::kSilent);
  ASSERT_TRUE(silent.ok());
  start("upstream " + silent.endpoint() + "\nhost 172.18.0.2 web\n");
  Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  auto to = v4(net_ + "1", port_);
  for (int i = 0; i < 3 * static_cast<int>(kMaxPending); i++) {
    auto q = make_query("n" + std::to_string(i) + ".example", 1);
    sendto(s.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  // The flood may overflow the socket's receive queue and take a query with it, as on any
  // server: retry the way a resolver would.
  std::optional<Response> r;
  for (int attempt = 0; attempt < 5 && !r; attempt++) r = udp_ask(make_query("web", 1), "", 200);
  ASSERT_TRUE(r) << "local names are answered while the forwarding table is full";
  EXPECT_EQ(r->answers.size(), 1u);
  stop();
  EXPECT_EQ(server_->forwards_in_flight(), kMaxPending);
}

TEST_F(DnsServer, MalformedPacketsGetFormerrOrNothing) {
  start(kTable);
  std::vector<uint8_t> pointer_loop = make_query("a", 1, {.id = 5});
  pointer_loop.resize(12);
  append(pointer_loop, {0xc0, 12, 0, 1, 0, 1});
  auto r = udp_ask(pointer_loop);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 5);
  EXPECT_EQ(r->rcode, 1);
  EXPECT_FALSE(udp_ask({1, 2, 3}, "", 100)) << "less than a header: no reply";
  auto response = make_query("web", 1);
  response[2] |= 0x80;
  EXPECT_FALSE(udp_ask(response, "", 100)) << "a response is never answered";
  std::vector<uint8_t> huge = make_query("web", 1);
  huge.resize(2000, 0);
  r = udp_ask(huge);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 1);
  ASSERT_TRUE(udp_ask(make_query("web", 1))) << "still serving";
}

TEST_F(DnsServer, ServesOverIpv6) {
  Fd probe(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 lo = {};
  lo.sin6_family = AF_INET6;
  lo.sin6_addr = in6addr_loopback;
  if (!probe || bind(probe.get(), reinterpret_cast<sockaddr*>(&lo), sizeof lo) < 0)
    GTEST_SKIP() << "no IPv6 loopback here";
  start(kTable);
  // A second server on ::1, same table, port of its own.
  ServerOptions o;
  o.dir = dir_;
  o.listen = {"::1"};
  std::optional<Server> six;
  for (int attempt = 0; attempt < 20 && !six; attempt++) {
    o.port = static_cast<uint16_t>(port_ + 1 + attempt);
    if (auto s = Server::open(o)) six.emplace(std::move(*s));
  }
  ASSERT_TRUE(six);
  std::thread t([&] { (void)six->run(); });
  lo.sin6_port = htons(o.port);
  Fd s(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  auto q = make_query("web", 28);
  sendto(s.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&lo), sizeof lo);
  pollfd pfd = {s.get(), POLLIN, 0};
  std::vector<uint8_t> buf(512);
  ssize_t n = poll(&pfd, 1, 1000) == 1 ? recv(s.get(), buf.data(), buf.size(), 0) : -1;
  six->stop();
  t.join();
  ASSERT_GT(n, 0);
  buf.resize(static_cast<size_t>(n));
  auto r = parse_response(buf);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->answers.size(), 1u);
  EXPECT_EQ(r->answers[0].data, "fd00:b3e7::2");
}

TEST_F(DnsServer, BindErrorNamesTheAddress) {
  start(kTable);
  ServerOptions o;
  o.dir = dir_;
  o.listen = {net_ + "1"};
  o.port = port_;
  auto second = Server::open(o);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find(net_ + "1:" + std::to_string(port_)), std::string::npos)
      << second.error().message();
  o.listen = {"not-an-address"};
  second = Server::open(o);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace berth::netns::dns
