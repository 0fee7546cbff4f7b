// libFuzzer target for the DNS wire format: whatever bytes a container sends to its
// network's DNS server go through parse_query and answer_query (netns/dns_answer.h), and
// whatever an upstream sends back goes through answers_question. Built and run by
// scripts/fuzz-dns with AddressSanitizer and UndefinedBehaviorSanitizer: a read outside
// the packet, a write past a reply's limit (each output buffer is allocated at exactly
// its limit), an overflow or a loop is a finding.
//
// Read: https://llvm.org/docs/LibFuzzer.html ("Fuzz target"), and netns/dns_message.h.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "netns/dns_answer.h"
#include "netns/dns_message.h"
#include "netns/dns_records.h"

namespace {

using namespace berth::netns::dns;

const Records& table() {
  static const Records records = [] {
    std::vector<std::string> warnings;
    std::string text = "upstream 127.0.0.1\nhost 10.0.0.2 web db.myproject\nhost fd00::2 web\n";
    for (int i = 1; i <= 80; i++) text += "host 10.1.0." + std::to_string(i) + " many\n";
    return Records::parse(text, warnings);
  }();
  return records;
}

void check_reply(const Decision& d, size_t limit) {
  if (d.kind == Decision::kReply && (d.length < kHeaderSize || d.length > limit)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> packet(data, size);
  // Over UDP into the largest buffer we use, over TCP, and into a small odd-sized one.
  // Each is exactly its limit long, so a write past it lands in a sanitizer's red zone;
  // the two large ones are static only to spare an allocation per run.
  static uint8_t udp[kMaxUdpSize], tcp[kMaxTcpMessage];
  std::vector<uint8_t> small(12 + size % 300);
  Query q;
  check_reply(answer_query(table(), IpAddress{}, packet, Transport::kUdp, udp, size, q), sizeof udp);
  check_reply(answer_query(table(), IpAddress{}, packet, Transport::kTcp, tcp, size, q), sizeof tcp);
  check_reply(answer_query(table(), IpAddress{}, packet, Transport::kUdp, small, size, q), small.size());
  // The same bytes as an upstream's answer to whatever question they hold.
  if (parse_query(packet, q) != Verdict::kDrop && q.has_question) {
    (void)answers_question(packet, q.id, q.question);
    size_t n = write_truncated(q, true, small);
    if (n > small.size()) std::abort();
    n = write_failure(q, true, small);
    if (n > small.size()) std::abort();
  }
  return 0;
}
