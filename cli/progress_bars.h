// docker's pull (and push) display on a terminal: one line per layer, redrawn in place as
// events arrive ("a1b2c3d4e5f6: Downloading [=====>     ]  12.5MB/45.2MB", then
// "Extracting", then "Pull complete"); lines that are not about a layer ("latest: Pulling
// from library/busybox") are printed above them. Read: ECMA-48 (CSI n A: cursor up; CSI 2 K:
// erase line), which every terminal berth meets understands.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "oci/pull.h"

namespace berth::cli {

class LayerBars {
 public:
  explicit LayerBars(FILE* out) : out_(out) {}
  void show(const oci::PullEvent& e);

 private:
  void redraw();
  FILE* out_;
  std::vector<std::string> ids_;              // in the order they first appeared
  std::map<std::string, std::string> lines_;  // id -> its current text
  size_t drawn_ = 0;                          // lines of ours now on the screen, at the bottom
};

// "[=========>          ]  12.5MB/45.2MB", as docker draws it (50 columns of bar).
std::string progress_bar(int64_t current, int64_t total);

}  // namespace berth::cli
