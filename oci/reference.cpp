// Image references and docker's normalisation (distribution/reference: reference.go for
// the grammar, normalize.go for "busybox" -> "docker.io/library/busybox:latest").
#include "oci/reference.h"

#include "oci/digest.h"

namespace berth::oci {

namespace {

constexpr size_t kMaxNameLength = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | "__" | "-"+
bool valid_path_component(std::string_view c) {
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < c.size() && is_lower_alnum(c[i])) i++;
    if (i == start) return false;
    if (i == c.size()) return true;
    if (c[i] == '.') {
      i++;
    } else if (c[i] == '_') {
      i++;
      if (i < c.size() && c[i] == '_') i++;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') i++;
    } else {
      return false;
    }
  }
}

// domain := host (":" port)?; host := label ("." label)* | "[" ipv6 "]"
bool valid_domain(std::string_view d) {
  std::string_view host = d;
  if (auto colon = d.rfind(':'); colon != std::string_view::npos && d.find(']', colon) ==
                                                                          std::string_view::npos) {
    std::string_view port = d.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
    }
    host = d.substr(0, colon);
  }
  if (host.empty()) return false;
  if (host.front() == '[') return host.back() == ']' && host.size() > 2;
  for (std::string_view rest = host; true;) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    rest = rest.substr(dot + 1);
  }
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !is_word(t.front())) return false;
  for (char c : t) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool has_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

// Splits "name" into domain and path the way normalize.go's splitDockerDomain does.
void split_domain(std::string_view name, Reference& ref) {
  size_t slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  bool is_domain = slash != std::string_view::npos &&
                   (first.find_first_of(".:") != std::string_view::npos ||
                    first == "localhost" || has_upper(first));
  if (is_domain) {
    ref.domain = first;
    ref.path = name.substr(slash + 1);
  } else {
    ref.domain = kDefaultDomain;
    ref.path = name;
  }
  if (ref.domain == "index.docker.io") ref.domain = kDefaultDomain;
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos) {
    ref.path = "library/" + ref.path;
  }
}

Result<> validate_path(const Reference& ref, std::string_view original) {
  if (has_upper(ref.path)) {
    return fail("invalid reference format: repository name (" + ref.path +
                ") must be lowercase");
  }
  size_t start = 0;
  while (true) {
    size_t slash = ref.path.find('/', start);
    std::string_view comp = std::string_view(ref.path).substr(start, slash - start);
    if (!valid_path_component(comp)) return fail("invalid reference format", std::string(original));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (ref.domain.size() + 1 + ref.path.size() > kMaxNameLength) {
    return fail("invalid reference format: repository name must not be more than 255 characters");
  }
  return {};
}

}  // namespace

Result<Reference> parse_reference(std::string_view s) {
  if (s.empty()) return fail("invalid reference format: empty reference");
  Reference ref;
  std::string_view rest = s;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!is_sha256_digest(ref.digest)) {
      return fail("invalid reference format: invalid digest", std::string(s));
    }
  }
  size_t colon = rest.rfind(':');
  size_t slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) return fail("invalid reference format: invalid tag", std::string(s));
  }
  if (rest.empty()) return fail("invalid reference format", std::string(s));
  if (rest.size() == 64 && is_lower_hex(rest)) {
    return fail("invalid repository name (" + std::string(rest) +
                "), cannot specify 64-byte hexadecimal strings");
  }
  split_domain(rest, ref);
  if (!valid_domain(ref.domain)) return fail("invalid reference format", std::string(s));
  TRY(validate_path(ref, s));
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = kDefaultTag;
  return ref;
}

std::string Reference::repository() const { return domain + "/" + path; }

std::string Reference::familiar_repository() const {
  if (domain != kDefaultDomain) return repository();
  constexpr std::string_view kLibrary = "library/";
  std::string_view p = path;
  if (p.starts_with(kLibrary) && p.substr(kLibrary.size()).find('/') == std::string_view::npos) {
    p.remove_prefix(kLibrary.size());
  }
  return std::string(p);
}

namespace {
std::string with_suffix(std::string name, const std::string& tag, const std::string& digest) {
  if (!tag.empty()) name += ":" + tag;
  if (!digest.empty()) name += "@" + digest;
  return name;
}
}  // namespace

std::string Reference::str() const { return with_suffix(repository(), tag, digest); }
std::string Reference::familiar() const { return with_suffix(familiar_repository(), tag, digest); }

}  // namespace berth::oci
