// DNS over TCP (see dns_tcp.h). A connection moves through these states:
//
//   kReadQuery --answered here--> kWriteReply --written--> kReadQuery ...
//       \--not ours--> kConnect --> kSendUpstream --> kReadUpstream --> kWriteReply
//
// and from any forwarding state, on an error, a bad answer or the timeout, to the next
// upstream (kConnect again) or, with none left, to a SERVFAIL reply.
#include "netns/dns_tcp.h"

#include <sys/socket.h>

#include "netns/dns_answer.h"

namespace berth::netns::dns {
namespace {

// Layout of a connection's buffer: the query (with its two-byte length) at 0, the reply
// (with its length) at kReplyAt.
constexpr size_t kReplyAt = 1024;
static_assert(kReplyAt >= 2 + kMaxQuery);
constexpr size_t kBufferSize = kReplyAt + 2 + kMaxTcpMessage;

constexpr int kAcceptsPerEvent = 16;

size_t length_prefix(const uint8_t* p) { return static_cast<size_t>(p[0]) << 8 | p[1]; }

}  // namespace

TcpServer::Conn* TcpServer::find(Tag tag) {
  if (tag.index >= slots_.size() || !slots_[tag.index]) return nullptr;
  Conn& c = *slots_[tag.index];
  return c.used && c.generation == tag.generation ? &c : nullptr;
}

TcpServer::Conn* TcpServer::take_slot() {
  Conn* oldest = nullptr;
  for (uint32_t i = 0; i < slots_.size(); i++) {
    if (!slots_[i]) {
      slots_[i] = std::make_unique<Conn>();
      slots_[i]->index = i;
      return slots_[i].get();
    }
    if (!slots_[i]->used) return slots_[i].get();
    if (!oldest || slots_[i]->last_active < oldest->last_active) oldest = slots_[i].get();
  }
  close(*oldest);  // all taken: the least recently active makes room (see the header)
  return oldest;
}

void TcpServer::close(Conn& c) {
  if (!c.used) return;
  c.client.reset();  // closing takes the sockets out of the epoll set
  c.upstream.reset();
  c.buf.reset();
  c.used = false;
  c.generation++;
  open_--;
}

void TcpServer::watch_client(Conn& c, uint32_t events) {
  if (c.client_events == events) return;
  if (loop_.modify(c.client.get(), events, client_tag(c)))
    c.client_events = events;
  else
    close(c);
}

void TcpServer::accept_from(int listen_fd) {
  for (int i = 0; i < kAcceptsPerEvent; i++) {
    SockAddr peer;
    peer.len = sizeof peer.u;
    Fd client(::accept4(listen_fd, &peer.u.any, &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) return;  // EAGAIN: no more waiting; EMFILE and the like: try next time
    Conn* c = take_slot();
    c->buf = MappedBuffer(kBufferSize);
    if (!c->buf || !loop_.add(client.get(), EPOLLIN, {Source::kTcpClient, c->index, c->generation})) {
      c->buf.reset();
      continue;
    }
    c->used = true;
    open_++;
    c->client = std::move(client);
    c->client_events = EPOLLIN;
    c->client_ip = peer.ip();
    c->state = State::kReadQuery;
    c->query_got = 0;
    c->last_active = loop_.now;
    c->deadline = loop_.now + loop_.tcp_idle_timeout_ms;
    loop_.wake_at(c->deadline);
  }
}

void TcpServer::on_client(Tag tag, uint32_t events) {
  Conn* c = find(tag);
  if (!c) return;
  switch (c->state) {
    case State::kReadQuery:
      read_query(*c);  // also sees the end of file or the error
      break;
    case State::kWriteReply:
      if (events & EPOLLERR) return close(*c);
      write_reply(*c);
      break;
    default:  // forwarding: only an error or a hangup is of interest
      if (events & (EPOLLERR | EPOLLHUP)) close(*c);
      break;
  }
}

void TcpServer::read_query(Conn& c) {
  uint8_t* b = c.buf.data();
  for (;;) {
    size_t want = c.query_got < 2 ? 2 : 2 + length_prefix(b);
    ssize_t n = ::read(c.client.get(), b + c.query_got, want - c.query_got);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return close(c);  // the client is done, or gone
    c.query_got += static_cast<size_t>(n);
    c.last_active = loop_.now;
    c.deadline = loop_.now + loop_.tcp_idle_timeout_ms;
    loop_.wake_at(c.deadline);
    if (c.query_got == 2) {
      size_t len = length_prefix(b);
      // Too short for a header, or larger than any query (dns_message.h, kMaxQuery): the
      // stream cannot be trusted to hold DNS at all.
      if (len < kHeaderSize || len > kMaxQuery) return close(c);
      continue;
    }
    if (c.query_got == want) return answer(c);
  }
}

void TcpServer::answer(Conn& c) {
  loop_.check_records();
  uint8_t* b = c.buf.data();
  Query q;
  Decision d = answer_query(*loop_.records, c.client_ip, std::span(b + 2, c.query_got - 2), Transport::kTcp,
                            std::span(b + kReplyAt + 2, kMaxTcpMessage), loop_.rotate++, q);
  switch (d.kind) {
    case Decision::kDrop:
      return close(c);
    case Decision::kReply:
      return start_reply(c, d.length);
    case Decision::kForward:
      c.client_id = q.id;
      c.tries = static_cast<uint8_t>(loop_.pick_upstreams(c.client_ip, c.upstreams));
      c.tried = 0;
      return connect_next(c);
  }
}

void TcpServer::start_reply(Conn& c, size_t length) {
  uint8_t* r = c.buf.data() + kReplyAt;
  r[0] = static_cast<uint8_t>(length >> 8);
  r[1] = static_cast<uint8_t>(length);
  c.reply_len = 2 + length;
  c.reply_done = 0;
  c.state = State::kWriteReply;
  c.deadline = loop_.now + loop_.tcp_idle_timeout_ms;
  loop_.wake_at(c.deadline);
  write_reply(c);
}

void TcpServer::write_reply(Conn& c) {
  const uint8_t* r = c.buf.data() + kReplyAt;
  while (c.reply_done < c.reply_len) {
    ssize_t n = ::send(c.client.get(), r + c.reply_done, c.reply_len - c.reply_done,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return watch_client(c, EPOLLOUT);
    if (n < 0) return close(c);
    c.reply_done += static_cast<size_t>(n);
    c.last_active = loop_.now;
  }
  c.state = State::kReadQuery;
  c.query_got = 0;
  watch_client(c, EPOLLIN);
}

// Opens a connection to the next upstream not yet tried; SERVFAIL when none is left.
void TcpServer::connect_next(Conn& c) {
  c.upstream.reset();
  uint8_t* b = c.buf.data();
  while (c.tried < c.tries) {
    SockAddr to = SockAddr::from(c.upstreams[c.tried++]);
    Fd s(::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) continue;
    if (::connect(s.get(), &to.u.any, to.len) < 0 && errno != EINPROGRESS) continue;
    if (!loop_.add(s.get(), EPOLLOUT, {Source::kTcpUpstream, c.index, c.generation})) continue;
    c.upstream_id = loop_.ids.next();
    write_id(std::span(b + 2, c.query_got - 2), c.upstream_id);
    c.upstream = std::move(s);
    c.state = State::kConnect;
    c.sent_up = 0;
    c.deadline = loop_.now + loop_.upstream_timeout_ms;
    loop_.wake_at(c.deadline);
    return watch_client(c, 0);  // errors and hangups are reported regardless
  }
  fail(c);
}

void TcpServer::on_upstream(Tag tag, uint32_t events) {
  Conn* c = find(tag);
  if (!c || !c->upstream) return;
  if (c->state == State::kConnect) {
    int err = 0;
    socklen_t len = sizeof err;
    if ((events & EPOLLERR) ||
        ::getsockopt(c->upstream.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
      return connect_next(*c);
    c->state = State::kSendUpstream;
  }
  if (c->state == State::kSendUpstream) return send_upstream(*c);
  if (c->state == State::kReadUpstream) read_upstream(*c);
}

void TcpServer::send_upstream(Conn& c) {
  const uint8_t* b = c.buf.data();
  while (c.sent_up < c.query_got) {
    ssize_t n = ::send(c.upstream.get(), b + c.sent_up, c.query_got - c.sent_up,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // EPOLLOUT is still asked for
    if (n < 0) return connect_next(c);
    c.sent_up += static_cast<size_t>(n);
  }
  c.state = State::kReadUpstream;
  c.reply_done = 0;
  if (!loop_.modify(c.upstream.get(), EPOLLIN, {Source::kTcpUpstream, c.index, c.generation}))
    connect_next(c);
}

void TcpServer::read_upstream(Conn& c) {
  uint8_t* r = c.buf.data() + kReplyAt;
  for (;;) {
    size_t want = c.reply_done < 2 ? 2 : 2 + length_prefix(r);
    ssize_t n = ::read(c.upstream.get(), r + c.reply_done, want - c.reply_done);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return connect_next(c);  // closed or failed before a whole answer
    c.reply_done += static_cast<size_t>(n);
    if (c.reply_done == 2) {
      if (length_prefix(r) < kHeaderSize) return connect_next(c);
      continue;
    }
    if (c.reply_done == want) return finish_upstream(c);
  }
}

void TcpServer::finish_upstream(Conn& c) {
  const uint8_t* b = c.buf.data();
  auto reply = std::span(c.buf.data() + kReplyAt + 2, c.reply_done - 2);
  Query q;
  if (parse_query(std::span(b + 2, c.query_got - 2), q) != Verdict::kQuery ||
      !answers_question(reply, c.upstream_id, q.question))
    return connect_next(c);  // an upstream that answers something else is of no use
  Rcode rc = read_rcode(reply);
  if ((rc == Rcode::kServFail || rc == Rcode::kRefused) && c.tried < c.tries)
    return connect_next(c);
  c.upstream.reset();
  write_id(reply, c.client_id);
  start_reply(c, reply.size());
}

void TcpServer::fail(Conn& c) {
  c.upstream.reset();
  uint8_t* b = c.buf.data();
  Query q;
  if (parse_query(std::span(b + 2, c.query_got - 2), q) != Verdict::kQuery) return close(c);
  q.id = c.client_id;
  start_reply(c, write_failure(q, true, std::span(b + kReplyAt + 2, kMaxTcpMessage)));
}

void TcpServer::expire() {
  for (auto& slot : slots_) {
    if (!slot || !slot->used) continue;
    Conn& c = *slot;
    if (c.deadline <= loop_.now) {
      if (c.state == State::kReadQuery || c.state == State::kWriteReply) {
        close(c);  // idle, or not reading its answers
        continue;
      }
      connect_next(c);  // the upstream took too long
    }
    if (c.used) loop_.wake_at(c.deadline);
  }
}

}  // namespace berth::netns::dns
