// What the server does with one query, decided from the records table alone: answer it
// (from the table, or with an error), forward it, or ignore it. No sockets here: the
// server (dns_server.cpp) moves bytes, this decides, so the decisions are testable and
// fuzzable on their own.
//
// The answers, and why:
//   - A / AAAA for a name in the table: its addresses of that family, TTL kLocalTtl.
//   - A name in the table asked for a type it has nothing of (AAAA of an IPv4-only
//     container, MX, TXT, ...): NOERROR with no records ("NODATA", RFC 2308 section 2.2),
//     never NXDOMAIN. NXDOMAIN means the name has no records of *any* type (RFC 1034 4.3.2),
//     and musl and busybox, which ask A and AAAA in parallel, give up on the name when
//     either says NXDOMAIN.
//   - ANY for a name in the table: all of its A and AAAA records (RFC 8482 allows any
//     non-empty subset; these are all there is).
//   - PTR for the in-addr.arpa / ip6.arpa name of an address in the table: the first name
//     of that address's first `host` line.
//   - A name the client's `peer` lines give (dns_records.h): as for a name in the table,
//     looked up first.
//   - A single-label name ("db") not in the table: NXDOMAIN, authoritative, at once. Such
//     names are container names; one that is not (yet, or any more) running has no address
//     anywhere, and the public DNS has no single-label hosts either (RFC 8499's TLDs
//     aside), so forwarding would only make the client wait for the upstream (seconds,
//     when it is unreachable) to hear the same. systemd-resolved does the same by default
//     (ResolveUnicastSingleLabel=no); the client's search list still turns "db" into
//     "db.example.com", which has a dot and is forwarded.
//   - Anything else: forwarded when the file says `forward yes`; SERVFAIL when it says
//     `forward no` (an internal network). SERVFAIL, not NXDOMAIN or REFUSED, is what
//     docker's embedded server answers there: it says "cannot answer", which is the truth
//     (the name may well exist), and resolvers then try their next server or search domain.
//   - A client outside the network's subnets (`subnet` lines): REFUSED, whatever it asks.
//     A container of another network reaches this server's address too (it is the host's),
//     and it must learn neither this network's names nor use it as a resolver. REFUSED,
//     not silence, so that a mistaken `--dns` fails at once rather than after a timeout.
//   - Not a proper query: FORMERR, NOTIMP or BADVERS (dns_message.h); FORMERR also for a
//     query longer than kMaxQuery; a response, or less than a header: nothing.
//
// Read: RFC 1034 4.3.2 (the lookup algorithm), RFC 2308 section 2 (NXDOMAIN and NODATA),
// RFC 8482 (ANY), docker's libnetwork resolver.go for the behaviour users expect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netns/dns_message.h"
#include "netns/dns_records.h"

namespace berth::netns::dns {

// The TTL of answers from the table. A container's address changes whenever compose
// recreates it, so a client that caches an answer (nginx's `resolver`, systemd-resolved,
// a JVM) must not keep it long: 5 seconds, as Kubernetes' CoreDNS gives its service names
// for the same reason. The server itself never caches: every answer comes from the table
// as it is when the query arrives.
inline constexpr uint32_t kLocalTtl = 5;

enum class Transport { kUdp, kTcp };

struct Decision {
  enum Kind { kReply, kForward, kDrop } kind = kDrop;
  size_t length = 0;  // of the reply in `out`, for kReply
};

// Decides what to do with `packet`, a query from a client over `transport`. Replies are
// written into `out` (at least kMaxUdpSize bytes for UDP; up to kMaxTcpMessage for TCP);
// over UDP they are held to what the client takes (q.udp_size, at most kMaxUdpSize).
// `client` is the query's source address (for its `peer` names).
// `rotate` varies the order of several addresses between answers. `q` is the parsed
// query, which forwarding needs.
Decision answer_query(const Records& records, const IpAddress& client, std::span<const uint8_t> packet,
                      Transport transport, std::span<uint8_t> out, size_t rotate, Query& q);

// The reply to a query that cannot be answered or forwarded now: SERVFAIL, or, over UDP,
// TC when the answer that came back is larger than the client takes.
size_t write_failure(const Query& q, bool recursion_available, std::span<uint8_t> out);
size_t write_truncated(const Query& q, bool recursion_available, std::span<uint8_t> out);

// The most a UDP reply to `q` may hold.
size_t udp_reply_limit(const Query& q);

}  // namespace berth::netns::dns
