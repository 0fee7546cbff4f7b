// The structured keys of a service: build, healthcheck, deploy, ulimits, logging,
// depends_on, networks, and the secrets and configs it uses.
//
// Read: the Compose Specification, services "build" (and the Build page), "healthcheck",
// "deploy" (the Deploy page), "ulimits", "logging", "depends_on", "networks", "secrets",
// "configs".
#include "compose/parse.h"
#include "compose/schema.h"

namespace berth::compose {

namespace {

bool is_url_context(std::string_view s) {
  return s.find("://") != std::string_view::npos || s.starts_with("git@") ||
         s.starts_with("github.com/");
}

}  // namespace

Result<BuildConfig> parse_build(const Node& node, const std::string& path, ParseContext& ctx) {
  BuildConfig b;
  Node context_at = node;
  if (node.is_scalar()) {
    b.context = node.scalar;
  } else {
    TRY(check_keys(node, path, Section::kBuild,
                   {"context", "dockerfile", "dockerfile_inline", "args", "labels", "cache_from",
                    "no_cache", "pull", "network", "target", "tags"},
                   ctx));
    for (const Entry& e : node.entries) {
      if (e.value.is_null()) continue;
      std::string p = key_path(path, e.key);
      if (e.key == "context") { ASSIGN_OR_RETURN(b.context, get_string(e.value, p)); context_at = e.value; }
      else if (e.key == "dockerfile") { ASSIGN_OR_RETURN(b.dockerfile, get_string(e.value, p)); }
      else if (e.key == "dockerfile_inline") { ASSIGN_OR_RETURN(b.dockerfile_inline, get_string(e.value, p)); }
      else if (e.key == "args") { ASSIGN_OR_RETURN(b.args, get_list_or_dict(e.value, p)); }
      else if (e.key == "labels") { ASSIGN_OR_RETURN(b.labels, get_string_map(e.value, p)); }
      else if (e.key == "cache_from") { ASSIGN_OR_RETURN(b.cache_from, get_string_list(e.value, p)); }
      else if (e.key == "no_cache") { ASSIGN_OR_RETURN(b.no_cache, get_bool(e.value, p)); }
      else if (e.key == "pull") { ASSIGN_OR_RETURN(b.pull, get_bool(e.value, p)); }
      else if (e.key == "network") { ASSIGN_OR_RETURN(b.network, get_string(e.value, p)); }
      else if (e.key == "target") { ASSIGN_OR_RETURN(b.target, get_string(e.value, p)); }
      else if (e.key == "tags") { ASSIGN_OR_RETURN(b.tags, get_string_list(e.value, p)); }
    }
  }
  if (b.context.empty()) b.context = ".";
  if (!is_url_context(b.context)) b.context = resolve_path(context_at, b.context, ctx.lookup);
  if (b.dockerfile.empty() && b.dockerfile_inline.empty()) b.dockerfile = "Dockerfile";
  // A build argument without a value takes the variable of the same name, if set.
  for (auto& [k, v] : b.args)
    if (!v && ctx.lookup) v = ctx.lookup(k);
  return b;
}

Result<Healthcheck> parse_healthcheck(const Node& node, const std::string& path,
                                      ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kHealthcheck,
                 {"test", "interval", "timeout", "retries", "start_period", "start_interval",
                  "disable"},
                 ctx));
  Healthcheck h;
  for (const Entry& e : node.entries) {
    if (e.value.is_null() || e.key.starts_with("x-")) continue;
    std::string p = key_path(path, e.key);
    if (e.key == "test") {
      if (e.value.is_scalar()) {
        h.test = {"CMD-SHELL", e.value.scalar};
      } else {
        ASSIGN_OR_RETURN(h.test, get_string_list(e.value, p));
        if (h.test.empty() ||
            (h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE"))
          return fail_at(e.value, p, "the test must start with NONE, CMD or CMD-SHELL");
      }
    } else if (e.key == "retries") {
      ASSIGN_OR_RETURN(int64_t r, get_int(e.value, p));
      if (r < 0) return fail_at(e.value, p, "invalid retries", e.value.scalar);
      h.retries = r;
    } else if (e.key == "disable") {
      ASSIGN_OR_RETURN(h.disable, get_bool(e.value, p));
    } else {
      ASSIGN_OR_RETURN(int64_t ns, get_duration(e.value, p));
      if (e.key == "interval") h.interval_ns = ns;
      if (e.key == "timeout") h.timeout_ns = ns;
      if (e.key == "start_period") h.start_period_ns = ns;
      if (e.key == "start_interval") h.start_interval_ns = ns;
    }
  }
  if (h.disable && !h.test.empty() && h.test[0] != "NONE")
    return fail_at(node, path, "test and disable can't be set at the same time");
  return h;
}

namespace {

Result<ResourceLimits> parse_limits(const Node& node, const std::string& path,
                                    ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kLimits, {"cpus", "memory", "pids"}, ctx));
  ResourceLimits l;
  for (const Entry& e : node.entries) {
    if (e.value.is_null()) continue;
    std::string p = key_path(path, e.key);
    if (e.key == "cpus") {
      ASSIGN_OR_RETURN(double cpus, get_number(e.value, p));
      if (cpus < 0) return fail_at(e.value, p, "invalid number", e.value.scalar);
      l.cpus = cpus;
    } else if (e.key == "memory") {
      ASSIGN_OR_RETURN(int64_t m, get_bytes(e.value, p));
      l.memory = m;
    } else if (e.key == "pids") {
      ASSIGN_OR_RETURN(int64_t pids, get_int(e.value, p));
      l.pids = pids;
    }
  }
  return l;
}

}  // namespace

Result<Deploy> parse_deploy(const Node& node, const std::string& path, ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kDeploy, {"replicas", "resources"}, ctx));
  Deploy d;
  if (const Node* r = node.find("replicas"); r && !r->is_null()) {
    ASSIGN_OR_RETURN(int64_t n, get_int(*r, key_path(path, "replicas")));
    if (n < 0) return fail_at(*r, key_path(path, "replicas"), "invalid replicas", r->scalar);
    d.replicas = n;
  }
  if (const Node* res = node.find("resources"); res && !res->is_null()) {
    std::string rp = key_path(path, "resources");
    TRY(check_keys(*res, rp, Section::kResources, {"limits"}, ctx));
    if (const Node* lim = res->find("limits"); lim && !lim->is_null()) {
      ASSIGN_OR_RETURN(d.limits, parse_limits(*lim, key_path(rp, "limits"), ctx));
    }
  }
  return d;
}

Result<std::map<std::string, Ulimit>> parse_ulimits(const Node& node, const std::string& path,
                                                    ParseContext& ctx) {
  TRY(expect_mapping(node, path));
  std::map<std::string, Ulimit> out;
  for (const Entry& e : node.entries) {
    std::string p = key_path(path, e.key);
    if (e.key.empty() || e.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos)
      return fail_at(e.value, p, "invalid ulimit name", e.key);
    Ulimit u;
    if (e.value.is_scalar()) {
      ASSIGN_OR_RETURN(u.soft, get_int(e.value, p));
      u.hard = u.soft;
      u.single = true;
    } else {
      TRY(check_keys(e.value, p, Section::kUlimit, {"soft", "hard"}, ctx));
      const Node* soft = e.value.find("soft");
      const Node* hard = e.value.find("hard");
      if (!soft || !hard) return fail_at(e.value, p, "a ulimit needs both soft and hard");
      ASSIGN_OR_RETURN(u.soft, get_int(*soft, key_path(p, "soft")));
      ASSIGN_OR_RETURN(u.hard, get_int(*hard, key_path(p, "hard")));
      if (u.soft > u.hard) return fail_at(e.value, p, "the soft limit exceeds the hard limit");
    }
    out[e.key] = u;
  }
  return out;
}

Result<Logging> parse_logging(const Node& node, const std::string& path, ParseContext& ctx) {
  TRY(check_keys(node, path, Section::kLogging, {"driver", "options"}, ctx));
  Logging l;
  if (const Node* d = node.find("driver"); d && !d->is_null()) {
    ASSIGN_OR_RETURN(l.driver, get_string(*d, key_path(path, "driver")));
    if (l.driver != "json-file" && l.driver != "local" && l.driver != "none")
      ctx.warn(*d, key_path(path, "driver"),
               "logging driver \"" + l.driver + "\" not supported by berth yet, json-file is used");
  }
  if (const Node* o = node.find("options"); o && !o->is_null()) {
    ASSIGN_OR_RETURN(l.options, get_string_map(*o, key_path(path, "options")));
  }
  return l;
}

Result<std::map<std::string, Dependency>> parse_depends_on(const Node& node,
                                                           const std::string& path,
                                                           ParseContext& ctx) {
  std::map<std::string, Dependency> out;
  if (node.is_sequence()) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, get_string_list(node, path));
    for (const std::string& n : names) out[n] = Dependency{};
    return out;
  }
  TRY(expect_mapping(node, path));
  for (const Entry& e : node.entries) {
    std::string p = key_path(path, e.key);
    Dependency d;
    if (!e.value.is_null()) {
      TRY(check_keys(e.value, p, Section::kDependsOn, {"condition", "restart", "required"}, ctx));
      for (const Entry& f : e.value.entries) {
        if (f.value.is_null()) continue;
        std::string fp = key_path(p, f.key);
        if (f.key == "condition") { ASSIGN_OR_RETURN(d.condition, get_string(f.value, fp)); }
        else if (f.key == "restart") { ASSIGN_OR_RETURN(d.restart, get_bool(f.value, fp)); }
        else if (f.key == "required") { ASSIGN_OR_RETURN(d.required, get_bool(f.value, fp)); }
      }
      if (d.condition != "service_started" && d.condition != "service_healthy" &&
          d.condition != "service_completed_successfully")
        return fail_at(e.value, key_path(p, "condition"), "invalid condition", d.condition);
    }
    out[e.key] = d;
  }
  return out;
}

Result<std::map<std::string, std::optional<NetworkAttachment>>> parse_service_networks(
    const Node& node, const std::string& path, ParseContext& ctx) {
  std::map<std::string, std::optional<NetworkAttachment>> out;
  if (node.is_sequence()) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, get_string_list(node, path));
    for (const std::string& n : names) out[n] = std::nullopt;
    return out;
  }
  TRY(expect_mapping(node, path));
  for (const Entry& e : node.entries) {
    std::string p = key_path(path, e.key);
    if (e.value.is_null()) {
      out[e.key] = std::nullopt;
      continue;
    }
    TRY(check_keys(e.value, p, Section::kServiceNetwork, {"aliases", "ipv4_address"}, ctx));
    NetworkAttachment a;
    if (const Node* al = e.value.find("aliases"); al && !al->is_null()) {
      ASSIGN_OR_RETURN(a.aliases, get_string_list(*al, key_path(p, "aliases")));
    }
    if (const Node* ip = e.value.find("ipv4_address"); ip && !ip->is_null()) {
      ASSIGN_OR_RETURN(a.ipv4_address, get_string(*ip, key_path(p, "ipv4_address")));
    }
    out[e.key] = std::move(a);
  }
  return out;
}

Result<std::vector<FileReference>> parse_file_references(const Node& node,
                                                         const std::string& path,
                                                         ParseContext& ctx) {
  TRY(expect_sequence(node, path));
  std::vector<FileReference> out;
  for (size_t i = 0; i < node.items.size(); i++) {
    const Node& item = node.items[i];
    std::string p = index_path(path, i);
    FileReference r;
    if (item.is_scalar()) {
      r.source = item.scalar;
    } else {
      TRY(check_keys(item, p, Section::kFileReference, {"source", "target", "uid", "gid", "mode"},
                     ctx));
      for (const Entry& e : item.entries) {
        if (e.value.is_null()) continue;
        std::string fp = key_path(p, e.key);
        if (e.key == "source") { ASSIGN_OR_RETURN(r.source, get_string(e.value, fp)); }
        else if (e.key == "target") { ASSIGN_OR_RETURN(r.target, get_string(e.value, fp)); }
        else if (e.key == "uid") { ASSIGN_OR_RETURN(r.uid, get_string(e.value, fp)); }
        else if (e.key == "gid") { ASSIGN_OR_RETURN(r.gid, get_string(e.value, fp)); }
        else if (e.key == "mode") { ASSIGN_OR_RETURN(r.mode, get_file_mode(e.value, fp)); }
      }
      if (r.source.empty()) return fail_at(item, p, "missing the source");
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace berth::compose
