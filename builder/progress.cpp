// BuildKit-like plain progress (see progress.h).
#include "builder/progress.h"

namespace berth::builder {

int Progress::start(const std::string& name) {
  std::lock_guard lock(mu_);
  current_ = next_++;
  started_ = std::chrono::steady_clock::now();
  if (!quiet_) {
    std::fprintf(out_, "\n#%d %s\n", current_, name.c_str());
    std::fflush(out_);
  }
  return current_;
}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void Progress::line(const std::string& text) {
  std::lock_guard lock(mu_);
  if (quiet_) return;
  std::fprintf(out_, "#%d %.3f %s\n", current_, elapsed(), text.c_str());
  std::fflush(out_);
}

void Progress::done() {
  std::lock_guard lock(mu_);
  if (!quiet_) std::fprintf(out_, "#%d DONE %.1fs\n", current_, elapsed());
}

void Progress::cached() {
  std::lock_guard lock(mu_);
  if (!quiet_) std::fprintf(out_, "#%d CACHED\n", current_);
}

void Progress::error(const std::string& message) {
  std::lock_guard lock(mu_);
  if (!quiet_) std::fprintf(out_, "#%d ERROR: %s\n", current_, message.c_str());
}

}  // namespace berth::builder
