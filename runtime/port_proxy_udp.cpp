// The userland proxy's UDP side (see port_proxy.h): a flow per client address, each with
// a socket connected to the target, so that the target's replies can be told apart; the
// least recently active flow gives way when the table is full, and idle ones end.
//
// Read: udp(7) (connected sockets, ICMP errors on them), recvfrom(2), sendto(2).
#include <sys/socket.h>

#include <utility>

#include "runtime/port_proxy_impl.h"

namespace berth::runtime {

using proxy::Flow;
using proxy::Kind;
using proxy::now_ms;
using proxy::tag;

namespace {

constexpr int kDatagramsPerTurn = 64;  // datagrams handled per socket per turn

}  // namespace

void PortProxy::Impl::close_flow(uint32_t i) {
  Flow& f = flows[i];
  flow_by_key.erase(f.key);
  f.socket.reset();
  f.key.clear();
  f.gen++;
  free_flows.push_back(i);
}

// The flow of a client of listener li, made if new: a socket connected to the target.
Flow* PortProxy::Impl::flow_for(uint32_t li, const Endpoint& client, int64_t now) {
  std::string key(reinterpret_cast<const char*>(&li), sizeof li);
  key.append(reinterpret_cast<const char*>(&client.addr), client.len);
  if (auto it = flow_by_key.find(key); it != flow_by_key.end()) return &flows[it->second];
  if (flow_by_key.size() >= limits.max_udp_flows) {
    uint32_t oldest = flow_by_key.begin()->second;
    for (auto& [k, i] : flow_by_key)
      if (flows[i].last_ms < flows[oldest].last_ms) oldest = i;
    close_flow(oldest);
  }
  const Endpoint& target = listeners[li].target;
  Fd s(::socket(target.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s || ::connect(s.get(), target.sa(), target.len) < 0) return nullptr;
  uint32_t i;
  if (!free_flows.empty()) {
    i = free_flows.back();
    free_flows.pop_back();
  } else {
    i = static_cast<uint32_t>(flows.size());
    flows.emplace_back();
  }
  Flow& f = flows[i];
  f.socket = std::move(s);
  f.client = client;
  f.listener = li;
  f.last_ms = now;
  f.key = key;
  flow_by_key.emplace(std::move(key), i);
  // Level-triggered, like the listeners: a flow left with datagrams after its turn is
  // reported again.
  if (!add(f.socket.get(), EPOLLIN, tag(Kind::kFlow, i, f.gen))) {
    close_flow(i);
    return nullptr;
  }
  int64_t idle_end = now + limits.udp_idle_ms;
  if (next_sweep_ms < 0 || idle_end < next_sweep_ms) next_sweep_ms = idle_end;
  return &f;
}

// Datagrams from clients go out on each client's flow.
void PortProxy::Impl::receive_from_clients(uint32_t li) {
  char* datagram = scratch();
  int64_t now = now_ms();
  for (int k = 0; k < kDatagramsPerTurn; k++) {
    Endpoint from;
    from.len = sizeof from.addr;
    ssize_t n = ::recvfrom(listeners[li].socket.get(), datagram, proxy::kScratchBytes, 0,
                           reinterpret_cast<sockaddr*>(&from.addr), &from.len);
    if (n < 0) {
      if (errno == EAGAIN) return;
      continue;
    }
    Flow* f = flow_for(li, from, now);
    if (!f) continue;  // no socket for it: the datagram is dropped, as UDP allows
    (void)::send(f->socket.get(), datagram, static_cast<size_t>(n), 0);
    f->last_ms = now;
  }
}

// The target's replies on a flow go back to its client, from the listening socket.
void PortProxy::Impl::receive_from_target(uint32_t i) {
  char* datagram = scratch();
  Flow& f = flows[i];
  for (int k = 0; k < kDatagramsPerTurn; k++) {
    ssize_t n = ::recv(f.socket.get(), datagram, proxy::kScratchBytes, 0);
    if (n < 0) {
      if (errno == EAGAIN) return;
      continue;  // ECONNREFUSED from an ICMP error: nothing to pass on
    }
    (void)::sendto(listeners[f.listener].socket.get(), datagram, static_cast<size_t>(n), 0,
                   f.client.sa(), f.client.len);
    f.last_ms = now_ms();
  }
}

void PortProxy::Impl::expire_flows(int64_t now) {
  if (next_sweep_ms < 0 || now < next_sweep_ms) return;
  next_sweep_ms = -1;
  for (uint32_t i = 0; i < flows.size(); i++) {
    if (!flows[i].socket) continue;
    int64_t end = flows[i].last_ms + limits.udp_idle_ms;
    if (end <= now) close_flow(i);
    else if (next_sweep_ms < 0 || end < next_sweep_ms) next_sweep_ms = end;
  }
}

}  // namespace berth::runtime
