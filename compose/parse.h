// From the merged tree to the typed model (compose/model.h): the parsers of each part.
//
// Each parser takes the node, its key path and the shared ParseContext, checks the keys
// against the schema (compose/schema.h), turns short forms into long ones, and fails with
// the file, line and key path of the first bad value. Cross-references between parts
// (a service's networks, volumes, depends_on) are checked later, in compose/validate.h.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "compose/model.h"
#include "compose/node.h"
#include "compose/values.h"

namespace berth::compose {

// services.NAME (parse_service.cpp).
Result<Service> parse_service(const std::string& name, const Node& node, ParseContext& ctx);

// services.*.ports[i]: one entry, which a short range expands to several (service_ports.cpp).
Result<std::vector<PortMapping>> parse_port(const Node& node, const std::string& path,
                                            ParseContext& ctx);
// services.*.expose[i].
Result<std::string> parse_expose(const Node& node, const std::string& path);

// services.*.volumes[i], short or long form (service_volumes.cpp).
Result<VolumeMount> parse_volume_mount(const Node& node, const std::string& path,
                                       ParseContext& ctx);

// The sub-objects of a service (service_options.cpp).
Result<BuildConfig> parse_build(const Node& node, const std::string& path, ParseContext& ctx);
Result<Healthcheck> parse_healthcheck(const Node& node, const std::string& path,
                                      ParseContext& ctx);
Result<Deploy> parse_deploy(const Node& node, const std::string& path, ParseContext& ctx);
Result<std::map<std::string, Ulimit>> parse_ulimits(const Node& node, const std::string& path,
                                                    ParseContext& ctx);
Result<Logging> parse_logging(const Node& node, const std::string& path, ParseContext& ctx);
Result<std::map<std::string, Dependency>> parse_depends_on(const Node& node,
                                                           const std::string& path,
                                                           ParseContext& ctx);
Result<std::map<std::string, std::optional<NetworkAttachment>>> parse_service_networks(
    const Node& node, const std::string& path, ParseContext& ctx);
Result<std::vector<FileReference>> parse_file_references(const Node& node,
                                                         const std::string& path,
                                                         ParseContext& ctx);

// services.*.environment and env_file, merged (service_environment.cpp).
Result<OptionalStringMap> parse_environment(const Node* environment, const Node* env_file,
                                            const std::string& path, ParseContext& ctx);

// `command: echo "a b"` -> {"echo", "a b"}: POSIX shell word splitting, without expansions.
Result<std::vector<std::string>> split_shell_words(std::string_view text);

// The top-level sections (parse_project.cpp).
Result<Network> parse_network(const Node& node, const std::string& path, ParseContext& ctx);
Result<Volume> parse_volume(const Node& node, const std::string& path, ParseContext& ctx);
Result<FileObject> parse_file_object(const Node& node, const std::string& path, bool is_config,
                                     ParseContext& ctx);
// The whole merged tree; names, profiles and cross-references are left to the loader.
Result<Project> parse_project(const Node& root, ParseContext& ctx);

}  // namespace berth::compose
