#include "engine/engine.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fs.h"
#include "base/meanwhile.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/trace.h"
#include "engine/etc_files.h"
#include "engine/image_files.h"
#include "engine/spec_builder.h"
#include "engine/volume_mounts.h"
#include "runtime/cgroup.h"
#include "runtime/log_writer.h"
#include "runtime/namespaces.h"
#include "runtime/port_proxy.h"

extern char** environ;

namespace berth::engine {

runtime::AttachWarmup warm_up_container_start(const RunOptions& o) {
  // Only a user-namespaced container needs berth to move it into its v1 cgroups (it
  // cannot write their root-owned tasks files itself; runtime/cgroup.h).
  if (o.uidmap.empty()) return runtime::AttachWarmup();
  return runtime::warm_up_cgroup_attach(runtime::detect_cgroup_layout());
}

Result<Engine> Engine::open(const StateRoot& root, bool recover) {
  TRY(make_dirs(root.storage, 0711));
  ASSIGN_OR_RETURN(oci::Store images, oci::Store::open(path_join(root.storage, "images")));
  Engine e(root, std::move(images));
  if (recover) TRY_CTX(e.recover(), "cleaning up after an earlier crash");
  return e;
}

Result<> Engine::recover() {
  // Only this state root's containers: others (another --root) are none of our business,
  // even though all cgroups live under the same berth/ directories.
  ASSIGN_OR_RETURN(ContainerStore::Recovered recovered, containers_.recover());
  for (const auto& id : recovered.settled) {
    trace_note("cleaning up after a crash: container " + id.substr(0, 12));
    TRY(runtime::remove_container_cgroup(id));
    TRY(detach_network(id, true));
    if (!path_exists(containers_.storage_dir(id))) TRY(release_addresses(id));
  }
  TRY(unwire_interrupted(recovered.interrupted));
  return finish_removals();
}

Result<> Engine::unwire_interrupted(const std::vector<std::string>& created) {
  if (created.empty()) return {};
  // Killed while being started: the namespace may be bound, the veths plugged, the
  // endpoints (DNS names, DNAT rules) recorded, in any combination (they are made side by
  // side: engine/network_attach.cpp). The container stays "created", with its addresses.
  std::vector<NetworkRecord> nets;
  if (networks_used()) {
    ASSIGN_OR_RETURN(NetworkStore * store, network_store());
    ASSIGN_OR_RETURN(nets, store->list());
  }
  for (const auto& id : created) {
    // A created container that was never started has none of it: left alone, unlocked.
    bool wired = path_exists(netns_path(id)) ||
                 std::any_of(nets.begin(), nets.end(), [&](const NetworkRecord& n) { return n.endpoints.contains(id); });
    if (!wired) continue;
    // Its run lock, which a shim takes before it wires anything, held while it is unwired:
    // a start that took it first is under way (skipped), and one that comes meanwhile
    // finds it taken. Under it, the record must still say "created".
    auto held = containers_.lock_running(id);
    if (!held) continue;
    auto rec = containers_.load(id);
    if (!rec || rec->status != "created") continue;
    trace_note("cleaning up after a crash: the network of container " + id.substr(0, 12) +
               ", killed while it was being started");
    // What cannot be cleaned now is reported, and tried again by the next command: one
    // stuck leftover must not stop every command.
    auto done = runtime::remove_container_cgroup(id);
    if (done) done = detach_network(id, true);
    if (!done) warn("cleaning up the network of container " + id.substr(0, 12) + ": " + done.error().message());
  }
  return {};
}

Result<> Engine::discard(const std::string& id, bool networked) {
  TRY(runtime::remove_container_cgroup(id));
  if (!networked) return containers_.remove(id);  // both directories; missing ones are fine
  // Its network state (namespace, endpoints and addresses, in one change of the networks'
  // records) goes on a helper thread while its files are deleted; its record goes last,
  // once the network's are gone too, so that a failure leaves it for `rm` to retry.
  Meanwhile<> unplugged([&] { return detach_network(id, false, true); }, "network");
  auto emptied = containers_.remove_all_but_record(id);
  TRY(unplugged.wait());
  TRY(emptied);
  return containers_.remove(id);
}

Result<std::vector<std::string>> Engine::load(const std::string& archive) {
  return images_.load_archive(archive);
}

Result<oci::ImageRecord> Engine::import(const std::string& tarball, const std::string& name) {
  ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(name));
  return images_.import_rootfs(tarball, ref);
}

Result<std::vector<std::string>> Engine::remove_image(const std::string& name, bool force) {
  ASSIGN_OR_RETURN(oci::ImageRecord image, images_.find_image(name));
  ASSIGN_OR_RETURN(auto all, containers_.list());
  for (const auto& c : all) {
    if (c.image_id != image.id) continue;
    bool alive = containers_.is_alive(c);
    if (alive || !force)
      return fail("conflict: unable to remove repository reference \"" + name + "\" (must force) - container " +
                  c.id.substr(0, 12) + " is using its referenced image " + image.id.substr(7, 12) +
                  (alive ? " (running: cannot be forced)" : ""));
  }
  return images_.remove_image(name, force);
}

Result<std::vector<ContainerRecord>> Engine::containers() { return containers_.list(); }

namespace {
Result<> write_etc(const std::string& dir, const char* name, const std::string& content) {
  return write_file_atomic(path_join(dir, name), content, 0644, Sync::kNoSync);
}
// The host id that container id 0 stands for, or -1 when root is not mapped.
int64_t host_root(const std::vector<runtime::IdMapping>& maps) {
  for (const auto& m : maps)
    if (m.container_id == 0) return m.host_id;
  return -1;
}

// In a user namespace, the container's root must own its writable layer and the files
// berth writes for it, or it could not change them (they would show as 65534). The image
// layers themselves stay untouched: the runtime idmaps them (runtime/idmapped_rootfs.h).
Result<> give_to_container_root(const runtime::Spec& spec, const std::string& dir) {
  int64_t uid = host_root(spec.uid_mappings), gid = host_root(spec.gid_mappings);
  if (uid < 0 && gid < 0) return {};
  for (const char* name : {"upper", "work", "etc", "etc/hosts", "etc/hostname", "etc/resolv.conf"}) {
    std::string p = path_join(dir, name);
    trace_syscall("lchown(" + quote(p) + ", " + std::to_string(uid) + ", " + std::to_string(gid) + ")");
    if (::lchown(p.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) < 0 && errno != ENOENT)
      return sys_error("chown for the user namespace", p);
  }
  return {};
}

}  // namespace

Result<> Engine::write_etc_files(const RunOptions& o, const ContainerRecord& rec, const std::string& ip) {
  std::string etc = path_join(containers_.storage_dir(rec.id), "etc");
  EtcInputs in;
  in.hostname = o.hostname.empty() ? rec.id.substr(0, 12) : o.hostname;
  if (o.network == "host") {  // host networking shares the host's names, as docker does
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    in.hostname = buf;
  }
  in.ip = ip;
  in.network = o.network;
  if (o.network.rfind("container:", 0) == 0) {
    // The other container's network namespace, and so its names too (docker does the same).
    ASSIGN_OR_RETURN(ContainerRecord other, containers_.find(o.network.substr(10)));
    std::string from = path_join(containers_.storage_dir(other.id), "etc");
    for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
      ASSIGN_OR_RETURN(std::string content, read_file(path_join(from, name)));
      TRY(write_etc(etc, name, content));
    }
    return {};
  }
  if (o.network != "none" && o.network != "host") {
    ASSIGN_OR_RETURN(NetworkRecord net, find_network(o.network));
    in.gateway = net.gateway;
    in.embedded_dns = net.gateway;
  }
  in.add_hosts = o.add_hosts;
  in.dns = o.dns;
  in.dns_search = o.dns_search;
  in.dns_options = o.dns_options;
  if (auto h = read_file("/etc/hosts")) in.host_hosts = *h;
  if (auto r = read_file("/etc/resolv.conf")) in.host_resolv = *r;
  if (auto u = read_file("/run/systemd/resolve/resolv.conf")) in.upstream_resolv = *u;
  ASSIGN_OR_RETURN(std::string hosts, hosts_file(in));
  ASSIGN_OR_RETURN(std::string resolv, resolv_conf(in));
  TRY(write_etc(etc, "hosts", hosts));
  TRY(write_etc(etc, "hostname", in.hostname + "\n"));
  return write_etc(etc, "resolv.conf", resolv);
}

Result<runtime::Spec> Engine::make_spec(const RunOptions& o, const oci::ImageRecord& image,
                                        const ContainerRecord& rec,
                                        const std::map<std::string, std::string>& volume_dirs) {
  SpecInputs in;
  in.volume_dirs = volume_dirs;
  in.id = rec.id;
  in.options = &o;
  in.image = &image.config;
  ASSIGN_OR_RETURN(in.layer_dirs, images_.layer_dirs(image));
  std::string user = o.user.empty() ? image.config.user : o.user;
  auto passwd = read_image_file(in.layer_dirs, "/etc/passwd");
  auto group = read_image_file(in.layer_dirs, "/etc/group");
  ASSIGN_OR_RETURN(in.user, resolve_user(user, passwd, group));
  std::string dir = containers_.storage_dir(rec.id);
  in.upperdir = path_join(dir, "upper");
  in.workdir = path_join(dir, "work");
  in.etc_dir = path_join(dir, "etc");
  in.rootfs_dir = containers_.rootfs_dir(rec.id);
  in.netns_path = netns_path(rec.id);
  if (o.network.rfind("container:", 0) == 0) {  // join the other container's namespace
    ASSIGN_OR_RETURN(ContainerRecord other, containers_.find(o.network.substr(10)));
    in.netns_path = netns_path(other.id);
    if (!path_exists(in.netns_path)) in.netns_path = "/proc/" + std::to_string(other.pid) + "/ns/net";
  }
  runtime::CgroupLayout layout = runtime::detect_cgroup_layout();
  in.mount_cgroup2 = layout.pure_v2();
  struct rlimit nofile;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) in.nofile_hard_limit = nofile.rlim_max;
  for (char** e = environ; e && *e; e++) in.host_env.emplace_back(*e);
  return build_spec(in);
}

Result<ContainerStore::Created> Engine::create(const RunOptions& given, bool half_made,
                                               NetworkHelpers* helpers) {
  RunOptions o = given;
  ASSIGN_OR_RETURN(oci::ImageRecord image, images_.find_image(o.image));
  TRY(resolve_network_options(o, image.config));
  TRY(parse_restart_policy(o.restart));
  if (o.remove && parse_restart_policy(o.restart)->name != "no")
    return fail("conflicting options: cannot specify both --restart and --rm");
  TRY(runtime::parse_log_options(o.log_opts));
  if (!o.stop_signal.empty()) TRY_CTX(parse_signal(o.stop_signal), "--stop-signal");
  if (o.stop_timeout && *o.stop_timeout < -1) return fail("invalid --stop-timeout", std::to_string(*o.stop_timeout));
  for (const auto& l : o.labels)
    if (l.empty() || l[0] == '=') return fail("invalid label (want key=value)", l);
  ImageHealthcheck image_hc{image.config.healthcheck_test, image.config.health_interval_ns,
                            image.config.health_timeout_ns, image.config.health_start_period_ns,
                            image.config.health_retries};
  ASSIGN_OR_RETURN(Healthcheck hc, effective_healthcheck(o, image_hc));
  // Which -v entries are volumes, and where their directories are; nothing made yet.
  ASSIGN_OR_RETURN(VolumeStore volume_store, VolumeStore::open(root_.storage));
  ASSIGN_OR_RETURN(ContainerVolumes vols, plan_container_volumes(volume_store, o.volumes));
  // The id is chosen now, so that the spec is built (and every flag validated) once,
  // before anything exists.
  ContainerRecord rec;
  rec.id = random_hex(32);
  ASSIGN_OR_RETURN(runtime::Spec spec, make_spec(o, image, rec, vols.dirs));
  for (const auto& v : o.volumes) {  // docker creates a missing host directory for -v
    auto arg = parse_volume_arg(v);
    if (arg && arg->is_bind() && !path_exists(arg->source)) TRY_CTX(make_dirs(arg->source), "creating volume source");
  }
  // The volumes: made if missing, filled from the image if empty, and held (the volume
  // store's lock) until the record below names them (engine/volume_mounts.h).
  ASSIGN_OR_RETURN(auto layers, images_.layer_dirs(image));
  ASSIGN_OR_RETURN(std::optional<FileLock> volume_lock,
                   take_container_volumes(volume_store, vols, layers,
                                          IdShift{spec.uid_mappings, spec.gid_mappings}));
  auto drop_volumes = [&] {
    volume_lock.reset();
    for (const auto& name : vols.created) (void)remove_volume(name, true);
  };

  rec.name = o.name;
  rec.image = o.image;
  rec.image_id = image.id;
  rec.auto_remove = o.remove;
  rec.half_made = half_made;
  rec.stop_signal = o.stop_signal.empty() ? image.config.stop_signal : o.stop_signal;
  rec.options = o.to_json();
  if (!hc.test.empty()) rec.healthcheck = hc.to_json();
  rec.mounts = vols.mounts;
  rec.command = spec.process.args;
  auto created = containers_.create(rec);
  if (!created) {
    drop_volumes();
    return std::unexpected(created.error());
  }
  volume_lock.reset();  // the record names its volumes now
  ContainerStore::Created made = std::move(*created);
  ContainerRecord& c = made.rec;
  // From here on, any failure removes the container again (and the volumes made for it).
  auto cleanup = [&](Error e) -> std::unexpected<Error> {
    if (helpers) (void)helpers->join();  // their work is undone below
    (void)discard(c.id);
    drop_volumes();
    return std::unexpected(std::move(e));
  };
  auto ip = allocate_address(o, c.id);
  if (!ip) return cleanup(ip.error());
  if (auto w = write_etc_files(o, c, *ip); !w) return cleanup(w.error());
  // Every option is checked now (--add-host last, above). A copy of the record: `made`
  // moves to the caller while the helper may still read it.
  if (helpers && !ip->empty())
    helpers->wired.emplace([this, rec = c, netns = &helpers->netns] { return attach_network(rec, netns); },
                           "network");
  if (auto w = give_to_container_root(spec, containers_.storage_dir(c.id)); !w)
    return cleanup(w.error());
  if (auto w = write_file_atomic(path_join(containers_.storage_dir(c.id), "config.json"),
                                 runtime::spec_to_json(spec).dump(2), 0600, Sync::kNoSync);
      !w)
    return cleanup(w.error());
  return made;
}

runtime::RunRequest Engine::run_request(const std::string& id) const {
  runtime::RunRequest req;
  req.id = id;
  req.bundle = containers_.storage_dir(id);
  req.seccomp_cache = path_join(root_.storage, "cache/seccomp");
  return req;
}

Result<runtime::ExitStatus> Engine::run(const RunOptions& o, const RunHooks& hooks) {
  // On a bridge network, the kernel's slowest part, a new network namespace (~0.5 ms:
  // every subsystem sets up its per-namespace state), is made on a helper thread from the
  // start, while create() checks the options and writes the container. If create() fails,
  // its fd closes and the kernel frees it.
  NetworkHelpers helpers;
  if (is_bridge_network(o.network) && !o.network.empty())
    helpers.netns.emplace(runtime::make_netns_with_loopback, "netns");
  // Then the network namespace is plugged into the bridge(s) on another, from the moment
  // the container has its address: while create() writes its files and the runtime reads
  // the bundle, compiles the seccomp filter and makes the cgroup. The runtime waits for it
  // before the clone (before_clone below).
  ASSIGN_OR_RETURN(ContainerStore::Created made, create(o, false, &helpers));
  ContainerRecord& rec = made.rec;
  // From here on, any failure removes the container again (docker leaves a "Created"
  // container behind on a failed start; berth, like `run --rm`, cleans it).
  auto cleanup = [&](Error e) -> std::unexpected<Error> {
    (void)helpers.join();  // a failure before the clone: the helpers may still be at work
    (void)discard(rec.id);
    (void)remove_anonymous_volumes(rec);
    return std::unexpected(std::move(e));
  };
  auto lock = containers_.lock_running(rec.id);
  if (!lock) return cleanup(lock.error());
  // Ports for the userland proxy: bound before the clone, so that a failure comes before
  // the container starts; served by a thread once it has (berth itself is its shim in the
  // foreground).
  std::optional<runtime::ProxyThread> proxy;
  std::vector<Fd> held_ports;  // those nftables serves, held while it runs
  runtime::RunRequest req = run_request(rec.id);
  req.stdio = hooks.stdio;
  req.before_clone = [&]() -> Result<> {
    TRY(helpers.join());
    ASSIGN_OR_RETURN(PortRules rules, port_rules(rec));
    // One taken since the check at create loses only the guard: DNAT serves it all the same.
    for (const auto& rule : rules.held)
      if (auto fd = runtime::hold_port(rule)) held_ports.push_back(std::move(*fd));
    if (rules.served.empty()) return {};
    ASSIGN_OR_RETURN(runtime::PortProxy opened, runtime::PortProxy::open(rules.served));
    proxy.emplace(std::move(opened));
    return {};
  };
  req.on_started = [&](pid_t pid) {
    rec.status = "running";
    rec.pid = pid;
    if (auto id = ProcessIdentity::of(pid)) {
      rec.pid_start = id->start_time;
      rec.boot_id = id->boot_id;
    }
    rec.started_at = rfc3339_now();
    (void)containers_.save(rec);
    if (proxy) proxy->start();  // nothing forks from here on
  };
  auto status = runtime::run_container(req);
  proxy.reset();  // the ports close with the container
  held_ports.clear();
  if (!status) return cleanup(status.error());
  // --network none, host and container: leave no network state to look for.
  const bool networked = is_bridge_network(o.network);
  if (networked && !o.remove)  // with --rm, discard() below takes it all at once
    if (auto d = detach_network(rec.id); !d) return cleanup(d.error());
  rec.status = "exited";
  rec.pid = 0;
  rec.exit_code = status->code;
  rec.oom_killed = status->oom_killed;
  rec.finished_at = rfc3339_now();
  if (hooks.on_exited) {
    if (auto r = hooks.on_exited(rec); !r) return cleanup(r.error());
  }
  if (o.remove) {
    TRY(discard(rec.id, networked));
    TRY(remove_anonymous_volumes(rec));  // docker's --rm takes them along
  } else
    TRY(containers_.save(rec));
  return *status;
}

}  // namespace berth::engine
