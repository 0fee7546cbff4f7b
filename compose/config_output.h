// `berth compose config`: the loaded model printed back in docker compose's canonical shape.
//
// The shape follows `docker compose config` (Docker Compose v2): top-level `name`, then
// `services` (sorted by name, each service's keys sorted), `networks`, `volumes`, `secrets`,
// `configs`; ports and volumes in their long form; sizes as strings of bytes
// (mem_limit: "536870912"); durations in Go's form (interval: 1m30s); every service that
// joins no named network shows `networks: {default: null}` and the project network
// `default: {name: <project>_default}`.
//
// Known differences from docker compose (it prints what berth will run, not more):
//   - keys berth does not implement yet (warned about while loading) are not printed;
//   - `x-` extensions are not printed;
//   - `env_file` is not printed: its variables are merged into `environment`, as docker
//     compose also does when it resolves the environment;
//   - nested objects keep compose-go's field order where known (ports: mode, host_ip,
//     target, published, protocol); the JSON form (render_config_json) sorts all keys;
//   - networks, volumes, secrets and configs that no enabled service uses are left out;
//   - a secret's or config's `mode` prints as an octal string ("0440"), extra_hosts as
//     "host=address" (sorted), and an empty `deploy` is left out;
//   - no docker compose was at hand to compare with: the shape comes from the specification,
//     docker's documentation and its published examples.
// The golden files of tests/compose/valid/*/expected.yaml show the output for every key.
#pragma once

#include <string>

#include "base/json.h"
#include "compose/model.h"

namespace berth::compose {

std::string render_config_yaml(const Project& project);
// The same document; nlohmann::json sorts keys, so use render_config_json_text to print.
Json render_config_json(const Project& project);
// `config --format json`: the document in docker's key order, indented by two spaces.
std::string render_config_json_text(const Project& project);
// `config --services` and `config --volumes`: one name a line.
std::string render_service_names(const Project& project);
std::string render_volume_names(const Project& project);

// Go's time.Duration.String(): 90s -> "1m30s", 1.5ms -> "1.5ms", 0 -> "0s".
std::string format_go_duration(int64_t ns);

}  // namespace berth::compose
