// The userland proxy (see port_proxy.h): binding the published ports, and the loop that
// hands each epoll event to the TCP (port_proxy_tcp.cpp) or UDP (port_proxy_udp.cpp) side.
//
// Read: socket(7) (SO_REUSEADDR), ipv6(7) (IPV6_V6ONLY), getrlimit(2) (RLIMIT_NOFILE),
// epoll_wait(2).
#include "runtime/port_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <utility>

#include "runtime/port_proxy_impl.h"

namespace berth::runtime {

using proxy::Endpoint;
using proxy::Kind;
using proxy::now_ms;
using proxy::tag;

namespace proxy {

int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace proxy

namespace {

constexpr int kEventsPerTurn = 64;  // epoll events handled per on_ready()
// Descriptors kept for the rest of the process (the shim's pipes, log, children).
constexpr uint64_t kReservedFds = 64;

Result<Endpoint> endpoint_of(const std::string& ip, uint16_t port) {
  Endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    e.len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    e.len = sizeof *v6;
  } else {
    return fail("invalid IP address", ip);
  }
  return e;
}

std::string host_port(const std::string& ip, uint16_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// Raises the soft RLIMIT_NOFILE as far as the limits need (never past the hard limit),
// then shrinks max_connections to what the limit allows: a TCP connection holds up to 6
// descriptors (2 sockets, 2 pipes), a UDP flow 1. Only the shim's own soft limit moves;
// the container's comes from its spec.
void fit_to_fd_limit(ProxyLimits& limits) {
  uint64_t want = kReservedFds + 6 * limits.max_connections + limits.max_udp_flows;
  struct rlimit r;
  if (::getrlimit(RLIMIT_NOFILE, &r) < 0) return;
  if (r.rlim_cur < want && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = std::min<uint64_t>(want, r.rlim_max);
    (void)::setrlimit(RLIMIT_NOFILE, &r);
    (void)::getrlimit(RLIMIT_NOFILE, &r);
  }
  uint64_t others = kReservedFds + limits.max_udp_flows;
  uint64_t spare = r.rlim_cur > others ? r.rlim_cur - others : 0;
  limits.max_connections = std::max<size_t>(1, std::min<uint64_t>(limits.max_connections, spare / 6));
  limits.max_udp_flows = std::max<size_t>(1, limits.max_udp_flows);
}

}  // namespace

std::string describe(const ProxyRule& rule) {
  return rule.protocol + " " + host_port(rule.host_ip, rule.host_port) + " -> " +
         host_port(rule.target_ip, rule.target_port);
}

namespace {

// A socket of the rule's protocol bound to its host address and port, non-blocking,
// close-on-exec, IPv6 ones with IPV6_V6ONLY (so "::" and "0.0.0.0" are published apart).
// `serve`: for the proxy, with SO_REUSEADDR for TCP (a restart need not wait for old
// connections' TIME_WAIT; never for UDP, where it would let a second socket share the
// port silently) and listening; else only bound, to hold the port.
Result<Fd> bind_rule_socket(const ProxyRule& rule, bool serve) {
  bool tcp = rule.protocol == "tcp";
  if (!tcp && rule.protocol != "udp") return fail("unknown protocol", rule.protocol);
  ASSIGN_OR_RETURN(Endpoint local, endpoint_of(rule.host_ip, rule.host_port));
  Fd s(::socket(local.family(), (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("socket");
  if (serve && tcp) proxy::set_option(s.get(), SOL_SOCKET, SO_REUSEADDR, 1);
  if (local.family() == AF_INET6) proxy::set_option(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1);
  std::string where = host_port(rule.host_ip, rule.host_port) + "/" + rule.protocol;
  if (::bind(s.get(), local.sa(), local.len) < 0) return sys_error("bind", where);
  if (serve && tcp && ::listen(s.get(), SOMAXCONN) < 0) return sys_error("listen", where);
  return s;
}

}  // namespace

Result<Fd> bind_proxy_socket(const ProxyRule& rule) { return bind_rule_socket(rule, true); }

Result<Fd> hold_port(const ProxyRule& rule) { return bind_rule_socket(rule, false); }

char* PortProxy::Impl::scratch() {
  if (!scratch_buffer) scratch_buffer = std::make_unique_for_overwrite<char[]>(proxy::kScratchBytes);
  return scratch_buffer.get();
}

bool PortProxy::Impl::add(int fd, uint32_t events, uint64_t t) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = t;
  return ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void PortProxy::Impl::dispatch(const struct epoll_event& ev) {
  auto kind = static_cast<Kind>(ev.data.u64 >> 56);
  auto i = static_cast<uint32_t>(ev.data.u64 >> 32) & 0xffffff;
  auto gen = static_cast<uint32_t>(ev.data.u64);
  switch (kind) {
    case Kind::kTcpListener: return accept_from(i);
    case Kind::kUdpListener: return receive_from_clients(i);
    case Kind::kClient:
    case Kind::kServer:
      if (i < conns.size() && conns[i].gen == gen && conns[i].client)
        on_conn_event(i, kind == Kind::kServer, ev.events);
      return;
    case Kind::kFlow:
      if (i < flows.size() && flows[i].gen == gen && flows[i].socket) receive_from_target(i);
      return;
  }
}

PortProxy::PortProxy() = default;
PortProxy::PortProxy(PortProxy&&) noexcept = default;
PortProxy& PortProxy::operator=(PortProxy&&) noexcept = default;
PortProxy::~PortProxy() = default;

Result<PortProxy> PortProxy::open(const std::vector<ProxyRule>& rules, ProxyLimits limits) {
  std::vector<ProxyListener> listeners;
  for (const auto& rule : rules) {
    ASSIGN_OR_RETURN_CTX(Fd s, bind_proxy_socket(rule), "publishing " + describe(rule));
    listeners.push_back({rule, std::move(s)});
  }
  return serve(std::move(listeners), limits);
}

Result<PortProxy> PortProxy::serve(std::vector<ProxyListener> listeners, ProxyLimits limits) {
  PortProxy p;
  p.impl_ = std::make_unique<Impl>();
  Impl& impl = *p.impl_;
  impl.epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!impl.epoll) return sys_error("epoll_create1");
  fit_to_fd_limit(limits);
  impl.limits = limits;
  for (auto& l : listeners) {
    std::string what = "publishing " + describe(l.rule);
    proxy::Listener out;
    out.tcp = l.rule.protocol == "tcp";
    ASSIGN_OR_RETURN_CTX(out.target, endpoint_of(l.rule.target_ip, l.rule.target_port), what);
    Endpoint local;
    local.len = sizeof local.addr;
    if (::getsockname(l.socket.get(), reinterpret_cast<sockaddr*>(&local.addr), &local.len) < 0)
      return sys_error("getsockname", what);
    // sin_port and sin6_port sit at the same offset, as socket(7) promises for the family.
    out.port = ntohs(reinterpret_cast<sockaddr_in*>(&local.addr)->sin_port);
    out.socket = std::move(l.socket);
    auto i = static_cast<uint32_t>(impl.listeners.size());
    if (!impl.add(out.socket.get(), EPOLLIN, tag(out.tcp ? Kind::kTcpListener : Kind::kUdpListener, i, 0)))
      return sys_error("epoll_ctl", what);
    impl.listeners.push_back(std::move(out));
  }
  return p;
}

int PortProxy::fd() const { return impl_ ? impl_->epoll.get() : -1; }

void PortProxy::on_ready() {
  if (!impl_) return;
  Impl& impl = *impl_;
  struct epoll_event events[kEventsPerTurn];
  int n = ::epoll_wait(impl.epoll.get(), events, kEventsPerTurn, 0);
  for (int k = 0; k < n; k++) impl.dispatch(events[k]);
  impl.serve_busy();
  int64_t now = now_ms();
  impl.expire_flows(now);
  if (impl.accept_retry_ms >= 0 && now >= impl.accept_retry_ms) {
    impl.accept_retry_ms = -1;
    if (impl.live_conns < impl.limits.max_connections) impl.set_accepting(true);
  }
}

int PortProxy::next_timeout_ms() const {
  if (!impl_) return -1;
  if (!impl_->busy.empty()) return 0;
  int64_t next = -1;
  for (int64_t t : {impl_->next_sweep_ms, impl_->accept_retry_ms})
    if (t >= 0 && (next < 0 || t < next)) next = t;
  if (next < 0) return -1;
  return static_cast<int>(std::clamp<int64_t>(next - now_ms(), 0, 1 << 30));
}

size_t PortProxy::connections() const { return impl_ ? impl_->live_conns : 0; }
size_t PortProxy::udp_flows() const { return impl_ ? impl_->flow_by_key.size() : 0; }
uint16_t PortProxy::port(size_t i) const {
  return impl_ && i < impl_->listeners.size() ? impl_->listeners[i].port : 0;
}

}  // namespace berth::runtime
