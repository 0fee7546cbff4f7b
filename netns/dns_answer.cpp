// Answering from the table (see dns_answer.h for the rules and their reasons).
#include "netns/dns_answer.h"

#include <algorithm>

namespace berth::netns::dns {
namespace {

std::span<uint8_t> limit_for(const Query& q, Transport t, std::span<uint8_t> out) {
  size_t limit = t == Transport::kUdp ? udp_reply_limit(q) : kMaxTcpMessage;
  return out.first(std::min(limit, out.size()));
}

// Fills `r` from the table when the question's name is one of ours; false otherwise.
bool find_local(const Records& records, const Question& question, Reply& r) {
  if (!question.name.dotted_ok) return false;
  if (question.klass != kClassIn && question.klass != kClassAny) return false;
  std::string_view name = question.name.text_view();
  if (name.empty()) return false;
  if (auto found = records.find(name)) {
    if (question.type == kTypeA || question.type == kTypeAny) r.a = found->v4;
    if (question.type == kTypeAaaa || question.type == kTypeAny) r.aaaa = found->v6;
    return true;  // with no records at all: NODATA
  }
  if (auto target = records.find_ptr(name)) {
    if (question.type == kTypePtr || question.type == kTypeAny) r.ptr = *target;
    return true;
  }
  return false;
}

// "db", not "db.example.com" (nor the root, nor a reverse name).
bool single_label(const Question& question) {
  if (!question.name.dotted_ok) return false;
  if (question.klass != kClassIn && question.klass != kClassAny) return false;
  std::string_view name = question.name.text_view();
  return !name.empty() && name.find('.') == std::string_view::npos;
}

Rcode rcode_for(Verdict v) {
  switch (v) {
    case Verdict::kNotImp: return Rcode::kNotImp;
    case Verdict::kBadVers: return Rcode::kBadVers;
    default: return Rcode::kFormErr;
  }
}

}  // namespace

size_t udp_reply_limit(const Query& q) { return std::min(q.udp_size, kMaxUdpSize); }

Decision answer_query(const Records& records, const IpAddress& client, std::span<const uint8_t> packet,
                      Transport transport, std::span<uint8_t> out, size_t rotate, Query& q) {
  Verdict verdict;
  if (packet.size() > kMaxQuery) {
    // Larger than any real query (dns_message.h): the header alone says whom to refuse.
    verdict = parse_query(packet.first(kHeaderSize), q);
    if (verdict == Verdict::kQuery) verdict = Verdict::kFormErr;
  } else {
    verdict = parse_query(packet, q);
  }
  if (verdict == Verdict::kDrop) return {};
  Reply r;
  r.recursion_available = records.forward();
  std::span<uint8_t> room = limit_for(q, transport, out);
  if (verdict != Verdict::kQuery) {
    r.rcode = rcode_for(verdict);
  } else if (!records.serves(client)) {
    r.rcode = Rcode::kRefused;
    r.recursion_available = false;
  } else if (const Records* peers = records.peers_of(client); (peers && find_local(*peers, q.question, r)) ||
                                                                  find_local(records, q.question, r)) {
    r.authoritative = true;
    r.ttl = kLocalTtl;
    r.rotate = rotate;
  } else if (single_label(q.question)) {
    r.authoritative = true;
    r.rcode = Rcode::kNxDomain;
  } else if (records.forward()) {
    return {Decision::kForward, 0};
  } else {
    r.rcode = Rcode::kServFail;
  }
  size_t n = write_reply(q, r, room);
  return n ? Decision{Decision::kReply, n} : Decision{};
}

size_t write_failure(const Query& q, bool recursion_available, std::span<uint8_t> out) {
  Reply r;
  r.rcode = Rcode::kServFail;
  r.recursion_available = recursion_available;
  return write_reply(q, r, out);
}

size_t write_truncated(const Query& q, bool recursion_available, std::span<uint8_t> out) {
  Reply r;
  r.truncated = true;
  r.recursion_available = recursion_available;
  return write_reply(q, r, out);
}

}  // namespace berth::netns::dns
