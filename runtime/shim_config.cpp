#include "runtime/shim_config.h"

#include <cstdlib>

namespace berth::runtime {

namespace {
constexpr char kArgSep = '\x1f';

std::string join_args(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); i++) out += (i ? std::string(1, kArgSep) : "") + args[i];
  return out;
}

std::vector<std::string> split_args(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(kArgSep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// "tcp 0.0.0.0 8080 172.18.0.2 80"
std::string format_proxy_rule(const ProxyRule& r) {
  return r.protocol + " " + r.host_ip + " " + std::to_string(r.host_port) + " " + r.target_ip + " " +
         std::to_string(r.target_port);
}

// A port number 0..65535 (the target's from 1), all digits.
bool parse_port(const std::string& s, bool allow_zero, uint16_t& out) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
  if (v > 65535 || (v == 0 && !allow_zero)) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool parse_proxy_rule(const std::string& value, ProxyRule& r) {
  std::vector<std::string> f;
  for (size_t start = 0; start <= value.size();) {
    size_t end = value.find(' ', start);
    if (end == std::string::npos) end = value.size();
    f.push_back(value.substr(start, end - start));
    start = end + 1;
  }
  if (f.size() != 5 || (f[0] != "tcp" && f[0] != "udp") || f[1].empty() || f[3].empty() ||
      !parse_port(f[2], true, r.host_port) || !parse_port(f[4], false, r.target_port))
    return false;
  r.protocol = f[0];
  r.host_ip = f[1];
  r.target_ip = f[3];
  return true;
}
}  // namespace

std::string ShimConfig::format() const {
  std::string out = "id=" + id + "\nberth_args=" + join_args(berth) + "\nrun_dir=" + run_dir +
                    "\nlog_path=" + log_path + "\nlog_max_size=" + std::to_string(log_max_size) +
                    "\nlog_max_files=" + std::to_string(log_max_files) + "\ntty=" + (tty ? "1" : "0") +
                    "\ninteractive=" + (interactive ? "1" : "0") +
                    "\nhealth_interval_ms=" + std::to_string(health_interval_ms) + "\n";
  for (const auto& rule : proxy) out += "proxy=" + format_proxy_rule(rule) + "\n";
  for (const auto& rule : hold)
    out += "hold=" + rule.protocol + " " + rule.host_ip + " " + std::to_string(rule.host_port) + "\n";
  return out;
}

Result<ShimConfig> ShimConfig::parse(const std::string& text) {
  ShimConfig c;
  size_t pos = 0;
  int line = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(pos, end - pos);
    pos = end + 1;
    line++;
    if (l.empty()) continue;
    size_t eq = l.find('=');
    if (eq == std::string::npos) return fail("shim config line " + std::to_string(line) + ": no '='", l);
    std::string key = l.substr(0, eq), value = l.substr(eq + 1);
    if (key == "id") c.id = value;
    else if (key == "berth_args") c.berth = split_args(value);
    else if (key == "run_dir") c.run_dir = value;
    else if (key == "log_path") c.log_path = value;
    else if (key == "log_max_size") c.log_max_size = std::strtoull(value.c_str(), nullptr, 10);
    else if (key == "log_max_files") c.log_max_files = std::atoi(value.c_str());
    else if (key == "tty") c.tty = value == "1";
    else if (key == "interactive") c.interactive = value == "1";
    else if (key == "health_interval_ms") c.health_interval_ms = std::strtoll(value.c_str(), nullptr, 10);
    else if (key == "proxy") {
      if (!parse_proxy_rule(value, c.proxy.emplace_back()))
        return fail("shim config line " + std::to_string(line) +
                    ": want proxy=PROTOCOL HOST_IP HOST_PORT TARGET_IP TARGET_PORT", value);
    } else if (key == "hold") {
      // The same fields as a proxy rule's first three; the target is not used.
      if (!parse_proxy_rule(value + " 0.0.0.0 1", c.hold.emplace_back()))
        return fail("shim config line " + std::to_string(line) + ": want hold=PROTOCOL HOST_IP HOST_PORT", value);
    } else {
      return fail("shim config line " + std::to_string(line) + ": unknown key", key);
    }
  }
  if (c.id.empty() || c.berth.empty() || c.run_dir.empty() || c.log_path.empty())
    return fail("shim config: id, berth_args, run_dir and log_path are required");
  if (c.log_max_files < 1) c.log_max_files = 1;
  return c;
}

}  // namespace berth::runtime
