// The engine: the objects a user sees (images, containers) by name, and the verbs on them.
// It combines oci/ (the image store), runtime/ (running a bundle) and netns/ (later:
// networks); it is the only layer that knows all three.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/meanwhile.h"
#include "base/result.h"
#include "engine/container_store.h"
#include "engine/network_store.h"
#include "engine/run_options.h"
#include "engine/volume_store.h"
#include "oci/pull.h"
#include "oci/store.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/shim_config.h"
#include "runtime/spec.h"

namespace berth::engine {

// Call first thing in a command that will start a container with these options, and keep
// the result until the container runs: when berth itself will have to move the container
// into v1 cgroups (user namespaces), it starts the kernel's slow first attach (~10 ms) in
// the background, overlapping berth's own start-up (runtime/cgroup.h, AttachWarmup).
runtime::AttachWarmup warm_up_container_start(const RunOptions& o);

// The host ports a running container publishes, from the network records (ps, port).
std::vector<PortBinding> published_ports(const std::vector<NetworkRecord>& nets, const std::string& id);

// "SIGTERM", "TERM" or "15" -> 15 (docker's --signal, StopSignal).
Result<int> parse_signal(const std::string& text);

// docker exec's options.
struct ExecOptions {
  std::vector<std::string> command;
  std::vector<std::string> env;  // -e K=V
  std::string user, workdir;     // -u, -w (default: the container's)
  bool tty = false, interactive = false, privileged = false;
};

// What a foreground run's caller may add (Engine::run).
struct RunHooks {
  // After the command exited, before --rm removes the container: the builder takes its
  // overlay upper directory (the RUN step's changes) here.
  std::function<Result<>(const ContainerRecord&)> on_exited;
  std::array<int, 3> stdio = {-1, -1, -1};  // the command's stdin/out/err; -1: berth's own
};

// A start's network work on helper threads (base/meanwhile.h), beside the rest of the start
// (Engine::run, Engine::start_detached): the namespace, made from the start on a bridge
// network, and then its wiring into the bridge(s). Both are joined before the clone: clone3
// copies only the calling thread, so a lock a helper held then would stay locked in the
// child.
struct NetworkHelpers {
  std::optional<Meanwhile<Fd>> netns;  // runtime::make_netns_with_loopback
  std::optional<Meanwhile<>> wired;    // attach_network into `netns`
  // Both joined; the wiring's error, if any. The namespace's own error reaches the wiring,
  // which waited for it; when there was no wiring (--network's long form named no bridge
  // after all), it is only joined.
  Result<> join() {
    Result<> w = wired ? wired->wait() : Result<>{};
    if (netns) (void)netns->wait();
    return w;
  }
};

class Engine {
 public:
  // Opens the stores and (unless told not to: the shim's internal calls) cleans up what a
  // crashed command left (recover()).
  static Result<Engine> open(const StateRoot& root, bool recover = true);

  const StateRoot& state_root() const { return root_; }

  // Images.
  oci::Store& images() { return images_; }
  Result<std::vector<std::string>> load(const std::string& archive);
  Result<oci::ImageRecord> import(const std::string& tarball, const std::string& name);
  Result<std::vector<std::string>> remove_image(const std::string& name, bool force);
  // docker pull: the image from its registry, extracted and ready to run (engine/pull.cpp).
  // `progress` sees docker's per-layer lines ("Pulling fs layer", "Pull complete").
  Result<oci::PulledImage> pull(const std::string& reference, const oci::PullOptions& options,
                                const oci::PullProgress& progress = {});

  // Containers. Errors before a command started leave nothing behind (no directory,
  // cgroup or record).
  // docker create: validated, config.json written, status "created". `half_made`: the
  // caller starts it right away, and if that caller dies first the next command removes it.
  // `helpers` (run's): as soon as the container has its address on a bridge network, its
  // network is wired (attach_network) on helpers->wired, beside the rest of create() and
  // the runtime's preparation, into helpers->netns when that is being made meanwhile; the
  // caller joins them before the clone.
  Result<ContainerStore::Created> create(const RunOptions& options, bool half_made = false,
                                         NetworkHelpers* helpers = nullptr);
  // Runs in the foreground; the result is the command's exit status.
  Result<runtime::ExitStatus> run(const RunOptions& options, const RunHooks& hooks = {});
  // run -d: create, then start through a shim; returns once the command runs.
  Result<ContainerRecord> run_detached(const RunOptions& options);
  // docker start: hands the container to a new shim (engine/lifecycle.cpp).
  Result<ContainerRecord> start(const std::string& name_or_id);
  // docker stop: --stop-signal or the image's StopSignal (SIGTERM), then SIGKILL after
  // `timeout` seconds (else the container's --stop-timeout, else 10).
  Result<> stop(const std::string& name_or_id, std::optional<int> timeout);
  // The same for several at once: all signalled, then waited for together.
  std::vector<Result<>> stop_containers(const std::vector<std::string>& names_or_ids, std::optional<int> timeout);
  Result<> kill(const std::string& name_or_id, int signal);
  // docker pause / unpause: freeze or thaw the running container's cgroup
  // (engine/lifecycle.cpp). Stopping or removing a paused container thaws it first.
  Result<> pause(const std::string& name_or_id);
  Result<> unpause(const std::string& name_or_id);
  // Blocks until the container is not running; its record then.
  Result<ContainerRecord> wait(const std::string& name_or_id);
  Result<ContainerRecord> find(const std::string& name_or_id);
  // docker inspect's object for one container (engine/inspect.cpp).
  Json inspect(const ContainerRecord& rec);
  // docker exec: the command in the running container's namespaces, cgroup and limits.
  Result<runtime::ExitStatus> exec(const std::string& name_or_id, const ExecOptions& options,
                                   int timeout_ms = -1);
  // One healthcheck, recorded in State.Health (engine/health.cpp; the shim calls it).
  Result<> health_check(const std::string& id);
  Result<std::vector<ContainerRecord>> containers();
  // Removes a stopped container (force: a running one is killed first).
  Result<> remove_container(const std::string& name_or_id, bool force);
  // The same for several at once, in parallel (one result each, in order).
  // `volumes`: also their anonymous volumes (rm -v).
  std::vector<Result<>> remove_containers(const std::vector<std::string>& names_or_ids, bool force,
                                          bool volumes = false);
  Result<> rename(const std::string& name_or_id, const std::string& new_name);
  // Removes every container that is not running; their ids (engine/housekeeping.cpp).
  Result<std::vector<std::string>> prune_containers();
  // Removes every image no container uses; what `rmi` would print for each.
  Result<std::vector<std::string>> prune_images();
  // podman's `system reset`: every container (killed), network (bridge, DNS server,
  // rules), volume and image of this state root, then the state itself
  // (engine/housekeeping.cpp).
  Result<> reset();
  ContainerStore& store() { return containers_; }

  // Bridge networks (engine/networking.cpp).
  Result<NetworkRecord> create_network(NetworkRecord wanted);
  Result<std::vector<NetworkRecord>> networks();
  Result<NetworkRecord> find_network(const std::string& name_or_id);
  Result<> remove_network(const std::string& name_or_id);
  Result<std::vector<NetworkRecord>> prune_networks();
  // docker network connect / disconnect (engine/network_attach.cpp): live when it runs.
  Result<> connect_network(const std::string& network, const std::string& container, NetworkRequest req);
  Result<> disconnect_network(const std::string& network, const std::string& container);

  // Named volumes (engine/volumes.cpp). A container's -v NAME:/path makes its volume on
  // first use and -v /path an anonymous one (engine/volume_mounts.h).
  // docker volume create: `wanted` carries name (empty: a random one), driver, labels and
  // options; a volume of that name that exists already is returned as it is.
  Result<VolumeRecord> create_volume(VolumeRecord wanted);
  Result<std::vector<VolumeRecord>> volumes();
  Result<VolumeRecord> find_volume(const std::string& name);
  // Refused while any container (in any state) has it mounted: "remove NAME: volume is in
  // use - [ID]". `force`: a volume that does not exist is not an error.
  Result<> remove_volume(const std::string& name, bool force);
  // Removes the volumes no container uses: anonymous ones only, or all with `all` (docker's
  // `volume prune [-a]`). The names removed, and the bytes their files took.
  struct PrunedVolumes {
    std::vector<std::string> names;
    uint64_t bytes = 0;
  };
  Result<PrunedVolumes> prune_volumes(bool all);
  // Removes a removed container's anonymous volumes (rm -v, run --rm) that no other
  // container uses; `rec` is its record from before its removal.
  Result<> remove_anonymous_volumes(const ContainerRecord& rec);

  // The shim's calls back into the engine (`berth internal ...`, runtime/shim_config.h).
  // The starter: starts the command detached and reports "ok PID" or "error ..." on fd.
  Result<> start_process(const std::string& id, int report_fd);
  // Starts the command detached (network, cgroup, namespaces) and records it as running
  // under `shim`; the caller's parent or the caller itself must be a subreaper.
  Result<runtime::Started> start_detached(const std::string& id, pid_t shim);
  // The command exited: record it, remove the cgroup, apply --rm and the restart policy.
  // Returns runtime::kExitRestart when the shim should start it again. `final`: the shim
  // gives up a pending restart (`stop` during the backoff).
  Result<int> process_exited(const std::string& id, int code, int signal, bool final);

 private:
  Engine(StateRoot root, oci::Store images)
      : root_(std::move(root)), images_(std::move(images)), containers_(root_) {}
  // `volume_dirs`: the host directories of its volumes (engine/volume_mounts.h).
  Result<runtime::Spec> make_spec(const RunOptions& o, const oci::ImageRecord& image,
                                  const ContainerRecord& rec,
                                  const std::map<std::string, std::string>& volume_dirs = {});
  // Checks --network, --ip, -p, -P and --network-alias against each other, and turns -P
  // into -p entries for the image's EXPOSE (engine/networking.cpp).
  Result<> resolve_network_options(RunOptions& o, const oci::ImageConfig& image);
  Result<> write_etc_files(const RunOptions& o, const ContainerRecord& rec, const std::string& ip);
  Result<> recover();
  // After a crash: the network state of containers recover() found "created" and unheld.
  Result<> unwire_interrupted(const std::vector<std::string>& created);
  std::string netns_path(const std::string& id) const;
  Result<NetworkStore*> network_store();
  // Whether this root has network records at all (else there is nothing to change there,
  // and opening the store would make the default network).
  bool networks_used() const;
  // On a bridge network: an address for the container (at create), released at rm.
  Result<std::string> allocate_address(const RunOptions& o, const std::string& id);
  Result<> release_addresses(const std::string& id);
  // Every trace of a container: cgroup, netns and veth, addresses, directories. Idempotent.
  // `networked` false: the container was never on a bridge network (--network none, host
  // or container:), so there is no network state to look for.
  Result<> discard(const std::string& id, bool networked = true);
  // Before a shim is spawned: the DNS servers of the container's networks, started from
  // this process so that init adopts them, not the shim (a subreaper) that would start
  // them with the container otherwise.
  Result<> start_dns_servers(const ContainerRecord& rec);
  // At each start / when it stops: its netns, veth pair, address and route. `made`: the
  // network namespace, being made on a helper thread (none: made here).
  Result<> attach_network(const ContainerRecord& rec, std::optional<Meanwhile<Fd>>* made = nullptr);
  // `now`: also delete the veth at once (after a crash), instead of leaving it to the
  // kernel's release of the namespace. `release`: the addresses go too, in the same
  // change of the records (the container is being removed).
  Result<> detach_network(const std::string& id, bool now = false, bool release = false);
  // The container's endpoints (DNS names; published ports on the first) on networks (id,
  // aliases), and their removal (from one network, or all).
  Result<> add_endpoints(const ContainerRecord& rec, const RunOptions& o,
                         const std::vector<std::pair<std::string, std::vector<std::string>>>& nets, bool ports);
  Result<> remove_endpoints(const std::string& id, bool release = false);  // on every network
  // docker rename: the container's name in its endpoints (so its DNS records), if it has any.
  Result<> rename_endpoints(const ContainerRecord& rec, const std::string& new_name);
  Result<std::vector<PortRequest>> port_requests(const RunOptions& o);
  Result<> plug_network_live(const ContainerRecord& rec, const RunOptions& o, const std::string& network_id,
                             const std::vector<std::string>& aliases, bool first);
  // The container's /etc/hosts and resolv.conf after its first network changed.
  Result<> retarget_etc_files(const ContainerRecord& rec, const RunOptions& o, const std::string& old_ip,
                              const std::string& new_ip, const std::string& new_dns);
  // The host ports of a start (engine/network_attach.cpp); with the userland proxy, those
  // of the shim's first start again.
  Result<std::vector<PortBinding>> choose_ports(const ContainerRecord& rec, const RunOptions& o,
                                                const std::vector<PortRequest>& requests,
                                                const std::vector<PortBinding>& taken);
  // What the shim's userland proxy serves for a running container.
  // Its published ports: those its userland proxy serves, and those nftables serves, which
  // its supervisor only holds (runtime::hold_port).
  struct PortRules {
    std::vector<runtime::ProxyRule> served, held;
  };
  Result<PortRules> port_rules(const ContainerRecord& rec);
  // The kernel follows the network records: bridges, DNS servers, nftables
  // (engine/network_sync.cpp). Called under the network store's lock.
  Result<> sync_networks(const std::vector<NetworkRecord>& all);
  Result<> sync_dns_server(const NetworkRecord& net, const std::vector<NetworkRecord>& all, bool wanted);
  Result<> sync_nat(const std::vector<NetworkRecord>& all);
  std::string dns_dir(const NetworkRecord& net) const;
  Result<> forget_network(const NetworkRecord& net);
  // A network's removal, noted until its kernel side is gone too (engine/networking.cpp).
  std::string removals_dir() const;
  Result<FileLock> lock_removals(bool wait);
  Result<> note_removal(const NetworkRecord& net);
  Result<> drop_removal_note(const std::string& network_id);
  Result<> finish_removals();  // a crashed removal's; none while another is under way
  Result<> finish_removals_locked();
  runtime::RunRequest run_request(const std::string& id) const;
  Result<> spawn_shim(const ContainerRecord& rec);
  // In the forked grandchild of spawn_shim: start the container as our own child, then
  // execve berth-shim "adopt" to supervise it. Returns (an exit code) only on failure.
  int launch_and_become_shim(const ContainerRecord& rec, const runtime::ShimConfig& cfg,
                             const std::string& conf, const std::string& shim, int ready);
  Result<> signal_container(const ContainerRecord& rec, int sig);
  // SIGKILLs the container's shim, if that pid still is its shim.
  void kill_shim(const ContainerRecord& rec);
  void thaw_if_paused(const ContainerRecord& rec);
  // After the command ended: wait for the shim to record it (or record it ourselves).
  Result<> settle(const ContainerRecord& rec, int assumed_code);

  StateRoot root_;
  oci::Store images_;
  ContainerStore containers_;
  std::optional<NetworkStore> networks_;  // opened on first use
};

}  // namespace berth::engine
