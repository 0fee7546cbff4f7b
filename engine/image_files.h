// Reading one file of an image (its /etc/passwd, /etc/group) from the extracted layers,
// without mounting them: the topmost layer that has the path wins, and a whiteout in a
// higher layer hides it (OCI image-spec layer.md "Whiteouts"). Paths are resolved with
// RESOLVE_IN_ROOT in each layer, because layer content is untrusted.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

// layer_dirs lowest first; nullopt when no layer has the file.
std::optional<std::string> read_image_file(const std::vector<std::string>& layer_dirs,
                                           const std::string& path);

}  // namespace berth::engine
