// The DNS server's shared loop pieces (see dns_loop.h).
#include "netns/dns_loop.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace berth::netns::dns {

int64_t monotonic_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

SockAddr SockAddr::from(const Endpoint& e) {
  SockAddr a;
  if (e.ip.family == AF_INET) {
    a.u.v4.sin_family = AF_INET;
    a.u.v4.sin_port = htons(e.port);
    std::memcpy(&a.u.v4.sin_addr, e.ip.bytes.data(), 4);
    a.len = sizeof a.u.v4;
  } else {
    a.u.v6.sin6_family = AF_INET6;
    a.u.v6.sin6_port = htons(e.port);
    std::memcpy(&a.u.v6.sin6_addr, e.ip.bytes.data(), 16);
    a.len = sizeof a.u.v6;
  }
  return a;
}

IpAddress SockAddr::ip() const {
  IpAddress ip;
  ip.family = family();
  if (ip.family == AF_INET)
    std::memcpy(ip.bytes.data(), &u.v4.sin_addr, 4);
  else if (ip.family == AF_INET6)
    std::memcpy(ip.bytes.data(), &u.v6.sin6_addr, 16);
  return ip;
}

uint16_t RandomIds::next() {
  if (left_ == 0) {
    ssize_t n = ::getrandom(pool_.data(), sizeof pool_, 0);
    if (n != static_cast<ssize_t>(sizeof pool_)) {
      // getrandom only fails before the kernel's pool is initialised, early at boot. Ids
      // from the clock are guessable, but a query without an answer is worse.
      uint64_t x = static_cast<uint64_t>(monotonic_ms()) * 0x9e3779b97f4a7c15ull;
      for (auto& v : pool_) v = static_cast<uint16_t>((x = x * 6364136223846793005ull + 1) >> 48);
    }
    left_ = pool_.size();
  }
  return pool_[--left_];
}

MappedBuffer::MappedBuffer(size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) {
    data_ = static_cast<uint8_t*>(p);
    size_ = size;
  }
}

MappedBuffer::MappedBuffer(MappedBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

MappedBuffer& MappedBuffer::operator=(MappedBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void MappedBuffer::reset() {
  if (data_) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

bool Loop::add(int fd, uint32_t events, Tag tag) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = tag.pack();
  return ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool Loop::modify(int fd, uint32_t events, Tag tag) {
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = tag.pack();
  return ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, fd, &ev) == 0;
}

size_t Loop::pick_upstreams(const IpAddress& client, std::array<Endpoint, kMaxTries>& out) const {
  size_t n = 0;
  for (const Endpoint& e : records->upstreams_for(client)) {
    if (n == out.size()) break;
    // An upstream that is this very server (a resolv.conf pointing back at the gateway)
    // would bounce each query back to us until the pending table overflowed.
    if (std::find(own.begin(), own.end(), e) != own.end()) continue;
    out[n++] = e;
  }
  return n;
}

}  // namespace berth::netns::dns
