// Helpers for the DNS tests: building queries and reading replies with code of their own,
// written straight from RFC 1035 4.1, so the server's codec is checked by an independent
// witness rather than by itself.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace berth::netns::dns::testing {

struct QueryOptions {
  uint16_t id = 0x1234;
  bool rd = true;
  int edns_size = -1;  // -1: no OPT record
  uint8_t edns_version = 0;
  uint16_t klass = 1;
};

inline void push16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

inline void append(std::vector<uint8_t>& v, std::initializer_list<uint8_t> bytes) {
  v.insert(v.end(), bytes);
}

inline std::vector<uint8_t> encode_name(const std::string& name) {
  std::vector<uint8_t> out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

inline std::vector<uint8_t> make_query(const std::string& name, uint16_t type,
                                       const QueryOptions& o = {}) {
  std::vector<uint8_t> p;
  push16(p, o.id);
  push16(p, o.rd ? 0x0100 : 0);
  push16(p, 1);
  push16(p, 0);
  push16(p, 0);
  push16(p, o.edns_size >= 0 ? 1 : 0);
  auto n = encode_name(name);
  p.insert(p.end(), n.begin(), n.end());
  push16(p, type);
  push16(p, o.klass);
  if (o.edns_size >= 0) {
    p.push_back(0);
    push16(p, 41);
    push16(p, static_cast<uint16_t>(o.edns_size));
    p.push_back(0);
    p.push_back(o.edns_version);
    push16(p, 0);
    push16(p, 0);
  }
  return p;
}

struct Record {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string data;  // A/AAAA: the address as text; PTR: the dotted name
};

struct Response {
  uint16_t id = 0;
  uint16_t flags = 0;
  int rcode = 0;  // including the OPT's extended bits
  bool tc = false, aa = false, ra = false;
  std::string question;  // as sent back, dotted
  uint16_t qtype = 0;
  std::vector<Record> answers;
  bool has_opt = false;
  uint16_t opt_size = 0;
  size_t size = 0;
};

// Reads a possibly compressed name; returns false on anything odd.
inline bool read_name(const std::vector<uint8_t>& m, size_t& pos, std::string& out) {
  size_t p = pos;
  bool jumped = false;
  for (int hops = 0; hops < 64; hops++) {
    if (p >= m.size()) return false;
    uint8_t len = m[p];
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= m.size()) return false;
      if (!jumped) pos = p + 2;
      jumped = true;
      p = static_cast<size_t>(len & 0x3f) << 8 | m[p + 1];
      continue;
    }
    if (len == 0) {
      if (!jumped) pos = p + 1;
      return true;
    }
    if (p + 1 + len > m.size()) return false;
    if (!out.empty()) out += '.';
    out.append(reinterpret_cast<const char*>(&m[p + 1]), len);
    p += 1 + len;
  }
  return false;
}

inline std::optional<Response> parse_response(const std::vector<uint8_t>& m) {
  if (m.size() < 12) return std::nullopt;
  auto get16 = [&](size_t at) { return static_cast<uint16_t>(m[at] << 8 | m[at + 1]); };
  Response r;
  r.size = m.size();
  r.id = get16(0);
  r.flags = get16(2);
  r.rcode = r.flags & 0xf;
  r.tc = r.flags & 0x0200;
  r.aa = r.flags & 0x0400;
  r.ra = r.flags & 0x0080;
  uint16_t qd = get16(4), an = get16(6), ns = get16(8), ar = get16(10);
  size_t pos = 12;
  for (uint16_t i = 0; i < qd; i++) {
    if (!read_name(m, pos, r.question) || pos + 4 > m.size()) return std::nullopt;
    r.qtype = get16(pos);
    pos += 4;
  }
  for (uint32_t i = 0; i < uint32_t{an} + ns + ar; i++) {
    std::string owner;
    if (!read_name(m, pos, owner) || pos + 10 > m.size()) return std::nullopt;
    Record rec;
    rec.type = get16(pos);
    uint16_t klass = get16(pos + 2);
    rec.ttl = static_cast<uint32_t>(get16(pos + 4)) << 16 | get16(pos + 6);
    uint16_t rdlen = get16(pos + 8);
    pos += 10;
    if (pos + rdlen > m.size()) return std::nullopt;
    char text[INET6_ADDRSTRLEN] = "";
    if (rec.type == 1 && rdlen == 4) {
      inet_ntop(AF_INET, &m[pos], text, sizeof text);
      rec.data = text;
    } else if (rec.type == 28 && rdlen == 16) {
      inet_ntop(AF_INET6, &m[pos], text, sizeof text);
      rec.data = text;
    } else if (rec.type == 12) {
      size_t p = pos;
      if (!read_name(m, p, rec.data)) return std::nullopt;
    }
    if (rec.type == 41) {
      r.has_opt = true;
      r.opt_size = klass;
      r.rcode |= static_cast<int>(rec.ttl >> 24) << 4;
    } else if (i < an) {
      r.answers.push_back(rec);
    }
    pos += rdlen;
  }
  return r;
}

// A reply to `query` (as the fake upstreams send): `address` as an A record, TTL 60.
inline std::vector<uint8_t> make_answer(const std::vector<uint8_t>& query, const std::string& address,
                                        int rcode = 0) {
  std::vector<uint8_t> r = query;
  r[2] = static_cast<uint8_t>(0x80 | (query[2] & 0x79));
  r[3] = static_cast<uint8_t>(0x80 | rcode);
  // Keep header and question only (drop any OPT), then one answer.
  size_t pos = 12;
  std::string ignored;
  read_name(r, pos, ignored);
  r.resize(pos + 4);
  r[10] = r[11] = 0;
  if (address.empty()) {
    r[6] = r[7] = 0;
    return r;
  }
  r[6] = 0;
  r[7] = 1;
  push16(r, 0xc00c);
  push16(r, 1);
  push16(r, 1);
  push16(r, 0);
  push16(r, 60);
  push16(r, 4);
  uint8_t a[4];
  inet_pton(AF_INET, address.c_str(), a);
  r.insert(r.end(), a, a + 4);
  return r;
}

}  // namespace berth::netns::dns::testing
