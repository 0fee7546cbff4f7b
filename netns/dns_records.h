// The records file: what a network's DNS server knows, written by the engine.
//
// One directive a line; `#` starts a comment; blank lines are fine:
//
//   forward yes|no          no: an internal network, whose containers must not reach the
//                           outside even by name; names not in the table get SERVFAIL
//   upstream 192.168.1.1    resolvers for other names (repeatable; a port as 1.2.3.4:5353
//                           or [fd00::1]:53)
//   host 172.18.0.2 web berthc0ffee1 web-alias
//                           an address and the names that resolve to it (repeatable; names
//                           shared between lines answer with every address; the first name
//                           is what the address's PTR record names)
//   client 172.18.0.2 10.250.0.2 10.250.0.3
//                           resolvers for queries *from* 172.18.0.2 (docker's `--dns` on a
//                           container whose resolv.conf points at the embedded server)
//   subnet 172.18.0.0/16    the network's own addresses (repeatable: one per family).
//                           With any such line, only clients in them get answers; others
//                           get REFUSED. The server listens in the host's namespace, on the
//                           gateway's address, and a container of another network can send
//                           it packets too (the host's addresses are reachable from every
//                           bridge): it must not learn this network's names that way.
//                           Without one, every client is answered (a file of an older
//                           berth, a test's)
//   peer 172.18.0.2 10.9.0.3 db
//                           like `host 10.9.0.3 db`, but answered only to queries *from*
//                           172.18.0.2, and before the `host` lines: a container also on
//                           another network (10.9.0.0/24) asks its first network's server
//                           for the other network's names too
//
// Names are compared without regard to ASCII case (RFC 4343) and with or without a final
// dot; a name may hold dots (`web.myproject`). A malformed line is skipped with a warning
// naming its line number: the engine wrote the file, and one bad line must not take down
// name resolution for the whole network.
//
// Read: RFC 1034 3.1 (names, case), RFC 1035 3.5 (in-addr.arpa), RFC 3596 2.5 (ip6.arpa),
// docker's "Container networking: DNS services" page. Afterwards the reader should know
// what the server can answer by itself and where everything else goes.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netns/dns_message.h"

namespace berth::netns::dns {

// An IPv4 or IPv6 address; IPv4 uses the first 4 bytes.
struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  Ipv6 bytes{};

  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
};

// inet_pton(3) of either family; nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);
std::string format_ip(const IpAddress& ip);

// An upstream resolver.
struct Endpoint {
  IpAddress ip;
  uint16_t port = 53;

  bool operator==(const Endpoint&) const = default;
};

// "1.2.3.4", "1.2.3.4:5353", "fd00::1", "[fd00::1]" or "[fd00::1]:53".
std::optional<Endpoint> parse_endpoint(std::string_view text);
std::string format_endpoint(const Endpoint& e);

// The PTR owner name of an address: "2.0.18.172.in-addr.arpa", "...ip6.arpa" (lower case).
std::string reverse_name(const IpAddress& ip);

class Records {
 public:
  struct Addresses {
    std::span<const Ipv4> v4;
    std::span<const Ipv6> v6;
  };

  // Parses the whole file. Each skipped line adds one warning: "line 7: ...".
  static Records parse(std::string_view text, std::vector<std::string>& warnings);

  bool forward() const { return forward_; }
  // The client's own upstreams if it has a `client` line, else the defaults.
  std::span<const Endpoint> upstreams_for(const IpAddress& client) const;
  // `name`: lower case, no final dot. nullopt when the table does not have it.
  std::optional<Addresses> find(std::string_view name) const;
  // `name`: an in-addr.arpa or ip6.arpa name, lower case, no final dot.
  std::optional<std::string_view> find_ptr(std::string_view name) const;
  size_t name_count() const { return names_.empty() ? 0 : names_.size() - 1; }
  // The names only this client sees (`peer` lines), or null.
  const Records* peers_of(const IpAddress& client) const;
  // Whether the client is one this server answers (`subnet` lines).
  bool serves(const IpAddress& client) const;

 private:
  // The table is a few flat arrays rather than a map of strings: one per network server,
  // it should cost a name's text and some 30 bytes, not a few hundred (bench/dns reports
  // the RSS). Name i is text_ from names_[i].text up to names_[i + 1].text, and its
  // addresses run likewise in v4_ and v6_: names_ holds one entry more than there are
  // names, which marks where the last one ends.
  struct Name {
    uint32_t text = 0;  // where the name begins in text_
    uint32_t v4 = 0;    // where its addresses begin in v4_
    uint32_t v6 = 0;    // ... and in v6_
  };
  struct Builder;

  std::string_view name_at(uint32_t i) const {
    return {text_.data() + names_[i].text, names_[i + 1].text - names_[i].text};
  }
  std::optional<uint32_t> find_index(std::string_view name) const;

  // An address range: the address with its host bits cleared, and the prefix length.
  struct Subnet {
    IpAddress base;
    int prefix = 0;
  };

  bool forward_ = true;
  std::vector<Subnet> subnets_;
  std::vector<Endpoint> upstreams_;
  std::vector<std::pair<IpAddress, std::vector<Endpoint>>> clients_;  // sorted by address
  std::string text_;                        // every name, back to back
  std::vector<Name> names_ = {Name{}};      // starts with the end marker alone
  std::vector<uint32_t> slots_;             // open addressing: 1 + index into names_, 0 = empty
  std::vector<Ipv4> v4_;
  std::vector<Ipv6> v6_;
  // Address -> the index of its PTR name; sorted. One table per family, so that an IPv4
  // entry takes 8 bytes rather than the 24 of an IpAddress and an index.
  std::vector<std::pair<Ipv4, uint32_t>> reverse4_;
  std::vector<std::pair<Ipv6, uint32_t>> reverse6_;
  // Per client, a table of its own from its `peer` lines; sorted by client.
  std::vector<std::pair<IpAddress, std::unique_ptr<Records>>> peers_;
};

}  // namespace berth::netns::dns
