// The userland proxy's insides (see port_proxy.h), shared by port_proxy.cpp (binding and
// the epoll loop), port_proxy_tcp.cpp (TCP through splice) and port_proxy_udp.cpp (UDP
// flows). Not for other users.
//
// Every socket is in one epoll set. A TCP connection's sockets are edge-triggered: an
// event says "something changed on this socket", and the handler then moves whatever it
// can (PortProxy::Impl::pump). A socket that became readable feeds its own direction; one
// that became writable (EPOLLOUT) resumes the direction stalled on it, without re-arming
// anything. Listeners and UDP flows are level-triggered: they
// handle a bounded batch per turn and are reported again if more is waiting. Slots
// (connections, flows) are reused, so an event's tag carries the slot's generation as
// well as its index: an event for a slot closed (and perhaps reused) earlier in the same
// batch no longer matches and is dropped.
//
// Read: epoll(7) (edge- and level-triggered modes).
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "runtime/port_proxy.h"

namespace berth::runtime::proxy {

int64_t now_ms();

// The scratch buffer's size: the largest UDP datagram.
constexpr size_t kScratchBytes = 65535;

inline void set_option(int fd, int level, int name, int value) {
  (void)::setsockopt(fd, level, name, &value, sizeof value);
}

// A socket address of either family, with its length.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&addr); }
  int family() const { return addr.ss_family; }
};

// What an epoll event is about; the tag is kind (8 bits) | slot (24 bits) | generation.
enum class Kind : uint8_t { kTcpListener, kUdpListener, kClient, kServer, kFlow };
inline uint64_t tag(Kind kind, uint32_t index, uint32_t gen) {
  return static_cast<uint64_t>(kind) << 56 | static_cast<uint64_t>(index & 0xffffff) << 32 | gen;
}

struct Listener {
  Fd socket;
  bool tcp = true;
  Endpoint target;
  uint16_t port = 0;  // the local port, for PortProxy::port
};

// One direction of a TCP connection: bytes from `from` on their way to `to`. A short
// message is read into the proxy's scratch buffer and sent straight on; what `to` did not
// take at once waits in `held`. A stream goes through `pipe` by splice(2), behind any held
// bytes. While the two hold kPipeBytes together, `from` is not read.
struct Direction {
  Pipe pipe;           // taken from the spares while bytes are in flight
  size_t in_pipe = 0;  // bytes spliced in and not yet out
  std::string held;    // bytes read and not yet written, from held_at on
  size_t held_at = 0;
  bool streaming = false;  // the last turn moved a stream: splice from the start
  bool eof = false;    // `from` has finished sending
  bool shut = false;   // ... and we passed that on: shutdown(to, SHUT_WR)
};

struct Conn {
  Fd client, server;
  uint32_t gen = 0;
  bool connecting = false;  // the connect to the target has not completed yet
  bool queued = false;      // in Impl::busy, waiting for another turn
  Direction up, down;       // client -> server, server -> client
};

// A UDP client of one listener, and the socket that carries its datagrams to the target.
struct Flow {
  Fd socket;  // connected to the target
  Endpoint client;
  uint32_t listener = 0;
  uint32_t gen = 0;
  int64_t last_ms = 0;  // the last datagram either way
  std::string key;      // in Impl::flow_by_key
};

}  // namespace berth::runtime::proxy

namespace berth::runtime {

struct PortProxy::Impl {
  using Endpoint = proxy::Endpoint;

  Fd epoll;
  ProxyLimits limits;
  std::vector<proxy::Listener> listeners;

  // TCP (port_proxy_tcp.cpp)
  std::vector<proxy::Conn> conns;
  std::vector<uint32_t> free_conns;
  size_t live_conns = 0;
  std::vector<std::pair<uint32_t, uint32_t>> busy;  // (slot, gen) that used up their turn
  std::vector<Pipe> spare_pipes;
  bool accepting = true;
  int64_t accept_retry_ms = -1;  // after EMFILE, when to try again

  // UDP (port_proxy_udp.cpp)
  std::vector<proxy::Flow> flows;
  std::vector<uint32_t> free_flows;
  std::unordered_map<std::string, uint32_t> flow_by_key;  // listener + client address
  int64_t next_sweep_ms = -1;                             // no flow idles out before this
  // A datagram, or a short TCP message, on its way through; allocated at first use and
  // not zeroed: only the pages that bytes have filled become resident.
  std::unique_ptr<char[]> scratch_buffer;
  char* scratch();

  bool add(int fd, uint32_t events, uint64_t tag);
  void dispatch(const struct epoll_event& ev);

  void set_accepting(bool on);
  void accept_from(uint32_t listener);
  void start_conn(Fd client, const Endpoint& target);
  void close_conn(uint32_t i, bool failed);
  bool take_pipe(Pipe& p);
  void give_back(Pipe& p);
  bool pump(proxy::Direction& d, int from, int to, bool to_the_end, bool* more);
  static constexpr unsigned kUp = 1, kDown = 2;
  void serve_conn(uint32_t i, unsigned which = kUp | kDown, unsigned to_the_end = kUp | kDown);
  void on_conn_event(uint32_t i, bool server_side, uint32_t events);
  void serve_busy();

  void close_flow(uint32_t i);
  proxy::Flow* flow_for(uint32_t listener, const Endpoint& client, int64_t now);
  void receive_from_clients(uint32_t listener);
  void receive_from_target(uint32_t i);
  void expire_flows(int64_t now);
};

}  // namespace berth::runtime
