// The embedded DNS server of one bridge network: what containers' /etc/resolv.conf names.
//
// Docker gives every user-defined network a resolver that knows the network's container
// names, service names and aliases, and forwards every other question to the host's
// resolvers. berth runs one small process per network for it, `berth-dns` (netns/dns/
// main.cpp), listening on the network's gateway address, port 53, UDP and TCP, in the
// host's network namespace: containers reach it the way they reach any host address.
//
// The server reads DIR/records (dns_records.h) at start and again whenever it is replaced,
// watching DIR with inotify(7): the engine writes a new file beside it and rename(2)s it
// over the old one, which is atomic, so the server sees either the old table or the new
// one and never half of one. The answering rules are in dns_answer.h; forwarding in
// dns_forward.h (UDP) and dns_tcp.h (TCP). The loop is one thread and one epoll set
// (dns_loop.h); UDP queries arrive and leave in batches through recvmmsg(2)/sendmmsg(2),
// one system call for up to kUdpBatch of them.
//
// Memory is fixed by design, so that a flood costs CPU and never memory: a receive batch,
// kMaxPending forwarded queries, kMaxTcpClients connections, and the table. Nothing is
// allocated per query.
//
// Read: inotify(7) (IN_MOVED_TO, IN_CLOSE_WRITE), recvmmsg(2), ip(7) IP_FREEBIND, and
// docker's "Networking: DNS services" page. Afterwards the reader should be able to follow
// one query from the container's resolver to the answer, or to the upstream and back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::netns::dns {

inline constexpr int kUdpBatch = 32;  // datagrams per recvmmsg/sendmmsg

struct ServerOptions {
  std::string dir;                  // holds `records`; watched for its replacement
  std::vector<std::string> listen;  // IPv4 or IPv6 literals, each bound for UDP and TCP
  uint16_t port = 53;
  // How long one upstream has to answer before the next is tried. 2 s: well under the 5 s
  // a glibc or musl client waits for us, so a dead first upstream still leaves time to
  // ask the second one within the client's first try.
  int upstream_timeout_ms = 2000;
  int tcp_idle_timeout_ms = 10000;  // RFC 7766 6.2.3 asks for "a few seconds"
  int signal_fd = -1;  // a signalfd (not owned): SIGHUP reloads, SIGTERM and SIGINT stop
  // Receives each message for a person (malformed records lines, reload failures).
  std::function<void(std::string_view)> log;
};

enum class StopReason {
  kStopped,         // stop() was called
  kSignal,          // SIGTERM or SIGINT arrived on signal_fd
  kRecordsRemoved,  // DIR/records (or DIR) was deleted: the network is gone
};

class Server {
 public:
  // Reads DIR/records (it must exist), starts watching DIR, and binds every listen
  // address with IP_FREEBIND. The error names the address that could not be bound.
  static Result<Server> open(ServerOptions options);
  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;
  ~Server();

  // Serves until stop(), a signal, or the removal of the records.
  Result<StopReason> run();
  // Makes run() return soon; callable from any thread.
  void stop();

  // For tests, while run() is not running: how many names the table in force has, how
  // many queries are being forwarded over UDP, how many TCP connections are open.
  size_t name_count() const;
  size_t forwards_in_flight() const;
  size_t tcp_connections() const;

 private:
  struct State;
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace berth::netns::dns
