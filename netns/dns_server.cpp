// The DNS server's sockets, its loop, and the records file (see dns_server.h).
#include "netns/dns_server.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <optional>

#include "base/fd.h"
#include "netns/dns_answer.h"
#include "netns/dns_forward.h"
#include "netns/dns_loop.h"
#include "netns/dns_records.h"
#include "netns/dns_tcp.h"

namespace berth::netns::dns {
namespace {

constexpr const char* kRecordsFile = "records";
constexpr off_t kMaxRecordsFile = 64 << 20;
// Batches of UDP taken from one socket before the loop looks at its other sockets.
constexpr int kUdpRoundsPerEvent = 4;
constexpr int kEventsPerWait = 64;

// What DIR's watch reports: the records file written in place or renamed over, or
// removed; DIR itself removed.
constexpr uint32_t kWatchMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF;

// One recvmmsg/sendmmsg batch. Allocated once, uninitialised: its pages cost memory only
// once traffic has used them.
struct UdpBatch {
  mmsghdr in_msgs[kUdpBatch];
  iovec in_iov[kUdpBatch];
  SockAddr from[kUdpBatch];
  // One byte more than the largest query we take: a datagram that fills it is too large.
  uint8_t in[kUdpBatch][kMaxQuery + 1];
  mmsghdr out_msgs[kUdpBatch];
  iovec out_iov[kUdpBatch];
  // Replies are laid end to end, not one fixed slot each: small answers then touch one
  // page or two, not all of it. Each reply is at most kMaxUdpSize, so the k-th always
  // finds room.
  uint8_t out[kUdpBatch * kMaxUdpSize];
};

Result<Fd> bind_listener(const Endpoint& where, int type) {
  SockAddr addr = SockAddr::from(where);
  std::string what = (type == SOCK_DGRAM ? "udp " : "tcp ") + format_endpoint(where);
  Fd s(::socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("socket", what);
  int one = 1;
  // FREEBIND: bind even if the address is not (yet) on any link. The bridge's gateway
  // address may be added after the server starts, or still be "tentative" while IPv6
  // duplicate address detection runs (ip(7), ipv6(7)).
  if (addr.family() == AF_INET6) {
    // Only IPv6 here: IPv4 has its own socket.
    ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
  } else {
    ::setsockopt(s.get(), IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
  }
  // A restarted server must not wait for the old one's connections in TIME_WAIT. Not for
  // UDP: there it would let a second server bind the same address without an error (one
  // left over from a crash, say), and the kernel would hand the queries to either.
  if (type == SOCK_STREAM) ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.get(), &addr.u.any, addr.len) < 0) return sys_error("bind", what);
  if (type == SOCK_STREAM && ::listen(s.get(), 128) < 0) return sys_error("listen", what);
  return s;
}

// The records file, whole: sized by fstat(2), read into one string, with no large buffer
// on the stack (whose pages would stay resident for the rest of the process's life).
Result<std::string> read_records(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, open_fd(path, O_RDONLY));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat", path);
  if (st.st_size > kMaxRecordsFile) return fail("larger than 64 MiB", path);
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", path);
    if (n == 0) break;  // shrunk meanwhile: its IN_CLOSE_WRITE brings another reload
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

}  // namespace

struct Server::State {
  ServerOptions options;
  Loop loop;
  std::unique_ptr<Records> records;
  UdpForwarder forwarder{loop};
  TcpServer tcp{loop};
  std::vector<Fd> udp;
  std::vector<Fd> tcp_listeners;
  Fd inotify;
  Fd wake;  // an eventfd: stop() from another thread
  std::unique_ptr<UdpBatch> batch;
  std::optional<StopReason> stop;

  Result<> watch_dir();
  Result<> bind_all();
  Result<> load_records();
  void reload();
  void check_records();
  void read_signals();
  void serve_udp(int fd);
  void send_replies(int fd, int count);
  void dispatch(const epoll_event& ev);
};

Result<> Server::State::watch_dir() {
  inotify = Fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify) return sys_error("inotify_init1");
  // The watch goes on before the first read, so a rename in between is not missed.
  if (::inotify_add_watch(inotify.get(), options.dir.c_str(), kWatchMask) < 0)
    return sys_error("inotify_add_watch", options.dir);
  if (!loop.add(inotify.get(), EPOLLIN, {Source::kInotify})) return sys_error("epoll_ctl");
  return {};
}

Result<> Server::State::load_records() {
  std::string path = options.dir + "/" + kRecordsFile;
  std::vector<std::string> warnings;
  {
    ASSIGN_OR_RETURN(std::string text, read_records(path));
    // Built whole, then swapped in: no query ever sees half a table.
    auto fresh = std::make_unique<Records>(Records::parse(text, warnings));
    records = std::move(fresh);
    loop.records = records.get();
  }
  for (const auto& w : warnings) loop.log(path + " " + w);
  // The file's text, the parser's scratch arrays and the old table are freed by now; hand
  // their pages back to the kernel rather than keep them for a reload that may never come.
  ::malloc_trim(0);
  return {};
}

void Server::State::reload() {
  auto r = load_records();
  if (r) return;
  if (r.error().errno_value() == ENOENT) {
    stop = StopReason::kRecordsRemoved;  // the network is gone
    return;
  }
  // Keep answering from the table we have: stale beats silent.
  loop.log("reloading records: " + r.error().message());
}

// Reads whatever the directory watch has queued and acts on it. Called before every batch
// of answers, not only when epoll reports the inotify descriptor: a query read in the same
// wakeup as a rename must be answered from the new table.
void Server::State::check_records() {
  alignas(struct inotify_event) char buf[4096];
  bool changed = false;
  for (;;) {
    ssize_t n = ::read(inotify.get(), buf, sizeof buf);
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        stop = StopReason::kRecordsRemoved;
        return;
      }
      if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && std::strcmp(ev->name, kRecordsFile) == 0))
        changed = true;
      p += sizeof *ev + ev->len;
    }
  }
  // A deletion or a move away shows up as ENOENT in reload(): the server stops.
  if (changed) reload();
}

void Server::State::read_signals() {
  struct signalfd_siginfo si;
  while (::read(options.signal_fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP)
      reload();
    else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
      stop = StopReason::kSignal;
  }
}

Result<> Server::State::bind_all() {
  for (const auto& text : options.listen) {
    auto ip = parse_ip(text);
    if (!ip) return fail("not an IP address", text);
    Endpoint where{*ip, options.port};
    ASSIGN_OR_RETURN(Fd u, bind_listener(where, SOCK_DGRAM));
    ASSIGN_OR_RETURN(Fd t, bind_listener(where, SOCK_STREAM));
    if (!loop.add(u.get(), EPOLLIN, {Source::kUdpListen, static_cast<uint32_t>(udp.size())}) ||
        !loop.add(t.get(), EPOLLIN, {Source::kTcpListen, static_cast<uint32_t>(udp.size())}))
      return sys_error("epoll_ctl");
    udp.push_back(std::move(u));
    tcp_listeners.push_back(std::move(t));
    loop.own.push_back(where);
  }
  return {};
}

// Answers what arrived on a UDP socket: up to kUdpBatch datagrams per system call each
// way. Replies from the table go out together at the end of the batch; forwarded queries
// get theirs when the upstream answers.
void Server::State::serve_udp(int fd) {
  UdpBatch& b = *batch;
  for (int round = 0; round < kUdpRoundsPerEvent; round++) {
    for (int i = 0; i < kUdpBatch; i++) {
      b.in_iov[i] = {b.in[i], sizeof b.in[i]};
      b.in_msgs[i].msg_hdr = {};
      b.in_msgs[i].msg_hdr.msg_name = &b.from[i].u;
      b.in_msgs[i].msg_hdr.msg_namelen = sizeof b.from[i].u;
      b.in_msgs[i].msg_hdr.msg_iov = &b.in_iov[i];
      b.in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd, b.in_msgs, kUdpBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    check_records();
    int replies = 0;
    size_t used = 0;
    for (int i = 0; i < n; i++) {
      auto packet = std::span<const uint8_t>(b.in[i], b.in_msgs[i].msg_len);
      b.from[i].len = b.in_msgs[i].msg_hdr.msg_namelen;
      auto room = std::span(b.out + used, kMaxUdpSize);
      Query q;
      Decision d = answer_query(*records, b.from[i].ip(), packet, Transport::kUdp, room, loop.rotate++, q);
      if (d.kind == Decision::kForward && !forwarder.forward(packet, q, fd, b.from[i]))
        d = {Decision::kReply, write_failure(q, true, room.first(udp_reply_limit(q)))};
      if (d.kind != Decision::kReply || d.length == 0) continue;
      b.out_iov[replies] = {room.data(), d.length};
      used += d.length;
      msghdr& h = b.out_msgs[replies].msg_hdr;
      h = {};
      h.msg_name = &b.from[i].u;
      h.msg_namelen = b.from[i].len;
      h.msg_iov = &b.out_iov[replies];
      h.msg_iovlen = 1;
      replies++;
    }
    send_replies(fd, replies);
    if (n < kUdpBatch) return;
  }
}

void Server::State::send_replies(int fd, int count) {
  for (int sent = 0; sent < count;) {
    int n = ::sendmmsg(fd, batch->out_msgs + sent, static_cast<unsigned>(count - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;  // the socket's buffer is full: the rest are lost, as UDP may be
    } else {
      sent++;  // this one reply cannot go (an unroutable client): skip it
    }
  }
}

void Server::State::dispatch(const epoll_event& ev) {
  Tag tag = Tag::unpack(ev.data.u64);
  switch (tag.source) {
    case Source::kWake: {
      uint64_t v;
      (void)!::read(wake.get(), &v, sizeof v);
      stop = StopReason::kStopped;
      break;
    }
    case Source::kSignal:
      read_signals();
      break;
    case Source::kInotify:
      check_records();
      break;
    case Source::kUdpListen:
      if (tag.index < udp.size()) serve_udp(udp[tag.index].get());
      break;
    case Source::kTcpListen:
      if (tag.index < tcp_listeners.size()) tcp.accept_from(tcp_listeners[tag.index].get());
      break;
    case Source::kUpstreamUdp:
      forwarder.on_event(tag);
      break;
    case Source::kTcpClient:
      tcp.on_client(tag, ev.events);
      break;
    case Source::kTcpUpstream:
      tcp.on_upstream(tag, ev.events);
      break;
  }
}

Result<Server> Server::open(ServerOptions options) {
  auto s = std::make_unique<State>();
  s->options = std::move(options);
  s->loop.log = s->options.log ? s->options.log : [](std::string_view) {};
  s->loop.upstream_timeout_ms = s->options.upstream_timeout_ms;
  s->loop.tcp_idle_timeout_ms = s->options.tcp_idle_timeout_ms;
  s->loop.check_records = [state = s.get()] { state->check_records(); };
  s->loop.epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!s->loop.epoll) return sys_error("epoll_create1");
  s->wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!s->wake || !s->loop.add(s->wake.get(), EPOLLIN, {Source::kWake}))
    return sys_error("eventfd");
  TRY(s->watch_dir());
  TRY(s->load_records());
  TRY(s->bind_all());
  if (s->options.signal_fd >= 0 && !s->loop.add(s->options.signal_fd, EPOLLIN, {Source::kSignal}))
    return sys_error("epoll_ctl", "signalfd");
  s->batch = std::make_unique_for_overwrite<UdpBatch>();
  return Server(std::move(s));
}

Server::Server(std::unique_ptr<State> state) : s_(std::move(state)) {}
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;
Server::~Server() = default;

Result<StopReason> Server::run() {
  State& s = *s_;
  epoll_event events[kEventsPerWait];
  s.stop.reset();
  while (!s.stop) {
    s.loop.now = monotonic_ms();
    int timeout = -1;
    if (s.loop.next_deadline != INT64_MAX)
      timeout = static_cast<int>(std::clamp<int64_t>(s.loop.next_deadline - s.loop.now, 0, 60000));
    int n = ::epoll_wait(s.loop.epoll.get(), events, kEventsPerWait, timeout);
    if (n < 0 && errno != EINTR) return sys_error("epoll_wait");
    s.loop.now = monotonic_ms();
    for (int i = 0; i < n; i++) s.dispatch(events[i]);
    if (s.loop.now >= s.loop.next_deadline) {
      // Each slot's owner re-registers the deadlines still ahead.
      s.loop.next_deadline = INT64_MAX;
      s.forwarder.expire();
      s.tcp.expire();
    }
  }
  return *s.stop;
}

void Server::stop() {
  uint64_t one = 1;
  (void)!::write(s_->wake.get(), &one, sizeof one);
}

size_t Server::name_count() const { return s_->records->name_count(); }
size_t Server::forwards_in_flight() const { return s_->forwarder.in_flight(); }
size_t Server::tcp_connections() const { return s_->tcp.open_count(); }

}  // namespace berth::netns::dns
