// The userland proxy's TCP side (see port_proxy.h): accepting within the connection limit,
// the non-blocking connect to the target, and in each direction short messages read and
// sent on, streams spliced through a pipe (pump()), with half-close and resets passed on.
//
// Read: splice(2), pipe(7), recv(2), send(2) (MSG_DONTWAIT, MSG_NOSIGNAL), epoll(7) (a
// short read under EPOLLET), tcp(7) (TCP_NODELAY), shutdown(2), connect(2) (EINPROGRESS,
// then SO_ERROR), socket(7) (SO_LINGER).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
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
// A read that fills this much is taken for a stream, whose rest goes by splice (pump()).
constexpr size_t kShortBytes = 16 << 10;
static_assert(kShortBytes <= proxy::kScratchBytes);
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

// Sends what `to` takes of buf without waiting: the bytes sent, or -1 on an error.
ssize_t send_some(int to, const char* buf, size_t len) {
  size_t sent = 0;
  while (sent < len) {
    ssize_t n = ::send(to, buf + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<size_t>(n);
    else if (n < 0 && errno == EINTR) continue;
    else if (n == 0 || errno == EAGAIN) break;
    else return -1;
  }
  return static_cast<ssize_t>(sent);
}

bool waiting(const Direction& d) { return d.in_pipe > 0 || !d.held.empty(); }

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
  for (Direction* d : {&c.up, &c.down}) {
    if (d->pipe.read && d->in_pipe == 0) give_back(d->pipe);
    std::string().swap(d->held);  // assigning {} below would keep its buffer
  }
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

// Moves what `from` has for `to` until neither side can take or give more or the turn's
// bytes are used up (then *more is set). False on an error: the connection must go.
//
// A message is first read into the scratch buffer and sent on: two syscalls and a copy of
// a few KiB, where splicing it would take three or four splices (the last one only to
// learn that the source is empty) and pipe bookkeeping; with keep-alive requests and
// answers of a few KiB that was half the proxy's syscalls. A read shorter than asked means
// the socket is drained (epoll(7)): the next bytes bring a new edge, so no read is spent
// on hearing EAGAIN, unless the source has also ended (to_the_end: its FIN may already
// sit behind the bytes, and no edge would follow) or the direction was stalled (the
// source's edges came while it was not being read). Bytes that `to` did not take wait in
// d.held and go first; anything read after them is spliced into the pipe behind them.
// A read that fills kShortBytes (or any read, when the source is to be read to the end)
// makes the rest of the turn a stream: splice, until EAGAIN. A turn that moved
// kShortBytes or more starts the next one as a stream too, so a bulk transfer is not
// copied after its first turn (with 16 KiB of every wakeup copied, 16 MiB answers went at
// 0.83 of the splice-only proxy's rate in an A/B run; without, 1.02); a turn that moved
// less goes back to reading short messages.
bool PortProxy::Impl::pump(Direction& d, int from, int to, bool to_the_end, bool* more) {
  size_t moved_total = 0;
  bool stream = d.streaming;
  if (waiting(d)) to_the_end = true;
  for (;;) {
    if (!d.eof && !stream && !waiting(d)) {
      char* buf = scratch();
      ssize_t n = ::recv(from, buf, kShortBytes, MSG_DONTWAIT);
      if (n == 0) d.eof = true;
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return false;
        break;
      }
      auto got = static_cast<size_t>(n);
      ssize_t sent = send_some(to, buf, got);
      if (sent < 0) return false;
      moved_total += static_cast<size_t>(sent);
      if (static_cast<size_t>(sent) < got) d.held.assign(buf + sent, got - static_cast<size_t>(sent));
      if (got < kShortBytes && !to_the_end) break;
      stream = true;
      continue;
    }
    bool moved = false;
    if (!d.eof && d.in_pipe + d.held.size() < kPipeBytes) {
      if (!d.pipe.read && !take_pipe(d.pipe)) return false;
      ssize_t n = ::splice(from, nullptr, d.pipe.write.get(), nullptr, kPipeBytes - d.in_pipe - d.held.size(),
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) d.in_pipe += static_cast<size_t>(n), moved = true;
      else if (n == 0) d.eof = true;
      // EAGAIN is ambiguous here (source empty, or the pipe full); either way, emptying
      // the pipe below is what can make progress.
      else if (errno != EAGAIN && errno != EINTR) return false;
    }
    if (!d.held.empty()) {
      ssize_t n = send_some(to, d.held.data() + d.held_at, d.held.size() - d.held_at);
      if (n < 0) return false;
      if (n > 0) d.held_at += static_cast<size_t>(n), moved = true, moved_total += static_cast<size_t>(n);
      if (d.held_at == d.held.size()) {
        std::string().swap(d.held);
        d.held_at = 0;
      }
    }
    if (d.held.empty() && d.in_pipe > 0) {
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
  d.streaming = moved_total >= kShortBytes;
  if (d.in_pipe == 0 && d.pipe.read) give_back(d.pipe);
  if (d.eof && !waiting(d) && !d.shut) {
    // Half-close: the source is done, pass its FIN on; the other direction goes on.
    if (::shutdown(to, SHUT_WR) < 0 && errno != ENOTCONN) return false;
    d.shut = true;
  }
  return true;
}

// Pumps the directions `which` names (kUp: client to server, kDown: back; both by
// default), reading those in `to_the_end` until their source says EAGAIN or ends.
void PortProxy::Impl::serve_conn(uint32_t i, unsigned which, unsigned to_the_end) {
  Conn& c = conns[i];
  bool more = false;
  if (((which & kUp) && !pump(c.up, c.client.get(), c.server.get(), (to_the_end & kUp) != 0, &more)) ||
      ((which & kDown) && !pump(c.down, c.server.get(), c.client.get(), (to_the_end & kDown) != 0, &more)))
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
    // Only what this event can move: a side that became readable feeds its own direction
    // (to the end if its peer has finished sending); one that became writable lets the
    // other direction's waiting bytes go on, and costs nothing when none wait. Pumping
    // both on every event cost a syscall that could only say EAGAIN.
    unsigned own = server_side ? kDown : kUp, other = server_side ? kUp : kDown;
    bool readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0;
    bool ending = (events & (EPOLLRDHUP | EPOLLHUP)) != 0;
    bool drains = (events & EPOLLOUT) != 0 && waiting(server_side ? c.up : c.down);
    unsigned which = (readable ? own : 0u) | (drains ? other : 0u);
    if (which != 0) serve_conn(i, which, ending ? own : 0u);
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
