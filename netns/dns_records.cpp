// Parsing the records file into lookup tables (see dns_records.h for the format). The
// tables are built whole and only then handed over, so the server swaps from one complete
// table to the next and never answers from a half-read file.
#include "netns/dns_records.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace berth::netns::dns {
namespace {

constexpr size_t kMaxNameText = 253;  // 255 on the wire, less the first length and the final zero

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) i++;
    size_t start = i;
    while (i < line.size() && !space(line[i])) i++;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// A host name as the table keeps it: lower case, no final dot; empty if it is not a name
// a container can have (letters, digits, '-', '_' in labels of 1 to 63 bytes; compose and
// docker allow '_' in service names, so it is accepted although RFC 952 does not).
std::string normalize_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxNameText) return {};
  std::string name;
  name.reserve(text.size());
  size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return {};
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      label++;
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
      label++;
    } else {
      return {};
    }
    if (label > 63) return {};
    name += c;
  }
  return label == 0 ? std::string() : name;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// FNV-1a (32 bits): short names, a handful of multiplications each.
size_t hash_name(std::string_view name) {
  uint32_t h = 2166136261u;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (!s.ends_with(suffix)) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// The address a reverse name stands for (the inverse of reverse_name): four decimal labels
// before in-addr.arpa, or 32 one-hex-digit labels before ip6.arpa, least significant
// first. Anything else, including a shorter name that stands for a whole network, is not
// an address.
std::optional<IpAddress> parse_reverse_name(std::string_view name) {
  IpAddress ip;
  if (strip_suffix(name, ".in-addr.arpa")) {
    ip.family = AF_INET;
    for (int i = 3; i >= 0; i--) {
      size_t dot = name.find('.');
      std::string_view label = name.substr(0, dot);
      if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) return std::nullopt;
      unsigned v = 0;
      for (char c : label) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      if (v > 255 || (i > 0) != (dot != std::string_view::npos)) return std::nullopt;
      ip.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
      name = i > 0 ? name.substr(dot + 1) : std::string_view();
    }
    return ip;
  }
  if (strip_suffix(name, ".ip6.arpa") && name.size() == 63) {
    ip.family = AF_INET6;
    for (size_t n = 0; n < 32; n++) {
      char c = name[2 * n];
      if (n < 31 && name[2 * n + 1] != '.') return std::nullopt;
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) return std::nullopt;
      // Nibble n counts from the least significant end of the address.
      uint8_t& byte = ip.bytes[15 - n / 2];
      byte = static_cast<uint8_t>(n % 2 == 0 ? v : byte | v << 4);
    }
    return ip;
  }
  return std::nullopt;
}

// Sorts (address, name) pairs by address and keeps, of each address, the pair that came
// first: the first line that gave an address names its PTR record.
template <typename Address>
void sort_first_wins(std::vector<std::pair<Address, uint32_t>>& reverse) {
  std::stable_sort(reverse.begin(), reverse.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  reverse.erase(std::unique(reverse.begin(), reverse.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                reverse.end());
  reverse.shrink_to_fit();
}

template <typename Address>
std::optional<uint32_t> find_reverse(const std::vector<std::pair<Address, uint32_t>>& reverse,
                                     const Address& a) {
  auto it = std::lower_bound(reverse.begin(), reverse.end(), a,
                             [](const auto& entry, const Address& key) { return entry.first < key; });
  if (it == reverse.end() || it->first != a) return std::nullopt;
  return it->second;
}

// The first `prefix` bits of `ip`, the rest cleared.
IpAddress masked(IpAddress ip, int prefix) {
  int bytes = ip.family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; i++) {
    int keep = std::clamp(prefix - 8 * i, 0, 8);
    ip.bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  return ip;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (::inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (::inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

std::string format_ip(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ip.family == AF_INET || ip.family == AF_INET6)
    ::inet_ntop(ip.family, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host = text, port;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // 1.2.3.4:53
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return std::nullopt;
  }
  auto ip = parse_ip(host);
  if (!ip || (text.starts_with('[') && ip->family != AF_INET6)) return std::nullopt;
  Endpoint e{*ip, 53};
  if (!port.empty()) {
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    e.port = static_cast<uint16_t>(value);
  }
  return e;
}

std::string format_endpoint(const Endpoint& e) {
  std::string ip = format_ip(e.ip);
  if (e.ip.family == AF_INET6) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(e.port);
}

std::string reverse_name(const IpAddress& ip) {
  std::string out;
  if (ip.family == AF_INET) {
    for (int i = 3; i >= 0; i--) out += std::to_string(ip.bytes[static_cast<size_t>(i)]) + ".";
    return out + "in-addr.arpa";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) {
    uint8_t b = ip.bytes[static_cast<size_t>(i)];
    out += kHex[b & 0xf];
    out += '.';
    out += kHex[b >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

// The table while it is being read. Names go straight into their final arrays (text_,
// names_, slots_); addresses are noted as (name, address) pairs in file order and grouped
// by name at finish(). No map of strings, not even for a moment: the peak of reading the
// file is the peak of the process. (The map and the vectors per name this replaces put
// bench/dns's 1000 names at 1032 KiB of peak RSS; these arrays at 904.)
struct Records::Builder {
  Records r;
  std::vector<std::pair<uint32_t, Ipv4>> v4;
  std::vector<std::pair<uint32_t, Ipv6>> v6;
  // Each `host` line's address and first name, in file order.
  std::vector<std::pair<Ipv4, uint32_t>> reverse4;
  std::vector<std::pair<Ipv6, uint32_t>> reverse6;
  // `peer` lines by client, each kept as the `host` line it stands for.
  std::vector<std::pair<IpAddress, std::string>> peer_lines;

  bool parse_line(std::string_view line, std::string& problem);
  bool parse_upstreams(const std::vector<std::string_view>& w, std::string& problem);
  bool parse_host(const std::vector<std::string_view>& w, std::string& problem);
  bool parse_peer(const std::vector<std::string_view>& w, std::string& problem);
  bool parse_subnet(const std::vector<std::string_view>& w, std::string& problem);
  uint32_t intern(std::string_view name);
  void grow_slots();
  template <typename Address>
  std::vector<Address> group_by_name(const std::vector<std::pair<uint32_t, Address>>& pairs,
                                     uint32_t Name::*begin);
  Records finish();
};

bool Records::Builder::parse_line(std::string_view line, std::string& problem) {
  if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  std::vector<std::string_view> w = split_words(line);
  if (w.empty()) return true;
  if (w[0] == "forward") {
    if (w.size() != 2 || (w[1] != "yes" && w[1] != "no")) {
      problem = "want \"forward yes\" or \"forward no\"";
      return false;
    }
    r.forward_ = w[1] == "yes";
    return true;
  }
  if (w[0] == "upstream" || w[0] == "client") return parse_upstreams(w, problem);
  if (w[0] == "host") return parse_host(w, problem);
  if (w[0] == "peer") return parse_peer(w, problem);
  if (w[0] == "subnet") return parse_subnet(w, problem);
  problem = "unknown directive " + quoted(w[0]);
  return false;
}

// "upstream ENDPOINT..." or "client ADDRESS ENDPOINT...".
bool Records::Builder::parse_upstreams(const std::vector<std::string_view>& w, std::string& problem) {
  bool client = w[0] == "client";
  std::optional<IpAddress> who;
  if (client && (w.size() < 3 || !(who = parse_ip(w[1])))) {
    problem = "want \"client ADDRESS UPSTREAM...\"";
    return false;
  }
  std::vector<Endpoint> list;
  for (size_t i = client ? 2 : 1; i < w.size(); i++) {
    auto e = parse_endpoint(w[i]);
    if (!e) {
      problem = "bad upstream " + quoted(w[i]);
      return false;
    }
    list.push_back(*e);
  }
  if (list.empty()) {
    problem = "want \"upstream ADDRESS[:PORT]...\"";
    return false;
  }
  auto& to = client ? r.clients_.emplace_back(*who, std::vector<Endpoint>{}).second : r.upstreams_;
  to.insert(to.end(), list.begin(), list.end());
  return true;
}

// "subnet ADDRESS/PREFIX".
bool Records::Builder::parse_subnet(const std::vector<std::string_view>& w, std::string& problem) {
  problem = "want \"subnet ADDRESS/PREFIX\"";
  if (w.size() != 2) return false;
  size_t slash = w[1].find('/');
  if (slash == std::string_view::npos) return false;
  std::optional<IpAddress> ip = parse_ip(w[1].substr(0, slash));
  std::string_view digits = w[1].substr(slash + 1);
  int prefix = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (!ip || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
      prefix > (ip->family == AF_INET ? 32 : 128))
    return false;
  r.subnets_.push_back({masked(*ip, prefix), prefix});
  problem.clear();
  return true;
}

// "host ADDRESS NAME...": all names valid, or the line is skipped whole.
bool Records::Builder::parse_host(const std::vector<std::string_view>& w, std::string& problem) {
  std::optional<IpAddress> ip;
  if (w.size() < 3 || !(ip = parse_ip(w[1]))) {
    problem = "want \"host ADDRESS NAME...\"";
    return false;
  }
  std::vector<std::string> valid;
  for (size_t i = 2; i < w.size(); i++) {
    valid.push_back(normalize_name(w[i]));
    if (valid.back().empty()) {
      problem = "bad name " + quoted(w[i]);
      return false;
    }
  }
  uint32_t first = intern(valid.front());
  if (ip->family == AF_INET) {
    Ipv4 a;
    std::copy_n(ip->bytes.begin(), 4, a.begin());
    for (const auto& name : valid) v4.emplace_back(intern(name), a);
    reverse4.emplace_back(a, first);
  } else {
    for (const auto& name : valid) v6.emplace_back(intern(name), ip->bytes);
    reverse6.emplace_back(ip->bytes, first);
  }
  return true;
}

// "peer CLIENT ADDRESS NAME...": checked now, built into the client's own table at finish.
bool Records::Builder::parse_peer(const std::vector<std::string_view>& w, std::string& problem) {
  std::optional<IpAddress> client;
  if (w.size() < 4 || !(client = parse_ip(w[1]))) {
    problem = "want \"peer CLIENT ADDRESS NAME...\"";
    return false;
  }
  std::vector<std::string_view> host(w.begin() + 1, w.end());
  host[0] = "host";
  Builder check;
  if (!check.parse_host(host, problem)) return false;
  std::string line = "host";
  for (size_t i = 2; i < w.size(); i++) (line += ' ') += w[i];
  peer_lines.emplace_back(*client, std::move(line));
  return true;
}

uint32_t Records::Builder::intern(std::string_view name) {
  // A hash table at most half full, so a miss ends after a probe or two. (names_.size()
  // is the count of names with this one, if it is new.)
  if (2 * r.names_.size() > r.slots_.size()) grow_slots();
  size_t mask = r.slots_.size() - 1;
  size_t h = hash_name(name) & mask;
  for (; r.slots_[h] != 0; h = (h + 1) & mask)
    if (r.name_at(r.slots_[h] - 1) == name) return r.slots_[h] - 1;
  // The end marker becomes the new name, which a new marker then follows.
  uint32_t i = static_cast<uint32_t>(r.names_.size() - 1);
  r.slots_[h] = i + 1;
  r.text_ += name;
  r.names_.push_back({static_cast<uint32_t>(r.text_.size()), 0, 0});
  return i;
}

void Records::Builder::grow_slots() {
  std::vector<uint32_t> slots(std::max<size_t>(8, 2 * r.slots_.size()), 0);
  size_t mask = slots.size() - 1;
  for (uint32_t i = 0; i + 1 < r.names_.size(); i++) {
    size_t h = hash_name(r.name_at(i)) & mask;
    while (slots[h] != 0) h = (h + 1) & mask;
    slots[h] = i + 1;
  }
  r.slots_ = std::move(slots);
}

// Lays out (name, address) pairs, given in file order, as one array grouped by name, and
// sets where each name's addresses begin (`begin`: Name::v4 or Name::v6). A name's
// addresses keep the order in which they first appeared; a repeated one is kept once.
template <typename Address>
std::vector<Address> Records::Builder::group_by_name(
    const std::vector<std::pair<uint32_t, Address>>& pairs, uint32_t Name::*begin) {
  std::vector<Name>& names = r.names_;
  // A counting sort: no comparisons, and the file's order kept within each name. First
  // each name's room (as many places as it has pairs), then the pairs into the rooms.
  std::vector<uint32_t> next(names.size(), 0);
  for (const auto& [name, address] : pairs) next[name + 1]++;
  for (size_t i = 1; i < next.size(); i++) next[i] += next[i - 1];
  for (size_t i = 0; i < names.size(); i++) names[i].*begin = next[i];
  std::vector<Address> out(pairs.size());
  for (const auto& [name, address] : pairs) {
    auto room = out.begin() + names[name].*begin, end = out.begin() + next[name];
    if (std::find(room, end, address) == end) out[next[name]++] = address;
  }
  // Close the gaps that repeats left, moving each name's addresses down to where the
  // previous name's now end.
  uint32_t at = 0;
  for (size_t i = 0; i + 1 < names.size(); i++) {
    uint32_t from = names[i].*begin;
    names[i].*begin = at;
    for (uint32_t j = from; j < next[i]; j++) out[at++] = out[j];
  }
  names.back().*begin = at;
  out.resize(at);
  return out;
}

Records Records::Builder::finish() {
  r.v4_ = group_by_name(v4, &Name::v4);
  r.v6_ = group_by_name(v6, &Name::v6);
  r.text_.shrink_to_fit();
  r.names_.shrink_to_fit();
  sort_first_wins(reverse4);
  sort_first_wins(reverse6);
  r.reverse4_ = std::move(reverse4);
  r.reverse6_ = std::move(reverse6);
  // One entry per client, in address order, for a binary search per forwarded query.
  std::stable_sort(r.clients_.begin(), r.clients_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<IpAddress, std::vector<Endpoint>>> merged;
  for (auto& c : r.clients_) {
    if (!merged.empty() && merged.back().first == c.first)
      merged.back().second.insert(merged.back().second.end(), c.second.begin(), c.second.end());
    else
      merged.push_back(std::move(c));
  }
  r.clients_ = std::move(merged);
  // Each client's own table, from its `peer` lines.
  std::stable_sort(peer_lines.begin(), peer_lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < peer_lines.size();) {
    std::string text;
    size_t j = i;
    for (; j < peer_lines.size() && peer_lines[j].first == peer_lines[i].first; j++) text += peer_lines[j].second + "\n";
    std::vector<std::string> ignored;
    r.peers_.emplace_back(peer_lines[i].first, std::make_unique<Records>(Records::parse(text, ignored)));
    i = j;
  }
  return std::move(r);
}

Records Records::parse(std::string_view text, std::vector<std::string>& warnings) {
  Builder b;
  for (size_t number = 1; !text.empty(); number++) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string problem;
    if (!b.parse_line(line, problem))
      warnings.push_back("line " + std::to_string(number) + ": " + problem);
  }
  return b.finish();
}

std::span<const Endpoint> Records::upstreams_for(const IpAddress& client) const {
  auto it = std::lower_bound(clients_.begin(), clients_.end(), client,
                             [](const auto& entry, const IpAddress& ip) { return entry.first < ip; });
  if (it != clients_.end() && it->first == client) return it->second;
  return upstreams_;
}

const Records* Records::peers_of(const IpAddress& client) const {
  auto it = std::lower_bound(peers_.begin(), peers_.end(), client,
                             [](const auto& entry, const IpAddress& ip) { return entry.first < ip; });
  return it != peers_.end() && it->first == client ? it->second.get() : nullptr;
}

bool Records::serves(const IpAddress& client) const {
  if (subnets_.empty()) return true;
  return std::any_of(subnets_.begin(), subnets_.end(), [&](const Subnet& s) {
    return s.base.family == client.family && masked(client, s.prefix) == s.base;
  });
}

std::optional<uint32_t> Records::find_index(std::string_view name) const {
  if (slots_.empty()) return std::nullopt;
  size_t mask = slots_.size() - 1;
  for (size_t h = hash_name(name) & mask; slots_[h] != 0; h = (h + 1) & mask)
    if (name_at(slots_[h] - 1) == name) return slots_[h] - 1;
  return std::nullopt;
}

std::optional<Records::Addresses> Records::find(std::string_view name) const {
  auto i = find_index(name);
  if (!i) return std::nullopt;
  const Name& n = names_[*i];
  const Name& next = names_[*i + 1];
  return Addresses{std::span(v4_).subspan(n.v4, next.v4 - n.v4),
                   std::span(v6_).subspan(n.v6, next.v6 - n.v6)};
}

std::optional<std::string_view> Records::find_ptr(std::string_view name) const {
  auto ip = parse_reverse_name(name);
  if (!ip) return std::nullopt;
  std::optional<uint32_t> i;
  if (ip->family == AF_INET) {
    Ipv4 a;
    std::copy_n(ip->bytes.begin(), 4, a.begin());
    i = find_reverse(reverse4_, a);
  } else {
    i = find_reverse(reverse6_, ip->bytes);
  }
  if (!i) return std::nullopt;
  return name_at(*i);
}

}  // namespace berth::netns::dns
