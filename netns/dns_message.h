// The DNS wire format, as much of it as a container network's resolver needs.
//
// A DNS message (RFC 1035 section 4.1) is a 12-byte header (an id chosen by the asker, a
// word of flags, four counts) followed by four sections of resource records: question,
// answer, authority, additional. A name travels as length-prefixed labels ending in a zero
// byte ("web", "myproject", "" is 3web9myproject0); its last part may instead be a two-byte
// pointer to the same labels earlier in the message ("compression", RFC 1035 4.1.4). A
// pointer is an offset chosen by whoever wrote the packet, so a reader must bound it: here
// every pointer has to lead strictly before the labels it interrupts, which rules out loops
// and still accepts everything a real writer produces.
//
// EDNS0 (RFC 6891) adds one pseudo-record, OPT, to the additional section: in it the asker
// says how large a UDP reply it can take (without it: 512 bytes, RFC 1035 2.3.4) and which
// EDNS version it speaks. A reply that does not fit goes out cut short with the TC flag,
// and the asker repeats the question over TCP (RFC 1035 4.2.1, RFC 2181 section 9, RFC
// 7766), where each message is preceded by its length in two bytes.
//
// Read: RFC 1035 sections 3.1, 4.1 and 4.2; RFC 2181 section 9 (the TC bit); RFC 3596 (AAAA
// records, ip6.arpa); RFC 6891 sections 6 and 7 (OPT); RFC 1034 3.7 and RFC 2308 (NXDOMAIN
// against NODATA). Afterwards the reader should be able to take a packet apart, whatever
// bytes it holds, without reading past its end, and to say why the answer records can point
// back at offset 12.
//
// Everything here is pure (bytes in, bytes out, no I/O, no allocation), so a fuzzer can
// drive it: tests/fuzz/dns_message_fuzz.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace berth::netns::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameWire = 255;  // a name's wire form, RFC 1035 2.3.4
// The largest query accepted, over UDP or TCP. A query is one question (at most 255 + 4
// bytes) and an OPT record; 512 leaves room for cookies (RFC 7873, 40 bytes) and for
// padding to the 128-byte blocks RFC 8467 recommends. Nobody sends more.
inline constexpr size_t kMaxQuery = 512;
// The most a UDP reply may hold without EDNS (RFC 1035 2.3.4).
inline constexpr uint16_t kClassicUdpSize = 512;
// The most we send or take over UDP, whatever a client advertises: the size DNS flag day
// 2020 settled on, which fits a 1280-byte IPv6 minimum MTU and so is never fragmented.
// Larger answers go TC and come again over TCP. It is also the size our OPT advertises.
inline constexpr uint16_t kMaxUdpSize = 1232;
inline constexpr size_t kMaxTcpMessage = 65535;  // the two-byte length prefix's limit

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypePtr = 12;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeOpt = 41;
inline constexpr uint16_t kTypeAny = 255;
inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassAny = 255;

// Response codes. Values above 15 need EDNS: the upper bits travel in the OPT record.
enum class Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,   // the query could not be read
  kServFail = 2,  // could not answer now (no upstream answered, or forwarding is off)
  kNxDomain = 3,  // the name does not exist (of any type)
  kNotImp = 4,    // an opcode other than QUERY
  kRefused = 5,
  kBadVers = 16,  // an EDNS version other than 0 (RFC 6891 6.1.3)
};

using Ipv4 = std::array<uint8_t, 4>;
using Ipv6 = std::array<uint8_t, 16>;

// A domain name as read from a packet: its wire form as sent (original case, uncompressed,
// for echoing in the question) and a dotted, lower-case form for table lookups.
struct Name {
  uint8_t wire[kMaxNameWire];
  size_t wire_len = 0;
  char text[kMaxNameWire];  // "web.myproject": no final dot; empty for the root
  size_t text_len = 0;
  // False when a label holds a '.' (legal on the wire), which the dotted form cannot tell
  // apart from a label boundary: such a name can never match a table entry.
  bool dotted_ok = true;

  std::string_view text_view() const { return {text, text_len}; }
  std::span<const uint8_t> wire_view() const { return {wire, wire_len}; }
};

struct Question {
  Name name;
  uint16_t type = 0;
  uint16_t klass = 0;
};

// What parse_query learned. Valid as far as the Verdict says: the header always, the
// question when has_question, the EDNS fields when has_edns.
struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // the header's second word, as received
  bool has_question = false;
  Question question;
  bool has_edns = false;
  uint8_t edns_version = 0;
  bool dnssec_ok = false;           // the DO bit, copied into replies (RFC 3225)
  uint16_t udp_size = kClassicUdpSize;  // the largest UDP reply the asker takes
  size_t opt_size_offset = 0;       // where the OPT's payload size sits in the packet (0: none)

  uint8_t opcode() const { return (flags >> 11) & 0xf; }
};

// What to do with a packet that claims to be a query.
enum class Verdict {
  kQuery,    // well formed: answer or forward it
  kDrop,     // not a query at all (too short for a header, or a response): say nothing
  kFormErr,  // reply FORMERR
  kNotImp,   // reply NOTIMP (opcode other than QUERY)
  kBadVers,  // reply BADVERS (EDNS version other than 0)
};

// Reads a query; never reads outside `packet`. Fills what it could read even when the
// verdict is an error, so the error reply can carry the id and, if read, the question.
Verdict parse_query(std::span<const uint8_t> packet, Query& q);

// The content of a reply. Addresses are written from index `rotate` (modulo their count)
// on, wrapping around: successive answers start at different replicas (round robin).
struct Reply {
  Rcode rcode = Rcode::kNoError;
  bool authoritative = false;
  bool recursion_available = false;
  bool truncated = false;  // set TC and send no records at all
  std::span<const Ipv4> a;
  std::span<const Ipv6> aaaa;
  std::string_view ptr;  // a PTR record's target, dotted; empty for none
  uint32_t ttl = 0;
  size_t rotate = 0;
};

// Writes the reply to `q` into `out`, whose size is the most the transport takes. If the
// records do not all fit, none are sent and TC is set (RFC 2181 9: a partial RRset must not
// pass for a whole one). Echoes the question when it was read and adds an OPT when the
// query had one. Returns the length, or 0 when `out` cannot hold even the header.
size_t write_reply(const Query& q, const Reply& r, std::span<uint8_t> out);

// Does `response` answer our query with this id and this question? A forwarded reply is
// taken only if the id (ours, random) and the question match, so a spoofer must guess
// both the id and the moment (and, over UDP, the random source port).
bool answers_question(std::span<const uint8_t> response, uint16_t id, const Question& question);

// Header fields of a message already at least kHeaderSize long.
uint16_t read_id(std::span<const uint8_t> message);
void write_id(std::span<uint8_t> message, uint16_t id);
Rcode read_rcode(std::span<const uint8_t> message);

}  // namespace berth::netns::dns
