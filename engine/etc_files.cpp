#include "engine/etc_files.h"

#include <arpa/inet.h>

#include "base/strings.h"

namespace berth::engine {

namespace {

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool loopback_nameserver(const std::string& line) {
  auto f = split(trim(line), ' ');
  if (f.size() < 2 || f[0] != "nameserver") return false;
  std::string ns;
  for (size_t i = 1; i < f.size() && ns.empty(); i++) ns = trim(f[i]);
  return ns.rfind("127.", 0) == 0 || ns == "::1";
}

}  // namespace

Result<std::string> hosts_file(const EtcInputs& in) {
  std::string out;
  if (in.network == "host") {
    out = in.host_hosts ? *in.host_hosts : "127.0.0.1\tlocalhost\n";
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
          "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
          "ff02::2\tip6-allrouters\n";
    if (!in.ip.empty()) out += in.ip + "\t" + in.hostname + "\n";
  }
  for (const auto& h : in.add_hosts) {
    auto sep = h.find_first_of(":=");
    if (sep == std::string::npos || sep == 0 || sep + 1 == h.size())
      return fail("invalid argument for --add-host (want host:ip)", h);
    std::string name = h.substr(0, sep), ip = h.substr(sep + 1);
    if (ip == "host-gateway") {
      if (!in.gateway.empty())
        ip = in.gateway;
      else if (in.network == "host")
        ip = "127.0.0.1";
      else
        return fail("--add-host " + h + ": host-gateway needs a network (--network NAME or host)");
    }
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (!is_ip(ip)) return fail("invalid IP address in --add-host", h);
    out += ip + "\t" + name + "\n";
  }
  return out;
}

namespace {
constexpr const char kEmbeddedDnsComment[] = "# berth: the network's embedded DNS server";
}  // namespace

Result<std::string> resolv_conf(const EtcInputs& in) {
  for (const auto& d : in.dns)
    if (!is_ip(d)) return fail("invalid --dns (want an IP address)", d);
  std::string base = in.host_resolv.value_or("");
  if (in.network == "host" && in.dns.empty() && in.dns_search.empty() && in.dns_options.empty()) return base;
  // The host's file, without the loopback stub the container cannot reach.
  bool stub = false;
  std::vector<std::string> kept;
  for (const auto& l : split(base, '\n')) {
    if (loopback_nameserver(l)) {
      stub = true;
      continue;
    }
    kept.push_back(l);
  }
  if (stub && in.network != "host" && in.upstream_resolv) {
    kept.clear();
    for (const auto& l : split(*in.upstream_resolv, '\n')) kept.push_back(l);
  }
  std::string out;
  if (!in.embedded_dns.empty()) {
    out = std::string(kEmbeddedDnsComment) + "; it forwards other names to " +
          (in.dns.empty() ? std::string("the host's nameservers") : join(in.dns, " ")) + "\n";
    out += "nameserver " + in.embedded_dns + "\n";
  }
  for (const auto& l : kept) {
    std::string t = trim(l);
    if (t.empty()) continue;
    bool nameserver = t.rfind("nameserver", 0) == 0, search = t.rfind("search", 0) == 0 || t.rfind("domain", 0) == 0,
         options = t.rfind("options", 0) == 0;
    if ((nameserver && (!in.dns.empty() || !in.embedded_dns.empty())) || (search && !in.dns_search.empty()) ||
        (options && !in.dns_options.empty()))
      continue;  // replaced by the flags
    out += t + "\n";
  }
  if (in.embedded_dns.empty())
    for (const auto& d : in.dns) out += "nameserver " + d + "\n";
  if (!in.dns_search.empty()) out += "search " + join(in.dns_search, " ") + "\n";
  if (!in.dns_options.empty()) out += "options " + join(in.dns_options, " ") + "\n";
  return out;
}

std::string with_embedded_dns(const std::string& resolv, const std::string& dns) {
  auto lines = split(resolv, '\n');
  for (size_t i = 0; i + 1 < lines.size(); i++) {
    if (lines[i].rfind(kEmbeddedDnsComment, 0) != 0) continue;
    for (size_t j = i + 1; j < lines.size(); j++)
      if (trim(lines[j]).rfind("nameserver", 0) == 0) {
        lines[j] = "nameserver " + dns;
        return join(lines, "\n");
      }
  }
  return resolv;
}

std::string with_own_address(const std::string& hosts, const std::string& old_ip, const std::string& new_ip,
                             const std::string& hostname) {
  std::vector<std::string> out;
  bool done = false;
  size_t after_localhost = 0;  // where a new line goes: after the leading localhost block
  auto lines = split(hosts, '\n');
  bool trailing_newline = !lines.empty() && lines.back().empty();
  if (trailing_newline) lines.pop_back();
  for (const auto& l : lines) {
    auto f = split_whitespace(l);
    if (!done && !old_ip.empty() && f.size() == 2 && f[0] == old_ip && f[1] == hostname) {
      done = true;
      if (!new_ip.empty()) out.push_back(new_ip + "\t" + hostname);
      continue;
    }
    out.push_back(l);
    bool local = l.find("localhost") != std::string::npos || l.rfind("fe00::", 0) == 0 || l.rfind("ff0", 0) == 0;
    if (local && after_localhost == out.size() - 1) after_localhost = out.size();
  }
  if (!done && !new_ip.empty())
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(after_localhost), new_ip + "\t" + hostname);
  std::string text = join(out, "\n");
  return trailing_newline || hosts.empty() ? text + "\n" : text;
}

}  // namespace berth::engine
