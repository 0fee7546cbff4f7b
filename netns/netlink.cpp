// rtnetlink requests: the framing (header, fixed part, attributes), the acknowledgement
// loop, and one small function per operation. See netlink.h for what to read first.
//
// A request is a struct nlmsghdr, then a fixed header for its family (struct ifinfomsg for
// links, ifaddrmsg for addresses, rtmsg for routes), then type-length-value attributes
// (IFLA_IFNAME, IFA_LOCAL, RTA_GATEWAY, ...), some nested (IFLA_LINKINFO holds the link
// kind and its kind-specific data). libmnl writes and walks these; everything else is here.
#include "netns/netlink.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "base/strings.h"
#include "base/trace.h"

namespace berth::netns {

namespace {

// Our requests are a few hundred bytes at most.
constexpr size_t kRequestSize = 4096;
// The kernel fills each datagram of a dump up to 32 KiB (libmnl's MNL_SOCKET_DUMP_SIZE); a
// smaller buffer would truncate it (recvmsg's MSG_TRUNC, reported by libmnl as ENOSPC).
constexpr size_t kReplySize = 32768;
// A dump restarted this many times in a row is given up on (something is churning links).
constexpr int kDumpAttempts = 5;

// One request message being built. Holds no pointer into itself, so it copies safely.
class Request {
 public:
  Request(uint16_t type, uint16_t flags) {
    nlmsghdr* h = mnl_nlmsg_put_header(buf_);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | flags;
  }
  nlmsghdr* nlh() { return reinterpret_cast<nlmsghdr*>(buf_); }
  // Appends a zeroed fixed-size header (ifinfomsg, ifaddrmsg, rtmsg) at the end.
  template <typename T>
  T* put_header() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh(), sizeof(T)));
  }

 private:
  alignas(nlmsghdr) char buf_[kRequestSize] = {};
};

const char* message_name(uint16_t type) {
  switch (type) {
    case RTM_NEWLINK: return "RTM_NEWLINK";
    case RTM_DELLINK: return "RTM_DELLINK";
    case RTM_GETLINK: return "RTM_GETLINK";
    case RTM_SETLINK: return "RTM_SETLINK";
    case RTM_NEWADDR: return "RTM_NEWADDR";
    case RTM_NEWROUTE: return "RTM_NEWROUTE";
    case RTM_GETROUTE: return "RTM_GETROUTE";
    default: return "RTM_?";
  }
}

// The kernel's rule for interface names (dev_valid_name in net/core/dev.c): 1 to 15 bytes
// (IFNAMSIZ counts the NUL), not "." or "..", no '/', ':' or whitespace. Checked here so a
// bad name fails with its own message rather than a bare EINVAL.
Result<> check_link_name(const std::string& name) {
  if (name.empty()) return fail("empty link name");
  if (name.size() >= IFNAMSIZ || name == "." || name == ".." ||
      name.find_first_of("/: \t\n\r\v\f") != std::string::npos)
    return fail("invalid link name", name);
  return {};
}

struct IpAddress {
  int family = AF_UNSPEC;
  unsigned char bytes[16] = {};
  size_t size() const { return family == AF_INET ? 4 : 16; }
};

struct IpPrefix {
  IpAddress address;
  int length = 0;
};

std::optional<IpAddress> parse_ip(const std::string& text) {
  IpAddress ip;
  if (::inet_pton(AF_INET, text.c_str(), ip.bytes) == 1)
    ip.family = AF_INET;
  else if (::inet_pton(AF_INET6, text.c_str(), ip.bytes) == 1)
    ip.family = AF_INET6;
  else
    return std::nullopt;
  return ip;
}

// "10.88.0.2/24", "fd00::2/64".
Result<IpPrefix> parse_cidr(const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return fail("address without /prefix-length", cidr);
  auto ip = parse_ip(cidr.substr(0, slash));
  auto length = parse_int(std::string_view(cidr).substr(slash + 1));
  if (!ip || !length || *length < 0 || *length > static_cast<int64_t>(ip->size() * 8))
    return fail("invalid address/prefix-length", cidr);
  return IpPrefix{*ip, static_cast<int>(*length)};
}

bool host_bits_clear(const IpPrefix& p) {
  for (size_t bit = static_cast<size_t>(p.length); bit < p.address.size() * 8; bit++)
    if (p.address.bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  return true;
}

std::string format_ip(int family, const void* bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, buf, sizeof buf);
  return buf;
}

// A message's attributes by type, past its fixed header; absent ones are null.
std::vector<const nlattr*> parse_attrs(const nlmsghdr* nlh, size_t header_size,
                                       uint16_t max_type) {
  std::vector<const nlattr*> attrs(max_type + 1u);
  mnl_attr_parse(nlh, static_cast<unsigned>(header_size),
                 [](const nlattr* attr, void* data) {
                   auto& out = *static_cast<std::vector<const nlattr*>*>(data);
                   uint16_t type = mnl_attr_get_type(attr);
                   if (type < out.size()) out[type] = attr;
                   return MNL_CB_OK;
                 },
                 &attrs);
  return attrs;
}

// An NLMSG_ERROR: 0 is the acknowledgement; otherwise the errno, and with NETLINK_EXT_ACK
// perhaps a sentence from the kernel (NLMSGERR_ATTR_MSG). The attributes follow struct
// nlmsgerr and, unless the kernel capped it (NLM_F_CAPPED), a copy of our whole request.
int parse_error(const nlmsghdr* nlh, std::string* kernel_says) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) return EBADMSG;
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (err->error == 0) return 0;
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    size_t offset = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    auto attrs = parse_attrs(nlh, offset, NLMSGERR_ATTR_MSG);
    const nlattr* msg = attrs[NLMSGERR_ATTR_MSG];
    if (msg && mnl_attr_validate(msg, MNL_TYPE_NUL_STRING) >= 0) *kernel_says = mnl_attr_get_str(msg);
  }
  return err->error < 0 ? -err->error : err->error;
}

// A request naming its link: with ifi_index 0, the kernel finds the link by IFLA_IFNAME.
Request link_request(uint16_t type, uint16_t flags, const std::string& name) {
  Request req(type, flags);
  req.put_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(req.nlh(), IFLA_IFNAME, name.c_str());
  return req;
}

std::string mtu_text(int mtu) { return mtu > 0 ? " mtu " + std::to_string(mtu) : ""; }

}  // namespace

// --- the socket -------------------------------------------------------------------------

Result<Netlink> Netlink::open() {
  mnl_socket* sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!sock) return sys_error("socket", "AF_NETLINK NETLINK_ROUTE");
  Netlink nl(sock);  // closes the socket on the error paths below
  if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) return sys_error("bind", "netlink");
  // Extended acks (Linux 4.12) let the kernel add why it refused, e.g. "Nexthop has
  // invalid gateway"; capped acks stop it echoing our whole request back with an error.
  // Both are best effort: without them errors are just an errno.
  int on = 1;
  (void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &on, sizeof on);
  (void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &on, sizeof on);
  nl.portid_ = mnl_socket_get_portid(sock);
  return nl;
}

Netlink::Netlink(Netlink&& other) noexcept
    : sock_(std::exchange(other.sock_, nullptr)), portid_(other.portid_), seq_(other.seq_) {}

Netlink& Netlink::operator=(Netlink&& other) noexcept {
  if (this != &other) {
    if (sock_) mnl_socket_close(sock_);
    sock_ = std::exchange(other.sock_, nullptr);
    portid_ = other.portid_;
    seq_ = other.seq_;
  }
  return *this;
}

Netlink::~Netlink() {
  if (sock_) mnl_socket_close(sock_);
}

Result<bool> Netlink::transact(nlmsghdr* nlh, const std::string& object,
                               const OnReply& on_reply) {
  nlh->nlmsg_seq = ++seq_;
  std::string op = std::string("netlink ") + message_name(nlh->nlmsg_type);
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) return sys_error(op, object);
  std::vector<char> buf(kReplySize);
  bool interrupted = false;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(op, object);
    int len = static_cast<int>(n);
    for (auto* msg = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(msg, len);
         msg = mnl_nlmsg_next(msg, &len)) {
      // A leftover of an earlier request that failed half-way: not ours to read.
      if (msg->nlmsg_seq != seq_) continue;
      if (msg->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      if (msg->nlmsg_type == NLMSG_ERROR) {
        std::string kernel_says;
        int err = parse_error(msg, &kernel_says);
        if (err == 0) return interrupted;
        if (!kernel_says.empty()) op += " (kernel: " + kernel_says + ")";
        return fail_errno(err, op, object);
      }
      // The end of a dump; its payload is the dump's own error code, 0 when it completed.
      if (msg->nlmsg_type == NLMSG_DONE) {
        int err = 0;
        if (mnl_nlmsg_get_payload_len(msg) >= sizeof(int))
          std::memcpy(&err, mnl_nlmsg_get_payload(msg), sizeof err);
        if (err < 0) return fail_errno(-err, op, object);
        return interrupted;
      }
      if (msg->nlmsg_type >= NLMSG_MIN_TYPE && on_reply) on_reply(msg);
    }
  }
}

Result<> Netlink::exchange(nlmsghdr* nlh, const std::string& object, const OnReply& on_reply) {
  nlh->nlmsg_flags |= NLM_F_ACK;
  TRY(transact(nlh, object, on_reply));
  return {};
}

Result<> Netlink::dump(nlmsghdr* nlh, const std::string& what,
                       const std::function<void()>& restart, const OnReply& on_reply) {
  nlh->nlmsg_flags |= NLM_F_DUMP;
  for (int attempt = 0; attempt < kDumpAttempts; attempt++) {
    restart();
    ASSIGN_OR_RETURN(bool interrupted, transact(nlh, what, on_reply));
    if (!interrupted) return {};
  }
  return fail_errno(EAGAIN, std::string("netlink ") + message_name(nlh->nlmsg_type), what);
}

// --- links ------------------------------------------------------------------------------

// NLM_F_CREATE | NLM_F_EXCL: create, and fail with EEXIST rather than modify a link that
// already has the name (it may be another network's bridge).
Result<> Netlink::create_bridge(const std::string& name, int mtu) {
  TRY(check_link_name(name));
  Request req = link_request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
  if (mtu > 0) mnl_attr_put_u32(req.nlh(), IFLA_MTU, static_cast<uint32_t>(mtu));
  // A MAC address of its own. Without one, a bridge takes the lowest MAC of its ports and
  // changes it as ports come and go; every container that cached the gateway's old MAC in
  // its ARP table then loses the gateway until the entry expires (half a minute or so).
  // Random, with the locally administered bit set and the multicast bit clear.
  uint8_t mac[6];
  if (::getrandom(mac, sizeof mac, 0) != sizeof mac) return sys_error("getrandom");
  mac[0] = static_cast<uint8_t>((mac[0] & 0xfe) | 0x02);
  mnl_attr_put(req.nlh(), IFLA_ADDRESS, sizeof mac, mac);
  nlattr* linkinfo = mnl_attr_nest_start(req.nlh(), IFLA_LINKINFO);
  mnl_attr_put_strz(req.nlh(), IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(req.nlh(), linkinfo);
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  trace_syscall("RTM_NEWLINK bridge " + quote(name) + " address " + text + mtu_text(mtu));
  return exchange(req.nlh(), name);
}

Result<> Netlink::create_veth(const std::string& name, const std::string& peer, int mtu) {
  return new_veth(name, 0, peer, -1, mtu);
}

Result<> Netlink::create_veth_into(const std::string& name, const std::string& bridge, const std::string& peer,
                                   int peer_netns_fd, int mtu) {
  ASSIGN_OR_RETURN(int bridge_index, link_index(bridge));
  return new_veth(name, bridge_index, peer, peer_netns_fd, mtu);
}

Result<> Netlink::new_veth(const std::string& name, int master_index, const std::string& peer, int peer_netns_fd,
                           int mtu) {
  TRY(check_link_name(name));
  TRY(check_link_name(peer));
  Request req = link_request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
  nlmsghdr* nlh = req.nlh();
  if (mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, static_cast<uint32_t>(mtu));
  if (master_index > 0) mnl_attr_put_u32(nlh, IFLA_MASTER, static_cast<uint32_t>(master_index));
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  // The peer is described as a link request of its own: VETH_INFO_PEER holds a whole
  // struct ifinfomsg followed by the peer's attributes (drivers/net/veth.c, veth_newlink).
  nlattr* peer_info = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer.c_str());
  if (peer_netns_fd >= 0) mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  if (mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, static_cast<uint32_t>(mtu));
  mnl_attr_nest_end(nlh, peer_info);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  trace_syscall("RTM_NEWLINK veth " + quote(name) + (master_index > 0 ? " master #" + std::to_string(master_index) : "") +
                " peer " + quote(peer) + (peer_netns_fd >= 0 ? " netns fd " + std::to_string(peer_netns_fd) : "") +
                mtu_text(mtu));
  return exchange(nlh, name);
}

Result<> Netlink::set_hairpin(const std::string& name, bool on) {
  TRY(check_link_name(name));
  ASSIGN_OR_RETURN(int index, link_index(name));
  Request req(RTM_SETLINK, 0);
  auto* ifi = req.put_header<ifinfomsg>();
  ifi->ifi_family = AF_BRIDGE;  // the bridge driver's own attributes of the port
  ifi->ifi_index = index;
  nlattr* info = mnl_attr_nest_start(req.nlh(), IFLA_PROTINFO | NLA_F_NESTED);
  mnl_attr_put_u8(req.nlh(), IFLA_BRPORT_MODE, on ? 1 : 0);
  mnl_attr_nest_end(req.nlh(), info);
  trace_syscall("RTM_SETLINK " + quote(name) + " bridge_slave hairpin " + (on ? "on" : "off"));
  return exchange(req.nlh(), name);
}

Result<int> Netlink::link_index(const std::string& name) {
  TRY(check_link_name(name));
  Request req = link_request(RTM_GETLINK, 0, name);
  // Leave out the counters: the reply is read only for its index.
  mnl_attr_put_u32(req.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  trace_syscall("RTM_GETLINK " + quote(name));
  int index = 0;
  auto r = exchange(req.nlh(), name, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type == RTM_NEWLINK)
      index = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh))->ifi_index;
  });
  // The kernel says ENODEV ("No such device"); callers branch on ENOENT like for files.
  if (!r && r.error().errno_value() == ENODEV)
    return fail_errno(ENOENT, r.error().op(), r.error().object());
  if (!r) return std::unexpected(r.error());
  if (index <= 0) return fail_errno(EBADMSG, "netlink RTM_GETLINK: reply without a link", name);
  return index;
}

bool Netlink::link_exists(const std::string& name) { return link_index(name).has_value(); }

Result<> Netlink::set_up(const std::string& name) {
  TRY(check_link_name(name));
  Request req = link_request(RTM_SETLINK, 0, name);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(req.nlh()));
  ifi->ifi_change = IFF_UP;  // the flags to change...
  ifi->ifi_flags = IFF_UP;   // ...and their new values
  trace_syscall("RTM_SETLINK " + quote(name) + " up");
  return exchange(req.nlh(), name);
}

Result<> Netlink::set_master(const std::string& name, const std::string& bridge) {
  TRY(check_link_name(name));
  ASSIGN_OR_RETURN(int bridge_index, link_index(bridge));
  Request req = link_request(RTM_SETLINK, 0, name);
  mnl_attr_put_u32(req.nlh(), IFLA_MASTER, static_cast<uint32_t>(bridge_index));
  trace_syscall("RTM_SETLINK " + quote(name) + " master " + quote(bridge));
  return exchange(req.nlh(), name);
}

Result<> Netlink::set_mtu(const std::string& name, int mtu) {
  TRY(check_link_name(name));
  if (mtu <= 0) return fail("invalid mtu " + std::to_string(mtu) + " for link", name);
  Request req = link_request(RTM_SETLINK, 0, name);
  mnl_attr_put_u32(req.nlh(), IFLA_MTU, static_cast<uint32_t>(mtu));
  trace_syscall("RTM_SETLINK " + quote(name) + mtu_text(mtu));
  return exchange(req.nlh(), name);
}

// Here IFLA_IFNAME carries the new name, so the link is named by its index instead.
Result<> Netlink::rename_link(const std::string& old_name, const std::string& new_name) {
  TRY(check_link_name(new_name));
  ASSIGN_OR_RETURN(int index, link_index(old_name));
  Request req(RTM_SETLINK, 0);
  auto* ifi = req.put_header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  mnl_attr_put_strz(req.nlh(), IFLA_IFNAME, new_name.c_str());
  trace_syscall("RTM_SETLINK " + quote(old_name) + " name " + quote(new_name));
  return exchange(req.nlh(), old_name + " -> " + new_name);
}

Result<> Netlink::move_to_netns(const std::string& name, int netns_fd) {
  TRY(check_link_name(name));
  Request req = link_request(RTM_SETLINK, 0, name);
  mnl_attr_put_u32(req.nlh(), IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  trace_syscall("RTM_SETLINK " + quote(name) + " netns fd " + std::to_string(netns_fd));
  return exchange(req.nlh(), name);
}

Result<> Netlink::delete_link(const std::string& name) {
  TRY(check_link_name(name));
  Request req = link_request(RTM_DELLINK, 0, name);
  trace_syscall("RTM_DELLINK " + quote(name));
  auto r = exchange(req.nlh(), name);
  if (!r && r.error().errno_value() == ENODEV) return {};  // already gone
  return r;
}

Result<std::vector<std::string>> Netlink::list_links(std::string_view prefix) {
  Request req(RTM_GETLINK, 0);
  req.put_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_u32(req.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  trace_syscall("RTM_GETLINK dump (names starting " + quote(std::string(prefix)) + ")");
  std::vector<std::string> names;
  TRY(dump(req.nlh(), "links", [&] { names.clear(); }, [&](const nlmsghdr* nlh) {
    auto attrs = parse_attrs(nlh, sizeof(ifinfomsg), IFLA_IFNAME);
    const nlattr* name = attrs[IFLA_IFNAME];
    if (!name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0) return;
    if (starts_with(mnl_attr_get_str(name), prefix)) names.emplace_back(mnl_attr_get_str(name));
  }));
  return names;
}

// --- addresses --------------------------------------------------------------------------

Result<> Netlink::add_address(const std::string& name, const std::string& cidr) {
  std::string object = cidr + " dev " + name;
  ASSIGN_OR_RETURN(IpPrefix prefix, parse_cidr(cidr));
  ASSIGN_OR_RETURN(int index, link_index(name));
  const IpAddress& ip = prefix.address;
  Request req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = req.put_header<ifaddrmsg>();
  ifa->ifa_family = static_cast<uint8_t>(ip.family);
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix.length);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(index);
  // IFA_LOCAL is our address; IFA_ADDRESS is the far end on point-to-point links and the
  // same address everywhere else, as `ip addr add` sends it.
  mnl_attr_put(req.nlh(), IFA_LOCAL, ip.size(), ip.bytes);
  mnl_attr_put(req.nlh(), IFA_ADDRESS, ip.size(), ip.bytes);
  if (ip.family == AF_INET && prefix.length < 31) {
    // The subnet's broadcast address (all host bits set), which `ip` sets only with
    // `brd +`: without it, a ping to 10.88.0.255 would not reach the other containers.
    IpAddress brd = ip;
    for (int bit = prefix.length; bit < 32; bit++) brd.bytes[bit / 8] |= 0x80 >> (bit % 8);
    mnl_attr_put(req.nlh(), IFA_BROADCAST, 4, brd.bytes);
  }
  if (ip.family == AF_INET6) {
    // No duplicate address detection (as Docker does): DAD keeps a new IPv6 address
    // "tentative", unusable for bind(2), for a second or more, and berth's IPAM already
    // hands out each address once per network.
    ifa->ifa_flags = IFA_F_NODAD;
    mnl_attr_put_u32(req.nlh(), IFA_FLAGS, IFA_F_NODAD);
  }
  trace_syscall("RTM_NEWADDR " + quote(name) + " " + cidr);
  return exchange(req.nlh(), object);
}

// --- routes -----------------------------------------------------------------------------

// The family (0.0.0.0/0 or ::/0) follows from the gateway's form.
Result<> Netlink::add_default_route(const std::string& gateway) {
  if (gateway.empty()) return fail("default route without a gateway");
  return add_route("default", gateway, "");
}

Result<> Netlink::add_route(const std::string& cidr, const std::string& gateway,
                            const std::string& dev) {
  std::string object = cidr + (gateway.empty() ? "" : " via " + gateway) +
                       (dev.empty() ? "" : " dev " + dev);
  if (gateway.empty() && dev.empty()) return fail("route needs a gateway or a device", object);
  std::optional<IpAddress> via;
  if (!gateway.empty() && !(via = parse_ip(gateway))) return fail("invalid gateway", gateway);
  IpPrefix dst;
  if (cidr == "default") {
    dst.address.family = via ? via->family : AF_INET;
  } else {
    ASSIGN_OR_RETURN(dst, parse_cidr(cidr));
    // The kernel refuses these too ("Invalid prefix for given prefix length").
    if (!host_bits_clear(dst)) return fail("route destination has host bits set", cidr);
  }
  if (via && via->family != dst.address.family)
    return fail("gateway and destination are of different families", object);
  int oif = 0;
  if (!dev.empty()) {
    ASSIGN_OR_RETURN(oif, link_index(dev));
  }

  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto* rtm = req.put_header<rtmsg>();
  rtm->rtm_family = static_cast<uint8_t>(dst.address.family);
  rtm->rtm_dst_len = static_cast<uint8_t>(dst.length);
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;  // "proto boot", what `ip route add` records
  rtm->rtm_type = RTN_UNICAST;
  // Without a gateway the destination is directly on the link (scope link); IPv6 has no
  // route scopes and takes universe always, as iproute2 sends.
  rtm->rtm_scope = (via || dst.address.family == AF_INET6) ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  if (dst.length > 0) mnl_attr_put(req.nlh(), RTA_DST, dst.address.size(), dst.address.bytes);
  if (via) mnl_attr_put(req.nlh(), RTA_GATEWAY, via->size(), via->bytes);
  if (oif > 0) mnl_attr_put_u32(req.nlh(), RTA_OIF, static_cast<uint32_t>(oif));
  trace_syscall("RTM_NEWROUTE " + object);
  return exchange(req.nlh(), object);
}

Result<std::vector<std::string>> Netlink::routes_v4() {
  Request req(RTM_GETROUTE, 0);
  req.put_header<rtmsg>()->rtm_family = AF_INET;
  trace_syscall("RTM_GETROUTE dump inet");
  std::set<std::string> found;
  TRY(dump(req.nlh(), "IPv4 routes", [&] { found.clear(); }, [&](const nlmsghdr* nlh) {
    const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    auto attrs = parse_attrs(nlh, sizeof(rtmsg), RTA_TABLE);
    // Tables past 255 travel only in RTA_TABLE (rtm_table is one byte).
    uint32_t table = rtm->rtm_table;
    if (attrs[RTA_TABLE] && mnl_attr_validate(attrs[RTA_TABLE], MNL_TYPE_U32) >= 0)
      table = mnl_attr_get_u32(attrs[RTA_TABLE]);
    // The local table holds the host's own addresses and broadcasts, one /32 each; the
    // subnets they belong to are already there as connected routes in the main table.
    bool kept_type = rtm->rtm_type == RTN_UNICAST || rtm->rtm_type == RTN_BLACKHOLE ||
                     rtm->rtm_type == RTN_UNREACHABLE || rtm->rtm_type == RTN_PROHIBIT;
    if (table == RT_TABLE_LOCAL || !kept_type || rtm->rtm_dst_len == 0) return;
    const nlattr* dst = attrs[RTA_DST];
    if (!dst || mnl_attr_get_payload_len(dst) != 4) return;
    found.insert(format_ip(AF_INET, mnl_attr_get_payload(dst)) + "/" +
                 std::to_string(rtm->rtm_dst_len));
  }));
  return std::vector<std::string>(found.begin(), found.end());
}

}  // namespace berth::netns
