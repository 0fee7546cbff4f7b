// Links, addresses and routes through rtnetlink, the kernel's own interface for them.
//
// `ip link add br0 type bridge` is, underneath, one RTM_NEWLINK message on a NETLINK_ROUTE
// socket; berth sends the same messages itself (through libmnl) instead of running `ip`.
// Each operation below builds one request, asks for an acknowledgement (NLM_F_ACK) and
// turns the kernel's answer into a Result whose error names the object:
//   netlink RTM_NEWLINK "br-1a2b3c4d": File exists
// With --trace each request is printed as one line, e.g.
//   RTM_NEWLINK bridge "br-1a2b3c4d" mtu 1500
//
// Read: rtnetlink(7) and netlink(7) for the messages, libmnl's examples/rtnl for the
// framing, veth(4) and the kernel's Documentation/networking/bridge.rst. Afterwards the
// reader should know that a "link" is any network interface (physical, bridge, veth end),
// that an address and a route are separate objects attached to a link, and that every
// socket belongs to one network namespace.
//
// A Netlink object works in the network namespace of the thread that opened it, for its
// whole life: entering another namespace later (InNetns, netns.h) does not move an open
// socket, so open a new Netlink there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct mnl_socket;
struct nlmsghdr;

namespace berth::netns {

class Netlink {
 public:
  // socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), bound to a kernel-chosen
  // port id, with extended acks on so the kernel can say why it refused a request.
  static Result<Netlink> open();

  Netlink(Netlink&& other) noexcept;
  Netlink& operator=(Netlink&& other) noexcept;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;
  ~Netlink();

  // ip link add NAME [mtu MTU] type bridge. mtu 0 keeps the kernel's default.
  Result<> create_bridge(const std::string& name, int mtu = 0);
  // ip link add NAME [mtu MTU] type veth peer name PEER [mtu MTU]: both ends at once.
  Result<> create_veth(const std::string& name, const std::string& peer, int mtu = 0);
  // The same in one request, for a container: `name` enslaved to `bridge` at once, and
  // the peer made directly inside the namespace `peer_netns_fd` (where its name cannot
  // clash with the host's, so it can be "eth0"). Moving a link between namespaces later
  // costs an RCU grace period (dev_change_net_namespace); creating it there does not.
  Result<> create_veth_into(const std::string& name, const std::string& bridge, const std::string& peer,
                            int peer_netns_fd, int mtu = 0);
  // Bridge port hairpin mode (IFLA_BRPORT_MODE): lets a frame leave by the port it came
  // in, so a container reaches its own published port through the host's address.
  Result<> set_hairpin(const std::string& name, bool on);

  // The link's ifindex; an ENOENT error when there is no such link.
  Result<int> link_index(const std::string& name);
  bool link_exists(const std::string& name);

  // ip link set NAME up
  Result<> set_up(const std::string& name);
  // ip link set NAME master BRIDGE: plugs a veth end into a bridge.
  Result<> set_master(const std::string& name, const std::string& bridge);
  // ip link set NAME mtu MTU
  Result<> set_mtu(const std::string& name, int mtu);
  // ip link set OLD name NEW. Kernels before 6.2 refuse (EBUSY) while the link is up;
  // newer ones allow it, and tell listeners with a netlink event.
  Result<> rename_link(const std::string& old_name, const std::string& new_name);
  // ip link set NAME netns FD: the link disappears from this namespace and appears, with
  // the same name, in the one netns_fd refers to (an open /proc/PID/ns/net or netns file).
  Result<> move_to_netns(const std::string& name, int netns_fd);

  // ip addr add CIDR dev NAME, for IPv4 ("10.88.0.2/24") and IPv6 ("fd00::2/64").
  Result<> add_address(const std::string& name, const std::string& cidr);

  // ip route add default via GATEWAY (IPv4 or IPv6, from the gateway's form).
  Result<> add_default_route(const std::string& gateway);
  // ip route add CIDR [via GATEWAY] [dev DEV]: at least one of gateway and dev. CIDR may
  // be "default". Without a gateway the destination is on the link (scope link).
  Result<> add_route(const std::string& cidr, const std::string& gateway_or_empty,
                     const std::string& dev);

  // ip link del NAME. A missing link is success, so cleanup can run twice. Deleting one
  // veth end deletes its peer too, wherever it is.
  Result<> delete_link(const std::string& name);

  // Names of the links whose name starts with prefix ("" lists all), e.g. to find the
  // veths a crashed berth left behind.
  Result<std::vector<std::string>> list_links(std::string_view prefix);
  // The IPv4 destinations this namespace routes to, as "A.B.C.D/N", from every table but
  // the local one (which holds the host's own addresses), without duplicates. The default
  // route is left out: every subnet overlaps 0.0.0.0/0. Used to pick bridge subnets that
  // do not collide with the host's networks.
  Result<std::vector<std::string>> routes_v4();

 private:
  // Called with every data message of a reply (one link, one address, one route).
  using OnReply = std::function<void(const nlmsghdr* nlh)>;

  explicit Netlink(mnl_socket* sock) : sock_(sock) {}
  // Sends one request with NLM_F_ACK and reads until the kernel's acknowledgement, handing
  // each data message that comes before it to on_reply. The error names `object`.
  // create_veth and create_veth_into: master_index 0 = none, peer_netns_fd -1 = here.
  Result<> new_veth(const std::string& name, int master_index, const std::string& peer, int peer_netns_fd, int mtu);
  Result<> exchange(nlmsghdr* nlh, const std::string& object, const OnReply& on_reply = {});
  // A dump (NLM_F_DUMP): every object of a kind, until NLMSG_DONE. When the table changed
  // while the kernel was sending it (NLM_F_DUMP_INTR), the dump is read to its end and
  // asked for again; restart() is called before each attempt to forget the partial one.
  Result<> dump(nlmsghdr* nlh, const std::string& what, const std::function<void()>& restart,
                const OnReply& on_reply);
  // One request, one reply read to its end. True when a dump came back interrupted.
  Result<bool> transact(nlmsghdr* nlh, const std::string& object, const OnReply& on_reply);

  mnl_socket* sock_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace berth::netns
