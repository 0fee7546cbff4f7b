// Forwarding over UDP (see dns_forward.h).
#include "netns/dns_forward.h"

#include <algorithm>
#include <cstring>

#include "netns/dns_answer.h"

namespace berth::netns::dns {

bool UdpForwarder::forward(std::span<const uint8_t> query, const Query& q, int listen_fd,
                           const SockAddr& client) {
  std::array<Endpoint, kMaxTries> upstreams;
  size_t n = loop_.pick_upstreams(client.ip(), upstreams);
  if (n == 0 || query.size() > kMaxQuery) return false;
  Pending& p = take_slot();
  p.used = true;
  p.listen_fd = listen_fd;
  p.client = client;
  p.client_id = q.id;
  p.reply_limit = static_cast<uint16_t>(udp_reply_limit(q));
  p.upstreams = upstreams;
  p.tries = static_cast<uint8_t>(n);
  p.tried = 0;
  p.started = loop_.now;
  p.length = static_cast<uint16_t>(query.size());
  std::memcpy(p.query, query.data(), query.size());
  // Upstream replies are read into kMaxUdpSize bytes: ask for no more than that.
  if (q.has_edns && q.udp_size > kMaxUdpSize) {
    p.query[q.opt_size_offset] = kMaxUdpSize >> 8;
    p.query[q.opt_size_offset + 1] = kMaxUdpSize & 0xff;
  }
  in_flight_++;
  if (!send_next(p)) fail(p);
  return true;
}

UdpForwarder::Pending& UdpForwarder::take_slot() {
  Pending* oldest = nullptr;
  for (uint32_t i = 0; i < slots_.size(); i++) {
    if (!slots_[i]) {
      slots_[i] = std::make_unique_for_overwrite<Pending>();
      slots_[i]->index = i;
      return *slots_[i];
    }
    if (!slots_[i]->used) return *slots_[i];
    if (!oldest || slots_[i]->started < oldest->started) oldest = slots_[i].get();
  }
  release(*oldest);  // full: the oldest query goes unanswered (see the header)
  return *oldest;
}

// Sends the query to the next upstream not yet tried, on a new socket with a new id.
bool UdpForwarder::send_next(Pending& p) {
  p.socket.reset();
  while (p.tried < p.tries) {
    const Endpoint& to = p.upstreams[p.tried++];
    SockAddr addr = SockAddr::from(to);
    Fd s(::socket(addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s || ::connect(s.get(), &addr.u.any, addr.len) < 0) continue;
    p.upstream_id = loop_.ids.next();
    write_id(std::span(p.query, p.length), p.upstream_id);
    if (::send(s.get(), p.query, p.length, 0) != p.length) continue;
    if (!loop_.add(s.get(), EPOLLIN, {Source::kUpstreamUdp, p.index, p.generation})) continue;
    p.socket = std::move(s);
    p.deadline = loop_.now + loop_.upstream_timeout_ms;
    loop_.wake_at(p.deadline);
    return true;
  }
  return false;
}

bool UdpForwarder::reparse(const Pending& p, Query& q) const {
  if (parse_query(std::span(p.query, p.length), q) != Verdict::kQuery) return false;
  q.id = p.client_id;
  return true;
}

void UdpForwarder::on_event(Tag tag) {
  if (tag.index >= slots_.size() || !slots_[tag.index]) return;
  Pending& p = *slots_[tag.index];
  if (!p.used || p.generation != tag.generation) return;
  Query q;
  if (!reparse(p, q)) return release(p);
  for (;;) {
    // MSG_TRUNC: the return value is the datagram's real size, even when larger than buf_.
    ssize_t n = ::recv(p.socket.get(), buf_, sizeof buf_, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      // ECONNREFUSED (nothing listens there) and the like: no answer will come from it.
      if (!send_next(p)) fail(p);
      return;
    }
    auto got = std::span<const uint8_t>(buf_, std::min(static_cast<size_t>(n), sizeof buf_));
    // Stray or spoofed: keep waiting for the real one.
    if (!answers_question(got, p.upstream_id, q.question)) continue;
    Rcode rc = read_rcode(got);
    // As glibc's resolver and docker's do: another server may well know better.
    if ((rc == Rcode::kServFail || rc == Rcode::kRefused) && p.tried < p.tries) {
      if (!send_next(p)) fail(p);
      return;
    }
    if (static_cast<size_t>(n) > p.reply_limit) {
      // Larger than the client takes (or than we do): it asks again over TCP.
      size_t len = write_truncated(q, true, std::span(buf_, p.reply_limit));
      reply(p, std::span(buf_, len));
    } else {
      write_id(std::span(buf_, got.size()), p.client_id);
      reply(p, got);
    }
    return release(p);
  }
}

void UdpForwarder::reply(Pending& p, std::span<const uint8_t> message) {
  if (message.empty()) return;
  ::sendto(p.listen_fd, message.data(), message.size(), MSG_DONTWAIT, &p.client.u.any,
           p.client.len);
}

void UdpForwarder::fail(Pending& p) {
  Query q;
  if (reparse(p, q)) reply(p, std::span(buf_, write_failure(q, true, std::span(buf_, p.reply_limit))));
  release(p);
}

void UdpForwarder::release(Pending& p) {
  if (!p.used) return;
  p.socket.reset();  // closing it also takes it out of the epoll set
  p.used = false;
  p.generation++;
  in_flight_--;
}

void UdpForwarder::expire() {
  for (auto& slot : slots_) {
    if (!slot || !slot->used) continue;
    Pending& p = *slot;
    if (p.deadline <= loop_.now && !send_next(p)) {
      fail(p);
      continue;
    }
    loop_.wake_at(p.deadline);
  }
}

}  // namespace berth::netns::dns
