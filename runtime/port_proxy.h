// The userland proxy: published ports served by a process instead of by NAT rules.
//
// Normally a published port (`-p 8080:80`) is a DNAT rule (netns/nftables.h): the kernel
// rewrites the destination of each connection to the container's address and the
// container talks to the client directly. Where nftables cannot be used (no nf_tables in
// the kernel, rootless), or the user asks for it, a process does the job instead: it
// listens on the host's port itself and, for each client, opens a second connection to
// container_ip:port and passes the bytes across. That process is the container's shim
// (runtime/shim/main.cpp), so a container costs no extra process for it.
//
// Why splice(2). A plain proxy read()s into its own buffer and write()s it out again: two
// copies between kernel and user space for every byte, plus two syscalls per buffer.
// splice(2) moves data between a socket and a pipe inside the kernel, passing references
// to the socket buffer's pages rather than the bytes, so a byte goes socket -> pipe ->
// socket without ever entering this process. Each direction of a connection therefore has
// its own pipe (pipe(7)), used as a kernel-side buffer. Measured on a 2-CPU VM over
// loopback, a proxy copying through a 64 KiB user-space buffer spent about 0.6 CPU-seconds
// per GiB and carried about half of what a direct connection did; this one about 0.3 s/GiB
// (nearly all of it the kernel's work for the second TCP connection) and about two
// thirds. What remains is the price of two connections instead of one, which DNAT does
// not pay.
// Short messages are the exception: an HTTP request, or an answer of a few KiB on a kept-
// alive connection, is read into a buffer and sent on (two syscalls and a small copy),
// because splicing it took three or four splices and pipe bookkeeping. Only a read that
// fills the buffer (16 KiB) switches that direction to splice for the rest of the turn.
//
// TCP half-close (tcp(7), shutdown(2)): a client may finish sending (FIN) and still wait
// for the answer, as `nc -N` or an HTTP/1.0 client does. So each direction ends on its own:
// when one side's reading ends (a read returns 0) and what it sent has drained, the proxy
// calls shutdown(SHUT_WR) on the other side and keeps the opposite direction going. When
// a side fails (reset, or a write to a closed peer), what it had sent is passed on and
// both sides are closed with a reset (SO_LINGER of 0), which is what a direct connection
// would have shown the other peer.
//
// Backpressure: a direction whose pipe is full, or whose destination did not take all of
// a short message, stops reading from its source until the destination has taken some,
// so the source's socket buffer fills and TCP's window closes: the slow side sets the
// pace, and the proxy buffers at most one pipe (or one short message) per direction.
//
// UDP has no connections: the proxy keeps, per client address, a socket connected to the
// target (a "flow"), so that the container's replies can be told apart and sent back to
// the right client with sendto(2). A flow ends after 30 s without traffic, or when the
// table is full and a new client needs its slot (the least recently active goes).
//
// What the container sees: the proxy's address, not the client's. The container's peer
// is the host end of its own network (for a bridge, the gateway's address) and a port
// the proxy chose, so its logs and access rules see every client as that one address.
// This is the price of a userland proxy; DNAT keeps the client's address.
//
// Limits (ProxyLimits): at most max_connections TCP connections at once (when full, the
// proxy stops accepting, and new clients wait in the listen backlog until one ends) and
// max_udp_flows UDP clients. A TCP connection holds 2 sockets and, while bytes are in
// flight, 2 pipes (6 descriptors), so open() raises the soft RLIMIT_NOFILE towards the
// hard one as needed, and lowers max_connections to what the limit allows. A UDP reply is
// sent from the listening socket, so on a host with several addresses it leaves with the
// address routing picks, which may differ from the one the client sent to (bind the rule
// to a single address to avoid that). A client that connects and never sends keeps its
// slot: there is no TCP idle timeout, as there is none on a direct connection; a target
// that never answers a connect fails it only after the kernel's SYN retries
// (net.ipv4.tcp_syn_retries, about two minutes).
//
// One thread: everything is non-blocking and driven by one epoll set (epoll(7);
// port_proxy_impl.h tells how), whose fd the caller adds to its own poll(2) loop. Writing
// to a socket whose peer has gone raises SIGPIPE: the caller must block or ignore it (the
// shim blocks it and reads it from its signalfd).
//
// Read: splice(2), pipe(7) (capacity, F_SETPIPE_SZ), tcp(7), shutdown(2), epoll(7),
// socket(7) (SO_REUSEADDR, SO_LINGER), ipv6(7) (IPV6_V6ONLY), getrlimit(2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace berth::runtime {

// One published port: connections to host_ip:host_port go to target_ip:target_port.
struct ProxyRule {
  std::string protocol;    // "tcp" or "udp"
  std::string host_ip;     // "0.0.0.0" (all IPv4 addresses), "::" (all IPv6 ones), "127.0.0.1"...
  uint16_t host_port = 0;  // 0: a port the kernel chooses (see PortProxy::port)
  std::string target_ip;   // the container's address, IPv4 or IPv6 (either may serve the other)
  uint16_t target_port = 0;

  bool operator==(const ProxyRule&) const = default;
};

struct ProxyLimits {
  size_t max_connections = 1024;  // TCP connections at once, all rules together
  size_t max_udp_flows = 1024;    // UDP clients at once, all rules together
  int udp_idle_ms = 30000;        // a UDP flow without traffic for this long ends
};

// A socket already bound (and, for TCP, listening) for a rule: what open() makes, or
// what a caller that binds for the proxy (e.g. a privileged parent) hands over.
struct ProxyListener {
  ProxyRule rule;
  Fd socket;
};

// The socket for one rule: bound to host_ip:host_port, non-blocking, close-on-exec;
// for TCP with SO_REUSEADDR (a restart need not wait for old connections' TIME_WAIT) and
// listening; IPv6 ones with IPV6_V6ONLY, so "::" and "0.0.0.0" can be published apart.
Result<Fd> bind_proxy_socket(const ProxyRule& rule);

// A published port held, not served: a socket bound to the rule's host address and port
// (TCP not listening; the target is not used), without SO_REUSEADDR. No other socket can
// bind the port then, whatever its own options (socket(7): both must set SO_REUSEADDR, or
// SO_REUSEPORT, to share one), and nftables' DNAT diverts the port's traffic before any
// socket sees it. What a DNAT'd port gets from its container's supervisor, as docker 28
// does: a server started on the host later fails at bind, rather than losing its traffic.
Result<Fd> hold_port(const ProxyRule& rule);

// "tcp 0.0.0.0:8080 -> 172.18.0.2:80", for messages.
std::string describe(const ProxyRule& rule);

class PortProxy {
 public:
  // An empty proxy: serves nothing, fd() is -1 (poll(2) ignores it).
  PortProxy();
  PortProxy(PortProxy&&) noexcept;
  PortProxy& operator=(PortProxy&&) noexcept;
  ~PortProxy();  // closes the listeners and every connection

  // Binds a socket for each rule and serves them. The error names the rule that failed.
  static Result<PortProxy> open(const std::vector<ProxyRule>& rules, ProxyLimits limits = {});
  // Serves sockets bound elsewhere (bind_proxy_socket or equivalent).
  static Result<PortProxy> serve(std::vector<ProxyListener> listeners, ProxyLimits limits = {});

  // Readable (POLLIN) when something needs on_ready().
  int fd() const;
  // Handles whatever is ready and returns; never blocks. Call it when fd() is readable or
  // next_timeout_ms() has passed; calling it when nothing is ready is harmless.
  void on_ready();
  // Milliseconds until on_ready() has timed work (idle UDP flows, a deferred accept, a
  // busy connection's next turn): 0 = now, -1 = none.
  int next_timeout_ms() const;

  size_t connections() const;  // open TCP connections
  size_t udp_flows() const;    // live UDP flows
  // The local port listener i (in rule order) is bound to: host_port, or the kernel's
  // choice when that was 0.
  uint16_t port(size_t i) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A PortProxy served on a thread of its own, for a container in the foreground (a detached
// one has its shim serve it). Start it only once nothing will fork any more: a fork(2)
// while this thread holds malloc's lock would leave the child deadlocked. The destructor
// stops the thread and closes every listener and connection (port_proxy_thread.cpp; not
// part of berth-shim, which has no threads).
class ProxyThread {
 public:
  explicit ProxyThread(PortProxy proxy);
  ~ProxyThread();
  ProxyThread(const ProxyThread&) = delete;
  ProxyThread& operator=(const ProxyThread&) = delete;
  void start();

 private:
  PortProxy proxy_;
  Fd stop_;  // an eventfd: readable when the thread must end
  std::thread thread_;
};

}  // namespace berth::runtime
