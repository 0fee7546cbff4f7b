// DNS over TCP: for answers too large for UDP (a client that got TC asks again here) and
// for clients that simply prefer it.
//
// Over TCP each message is preceded by its length in two bytes (RFC 1035 4.2.2) and a
// connection may carry many queries (RFC 7766 6.2.1). This server reads one query at a
// time, answers it (from the table, or by forwarding it over a TCP connection of its own to
// an upstream, with the same failover and checks as over UDP) and then reads the next;
// queries a client pipelines wait in the socket meanwhile, which RFC 7766 allows.
//
// A connection takes one slot of kMaxTcpClients. A connection that says nothing for
// tcp_idle_timeout_ms is closed (RFC 7766 6.2.3: servers should close idle connections),
// and when all slots are taken the least recently active one is closed for the new one,
// so a client holding connections open cannot lock the others out. Each connection's
// buffer is an anonymous mapping made on accept and unmapped on close.
//
// Read: RFC 7766 (DNS over TCP), tcp(7), accept4(2), connect(2) on a non-blocking socket
// (EINPROGRESS, then SO_ERROR). Afterwards the reader should know why a DNS server must
// offer TCP at all.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "base/fd.h"
#include "netns/dns_loop.h"
#include "netns/dns_message.h"

namespace berth::netns::dns {

inline constexpr size_t kMaxTcpClients = 32;

class TcpServer {
 public:
  explicit TcpServer(Loop& loop) : loop_(loop) {}

  void accept_from(int listen_fd);
  void on_client(Tag tag, uint32_t events);
  void on_upstream(Tag tag, uint32_t events);
  // Closes idle connections and moves on from upstreams that did not answer in time.
  void expire();
  size_t open_count() const { return open_; }

 private:
  enum class State { kReadQuery, kWriteReply, kConnect, kSendUpstream, kReadUpstream };
  struct Conn {
    uint32_t index = 0;
    uint32_t generation = 0;
    bool used = false;
    State state = State::kReadQuery;
    Fd client;
    uint32_t client_events = 0;  // what epoll watches the client socket for
    IpAddress client_ip;
    Fd upstream;
    MappedBuffer buf;       // the query at 0, the reply at kReplyAt, each after its length
    size_t query_got = 0;   // bytes of the query read so far, length included
    size_t reply_len = 0;   // bytes of the reply, length included
    size_t reply_done = 0;  // ... written to the client, or read from the upstream
    size_t sent_up = 0;     // bytes of the query written to the upstream
    uint16_t client_id = 0;
    uint16_t upstream_id = 0;
    uint8_t tries = 0, tried = 0;
    std::array<Endpoint, kMaxTries> upstreams;
    int64_t last_active = 0;
    int64_t deadline = 0;
  };

  Conn* take_slot();
  void close(Conn& c);
  void watch_client(Conn& c, uint32_t events);
  Tag client_tag(const Conn& c) const { return {Source::kTcpClient, c.index, c.generation}; }
  Conn* find(Tag tag);

  void read_query(Conn& c);
  void answer(Conn& c);
  void start_reply(Conn& c, size_t length);
  void write_reply(Conn& c);
  void connect_next(Conn& c);
  void send_upstream(Conn& c);
  void read_upstream(Conn& c);
  void finish_upstream(Conn& c);
  void fail(Conn& c);

  Loop& loop_;
  std::array<std::unique_ptr<Conn>, kMaxTcpClients> slots_;
  size_t open_ = 0;
};

}  // namespace berth::netns::dns
