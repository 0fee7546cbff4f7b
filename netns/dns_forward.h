// Forwarding UDP queries the table cannot answer to upstream resolvers.
//
// Each forwarded query takes one slot of a fixed table (kMaxPending): the client's address
// and id, a copy of the query, and a UDP socket of its own, connect(2)ed to the upstream.
// The socket's port is a fresh random one, and the kernel passes it only datagrams from
// that upstream, so with the random id (dns_loop.h) a spoofer has ~32 bits to guess, as
// RFC 5452 asks. A reply is taken only if its id and question match (answers_question);
// then the client's id goes back in and it leaves from the socket the query came in on,
// so its source address is the one the client asked.
//
// No answer within the timeout, an ICMP "port unreachable" (ECONNREFUSED on the connected
// socket), or a SERVFAIL/REFUSED reply: the query goes to the next upstream, with a new id
// and a new socket. With none left, the client gets SERVFAIL. When all slots are busy the
// oldest query is dropped without a word: its client will ask again, and a flood costs a
// fixed amount of memory, never more.
//
// Read: RFC 5452 (spoofing resilience), udp(7) (connected sockets and ICMP errors),
// RFC 1035 7.1 (retransmission). Afterwards the reader should know why a forwarder opens
// a socket per query rather than sending everything from one.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "base/fd.h"
#include "netns/dns_loop.h"
#include "netns/dns_message.h"

namespace berth::netns::dns {

inline constexpr size_t kMaxPending = 128;  // forwarded UDP queries in flight

class UdpForwarder {
 public:
  explicit UdpForwarder(Loop& loop) : loop_(loop) {}

  // Forwards `query` (parsed into `q`, from `client`, received on `listen_fd`) to the
  // client's upstreams. False when there is none: the caller answers SERVFAIL.
  bool forward(std::span<const uint8_t> query, const Query& q, int listen_fd,
               const SockAddr& client);
  // An upstream socket is readable (or has an error).
  void on_event(Tag tag);
  // Moves on from every query whose upstream has not answered in time.
  void expire();
  size_t in_flight() const { return in_flight_; }

 private:
  struct Pending {
    uint32_t index = 0;
    uint32_t generation = 0;
    bool used = false;
    Fd socket;  // connected to upstreams[tried - 1]
    int listen_fd = -1;
    SockAddr client;
    uint16_t client_id = 0;
    uint16_t upstream_id = 0;
    uint16_t reply_limit = 0;  // the most the client takes over UDP
    uint8_t tries = 0, tried = 0;
    std::array<Endpoint, kMaxTries> upstreams;
    int64_t started = 0;
    int64_t deadline = 0;
    uint16_t length = 0;
    uint8_t query[kMaxQuery];  // as forwarded (our id, EDNS size capped)
  };

  Pending& take_slot();
  bool send_next(Pending& p);
  void reply(Pending& p, std::span<const uint8_t> message);
  void fail(Pending& p);
  void release(Pending& p);
  bool reparse(const Pending& p, Query& q) const;

  Loop& loop_;
  // Allocated the first time each is needed and then kept: memory grows to the peak
  // number of queries in flight, at most kMaxPending, and no further.
  std::array<std::unique_ptr<Pending>, kMaxPending> slots_;
  size_t in_flight_ = 0;
  uint8_t buf_[kMaxUdpSize];
};

}  // namespace berth::netns::dns
