// The pieces of the DNS server's event loop that its parts share: the epoll set and how
// its events are tagged, the clock, random query ids, socket addresses, and the table in
// force. Internal to dns_server.cpp, dns_forward.cpp and dns_tcp.cpp.
//
// One thread waits in epoll_wait(2) for every socket at once and handles whatever is
// ready, never blocking on any single one: a slow upstream or a stalled TCP client costs
// a slot in a fixed table, not a thread. Timeouts are deadlines kept in the slots; the
// loop sleeps until the earliest one.
//
// Read: epoll(7) (level-triggered mode), getrandom(2), mmap(2). Afterwards the reader
// should know why an event carries a generation number as well as a slot index.
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "netns/dns_records.h"

namespace berth::netns::dns {

// How many upstreams one query tries, at most (glibc reads at most 3 from resolv.conf).
inline constexpr size_t kMaxTries = 4;

int64_t monotonic_ms();

// A socket address of either family, as recvmmsg(2) fills it and sendto(2) takes it.
struct SockAddr {
  union {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } u{};
  socklen_t len = 0;

  static SockAddr from(const Endpoint& e);
  IpAddress ip() const;
  int family() const { return u.any.sa_family; }
};

// What an epoll event is about. Slots (forwarded queries, TCP connections) are reused, so
// a tag also carries the slot's generation: an event for a slot freed, and perhaps reused,
// earlier in the same batch of events no longer matches it and is ignored.
enum class Source : uint8_t {
  kWake,         // Server::stop() from another thread
  kSignal,       // the signalfd main() passed
  kInotify,      // the records directory changed
  kUdpListen,    // index: which listening socket
  kTcpListen,
  kUpstreamUdp,  // index: a forwarded query's slot
  kTcpClient,    // index: a TCP connection's slot
  kTcpUpstream,
};

struct Tag {
  Source source;
  uint32_t index = 0;
  uint32_t generation = 0;

  uint64_t pack() const {
    return uint64_t{static_cast<uint8_t>(source)} << 56 | uint64_t{index & 0xffffff} << 32 |
           generation;
  }
  static Tag unpack(uint64_t v) {
    return {static_cast<Source>(v >> 56), static_cast<uint32_t>(v >> 32) & 0xffffff,
            static_cast<uint32_t>(v)};
  }
};

// Query ids for forwarded queries. They must be unpredictable (RFC 5452 section 9.2: the
// id and the source port are all that stop a spoofed answer), so they come from
// getrandom(2), fetched 256 at a time rather than one system call per query.
class RandomIds {
 public:
  uint16_t next();

 private:
  std::array<uint16_t, 256> pool_;
  size_t left_ = 0;
};

// An anonymous private mapping: pages cost memory only once written, and all of it goes
// back to the kernel at munmap(2), so a burst of large TCP answers leaves nothing behind.
class MappedBuffer {
 public:
  MappedBuffer() = default;
  explicit MappedBuffer(size_t size);
  MappedBuffer(MappedBuffer&& o) noexcept;
  MappedBuffer& operator=(MappedBuffer&& o) noexcept;
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;
  ~MappedBuffer() { reset(); }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  explicit operator bool() const { return data_ != nullptr; }
  void reset();

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

struct Loop {
  Fd epoll;
  int64_t now = 0;
  int64_t next_deadline = INT64_MAX;  // the earliest slot timeout; INT64_MAX: none
  const Records* records = nullptr;   // the table in force (owned by the server)
  std::vector<Endpoint> own;          // where we listen: never forwarded to
  RandomIds ids;
  size_t rotate = 0;                  // advances with every answer (round robin)
  int upstream_timeout_ms = 2000;
  int tcp_idle_timeout_ms = 10000;
  std::function<void(std::string_view)> log;
  // Looks for a change of the records file that the loop has not seen yet; called before
  // answering, so that an answer never predates a rename the engine already made.
  std::function<void()> check_records;

  void wake_at(int64_t t) { next_deadline = t < next_deadline ? t : next_deadline; }
  bool add(int fd, uint32_t events, Tag tag);
  bool modify(int fd, uint32_t events, Tag tag);
  // The client's upstreams (or the defaults), less our own addresses, at most kMaxTries.
  size_t pick_upstreams(const IpAddress& client, std::array<Endpoint, kMaxTries>& out) const;
};

}  // namespace berth::netns::dns
