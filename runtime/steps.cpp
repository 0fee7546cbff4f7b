#include "runtime/steps.h"

#include "base/trace.h"

namespace berth::runtime {

Result<> run_steps(std::span<const Step> first, std::span<const Step> then, ContainerContext& ctx) {
  int total = 0;
  for (auto steps : {first, then})
    for (const auto& s : steps)
      if (!s.enabled || s.enabled(ctx)) total++;
  int index = 0;
  for (auto steps : {first, then}) {
    for (const auto& s : steps) {
      if (s.enabled && !s.enabled(ctx)) continue;
      trace_step(++index, total, s.name, s.why);
      auto r = s.run(ctx);
      if (!r) return std::unexpected(wrap(r.error(), std::string("step ") + s.name));
    }
  }
  return {};
}

}  // namespace berth::runtime
