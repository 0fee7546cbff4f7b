// The userland proxy's TCP side (see port_proxy.h): accepting within the connection limit,
// the non-blocking connect to the target, and splice(2) through a pipe in each direction,
// with half-close and resets passed on.
//
// Read: splice(2), pipe(7), tcp(7) (TCP_NODELAY), shutdown(2), connect(2) (EINPROGRESS,
// then SO_ERROR), socket(7) (SO_LINGER).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>

#include "runtime/port_proxy_impl.h"

namespace berth::runtime {

using proxy::Conn;
using proxy::Direction;
using proxy::Kind;
using proxy::now_ms;
using proxy::tag;

namespace {

// Bytes one direction moves per turn before letting other connections have theirs.
constexpr size_t kTurnBytes = 4 << 20;
// Each pipe is asked for 1 MiB (fs.pipe-max-size's default, so any user may) instead of
// the default 64 KiB: fewer, larger splices and wakeups; on loopback that cut the proxy's
// CPU time per GiB by about a third. The pipe holds references to the sockets' pages,
// not copies, and only while bytes are in flight. The kernel may give less (pipe(7): an
// unprivileged user past fs.pipe-user-pages-soft gets 1-page pipes); splice then says
// EAGAIN sooner, which pump() already handles.
constexpr size_t kPipeBytes = 1 << 20;
constexpr size_t kSparePipes = 4;    // empty pipes kept for the next busy direction
constexpr int kAcceptsPerTurn = 32;  // connections accepted per listener event
constexpr int kAcceptRetryMs = 100;  // after EMFILE: try accepting again this much later
constexpr uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// Closes a TCP socket with a reset instead of a FIN: the peer learns the path failed.
void reset(Fd& fd) {
  if (!fd) return;
  struct linger abort = {1, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  fd.reset();
}

}  // namespace

// Stops (or resumes) accepting on every TCP listener: a client that arrives meanwhile
// waits in the listen backlog.
void PortProxy::Impl::set_accepting(bool on) {
  if (accepting == on) return;
  accepting = on;
  for (uint32_t i = 0; i < listeners.size(); i++) {
    if (!listeners[i].tcp) continue;
    struct epoll_event ev = {};
    ev.events = on ? static_cast<uint32_t>(EPOLLIN) : 0u;
    ev.data.u64 = tag(Kind::kTcpListener, i, 0);
    (void)::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, listeners[i].socket.get(), &ev);
  }
}

void PortProxy::Impl::accept_from(uint32_t li) {
  for (int k = 0; k < kAcceptsPerTurn; k++) {
    if (live_conns >= limits.max_connections) return set_accepting(false);
    int fd = ::accept4(listeners[li].socket.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      start_conn(Fd(fd), listeners[li].target);
    } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // Out of descriptors or memory: the client stays queued; try again later rather
      // than spin on a listener that stays readable.
      accept_retry_ms = now_ms() + kAcceptRetryMs;
      return set_accepting(false);
    } else if (errno != ECONNABORTED && errno != EINTR) {
      return;  // EAGAIN: no one else waiting
    }
  }
}

// A client was accepted: connect to the target without waiting; the connection's
// events take it from there.
void PortProxy::Impl::start_conn(Fd client, const Endpoint& target) {
  Fd server(::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  int r = server ? ::connect(server.get(), target.sa(), target.len) : -1;
  if (r < 0 && errno != EINPROGRESS) return reset(client);
  // Pass small writes on at once: the client already chose when to send them.
  proxy::set_option(client.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  proxy::set_option(server.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  uint32_t i;
  if (!free_conns.empty()) {
    i = free_conns.back();
    free_conns.pop_back();
  } else {
    i = static_cast<uint32_t>(conns.size());
    conns.emplace_back();
  }
  Conn& c = conns[i];
  c.client = std::move(client);
  c.server = std::move(server);
  c.connecting = r < 0;
  c.queued = false;
  c.up = {};
  c.down = {};
  live_conns++;
  if (!add(c.client.get(), kEvents, tag(Kind::kClient, i, c.gen)) ||
      !add(c.server.get(), kEvents, tag(Kind::kServer, i, c.gen)))
    return close_conn(i, true);
  if (!c.connecting) serve_conn(i);
}

void PortProxy::Impl::close_conn(uint32_t i, bool failed) {
  Conn& c = conns[i];
  if (failed) {
    reset(c.client);
    reset(c.server);
  }
  c.client.reset();
  c.server.reset();
  for (Direction* d : {&c.up, &c.down})
    if (d->pipe.read && d->in_pipe == 0) give_back(d->pipe);
  c.up = {};
  c.down = {};
  c.gen++;
  free_conns.push_back(i);
  live_conns--;
  if (accept_retry_ms < 0) set_accepting(true);
}

bool PortProxy::Impl::take_pipe(Pipe& p) {
  if (!spare_pipes.empty()) {
    p = std::move(spare_pipes.back());
    spare_pipes.pop_back();
    return true;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return false;
  p.read = Fd(fds[0]);
  p.write = Fd(fds[1]);
  (void)::fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(kPipeBytes));  // best effort
  return true;
}

void PortProxy::Impl::give_back(Pipe& p) {
  if (spare_pipes.size() < kSparePipes) spare_pipes.push_back(std::move(p));
  p = {};
}

// Moves what `from` has for `to`, through d's pipe, until neither side can take or give
// more (EAGAIN) or the turn's bytes are used up (then *more is set). False on an error:
// the connection must go.
bool PortProxy::Impl::pump(Direction& d, int from, int to, bool* more) {
  size_t moved_total = 0;
  for (;;) {
    bool moved = false;
    if (!d.eof && d.in_pipe < kPipeBytes) {
      if (!d.pipe.read && !take_pipe(d.pipe)) return false;
      ssize_t n = ::splice(from, nullptr, d.pipe.write.get(), nullptr, kPipeBytes - d.in_pipe,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) d.in_pipe += static_cast<size_t>(n), moved = true;
      else if (n == 0) d.eof = true;
      // EAGAIN is ambiguous here (source empty, or the pipe full); either way, emptying
      // the pipe below is what can make progress.
      else if (errno != EAGAIN && errno != EINTR) return false;
    }
    if (d.in_pipe > 0) {
      ssize_t n = ::splice(d.pipe.read.get(), nullptr, to, nullptr, d.in_pipe,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) d.in_pipe -= static_cast<size_t>(n), moved = true, moved_total += static_cast<size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
    if (!moved) break;
    if (moved_total >= kTurnBytes) {
      *more = true;
      break;
    }
  }
  if (d.in_pipe == 0 && d.pipe.read) give_back(d.pipe);
  if (d.eof && d.in_pipe == 0 && !d.shut) {
    // Half-close: the source is done, pass its FIN on; the other direction goes on.
    if (::shutdown(to, SHUT_WR) < 0 && errno != ENOTCONN) return false;
    d.shut = true;
  }
  return true;
}

// Pumps the directions `which` names (kUp: client to server, kDown: back; both by default).
void PortProxy::Impl::serve_conn(uint32_t i, unsigned which) {
  Conn& c = conns[i];
  bool more = false;
  if (((which & kUp) && !pump(c.up, c.client.get(), c.server.get(), &more)) ||
      ((which & kDown) && !pump(c.down, c.server.get(), c.client.get(), &more)))
    return close_conn(i, true);
  if (c.up.shut && c.down.shut) return close_conn(i, false);
  if (more && !c.queued) {
    c.queued = true;
    busy.emplace_back(i, c.gen);
  }
}

void PortProxy::Impl::on_conn_event(uint32_t i, bool server_side, uint32_t events) {
  Conn& c = conns[i];
  if (c.connecting) {
    if (!server_side) {
      if (events & EPOLLERR) close_conn(i, true);
      return;  // the client's bytes wait in its socket until the target answers
    }
    int err = 0;
    socklen_t len = sizeof err;
    (void)::getsockopt(c.server.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    // Refused or unreachable: the client sees its connection reset, as it would have
    // seen its SYN refused without the proxy.
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) return close_conn(i, true);
    c.connecting = false;
  } else if (events & EPOLLERR) {
    // One side was reset: pass on what it had sent before, then reset the other side.
    uint32_t gen = c.gen;
    serve_conn(i);
    if (conns[i].gen == gen) close_conn(i, true);
    return;
  } else {
    // Only the directions this event can move: a side that became readable feeds its
    // direction, one that became writable drains the other's pipe. (Pumping both on every
    // event cost a splice that could only say EAGAIN: a fifth of the syscalls per small
    // request and answer.) A direction that used up its turn is in `busy` either way.
    unsigned readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) ? 1u : 0u, writable = (events & EPOLLOUT) ? 1u : 0u;
    unsigned which = server_side ? (readable ? kDown : 0u) | (writable ? kUp : 0u)
                                 : (readable ? kUp : 0u) | (writable ? kDown : 0u);
    if (which != 0) serve_conn(i, which);
    return;
  }
  serve_conn(i);
}

// The connections that used up their turn go again, once each per on_ready().
void PortProxy::Impl::serve_busy() {
  std::vector<std::pair<uint32_t, uint32_t>> now;
  now.swap(busy);
  for (auto [i, gen] : now) {
    if (conns[i].gen != gen || !conns[i].client) continue;
    conns[i].queued = false;
    serve_conn(i);
  }
}

}  // namespace berth::runtime
