// berth's NAT and forwarding rules as one nftables table. See nftables.h.
//
// The table, for one network br-a (172.18.0.0/16) publishing 8080 -> 172.18.0.2:80/tcp
// (render_ruleset adds a comment line above each chain):
//
//   table inet berth_x {
//     chain prerouting {                  # connections arriving from outside
//       type nat hook prerouting priority dstnat; policy accept;
//       meta nfproto ipv4 fib daddr type local jump published
//     }
//     chain output {                      # connections the host itself makes
//       type nat hook output priority -100; policy accept;
//       meta nfproto ipv4 fib daddr type local jump published
//     }
//     chain published {
//       iifname "br-a" meta l4proto { tcp, udp } th dport 53 return
//       tcp dport 8080 dnat ip to 172.18.0.2:80
//     }
//     chain postrouting {
//       type nat hook postrouting priority srcnat; policy accept;
//       oifname "br-a" ct status dnat ip saddr 127.0.0.0/8 masquerade
//       oifname "br-a" ct status dnat ip saddr 172.18.0.0/16 masquerade
//       oifname != "br-a" ip saddr 172.18.0.0/16 masquerade
//     }
//     chain loopback_guard {
//       type filter hook prerouting priority raw; policy accept;
//       iifname "br-a" ip daddr 127.0.0.0/8 drop
//     }
//     chain forward {
//       type filter hook forward priority filter; policy accept;
//       ct state established,related accept
//       oifname "br-a" iifname "br-a" accept
//       oifname "br-a" ct status dnat accept
//       oifname "br-a" drop
//     }
//   }
//
// Why each piece is as it is:
//
// - `inet` family: one table sees IPv4 and IPv6 alike. Its `dnat ip to` only ever rewrites
//   IPv4 packets; `meta nfproto ipv4` says so up front. A network made with --ipv6 adds a
//   chain `published6` (`dnat ip6 to [fd00::2]:80`, entered with `meta nfproto ipv6`) and
//   the same hairpin masquerade for its IPv6 subnet. IPv6 has no route_localnet, so [::1]
//   is not DNATed anywhere (the kernel would drop a ::1 source leaving loopback).
// - `fib daddr type local`: "addressed to this host", whatever its addresses are now (DHCP
//   may change them), 127.0.0.1 included. The same match works in prerouting and in output
//   (checked on 6.x kernels by the traffic test). nft names priority -100 `dstnat` only in
//   prerouting, hence the number in output.
// - DNS from a bridge is never DNATed: each network's DNS server (netns/dns_server.h)
//   answers on the bridge's gateway address, which is local, so a container publishing
//   port 53 would otherwise receive every other container's name lookups, whatever their
//   network.
// - DNAT in both hooks: a packet from outside passes prerouting, one the host sends itself
//   passes output instead; a port published in one only would be unreachable from the
//   host, or from everyone else.
// - Masquerade of 127.0.0.0/8 sources into the bridge: a connection to 127.0.0.1:8080,
//   DNATed, still has source 127.0.0.1, which no container can answer. route_localnet on
//   the bridge (enable_route_localnet) lets the kernel route it at all; masquerade then
//   gives it the bridge's address.
// - Masquerade of the bridge's own subnet into the bridge ("hairpin"): a container that
//   reaches a published port through the host's address would otherwise get the answer
//   straight from the other container, from an address it never talked to, and drop it.
//   To reach its *own* published port, the container's bridge port also needs hairpin
//   mode when br_netfilter is loaded: the bridge then does the DNAT, and would not send a
//   frame back out of the port it came in by.
// - `ct status dnat`: only what a published port let in; ordinary traffic between
//   containers on one bridge keeps its addresses.
// - loopback_guard: route_localnet also lets a container send packets to 127.0.0.1 *on the
//   host* (through its gateway), reaching services that trust loopback (CVE-2020-8558, in
//   kube-proxy). Dropped as they arrive, at priority raw, before conntrack turns the
//   answers to the host's own 127.0.0.1 connections back into 127.0.0.1 packets.
// - forward: replies first; then, for each bridge, what may enter it: its own traffic
//   (bridged packets pass this hook when br_netfilter is loaded), published ports, and
//   nothing else. Everything else is let through by the policy, which is how containers
//   reach the outside, and how the host's other traffic goes on unaffected. Nothing needs
//   to say "bridge A may not reach bridge B": B's rule, in whichever berth table owns B,
//   refuses it on the way in. Internal networks come first: their drops must win over
//   another bridge's accept.
//
// An accept ends the packet's walk through *this* chain only; other tables' chains on the
// same hook still see it, and any of them may drop it. That is what makes one table per
// state root safe: none can open what another closes.
#include "netns/nftables.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

#include "base/fd.h"
#include "base/fs.h"
#include "base/strings.h"
#include "base/trace.h"

namespace berth::netns {

namespace {

// ---- Checking: nothing reaches nft's parser that it could read as anything else ----

bool is_identifier(const std::string& s) {
  // nft's identifiers, less the characters ('/', '.', '-') that berth does not need.
  if (s.empty() || s.size() > 255 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Stricter than the kernel (which refuses only '/', ':' and white space): the name goes
// between double quotes in the script, where '"' or '\' would end or escape the string
// and a trailing '*' would make it a wildcard that matches every bridge it prefixes.
bool is_link_name(const std::string& s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// A literal address in its canonical form, as inet_ntop(3) writes it. Anything else is
// refused: nft would resolve a name such as "db" through DNS (getaddrinfo) while parsing,
// and "010.0.0.1" would mean another address to some readers than to others.
bool is_address(int family, const std::string& s) {
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN];
  if (::inet_pton(family, s.c_str(), bytes) != 1) return false;
  return ::inet_ntop(family, bytes, text, sizeof text) && s == text;
}

bool is_wildcard(const std::string& host_ip) { return host_ip.empty() || host_ip == "0.0.0.0"; }
bool is_wildcard6(const std::string& host_ip) { return host_ip.empty() || host_ip == "::"; }
bool is_any(const std::string& host_ip) { return is_wildcard(host_ip) || host_ip == "::"; }

// Which families a published port gets a rule in: those its host address covers and the
// container has an address of. (IPv6 has no route_localnet: a connection to [::1] cannot
// be sent on to a container, so ::1 is reached only through the userland proxy.)
bool serves_ipv4(const PortForward& p) {
  return !p.container_ip.empty() && (p.host_ip.empty() || is_address(AF_INET, p.host_ip));
}
bool serves_ipv6(const PortForward& p) {
  return !p.container_ip6.empty() && (p.host_ip.empty() || is_address(AF_INET6, p.host_ip));
}

// "172.18.0.0/16": an address, a prefix length, and no bits set past the prefix (nft would
// silently clear them, and the rule would cover another network than the one written).
Result<> check_subnet(int family, const std::string& cidr) {
  auto slash = cidr.find('/');
  std::string addr = cidr.substr(0, slash);
  int max_bits = family == AF_INET ? 32 : 128;
  auto bits = slash == std::string::npos ? std::nullopt : parse_int(cidr.substr(slash + 1));
  if (!is_address(family, addr) || !bits || *bits < 0 || *bits > max_bits)
    return fail(family == AF_INET ? "invalid IPv4 subnet" : "invalid IPv6 subnet", cidr);
  unsigned char bytes[16];
  ::inet_pton(family, addr.c_str(), bytes);
  for (int bit = static_cast<int>(*bits); bit < max_bits; bit++)
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) return fail("subnet with host bits set", cidr);
  return {};
}

Result<> check_network(const NatNetwork& net) {
  if (!is_link_name(net.bridge)) return fail("invalid bridge name", net.bridge);
  TRY_CTX(check_subnet(AF_INET, net.subnet), "network \"" + net.bridge + "\"");
  if (!net.subnet_v6.empty())
    TRY_CTX(check_subnet(AF_INET6, net.subnet_v6), "network \"" + net.bridge + "\"");
  return {};
}

std::string describe(const PortForward& p) {
  std::string host = p.host_ip.find(':') != std::string::npos ? "[" + p.host_ip + "]:" : p.host_ip + ":";
  std::string to = p.container_ip.empty() ? "[" + p.container_ip6 + "]" : p.container_ip;
  return (p.host_ip.empty() || p.host_ip == "0.0.0.0" ? "" : host) + std::to_string(p.host_port) + "->" + to +
         ":" + std::to_string(p.container_port) + "/" + p.protocol;
}

Result<> check_port(const PortForward& p) {
  auto bad = [&p](std::string what, std::string value = {}) {
    return std::unexpected(
        wrap(Error(0, std::move(what), std::move(value)), "published port " + describe(p)));
  };
  if (p.protocol != "tcp" && p.protocol != "udp" && p.protocol != "sctp")
    return bad("unknown protocol", p.protocol);
  if (!p.host_ip.empty() && !is_address(AF_INET, p.host_ip) && !is_address(AF_INET6, p.host_ip))
    return bad("not an IP host address", p.host_ip);
  if (!p.container_ip.empty() && !is_address(AF_INET, p.container_ip))
    return bad("not an IPv4 container address", p.container_ip);
  if (!p.container_ip6.empty() && !is_address(AF_INET6, p.container_ip6))
    return bad("not an IPv6 container address", p.container_ip6);
  if (!serves_ipv4(p) && !serves_ipv6(p))
    return bad(is_address(AF_INET6, p.host_ip) ? "an IPv6 host address for a container without an IPv6 address"
                                               : "no container address of the host address's family",
               p.host_ip);
  if (p.host_port == 0 || p.container_port == 0) return bad("port 0");
  return {};
}

// ---- Ordering: equal rulesets render as equal text ----

// Sorted by protocol and host port; for one port, a rule for one host address comes
// before the rule for all of them (the first DNAT that matches wins).
auto port_key(const PortForward& p) {
  return std::make_tuple(p.protocol, p.host_port, is_any(p.host_ip),
                         is_wildcard(p.host_ip) ? std::string() : p.host_ip, p.container_ip,
                         p.container_port, p.container_ip6);
}

std::vector<PortForward> sorted_ports(std::vector<PortForward> ports) {
  std::sort(ports.begin(), ports.end(),
            [](const auto& a, const auto& b) { return port_key(a) < port_key(b); });
  ports.erase(std::unique(ports.begin(), ports.end(),
                          [](const auto& a, const auto& b) { return port_key(a) == port_key(b); }),
              ports.end());
  return ports;
}

// Internal networks first (see the forward chain above), then by bridge name.
std::vector<NatNetwork> sorted_networks(std::vector<NatNetwork> nets) {
  std::sort(nets.begin(), nets.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(!a.internal, a.bridge) < std::make_tuple(!b.internal, b.bridge);
  });
  return nets;
}

// Two publishes of one port that can see the same packet: only the first rule would ever
// match, and the second container would silently get nothing.
Result<> check_conflicts(const std::vector<PortForward>& ports) {
  for (size_t i = 0; i < ports.size(); i++) {
    for (size_t j = i + 1; j < ports.size(); j++) {
      const auto& a = ports[i];
      const auto& b = ports[j];
      if (a.protocol != b.protocol || a.host_port != b.host_port) break;
      bool same = a.host_ip == b.host_ip;
      bool both4 = serves_ipv4(a) && serves_ipv4(b) && (same || is_wildcard(a.host_ip) || is_wildcard(b.host_ip));
      bool both6 = serves_ipv6(a) && serves_ipv6(b) && (same || is_wildcard6(a.host_ip) || is_wildcard6(b.host_ip));
      if (both4 || both6) return fail("port published twice: " + describe(a) + " and " + describe(b));
    }
  }
  return {};
}

// ---- Rendering ----

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// Appends one chain: a comment, the header, the rules. Nothing when there are no rules.
void add_chain(std::string& out, const std::string& comment, const std::string& name,
               const std::string& hook, const std::vector<std::string>& rules) {
  if (rules.empty()) return;
  out += "\t# " + comment + "\n";
  out += "\tchain " + name + " {\n";
  if (!hook.empty()) out += "\t\t" + hook + "\n";
  for (const auto& r : rules) out += "\t\t" + r + "\n";
  out += "\t}\n";
}

std::string dnat_rule(const PortForward& p) {
  std::string rule = is_wildcard(p.host_ip) ? "" : "ip daddr " + p.host_ip + " ";
  return rule + p.protocol + " dport " + std::to_string(p.host_port) + " dnat ip to " +
         p.container_ip + ":" + std::to_string(p.container_port);
}

std::string dnat6_rule(const PortForward& p) {
  std::string rule = is_wildcard6(p.host_ip) ? "" : "ip6 daddr " + p.host_ip + " ";
  return rule + p.protocol + " dport " + std::to_string(p.host_port) + " dnat ip6 to [" +
         p.container_ip6 + "]:" + std::to_string(p.container_port);
}

// IPv4 and IPv6 each get their own chain of DNATs (a `dnat ip` rule never rewrites an
// IPv6 packet, nor a `dnat ip6` rule an IPv4 one), entered from the same two hooks.
void add_dnat_chains(std::string& out, const std::vector<PortForward>& ports,
                     const std::vector<NatNetwork>& nets) {
  std::vector<std::string> rules4, rules6, jump;
  for (const auto& n : nets) {
    std::string dns = "iifname " + quoted(n.bridge) + " meta l4proto { tcp, udp } th dport 53 return";
    rules4.push_back(dns);
    rules6.push_back(dns);
  }
  const size_t dns_rules = rules4.size();
  for (const auto& p : ports) {
    if (serves_ipv4(p)) rules4.push_back(dnat_rule(p));
    if (serves_ipv6(p)) rules6.push_back(dnat6_rule(p));
  }
  if (rules4.size() == dns_rules) rules4.clear();
  if (rules6.size() == dns_rules) rules6.clear();
  if (!rules4.empty()) jump.push_back("meta nfproto ipv4 fib daddr type local jump published");
  if (!rules6.empty()) jump.push_back("meta nfproto ipv6 fib daddr type local jump published6");
  add_chain(out, "published ports, for connections from outside", "prerouting",
            "type nat hook prerouting priority dstnat; policy accept;", jump);
  add_chain(out, "published ports, for connections the host makes itself", "output",
            "type nat hook output priority -100; policy accept;", jump);
  add_chain(out, "host port -> container address and port, except the bridges' own DNS",
            "published", "", rules4);
  add_chain(out, "the same for IPv6", "published6", "", rules6);
}

void add_masquerade_chain(std::string& out, const std::vector<NatNetwork>& nets) {
  std::vector<std::string> rules;
  for (const auto& n : nets) {
    if (n.internal) continue;
    std::string br = quoted(n.bridge);
    rules.push_back("oifname " + br + " ct status dnat ip saddr 127.0.0.0/8 masquerade");
    rules.push_back("oifname " + br + " ct status dnat ip saddr " + n.subnet + " masquerade");
    rules.push_back("oifname != " + br + " ip saddr " + n.subnet + " masquerade");
    if (!n.subnet_v6.empty()) {
      rules.push_back("oifname " + br + " ct status dnat ip6 saddr " + n.subnet_v6 + " masquerade");
      rules.push_back("oifname != " + br + " ip6 saddr " + n.subnet_v6 + " masquerade");
    }
  }
  add_chain(out, "source NAT: containers going out, 127.0.0.1 and hairpin coming in",
            "postrouting", "type nat hook postrouting priority srcnat; policy accept;", rules);
}

void add_guard_chain(std::string& out, const std::vector<NatNetwork>& nets) {
  std::vector<std::string> rules;
  for (const auto& n : nets)
    rules.push_back("iifname " + quoted(n.bridge) + " ip daddr 127.0.0.0/8 drop");
  add_chain(out, "no container reaches the host's loopback through route_localnet",
            "loopback_guard", "type filter hook prerouting priority raw; policy accept;", rules);
}

void add_forward_chain(std::string& out, const std::vector<NatNetwork>& nets) {
  if (nets.empty()) return;
  std::vector<std::string> rules = {"ct state established,related accept"};
  for (const auto& n : nets) {
    std::string br = quoted(n.bridge);
    if (n.internal) {
      rules.push_back("iifname " + br + " oifname != " + br + " drop");
      rules.push_back("oifname " + br + " iifname != " + br + " drop");
    } else {
      rules.push_back("oifname " + br + " iifname " + br + " accept");
      rules.push_back("oifname " + br + " ct status dnat accept");
      rules.push_back("oifname " + br + " drop");
    }
  }
  add_chain(out, "what may enter each bridge; leaving one is the policy's business",
            "forward", "type filter hook forward priority filter; policy accept;", rules);
}

// ---- libnftables ----

struct NftCtxFree {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using NftCtx = std::unique_ptr<nft_ctx, NftCtxFree>;

// libnftables keeps state in globals (an interface cache, the ruleset generation it last
// saw), so one call at a time per process.
std::mutex& nft_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Without CAP_NET_ADMIN the kernel refuses every nf_tables message, and libnftables says
// so on our stderr by itself; asking first keeps the error ours.
bool has_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;  // let the kernel decide
  return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

// nft_ctx_new opens its netlink socket at once, and when that fails (no nfnetlink in this
// kernel, no file descriptors left) libnftables calls exit(). Opening one ourselves first
// turns that into an error.
Result<> probe_netfilter_socket() {
  Fd probe(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!probe) return sys_error("socket", "AF_NETLINK NETLINK_NETFILTER");
  return {};
}

// nft 1.0.6 reports an error in a multi-line *buffer* against the buffer's first line,
// whatever line it is on; read from a file, the script gets its errors placed right. A
// memfd is a file that never touches a disk, and nft opens it again by its /proc name.
Result<Fd> write_script_file(const std::string& commands) {
  Fd fd(::memfd_create("berth-nft", MFD_CLOEXEC));
  if (!fd) return sys_error("memfd_create", "berth-nft");
  TRY(write_all(fd.get(), commands.data(), commands.size()));
  return fd;
}

bool is_caret_line(const std::string& line) {
  return line.find('^') != std::string::npos &&
         line.find_first_not_of(" \t^") == std::string::npos;
}

// nft reports each error as "FILE:LINE:COLUMNS: Error: WHAT", then the offending line of
// the script and a line of carets under the culprit. One line of text instead:
//   Could not process rule: No such file or directory, in "jump nosuch"
std::string nft_error_text(const std::string& buffer) {
  auto lines = split(buffer, '\n');
  std::vector<std::string> errors;
  for (size_t i = 0; i < lines.size(); i++) {
    auto at = lines[i].find("Error: ");
    if (at == std::string::npos) continue;
    std::string what = lines[i].substr(at + 7);
    if (i + 2 < lines.size() && is_caret_line(lines[i + 2])) {
      what += ", in " + quoted(trim(lines[i + 1]));
      i += 2;
    }
    errors.push_back(what);
  }
  if (errors.empty()) return buffer.empty() ? "failed without a message" : trim(buffer);
  return join(errors, "; ");
}

Result<> write_sysctl_one(const std::string& path) {
  ASSIGN_OR_RETURN(std::string now, read_file(path));
  if (trim(now) == "1") return {};
  trace_syscall("write(" + quote(path) + ", \"1\")");
  return write_file(path, "1\n");
}

}  // namespace

Result<> check_ruleset(const NatRuleset& ruleset) {
  if (!is_identifier(ruleset.table)) return fail("invalid nftables table name", ruleset.table);
  std::vector<std::string> bridges;
  for (const auto& net : ruleset.networks) {
    TRY(check_network(net));
    bridges.push_back(net.bridge);
  }
  std::sort(bridges.begin(), bridges.end());
  if (auto dup = std::adjacent_find(bridges.begin(), bridges.end()); dup != bridges.end())
    return fail("bridge listed twice", *dup);
  for (const auto& port : ruleset.ports) TRY(check_port(port));
  return check_conflicts(sorted_ports(ruleset.ports));
}

// The first two lines make the third a replacement: `table` creates the table if it is
// missing (and does nothing if not), so `delete` always has something to delete, and the
// new contents follow. nft sends all of it as one batch, which the kernel commits as a
// whole or not at all: no moment without rules, no moment with two copies.
std::string render_ruleset(const NatRuleset& ruleset) {
  const std::string table = "table inet " + ruleset.table;
  std::string out = "# berth's NAT and forwarding rules for one state root (netns/nftables.h)\n";
  out += table + "\ndelete " + table + "\n";
  if (ruleset.networks.empty() && ruleset.ports.empty()) return out;
  auto nets = sorted_networks(ruleset.networks);
  std::string body;
  add_dnat_chains(body, sorted_ports(ruleset.ports), nets);
  add_masquerade_chain(body, nets);
  add_guard_chain(body, nets);
  add_forward_chain(body, nets);
  return out + table + " {\n" + body + "}\n";
}

Result<std::string> run_nft(const std::string& commands) {
  if (!has_net_admin()) return fail_errno(EPERM, "nftables without CAP_NET_ADMIN");
  TRY(probe_netfilter_socket());
  std::lock_guard lock(nft_mutex());
  // A context per call: its socket belongs to the namespace the thread is in right now,
  // and it is not close-on-exec, so it must not outlive the call (closing it may wait for
  // an RCU grace period: see "Cost" in nftables.h).
  NftCtx ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return fail("nft_ctx_new");
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
    return fail("nft_ctx_buffer_output");
  ASSIGN_OR_RETURN(Fd script, write_script_file(commands));
  std::string path = "/proc/self/fd/" + std::to_string(script.get());
  int rc = nft_run_cmd_from_filename(ctx.get(), path.c_str());
  std::string output = nft_ctx_get_output_buffer(ctx.get());
  if (rc != 0) return fail("nft: " + nft_error_text(nft_ctx_get_error_buffer(ctx.get())));
  return output;
}

Result<> apply_ruleset(const NatRuleset& ruleset) {
  const std::string what = "replacing nftables table inet " + ruleset.table;
  TRY_CTX(check_ruleset(ruleset), what);
  if (trace_enabled())
    trace_syscall("nft_run_cmd_from_filename(table inet " + ruleset.table + ": " +
                  std::to_string(ruleset.networks.size()) + " networks, " +
                  std::to_string(ruleset.ports.size()) + " published ports)");
  TRY_CTX(run_nft(render_ruleset(ruleset)), what);
  return {};
}

Result<> delete_table(const std::string& table) {
  if (!is_identifier(table)) return fail("invalid nftables table name", table);
  trace_syscall("nft_run_cmd_from_filename(delete table inet " + table + ")");
  // The same two lines that open a replacement: no error when the table is missing.
  TRY_CTX(run_nft(render_ruleset(NatRuleset{.table = table})),
          "deleting nftables table inet " + table);
  return {};
}

bool nftables_usable() { return run_nft("list tables").has_value(); }

Result<> enable_ip_forward() { return write_sysctl_one("/proc/sys/net/ipv4/ip_forward"); }

Result<> enable_route_localnet(const std::string& bridge) {
  if (!is_link_name(bridge)) return fail("invalid bridge name", bridge);
  return write_sysctl_one("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet");
}

}  // namespace berth::netns
