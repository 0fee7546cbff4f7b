// Rendering an Error for a person: outermost context first, then the failing operation.
#include "base/result.h"

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

}  // namespace berth
