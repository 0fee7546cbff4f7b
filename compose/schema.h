// Which keys a compose file may use, and which of them berth does not implement yet.
//
// The Compose Specification's JSON schema closes every object (`additionalProperties:
// false`), except that `x-` keys are allowed nearly everywhere for extensions. So a key
// is one of:
//   - implemented: its parser handles it (the list lives beside the parser that uses it);
//   - in the specification but not implemented by berth: a warning naming the key, and the
//     value is ignored (never silently: see kNotImplemented in schema.cpp, the one list);
//   - `x-...`: an extension, ignored;
//   - anything else: an error naming the file, line and key path (a typo like `imagee`).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "base/result.h"
#include "compose/node.h"
#include "compose/values.h"

namespace berth::compose {

// The objects of the schema whose keys are checked, named by their path pattern.
enum class Section {
  kTopLevel,         // the file
  kService,          // services.*
  kBuild,            // services.*.build
  kDeploy,           // services.*.deploy
  kResources,        // services.*.deploy.resources
  kLimits,           // services.*.deploy.resources.limits
  kHealthcheck,      // services.*.healthcheck
  kDependsOn,        // services.*.depends_on.*
  kServiceNetwork,   // services.*.networks.*
  kPort,             // services.*.ports[] long form
  kVolumeMount,      // services.*.volumes[] long form
  kVolumeBind,       // services.*.volumes[].bind
  kVolumeVolume,     // services.*.volumes[].volume
  kVolumeTmpfs,      // services.*.volumes[].tmpfs
  kLogging,          // services.*.logging
  kFileReference,    // services.*.secrets[] and configs[] long form
  kEnvFile,          // services.*.env_file[] long form
  kExtends,          // services.*.extends
  kUlimit,           // services.*.ulimits.*
  kNetwork,          // networks.*
  kIpam,             // networks.*.ipam
  kIpamPool,         // networks.*.ipam.config[]
  kVolume,           // volumes.*
  kSecret,           // secrets.*
  kConfig,           // configs.*
  kInclude,          // include[] long form
};

// True when the specification has `key` in `section` and berth ignores it (with a warning).
bool is_not_implemented(Section section, std::string_view key);

// Checks every key of the mapping `node` (at `path`): `implemented` keys pass, `x-` keys
// pass, not-implemented keys warn, anything else fails. Returns the error of the first
// unknown key.
Result<> check_keys(const Node& node, const std::string& path, Section section,
                    std::initializer_list<std::string_view> implemented, ParseContext& ctx);

// Same, for a section whose implemented keys the caller tests itself (the service table).
Result<> check_key(const Entry& entry, const std::string& path, Section section,
                   bool implemented, ParseContext& ctx);

}  // namespace berth::compose
