// Rendering an Error for a person: outermost context first, then the failing operation.
#include "base/result.h"

#include <cstdlib>
#include <cstring>

namespace berth {

std::string Error::message() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += op_;
  if (!object_.empty()) {
    out += " \"";
    out += object_;
    out += "\"";
  }
  if (errno_ != 0) {
    out += ": ";
    out += std::strerror(errno_);
  }
  return out;
}

std::string Error::serialize() const {
  std::string out = std::to_string(errno_);
  out += '\0';
  out += op_;
  out += '\0';
  out += object_;
  for (const auto& c : context_) {
    out += '\0';
    out += c;
  }
  return out;
}

Error Error::deserialize(const std::string& bytes) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = bytes.find('\0', start);
    parts.push_back(bytes.substr(start, pos == std::string::npos ? pos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  Error e;
  if (parts.size() < 3) return Error(0, "malformed error from child", bytes);
  e.errno_ = std::atoi(parts[0].c_str());
  e.op_ = parts[1];
  e.object_ = parts[2];
  for (size_t i = 3; i < parts.size(); i++) e.context_.push_back(parts[i]);
  return e;
}

}  // namespace berth
