// Reading queries and writing replies (RFC 1035 4.1, RFC 6891 6). Every read goes through
// a bounds check against the packet's length; nothing trusts a count or an offset that
// came in the packet.
#include "netns/dns_message.h"

#include <algorithm>
#include <cstring>

namespace berth::netns::dns {
namespace {

// The header's flag bits (RFC 1035 4.1.1; AD and CD from RFC 4035 3.2).
constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kFlagOpcode = 0x7800;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagTc = 0x0200;
constexpr uint16_t kFlagRd = 0x0100;
constexpr uint16_t kFlagRa = 0x0080;
constexpr uint16_t kFlagCd = 0x0010;
constexpr uint16_t kEdnsDo = 0x8000;  // in the OPT's flags (RFC 3225)

constexpr size_t kOptSize = 11;  // root name, type, class, ttl, rdlength: no options
// How many compression pointers one name may follow. The "strictly backwards" rule below
// already makes loops impossible; this only caps the work a hostile packet can cause.
constexpr int kMaxPointers = 32;

uint16_t get16(std::span<const uint8_t> m, size_t at) {
  return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

char lower(uint8_t c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c); }

// Reads the name at `pos`, following compression pointers. Returns the offset just after
// the name as it sits at `pos` (after its first pointer, if any), or 0 when it is malformed:
// runs off the end, is longer than 255 bytes, uses the obsolete label types 01 and 10
// (RFC 6891 5), or has a pointer that does not lead strictly before the labels it was
// found in. That last rule is what makes loops impossible: each jump lands before the
// start of the previous run of labels, so the runs' starts strictly decrease.
size_t read_name(std::span<const uint8_t> m, size_t pos, Name* out) {
  size_t run_start = pos;  // where the current run of labels began
  size_t end = 0;          // the offset after the name in place, once known
  size_t wire_len = 0;
  int pointers = 0;
  if (out) {
    out->text_len = 0;
    out->dotted_ok = true;
  }
  for (;;) {
    if (pos >= m.size()) return 0;
    uint8_t len = m[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= m.size() || ++pointers > kMaxPointers) return 0;
      size_t target = static_cast<size_t>(len & 0x3f) << 8 | m[pos + 1];
      if (target >= run_start) return 0;
      if (end == 0) end = pos + 2;
      pos = run_start = target;
      continue;
    }
    if (len & 0xc0) return 0;  // 01 and 10 label types
    // The label and its length byte, and room left for the final zero byte, within 255.
    if (pos + 1 + len > m.size() || wire_len + 1 + len + (len ? 1 : 0) > kMaxNameWire) return 0;
    if (out) {
      std::memcpy(out->wire + wire_len, &m[pos], 1 + len);
      if (len > 0 && out->text_len > 0) out->text[out->text_len++] = '.';
      for (size_t i = 0; i < len; i++) {
        uint8_t c = m[pos + 1 + i];
        if (c == '.') out->dotted_ok = false;
        out->text[out->text_len++] = lower(c);
      }
    }
    wire_len += 1 + len;
    pos += 1 + len;
    if (len == 0) break;
  }
  if (out) out->wire_len = wire_len;
  return end ? end : pos;
}

// Skips one resource record at `pos`; returns the offset after it, or 0 if malformed.
size_t skip_record(std::span<const uint8_t> m, size_t pos) {
  pos = read_name(m, pos, nullptr);
  if (pos == 0 || pos + 10 > m.size()) return 0;
  size_t rdlength = get16(m, pos + 8);
  pos += 10 + rdlength;
  return pos <= m.size() ? pos : 0;
}

// Reads the additional section, looking for the OPT record (RFC 6891 6.1.1: at most one,
// owned by the root name).
bool read_additional(std::span<const uint8_t> m, size_t pos, uint16_t count, Query& q) {
  for (uint16_t i = 0; i < count; i++) {
    size_t rr = pos;
    size_t after_name = read_name(m, rr, nullptr);
    if (after_name == 0 || after_name + 10 > m.size()) return false;
    if (get16(m, after_name) == kTypeOpt) {
      bool root = after_name == rr + 1 && m[rr] == 0;
      if (q.has_edns || !root) return false;
      q.has_edns = true;
      q.opt_size_offset = after_name + 2;
      q.udp_size = std::max(get16(m, after_name + 2), kClassicUdpSize);
      q.edns_version = m[after_name + 5];
      q.dnssec_ok = (get16(m, after_name + 6) & kEdnsDo) != 0;
    }
    pos = skip_record(m, rr);
    if (pos == 0) return false;
  }
  return true;
}

// Writes records into a buffer, never past `limit_`. A failed add leaves the buffer as it
// was before the call.
class Writer {
 public:
  Writer(std::span<uint8_t> out, size_t limit) : out_(out.data()), limit_(limit) {}

  size_t size() const { return len_; }
  void rewind(size_t len) { len_ = len; }
  bool put(const void* data, size_t n) {
    if (n > limit_ - len_) return false;
    std::memcpy(out_ + len_, data, n);
    len_ += n;
    return true;
  }
  bool put16(uint16_t v) {
    uint8_t b[2];
    dns::put16(b, v);
    return put(b, 2);
  }
  // A record owned by the question's name: a pointer to offset 12, where the question's
  // name starts in every reply (RFC 1035 4.1.4).
  bool record(uint16_t type, uint32_t ttl, const uint8_t* rdata, size_t rdlength) {
    if (10 + 2 + rdlength > limit_ - len_) return false;
    uint8_t* p = out_ + len_;
    dns::put16(p, 0xc000 | kHeaderSize);
    dns::put16(p + 2, type);
    dns::put16(p + 4, kClassIn);
    put32(p + 6, ttl);
    dns::put16(p + 10, static_cast<uint16_t>(rdlength));
    std::memcpy(p + 12, rdata, rdlength);
    len_ += 12 + rdlength;
    return true;
  }

 private:
  uint8_t* out_;
  size_t limit_;
  size_t len_ = 0;
};

// Encodes a dotted name ("web.myproject") as labels; returns the length, 0 if it is not a
// valid name (empty label, label over 63 bytes, name over 255).
size_t encode_name(std::string_view text, uint8_t (&wire)[kMaxNameWire]) {
  size_t len = 0;
  while (!text.empty()) {
    size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    if (label.empty() || label.size() > 63 || len + 1 + label.size() + 1 > kMaxNameWire) return 0;
    wire[len++] = static_cast<uint8_t>(label.size());
    std::memcpy(wire + len, label.data(), label.size());
    len += label.size();
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  wire[len++] = 0;
  return len;
}

// Writes the answer records; false when they do not all fit.
bool write_answers(Writer& w, const Reply& r, uint16_t& count) {
  for (size_t i = 0; i < r.a.size(); i++, count++)
    if (!w.record(kTypeA, r.ttl, r.a[(r.rotate + i) % r.a.size()].data(), 4)) return false;
  for (size_t i = 0; i < r.aaaa.size(); i++, count++)
    if (!w.record(kTypeAaaa, r.ttl, r.aaaa[(r.rotate + i) % r.aaaa.size()].data(), 16))
      return false;
  if (!r.ptr.empty()) {
    uint8_t wire[kMaxNameWire];
    size_t n = encode_name(r.ptr, wire);
    if (n > 0) {
      if (!w.record(kTypePtr, r.ttl, wire, n)) return false;
      count++;
    }
  }
  return true;
}

}  // namespace

Verdict parse_query(std::span<const uint8_t> m, Query& q) {
  q = Query{};
  if (m.size() < kHeaderSize) return Verdict::kDrop;
  q.id = get16(m, 0);
  q.flags = get16(m, 2);
  // Never answer a response: two servers answering each other's answers would loop.
  if (q.flags & kFlagQr) return Verdict::kDrop;
  uint16_t qdcount = get16(m, 4), ancount = get16(m, 6), nscount = get16(m, 8),
           arcount = get16(m, 10);
  if (qdcount != 1) return q.opcode() != 0 ? Verdict::kNotImp : Verdict::kFormErr;
  size_t pos = read_name(m, kHeaderSize, &q.question.name);
  if (pos == 0 || pos + 4 > m.size()) return Verdict::kFormErr;
  q.question.type = get16(m, pos);
  q.question.klass = get16(m, pos + 2);
  q.has_question = true;
  pos += 4;
  if (q.opcode() != 0) return Verdict::kNotImp;
  // A query has no answers or authority, but skipping them costs nothing and finds the OPT.
  for (uint32_t i = 0; i < uint32_t{ancount} + nscount; i++)
    if ((pos = skip_record(m, pos)) == 0) return Verdict::kFormErr;
  if (!read_additional(m, pos, arcount, q)) return Verdict::kFormErr;
  if (q.has_edns && q.edns_version != 0) return Verdict::kBadVers;
  return Verdict::kQuery;
}

size_t write_reply(const Query& q, const Reply& r, std::span<uint8_t> out) {
  // The OPT goes last but is never dropped for lack of room: reserve it first.
  size_t opt = q.has_edns ? kOptSize : 0;
  size_t question = q.has_question ? q.question.name.wire_len + 4 : 0;
  if (out.size() < kHeaderSize + question + opt) return 0;
  auto rcode = static_cast<uint16_t>(r.rcode);
  Writer w(out, out.size() - opt);
  uint16_t flags = kFlagQr | (q.flags & (kFlagOpcode | kFlagRd | kFlagCd)) | (rcode & 0xf);
  if (r.authoritative) flags |= kFlagAa;
  if (r.recursion_available) flags |= kFlagRa;
  uint8_t header[kHeaderSize] = {};
  put16(header, q.id);
  put16(header + 4, q.has_question ? 1 : 0);
  w.put(header, sizeof header);
  if (q.has_question) {
    w.put(q.question.name.wire, q.question.name.wire_len);
    w.put16(q.question.type);
    w.put16(q.question.klass);
  }
  size_t before_answers = w.size();
  uint16_t answers = 0;
  if (r.truncated || !write_answers(w, r, answers)) {
    flags |= kFlagTc;
    answers = 0;
    w.rewind(before_answers);
  }
  put16(&out[2], flags);
  put16(&out[6], answers);
  put16(&out[10], q.has_edns ? 1 : 0);
  size_t len = w.size();
  if (q.has_edns) {
    uint8_t* p = &out[len];
    p[0] = 0;  // the root name
    put16(p + 1, kTypeOpt);
    put16(p + 3, kMaxUdpSize);               // our own payload size
    p[5] = static_cast<uint8_t>(rcode >> 4);  // extended rcode: the upper 8 of 12 bits
    p[6] = 0;                                 // EDNS version 0
    put16(p + 7, q.dnssec_ok ? kEdnsDo : 0);
    put16(p + 9, 0);  // no options
    len += kOptSize;
  }
  return len;
}

bool answers_question(std::span<const uint8_t> m, uint16_t id, const Question& question) {
  if (m.size() < kHeaderSize || get16(m, 0) != id || !(get16(m, 2) & kFlagQr)) return false;
  if (get16(m, 4) != 1) return false;
  Name name;
  size_t pos = read_name(m, kHeaderSize, &name);
  if (pos == 0 || pos + 4 > m.size()) return false;
  if (get16(m, pos) != question.type || get16(m, pos + 2) != question.klass) return false;
  // Same labels, ignoring ASCII case (RFC 4343): resolvers that randomise the case of a
  // query (the "0x20" trick) expect it back as sent, but any case is the same name.
  if (name.wire_len != question.name.wire_len) return false;
  for (size_t i = 0; i < name.wire_len; i++)
    if (lower(name.wire[i]) != lower(question.name.wire[i])) return false;
  return true;
}

uint16_t read_id(std::span<const uint8_t> m) { return get16(m, 0); }

void write_id(std::span<uint8_t> m, uint16_t id) { put16(m.data(), id); }

Rcode read_rcode(std::span<const uint8_t> m) { return static_cast<Rcode>(m[3] & 0xf); }

}  // namespace berth::netns::dns
