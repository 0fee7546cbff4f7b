// Per-layer progress lines on a terminal (see progress_bars.h).
#include "cli/progress_bars.h"

#include <algorithm>

#include "base/strings.h"

namespace berth::cli {

std::string progress_bar(int64_t current, int64_t total) {
  constexpr int kWidth = 50;
  if (total <= 0) return human_size(current);
  int filled = static_cast<int>(std::min<int64_t>(kWidth, current * kWidth / total));
  std::string bar(static_cast<size_t>(kWidth), ' ');
  for (int i = 0; i < filled; i++) bar[static_cast<size_t>(i)] = '=';
  if (filled > 0 && filled < kWidth) bar[static_cast<size_t>(filled - 1)] = '>';
  return "[" + bar + "]  " + human_size(current) + "/" + human_size(total);
}

void LayerBars::show(const oci::PullEvent& e) {
  bool layer = !e.id.empty() && e.status.find("Pulling from") == std::string::npos &&
               e.status.find("push refers to") == std::string::npos;
  if (!layer) {
    // Above the layer lines: wipe them, print, and draw them again below.
    if (drawn_ > 0) std::fprintf(out_, "\x1b[%zuA\x1b[J", drawn_);
    drawn_ = 0;
    std::fprintf(out_, "%s\n", e.id.empty() ? e.status.c_str() : (e.id + ": " + e.status).c_str());
    redraw();
    return;
  }
  if (!lines_.contains(e.id)) ids_.push_back(e.id);
  std::string text = e.id + ": " + e.status;
  if (e.current >= 0) text += " " + progress_bar(e.current, e.total);
  lines_[e.id] = text;
  redraw();
}

void LayerBars::redraw() {
  if (drawn_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_);
  for (const auto& id : ids_) std::fprintf(out_, "\x1b[2K%s\n", lines_[id].c_str());
  drawn_ = ids_.size();
  std::fflush(out_);
}

}  // namespace berth::cli
