// `berth volume create|ls|inspect|rm|prune`: named volumes (engine/volumes.cpp), with
// docker's flags and output.
#include <algorithm>
#include <cstdio>
#include <map>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/filters.h"
#include "cli/table.h"
#include "cli/template.h"

namespace berth::cli {

namespace {

struct CreateFlags {
  std::string driver = "local";
  std::vector<std::string> labels, opts;
};

int create_volume(const Globals& g, const std::string& name, const CreateFlags& f) {
  engine::VolumeRecord wanted;
  wanted.name = name;
  wanted.driver = f.driver;
  auto labels = parse_label_flags(f.labels);
  if (!labels) return report(labels.error());
  wanted.labels = std::move(*labels);
  for (const auto& o : f.opts) {
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) return report(Error(0, "invalid --opt (want key=value)", o));
    wanted.options[o.substr(0, eq)] = o.substr(eq + 1);
  }
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto vol = eng->create_volume(std::move(wanted));
  if (!vol) return report(vol.error());
  std::puts(vol->name.c_str());
  return 0;
}

// The labels as docker's ls prints them: "k=v,k2=v2".
std::string labels_text(const engine::VolumeRecord& v) {
  std::vector<std::string> out;
  for (const auto& [k, val] : v.labels) out.push_back(k + "=" + val);
  return join(out, ",");
}

// docker volume ls --filter KEY=VALUE. Keys: name (substring), driver, dangling (true: no
// container uses it), label (KEY or KEY=VALUE).
Result<bool> matches(const std::vector<std::string>& filters, const engine::VolumeRecord& v, bool used) {
  return match_filters(filters, [&](const std::string& key, const std::string& value) -> Result<bool> {
    if (key == "name") return v.name.find(value) != std::string::npos;
    if (key == "driver") return v.driver == value;
    if (key == "label") return label_matches(v.labels, value);
    if (key == "dangling") {
      if (value != "true" && value != "false" && value != "1" && value != "0")
        return fail("invalid filter 'dangling=" + value + "'");
      return used != (value == "true" || value == "1");
    }
    return fail("invalid filter '" + key + "'");
  });
}

int list_volumes(const Globals& g, bool quiet, const std::string& format, const std::vector<std::string>& filters) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto vols = eng->volumes();
  if (!vols) return report(vols.error());
  std::vector<std::string> used;
  bool by_use = std::any_of(filters.begin(), filters.end(),
                            [](const std::string& f) { return f.rfind("dangling=", 0) == 0; });
  if (by_use) {
    auto all = eng->containers();
    if (!all) return report(all.error());
    for (const auto& c : *all)
      for (const auto& n : engine::mounted_volumes(c)) used.push_back(n);
  }
  bool table = format.empty() || format == "table";
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *vols) {
    auto ok = matches(filters, v, std::find(used.begin(), used.end(), v.name) != used.end());
    if (!ok) return report(ok.error());
    if (!*ok) continue;
    if (quiet) {
      std::puts(v.name.c_str());
      continue;
    }
    if (table) {
      rows.push_back({v.driver, v.name});
      continue;
    }
    // docker's fields for --format: N/A where a driver has nothing to say.
    Json j = {{"Availability", "N/A"}, {"Driver", v.driver},         {"Group", "N/A"},
              {"Labels", labels_text(v)}, {"Links", "N/A"},          {"Mountpoint", v.mountpoint},
              {"Name", v.name},           {"Scope", "local"},         {"Size", "N/A"},
              {"Status", "N/A"}};
    if (format == "json") {
      std::puts(j.dump().c_str());
      continue;
    }
    auto text = render_template(format, j);
    if (!text) return report(text.error());
    std::puts(text->c_str());
  }
  if (!quiet && table) print_table({"DRIVER", "VOLUME NAME"}, rows);
  return 0;
}

int inspect_volumes(const Globals& g, const std::vector<std::string>& names, const std::string& format) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  int code = 0;
  Json all = Json::array();
  for (const auto& n : names) {
    auto vol = eng->find_volume(n);
    if (!vol) {
      code = report(vol.error());
      continue;
    }
    all.push_back(vol->to_json());
  }
  if (auto printed = print_inspected(all, format); !printed) return report(printed.error());
  return code;
}

// docker asks before a prune unless -f.
bool confirm(bool force, const char* warning) {
  if (force) return true;
  std::printf("WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
  std::fflush(stdout);
  char answer[16] = "";
  if (!std::fgets(answer, sizeof answer, stdin)) return false;
  return answer[0] == 'y' || answer[0] == 'Y';
}

int prune_volumes(const Globals& g, bool force, bool all) {
  if (!confirm(force, all ? "This will remove all local volumes not used by at least one container."
                          : "This will remove anonymous local volumes not used by at least one container."))
    return 0;
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto gone = eng->prune_volumes(all);
  if (!gone) return report(gone.error());
  if (!gone->names.empty()) std::puts("Deleted Volumes:");
  for (const auto& n : gone->names) std::puts(n.c_str());
  if (!gone->names.empty()) std::puts("");
  std::printf("Total reclaimed space: %s\n", human_size(static_cast<int64_t>(gone->bytes)).c_str());
  return 0;
}

}  // namespace

void register_volume_commands(CLI::App& app, Globals& g, int* exit_code) {
  auto* volume = app.add_subcommand("volume", "Manage volumes");
  volume->require_subcommand(1);

  auto* create = volume->add_subcommand("create", "Create a volume");
  static std::string create_name;
  static CreateFlags cf;
  create->add_option("name", create_name, "VOLUME (default: a random name)");
  create->add_option("-d,--driver", cf.driver, "Specify volume driver name (only local)");
  create->add_option("--label", cf.labels, "Set metadata for a volume")->allow_extra_args(false);
  create->add_option("-o,--opt", cf.opts, "Set driver specific options (type=none, o=bind, device=/path)")
      ->allow_extra_args(false);
  create->callback([&g, exit_code] { *exit_code = create_volume(g, create_name, cf); });

  auto* ls = volume->add_subcommand("ls", "List volumes");
  ls->alias("list");
  static bool ls_quiet = false;
  static std::string ls_format;
  static std::vector<std::string> ls_filters;
  ls->add_flag("-q,--quiet", ls_quiet, "Only display volume names");
  ls->add_option("-f,--filter", ls_filters, "Provide filter values (dangling=true, name=, label=, driver=)")
      ->allow_extra_args(false);
  ls->add_option("--format", ls_format, "table, json (one object per line), or a Go template");
  ls->callback([&g, exit_code] { *exit_code = list_volumes(g, ls_quiet, ls_format, ls_filters); });

  auto* inspect = volume->add_subcommand("inspect", "Display detailed information on one or more volumes");
  static std::vector<std::string> inspect_names;
  static std::string inspect_format;
  inspect->add_option("-f,--format", inspect_format, "Format the output using a Go template");
  inspect->add_option("volumes", inspect_names, "VOLUME...")->required();
  inspect->callback([&g, exit_code] { *exit_code = inspect_volumes(g, inspect_names, inspect_format); });

  auto* rm = volume->add_subcommand("rm", "Remove one or more volumes");
  rm->alias("remove");
  static std::vector<std::string> rm_names;
  static bool rm_force = false;
  rm->add_flag("-f,--force", rm_force, "Do not fail when a volume does not exist");
  rm->add_option("volumes", rm_names, "VOLUME...")->required();
  rm->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    for (const auto& n : rm_names) {
      if (auto r = eng->remove_volume(n, rm_force); !r)
        *exit_code = report(r.error());
      else
        std::puts(n.c_str());
    }
  });

  auto* prune = volume->add_subcommand("prune", "Remove unused local volumes (anonymous ones, or all with -a)");
  static bool prune_force = false, prune_all = false;
  prune->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  prune->add_flag("-a,--all", prune_all, "Remove all unused volumes, not just anonymous ones");
  prune->callback([&g, exit_code] { *exit_code = prune_volumes(g, prune_force, prune_all); });
}

}  // namespace berth::cli
