// Host platform names (OCI image-index.md "platform") and the matching of an index's
// entries against the wanted platform (containerd's platforms.Only rules, simplified).
#include "oci/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

namespace berth::oci {

namespace {

std::string machine() {
  struct utsname u;
  if (::uname(&u) < 0) return "x86_64";
  return u.machine;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// GOARCH names for the spellings uname(2) and people use.
std::string goarch(std::string_view m) {
  if (m == "x86_64" || m == "x86-64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m.starts_with("armv") || m == "armhf" || m == "armel") return "arm";
  if (m == "i386" || m == "i686") return "386";
  return std::string(m);
}

// The variants a CPU of variant `v` also runs, newest first, by architecture. The
// numbering is the spec's: ARM v5..v8, amd64 microarchitecture levels v1..v4.
int variant_level(std::string_view v) {
  if (v.size() < 2 || v[0] != 'v') return -1;
  int n = 0;
  for (char c : v.substr(1)) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

std::string host_architecture() { return goarch(machine()); }

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform host_platform() {
  std::string m = machine();
  Platform p{"linux", goarch(m), ""};
  if (p.architecture == "arm64") p.variant = "v8";
  // "armv7l" -> v7; an arm64 kernel running 32-bit berth says "armv8l".
  if (p.architecture == "arm" && m.size() >= 5 && m.starts_with("armv")) p.variant = "v" + m.substr(4, 1);
  return p;
}

Result<Platform> parse_platform(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.push_back(to_lower(text.substr(start, slash - start)));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  bool empty_part = std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); });
  if (parts.size() < 2 || parts.size() > 3 || empty_part) {
    return fail("invalid platform (want os/arch[/variant], like linux/arm64)", std::string(text));
  }
  Platform p{parts[0], goarch(parts[1]), parts.size() == 3 ? parts[2] : ""};
  if (parts[1] == "aarch64" && p.variant.empty()) p.variant = "v8";
  return p;
}

Platform normalize_platform(Platform p) {
  p.os = to_lower(p.os);
  p.architecture = goarch(to_lower(p.architecture));
  p.variant = to_lower(p.variant);
  if (p.architecture == "arm64" && p.variant.empty()) p.variant = "v8";
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  if (p.architecture == "amd64" && p.variant.empty()) p.variant = "v1";
  return p;
}

int best_platform_match(const std::vector<Platform>& candidates, const Platform& want) {
  Platform w = normalize_platform(want);
  int want_level = variant_level(w.variant);
  // Older variants run on newer CPUs for these architectures only; elsewhere the variant
  // must be the same.
  bool ordered = w.architecture == "arm" || w.architecture == "amd64";
  int best = -1, best_level = -1;
  for (size_t i = 0; i < candidates.size(); i++) {
    Platform c = normalize_platform(candidates[i]);
    if (c.os != w.os || c.architecture != w.architecture) continue;
    if (c.variant == w.variant) return static_cast<int>(i);
    int level = variant_level(c.variant);
    if (!ordered || level < 0 || want_level < 0 || level > want_level) continue;
    if (level > best_level) {
      best = static_cast<int>(i);
      best_level = level;
    }
  }
  return best;
}

}  // namespace berth::oci
