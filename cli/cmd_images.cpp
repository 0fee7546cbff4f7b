// Image verbs: pull, load, import, images, tag, rmi, save (docker's flags and output).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "base/clock.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/progress_bars.h"
#include "cli/table.h"

namespace berth::cli {

namespace {


std::string short_id(const std::string& id) {
  std::string hex = starts_with(id, "sha256:") ? id.substr(7) : id;
  return hex.substr(0, 12);
}

struct ImageRow {
  std::string repository = "<none>", tag = "<none>";
};

ImageRow split_name(const std::string& name) {
  ImageRow row;
  auto ref = oci::parse_reference(name);
  if (!ref) return row;
  row.repository = ref->familiar_repository();
  row.tag = ref->tag.empty() ? "<none>" : ref->tag;
  return row;
}

int list_images(const Globals& g, bool all, bool quiet, const std::string& format) {
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto images = eng->images().list_images();
  if (!images) return report(images.error());
  std::vector<std::vector<std::string>> rows;
  for (const auto& img : *images) {
    // The builder's intermediate images (its cache) only with -a, as docker's.
    if (img.build_cache && img.names.empty() && !all) continue;
    std::vector<std::string> names = img.names.empty() ? std::vector<std::string>{""} : img.names;
    for (const auto& n : names) {
      ImageRow r = n.empty() ? ImageRow{} : split_name(n);
      int64_t age = seconds_since(img.created);
      std::string created = age < 0 ? "N/A" : human_duration_ago(age);
      if (quiet) {
        std::puts(short_id(img.id).c_str());
        break;
      }
      if (format == "json") {
        Json j = {{"Repository", r.repository}, {"Tag", r.tag}, {"ID", short_id(img.id)},
                  {"CreatedAt", img.created},   {"CreatedSince", created},
                  {"Size", human_size(img.size)}};
        std::puts(j.dump().c_str());
        continue;
      }
      rows.push_back({r.repository, r.tag, short_id(img.id), created, human_size(img.size)});
    }
  }
  if (!quiet && format != "json") print_table({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}, rows);
  return 0;
}

struct PullFlags {
  std::string name, platform, cert_dir;
  bool quiet = false, tls_verify = true;
  int max_concurrent_downloads = oci::kDefaultMaxConcurrentDownloads;
};

// docker pull's output: a line per layer event ("<id>: Pull complete"), then the digest,
// the status and the full name; -q only the name. (A TTY gets the same plain lines for
// now: progress bars come later.)
int pull_image(const Globals& g, const PullFlags& f) {
  oci::PullOptions options;
  options.tls_verify = f.tls_verify;
  options.max_concurrent_downloads = f.max_concurrent_downloads;
  options.cert_dir = f.cert_dir;
  if (!f.platform.empty()) {
    auto p = oci::parse_platform(f.platform);
    if (!p) return report(p.error());
    options.platform = *p;
  }
  auto ref = oci::parse_reference(f.name);
  if (!ref) return report(ref.error());
  auto eng = open_engine(g);
  if (!eng) return report(eng.error());
  auto pulled = eng->pull(f.name, options, progress_lines(f.quiet));
  if (!pulled) return report(pulled.error());
  if (!f.quiet) {
    std::printf("Digest: %s\n", pulled->digest.c_str());
    std::printf("Status: %s for %s\n",
                pulled->up_to_date ? "Image is up to date" : "Downloaded newer image",
                ref->familiar().c_str());
  }
  std::printf("%s\n", ref->str().c_str());
  return 0;
}

// --max-concurrent-downloads' default: $BERTH_MAX_CONCURRENT_DOWNLOADS, else docker's 3.
int default_concurrent_downloads() {
  const char* env = std::getenv("BERTH_MAX_CONCURRENT_DOWNLOADS");
  auto n = env ? parse_int(env) : std::nullopt;
  return n && *n > 0 && *n <= 64 ? static_cast<int>(*n) : oci::kDefaultMaxConcurrentDownloads;
}

}  // namespace

oci::PullProgress progress_lines(bool quiet, FILE* out) {
  if (quiet) return {};
  if (::isatty(::fileno(out))) {
    auto bars = std::make_shared<LayerBars>(out);
    return [bars](const oci::PullEvent& e) { bars->show(e); };
  }
  return [out](const oci::PullEvent& e) {
    // docker's lines without a terminal: no byte counts, no "Extracting".
    if (e.current >= 0 || e.status == "Extracting") return;
    if (e.id.empty()) std::fprintf(out, "%s\n", e.status.c_str());
    else std::fprintf(out, "%s: %s\n", e.id.c_str(), e.status.c_str());
    std::fflush(out);
  };
}

Result<> ensure_image(engine::Engine& engine, const std::string& image, const std::string& policy) {
  if (policy != "missing" && policy != "always" && policy != "never")
    return fail("invalid pull option: '" + policy + "': must be one of \"always\", \"missing\" or \"never\"");
  bool have = engine.images().find_image(image).has_value();
  if (have && policy != "always") return {};
  ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(image));
  if (!have && policy == "never") return fail_errno(ENOENT, "No such image: " + ref.familiar());
  if (!have) std::fprintf(stderr, "Unable to find image '%s' locally\n", ref.familiar().c_str());
  ASSIGN_OR_RETURN(oci::PulledImage pulled, engine.pull(image, oci::PullOptions{}, progress_lines(false, stderr)));
  std::fprintf(stderr, "Digest: %s\nStatus: %s for %s\n", pulled.digest.c_str(),
               pulled.up_to_date ? "Image is up to date" : "Downloaded newer image", ref.familiar().c_str());
  return {};
}

void register_image_commands(CLI::App& app, Globals& g, int* exit_code) {
  auto* pull = app.add_subcommand("pull", "Download an image from a registry");
  static PullFlags pull_flags;
  pull_flags.max_concurrent_downloads = default_concurrent_downloads();
  pull->add_option("name", pull_flags.name, "NAME[:TAG|@DIGEST]")->required();
  pull->add_flag("-q,--quiet", pull_flags.quiet, "Suppress verbose output");
  pull->add_option("--cert-dir", pull_flags.cert_dir, "The certs.d directory (default /etc/berth/certs.d, /etc/docker/certs.d)");
  pull->add_option("--platform", pull_flags.platform,
                   "Set platform if server is multi-platform capable (os/arch[/variant])");
  pull->add_flag("--tls-verify", pull_flags.tls_verify,
                 "Require HTTPS and verify certificates (--tls-verify=false: an insecure registry)");
  pull->add_option("--max-concurrent-downloads", pull_flags.max_concurrent_downloads,
                   "Layers downloaded at once (default $BERTH_MAX_CONCURRENT_DOWNLOADS, else 3)")
      ->check(CLI::Range(1, 64));
  pull->callback([&g, exit_code] { *exit_code = pull_image(g, pull_flags); });

  auto* load = app.add_subcommand("load", "Load an image from a tar archive (docker-archive or OCI)");
  static std::string load_input;
  static bool load_quiet = false;
  load->add_option("-i,--input", load_input, "Read from tar archive file")->required();
  load->add_flag("-q,--quiet", load_quiet, "Suppress the load output");
  load->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto names = eng->load(load_input);
    if (!names) return void(*exit_code = report(names.error()));
    if (load_quiet) return;
    for (const auto& n : *names)
      std::printf("Loaded image%s: %s\n", starts_with(n, "sha256:") ? " ID" : "", n.c_str());
  });

  auto* import = app.add_subcommand("import", "Import a rootfs tarball as a one-layer image");
  static std::string import_file, import_name;
  import->add_option("file", import_file, "Tarball (tar, tar.gz, tar.zst)")->required();
  import->add_option("name", import_name, "NAME[:TAG]")->required();
  import->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto img = eng->import(import_file, import_name);
    if (!img) return void(*exit_code = report(img.error()));
    std::puts(img->id.c_str());
  });

  auto* images = app.add_subcommand("images", "List images");
  static bool images_quiet = false, images_all = false;
  static std::string images_format;
  images->add_flag("-a,--all", images_all, "Show all images (also the build cache's intermediate ones)");
  images->add_flag("-q,--quiet", images_quiet, "Only show image IDs");
  images->add_option("--format", images_format, "json: one JSON object per line")
      ->check(CLI::IsMember({"", "json", "table"}));
  images->callback([&g, exit_code] { *exit_code = list_images(g, images_all, images_quiet, images_format); });

  auto* tag = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  static std::string tag_source, tag_target;
  tag->add_option("source", tag_source, "SOURCE_IMAGE[:TAG]")->required();
  tag->add_option("target", tag_target, "TARGET_IMAGE[:TAG]")->required();
  tag->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    auto ref = oci::parse_reference(tag_target);
    if (!ref) return void(*exit_code = report(ref.error()));
    if (auto r = eng->images().tag(tag_source, *ref); !r) *exit_code = report(r.error());
  });

  auto* rmi = app.add_subcommand("rmi", "Remove one or more images");
  static std::vector<std::string> rmi_names;
  static bool rmi_force = false;
  rmi->add_option("images", rmi_names, "IMAGE...")->required();
  rmi->add_flag("-f,--force", rmi_force, "Force removal of the image");
  rmi->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    for (const auto& n : rmi_names) {
      auto lines = eng->remove_image(n, rmi_force);
      if (!lines) {
        *exit_code = report(lines.error());
        continue;
      }
      for (const auto& l : *lines) std::puts(l.c_str());
    }
  });

  auto* save = app.add_subcommand("save", "Save images to a tar archive");
  static std::vector<std::string> save_names;
  static std::string save_output;
  save->add_option("-o,--output", save_output, "Write to a file")->required();
  save->add_option("images", save_names, "IMAGE...")->required();
  save->callback([&g, exit_code] {
    auto eng = open_engine(g);
    if (!eng) return void(*exit_code = report(eng.error()));
    if (auto r = eng->images().save(save_names, save_output); !r) *exit_code = report(r.error());
  });
}

}  // namespace berth::cli
