// A network namespace the test makes, joined to the host by a veth pair with addresses the
// test chooses: a stand-in for a remote client or for "the internet" upstream. Tests may
// send traffic only to loopback and into namespaces like this one.
//
// (The test drives `ip`, as a person would at a shell; berth itself never runs it.)
#pragma once

#include "harness.h"

namespace berth_it {

inline const std::string kIp = "/usr/sbin/ip";
inline const std::string kBusybox = "/bin/busybox";

class TestNetns {
 public:
  // host_cidr: the host end's address ("10.231.99.1/24"); ns_ip: the namespace end's.
  TestNetns(const std::string& tag, const std::string& host_cidr, const std::string& ns_cidr) {
    run_netns_was_mounted_ = !mounts_under("/run/netns").empty();
    name_ = "bt" + tag + std::to_string(getpid() % 100000);
    host_ = "bth" + tag + std::to_string(getpid() % 100000);
    std::string peer = "btp" + tag + std::to_string(getpid() % 100000);
    std::string gateway = host_cidr.substr(0, host_cidr.find('/'));
    ip_ = ns_cidr.substr(0, ns_cidr.find('/'));
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {kIp, "netns", "add", name_},
             {kIp, "link", "add", host_, "type", "veth", "peer", "name", peer},
             {kIp, "link", "set", peer, "netns", name_},
             {kIp, "addr", "add", host_cidr, "dev", host_},
             {kIp, "link", "set", host_, "up"},
             {kIp, "netns", "exec", name_, "ip", "addr", "add", ns_cidr, "dev", peer},
             {kIp, "netns", "exec", name_, "ip", "link", "set", peer, "up"},
             {kIp, "netns", "exec", name_, "ip", "link", "set", "lo", "up"},
             {kIp, "netns", "exec", name_, "ip", "route", "add", "default", "via", gateway}}) {
      Result r = run_command(cmd);
      if (r.code != 0) {
        error_ = describe(r);
        return;
      }
    }
  }
  ~TestNetns() {
    // The namespace's end goes with the namespace, and its host end with it.
    run_command({kIp, "netns", "del", name_});
    run_command({kIp, "link", "del", host_});
    // `ip netns add` makes /run/netns a mount point of its own and leaves it; undo that
    // when this test made it and nothing else is in it.
    std::error_code ec;
    if (!run_netns_was_mounted_ && fs::is_empty("/run/netns", ec)) umount2("/run/netns", MNT_DETACH);
  }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& ip() const { return ip_; }  // the namespace end's address
  const std::string& name() const { return name_; }

  // A command inside the namespace.
  Result exec(const std::vector<std::string>& cmd, std::chrono::milliseconds timeout = 20s) const {
    std::vector<std::string> a = {kIp, "netns", "exec", name_};
    a.insert(a.end(), cmd.begin(), cmd.end());
    return run_command(a, timeout);
  }
  Process spawn(const std::vector<std::string>& cmd) const {
    std::vector<std::string> a = {kIp, "netns", "exec", name_};
    a.insert(a.end(), cmd.begin(), cmd.end());
    return Process::spawn(a);
  }

 private:
  std::string name_, host_, ip_, error_;
  bool run_netns_was_mounted_ = false;
};

}  // namespace berth_it
