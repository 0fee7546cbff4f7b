// Bridge networks: `network create|ls|inspect|rm|prune`, the network store
// (engine/network_store.h) made real with netlink (netns/) and engine/network_sync.h.
// A container's side of it (addresses, veths, endpoints) is engine/network_attach.cpp.

#include <algorithm>

#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/engine.h"
#include "engine/network_sync.h"
#include "netns/netlink.h"

namespace berth::engine {

namespace {

// The host's IPv4 routes, which a new network's subnet must not overlap.
Result<std::vector<std::string>> read_host_routes() {
  ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
  return nl.routes_v4();
}

// The same where a network is only looked at (every command that touches networks opens
// the store): an unreadable table there must not stop `ps` or `rm`. Only the default
// network, made here when missing, takes a subnet then.
std::vector<std::string> host_routes() { return read_host_routes().value_or(std::vector<std::string>{}); }

}  // namespace

bool Engine::networks_used() const { return networks_ || path_exists(path_join(root_.storage, "networks")); }

std::string Engine::netns_path(const std::string& id) const { return path_join(root_.run, "netns/" + id); }

Result<NetworkStore*> Engine::network_store() {
  if (!networks_) {
    bool default_root = root_.storage == StateRoot::from_flag("").storage;
    ASSIGN_OR_RETURN(NetworkStore s, NetworkStore::open(root_.storage, host_routes(), default_root));
    networks_.emplace(std::move(s));
  }
  return &*networks_;
}

Result<NetworkRecord> Engine::create_network(NetworkRecord wanted) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  // A removal cut short is finished first (its bridge and route gone), and none finishes
  // meanwhile: the new network may take the same bridge name or subnet.
  ASSIGN_OR_RETURN(FileLock removing, lock_removals(true));
  TRY(finish_removals_locked());
  ASSIGN_OR_RETURN(auto routes, read_host_routes());
  ASSIGN_OR_RETURN(NetworkRecord net, store->create(std::move(wanted), routes));
  // Its bridge and rules now, as docker does (its DNS server comes with its first container).
  auto made = store->modify([](std::vector<NetworkRecord>&) -> Result<> { return {}; },
                            [&](const std::vector<NetworkRecord>& all) -> Result<> {
                              ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
                              TRY(ensure_bridge(nl, net));
                              return sync_nat(all);
                            });
  if (!made) {
    (void)forget_network(net);
    (void)store->remove(net.id, true);
    return std::unexpected(made.error());
  }
  return net;
}

Result<std::vector<NetworkRecord>> Engine::networks() {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->list();
}

Result<NetworkRecord> Engine::find_network(const std::string& key) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->find(key);
}

// What a removed network may still have in the kernel (a crash between the record's
// removal and this): its DNS server and its bridge.
Result<> Engine::forget_network(const NetworkRecord& net) {
  // Deleting a bridge waits out RCU grace periods in the kernel (~30 ms here), and the DNS
  // server takes a moment to notice it must go: both at once, the bridge on a thread of
  // its own (with its own netlink socket; nothing forks meanwhile).
  Meanwhile<> bridge_gone(
      [&]() -> Result<> {
        ASSIGN_OR_RETURN(netns::Netlink nl, netns::Netlink::open());
        if (nl.link_exists(net.bridge)) {
          trace_note("network " + net.name + ": deleting bridge " + net.bridge);
          TRY(nl.delete_link(net.bridge));
        }
        return {};
      },
      "bridge");
  auto dns_gone = sync_dns_server(net, {}, false);
  auto deleted = bridge_gone.wait();
  TRY(dns_gone);
  TRY(deleted);
  // Its rules go with it: the table is rebuilt from the networks that are left.
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  return store->modify([](std::vector<NetworkRecord>&) -> Result<> { return {}; },
                       [&](const std::vector<NetworkRecord>& all) { return sync_nat(all); });
}

// A network being removed leaves a note (its record, in <storage>/networks-removing) from
// before its record goes until its kernel side (bridge, DNS server, rules) has gone too. A
// berth killed in between leaves the note, and the next command finishes the removal from
// it: the bridge's name is in no other record, and a bridge left behind would keep its
// subnet's route, which every later network's subnet must avoid. The directory is also
// the lock of removals: one at a time, and no finishing of a removal still under way.
std::string Engine::removals_dir() const { return path_join(root_.storage, "networks-removing"); }

Result<FileLock> Engine::lock_removals(bool wait) {
  TRY(make_dirs(removals_dir(), 0700));
  return wait ? FileLock::acquire(removals_dir()) : FileLock::try_acquire(removals_dir());
}

Result<> Engine::note_removal(const NetworkRecord& net) {
  return write_file_atomic(path_join(removals_dir(), net.id + ".json"), net.to_json().dump(), 0600, Sync::kNoSync);
}

Result<> Engine::drop_removal_note(const std::string& id) {
  std::string path = path_join(removals_dir(), id + ".json");
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return sys_error("unlink", path);
  return {};
}

Result<> Engine::finish_removals() {
  if (!path_exists(removals_dir())) return {};
  auto lock = lock_removals(false);
  if (!lock) return lock.error().errno_value() == EWOULDBLOCK ? Result<>{} : std::unexpected(lock.error());
  // Reported, not fatal: the note stays, and the next command tries again.
  if (auto done = finish_removals_locked(); !done) warn("finishing a network's removal: " + done.error().message());
  return {};
}

Result<> Engine::finish_removals_locked() {
  ASSIGN_OR_RETURN(auto notes, list_dir(removals_dir()));
  for (const auto& name : notes) {
    if (name.size() != 64 + 5 || !ends_with(name, ".json")) continue;  // a temporary of write_file_atomic
    std::string id = name.substr(0, 64), path = path_join(removals_dir(), name);
    ASSIGN_OR_RETURN(std::string text, read_file(path));
    auto net = NetworkRecord::from_json(Json::parse(text, nullptr, false), path);
    ASSIGN_OR_RETURN(NetworkStore * store, network_store());
    auto still = store->find(id);
    if (!still && still.error().errno_value() != ENOENT) return std::unexpected(still.error());  // unreadable: not "gone"
    if (net && !still) {  // its record went: its kernel side must go too
      trace_note("cleaning up after a crash: network " + net->name + ", whose removal was cut short");
      TRY(forget_network(*net));
    }
    TRY(drop_removal_note(id));
  }
  return {};
}

Result<> Engine::remove_network(const std::string& key) {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(FileLock removing, lock_removals(true));
  TRY(finish_removals_locked());
  ASSIGN_OR_RETURN(NetworkRecord net, store->find(key));
  TRY(note_removal(net));
  if (auto removed = store->remove(net.id); !removed) {
    (void)drop_removal_note(net.id);
    return removed;
  }
  TRY(forget_network(net));
  return drop_removal_note(net.id);
}

Result<std::vector<NetworkRecord>> Engine::prune_networks() {
  ASSIGN_OR_RETURN(NetworkStore * store, network_store());
  ASSIGN_OR_RETURN(FileLock removing, lock_removals(true));
  TRY(finish_removals_locked());
  // Each network is noted just before its record goes, under the store's lock.
  ASSIGN_OR_RETURN(auto gone, store->prune([&](const NetworkRecord& n) { return note_removal(n); }));
  for (const auto& n : gone) {
    TRY(forget_network(n));
    TRY(drop_removal_note(n.id));
  }
  // DNS servers of networks whose records are gone altogether (a crashed `network rm`).
  ASSIGN_OR_RETURN(auto left, store->list());
  for (const auto& dir : list_dir(path_join(root_.run, "dns")).value_or(std::vector<std::string>{})) {
    bool known = std::any_of(left.begin(), left.end(), [&](const NetworkRecord& n) { return n.id.rfind(dir, 0) == 0; });
    NetworkRecord orphan;
    orphan.id = dir;
    orphan.name = dir;
    if (!known) TRY(sync_dns_server(orphan, {}, false));
  }
  return gone;
}

}  // namespace berth::engine
