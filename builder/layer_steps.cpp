// The instructions that add a layer: RUN (in a container), COPY and ADD (files from the
// context or another stage), WORKDIR (the directory, when it is missing).
//
// Each goes through layer_step(): ask the build cache first; on a miss, make the change
// in a scratch directory under the store's tmp/ (the container's upper directory, or a
// layer job's), pack it into a layer and record it in the cache. A step that changed no
// file adds no layer, only its history entry.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/clock.h"
#include "base/fs.h"
#include "base/strings.h"
#include "builder/builder_impl.h"
#include "builder/copy_files.h"
#include "builder/fetch_url.h"
#include "builder/layer_job.h"
#include "builder/sources.h"
#include "engine/etc_passwd.h"
#include "oci/reference.h"
#include "runtime/safe_path.h"

namespace berth::builder {

namespace {

bool is_empty_dir(const std::string& dir) {
  auto names = list_dir(dir);
  return names && names->empty();
}

// Absolute path in the image: relative ones start at WORKDIR (or /).
std::string in_image(const std::string& path, const std::string& workdir) {
  if (path.starts_with("/")) return path;
  std::string base = workdir.empty() ? "/" : workdir;
  return base.ends_with("/") ? base + path : base + "/" + path;
}

// --chmod=0755 (octal only, as docker's classic builder).
Result<mode_t> parse_chmod(const std::string& text) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos)
    return fail("invalid --chmod (want octal like 0755)", text);
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

}  // namespace

// What the runtime makes in a RUN container's root to mount over (/etc/hosts and friends,
// /proc, /dev, ...) when the image lacks them: empty, and not the command's doing. Left out
// of the layer, as docker leaves them out.
std::set<std::string> Builder::mount_stubs(const std::string& upper, const std::vector<std::string>& lower_dirs) const {
  std::set<std::string> out;
  for (const char* rel : {"etc/hosts", "etc/hostname", "etc/resolv.conf", "proc", "sys", "dev", "dev/shm",
                          "dev/mqueue", "dev/pts"}) {
    struct stat st;
    std::string p = path_join(upper, rel);
    if (::lstat(p.c_str(), &st) < 0) continue;
    bool empty = S_ISREG(st.st_mode) ? st.st_size == 0 : S_ISDIR(st.st_mode) && is_empty_dir(p);
    bool in_lower = std::any_of(lower_dirs.begin(), lower_dirs.end(), [&](const std::string& l) {
      struct stat lst;
      return ::lstat(path_join(l, rel).c_str(), &lst) == 0;
    });
    if (empty && !in_lower) out.insert(rel);
  }
  // An /etc that only exists to hold those stubs goes too.
  if (out.contains("etc/hosts") && is_empty_dir(path_join(upper, "etc")) == false) {
    auto names = list_dir(path_join(upper, "etc"));
    bool only_stubs = names && std::all_of(names->begin(), names->end(), [&](const std::string& n) {
                        return out.contains("etc/" + n);
                      });
    bool etc_in_lower = std::any_of(lower_dirs.begin(), lower_dirs.end(),
                                    [](const std::string& l) { return is_directory(path_join(l, "etc")); });
    if (only_stubs && !etc_in_lower) out.insert("etc");
  }
  return out;
}

Result<> Builder::layer_step(StageRun& s, const Instruction& ins, const std::string& key_part,
                             const std::string& created_by, const MakeLayer& make, bool container) {
  std::string key = chain_key(s.key, key_part);
  progress_.start(step_name(s, ins.original));
  std::optional<CacheRecord> rec;
  if (!options_.no_cache) rec = cache_.find(key);
  if (rec) {
    progress_.cached();
  } else {
    ASSIGN_OR_RETURN(oci::WorkDir scratch, engine_.images().make_work_dir());
    auto upper = make(scratch.path());
    if (!upper) {
      progress_.error(upper.error().message());
      return std::unexpected(upper.error());
    }
    rec = CacheRecord{};
    rec->created = rfc3339_now();
    if (is_empty_dir(*upper)) {
      rec->empty_layer = true;
    } else {
      ASSIGN_OR_RETURN(auto lowers, engine_.images().layer_dirs(s.state.diff_ids()));
      std::set<std::string> stubs = container ? mount_stubs(*upper, lowers) : std::set<std::string>{};
      ASSIGN_OR_RETURN(oci::LayerDigests d, engine_.images().add_layer_dir(*upper, scratch, stubs));
      rec->diff_id = d.diff_id;
      rec->blob = oci::LayerBlob{"application/vnd.oci.image.layer.v1.tar", d.blob_digest, d.blob_size};
    }
    TRY(cache_.put(key, *rec));
    progress_.done();
  }
  if (!rec->empty_layer) s.state.add_layer(rec->diff_id, rec->blob);
  s.state.add_history(created_by, rec->empty_layer, rec->created);
  s.key = key;
  return {};
}

Result<> Builder::do_run(StageRun& s, const Instruction& ins) {
  // RUN --network=default|none|host: this step's network (default: the build's).
  std::string network = options_.network;
  for (const auto& [flag, value] : ins.flags) {
    if (flag != "network") return fail("RUN --" + flag + " is not supported yet");
    if (value != "default" && value != "none" && value != "host") return fail("invalid RUN --network", value);
    if (value != "default") network = value;
  }
  std::vector<std::string> argv;
  if (ins.json) {
    argv = ins.json_args;
  } else {
    std::string script = ins.text;
    // A heredoc: the shell gets the text with the here-document after it, as a shell
    // script would have it; `RUN <<EOF` alone runs the document itself as the script.
    std::vector<std::string> words = split_whitespace(ins.text);
    bool only_heredocs = !ins.heredocs.empty() && std::all_of(words.begin(), words.end(), [](const std::string& w) {
      return w.starts_with("<<");
    });
    if (only_heredocs) {
      script = ins.heredocs[0].content;
    } else {
      for (const auto& h : ins.heredocs) script += "\n" + h.content + h.name;
    }
    argv = s.shell;
    argv.push_back(script);
  }
  // The ARG values in scope are part of the command's environment, so of its cache key.
  std::string key = "RUN " + Json(argv).dump() + " " + Json(s.args).dump() + " " + network;
  std::string created_by = "RUN " + join(argv, " ");
  return layer_step(s, ins, key, created_by, [&](const std::string& scratch) { return run_container(s, argv, network, scratch); }, true);
}

Result<> Builder::do_workdir(StageRun& s, const Instruction& ins) {
  ASSIGN_OR_RETURN(std::string dir, expand_word(ins.text, vars(s), dockerfile_.escape));
  if (dir.empty()) return fail("WORKDIR needs a path");
  std::string path = in_image(dir, s.state.working_dir());
  s.state.config()["WorkingDir"] = path;
  s.state.changed();
  ASSIGN_OR_RETURN(auto lowers, engine_.images().layer_dirs(s.state.diff_ids()));
  return layer_step(s, ins, "WORKDIR " + path, "WORKDIR " + path, [&](const std::string& scratch) {
    return run_layer_job(LayerJob{lowers, scratch, {}}, [&](int root, int) -> Result<> {
      TRY(runtime::make_dirs_in_root(root, path, 0755));
      return {};
    });
  });
}

Result<> Builder::do_copy(StageRun& s, const Instruction& ins) {
  bool add = ins.keyword == "ADD";
  char esc = dockerfile_.escape;
  CopyRequest req;
  req.extract_archives = add;
  std::string from, chown, checksum;
  for (const auto& [flag, value] : ins.flags) {
    if (flag == "checksum" && add) {
      ASSIGN_OR_RETURN(checksum, expand_word(value, vars(s), esc));
    } else if (flag == "from" && !add) {
      ASSIGN_OR_RETURN(from, expand_word(value, vars(s), esc));
    } else if (flag == "chown") {
      ASSIGN_OR_RETURN(chown, expand_word(value, vars(s), esc));
    } else if (flag == "chmod") {
      ASSIGN_OR_RETURN(req.mode, parse_chmod(value));
    } else if (flag != "link") {  // --link: layers here never depend on what is below them
      return fail(ins.keyword + " --" + flag + " is not supported");
    }
  }
  std::vector<std::string> words;
  if (ins.json) {
    words = ins.json_args;
  } else {
    ASSIGN_OR_RETURN(words, expand_words(ins.text, vars(s), esc));
  }
  // Heredoc sources (`COPY <<EOF /dest`) are files of their own; the rest come from the
  // context or --from.
  std::vector<const Heredoc*> docs;
  std::erase_if(words, [&](const std::string& w) {
    if (!w.starts_with("<<")) return false;
    for (const auto& h : ins.heredocs)
      if (w.ends_with(h.name)) docs.push_back(&h);
    return true;
  });
  if (words.empty() || (words.size() < 2 && docs.empty())) return fail(ins.keyword + " requires at least two arguments");
  req.dest = in_image(words.back(), s.state.working_dir());
  if (words.back().ends_with("/") && !req.dest.ends_with("/")) req.dest += "/";
  words.pop_back();
  // ADD's URLs: downloaded now (their content is part of the cache key), copied in with
  // the rest, mode 0600 unless --chmod, never extracted.
  std::vector<std::string> urls;
  if (add) std::erase_if(words, [&](const std::string& w) { return is_url_source(w) && (urls.push_back(w), true); });
  if (!checksum.empty() && (urls.size() != 1 || !words.empty()))
    return fail("ADD --checksum needs exactly one source, a URL");
  std::optional<oci::WorkDir> downloads;
  Fd download_dir;
  CopyRequest fetched_req = req;
  fetched_req.mode = req.mode.value_or(0600);
  fetched_req.extract_archives = false;
  std::string fetched_key;
  if (!urls.empty()) {
    ASSIGN_OR_RETURN(oci::WorkDir dir, engine_.images().make_work_dir());
    downloads.emplace(std::move(dir));
    for (const auto& url : urls) {
      ASSIGN_OR_RETURN(FetchedFile f, fetch_url(url, downloads->path(), checksum));
      fetched_req.sources.push_back(f.name);
      fetched_key += " " + url + "=" + f.digest;
    }
    ASSIGN_OR_RETURN(download_dir, open_fd(downloads->path(), O_PATH | O_DIRECTORY));
  }

  ASSIGN_OR_RETURN(auto lowers, engine_.images().layer_dirs(s.state.diff_ids()));
  // --chown's names resolve through the stage's own /etc/passwd and /etc/group, as
  // docker does: read in the layer job, inside the stage's root (a symlinked /etc of the
  // image must never lead to the host's).
  auto resolve_chown = [&chown](int root, CopyRequest& r) -> Result<> {
    if (chown.empty()) return {};
    ASSIGN_OR_RETURN(engine::ResolvedUser u, engine::resolve_user(chown, read_image_file(root, "etc/passwd"),
                                                                   read_image_file(root, "etc/group")));
    r.uid = u.uid;
    r.gid = u.gid;  // the group given, else the user's primary group
    return {};
  };

  // Sources: from another stage or image (its filesystem), or from the context.
  std::vector<std::string> source_layers;
  std::string source_key;
  int source_fd = context_.get();
  if (!from.empty()) {
    req.keep_owners = true;
    if (auto st = find_stage(from, s.stage->index)) {
      ASSIGN_OR_RETURN(StageRun * src, build_stage(*st));
      ASSIGN_OR_RETURN(source_layers, engine_.images().layer_dirs(src->state.diff_ids()));
      source_key = src->key;
    } else {
      ASSIGN_OR_RETURN(oci::ImageRecord image, base_image(from, ""));
      ASSIGN_OR_RETURN(source_layers, engine_.images().layer_dirs(image));
      source_key = image.id;
    }
    source_fd = -1;
  } else {
    req.ignore = &ignore_;
  }
  for (const auto& w : words) {
    ASSIGN_OR_RETURN(std::string clean, clean_source(w));
    if (source_fd >= 0) {
      ASSIGN_OR_RETURN_CTX(auto found, expand_source(source_fd, clean, &ignore_),
                           "failed to compute cache key: failed to calculate checksum of ref");
      req.sources.insert(req.sources.end(), found.begin(), found.end());
    } else {
      req.sources.push_back(clean);  // expanded in the child, where that filesystem is mounted
    }
  }
  std::string inputs = source_key;
  if (source_fd >= 0) {
    ASSIGN_OR_RETURN(inputs, digest_sources(source_fd, req.sources, &ignore_));
  }
  for (const auto* h : docs) inputs += "\n" + h->name + "\n" + h->content;
  inputs += fetched_key;
  std::string key = ins.keyword + " " + Json(req.sources).dump() + " " + req.dest + " " + inputs + " " + chown + " " +
                    std::to_string(req.mode.value_or(0));
  std::string created_by = ins.keyword + " " + join(words, " ") + " " + req.dest;
  return layer_step(s, ins, key, created_by, [&](const std::string& scratch) {
    return run_layer_job(LayerJob{lowers, scratch, source_layers}, [&](int root, int source) -> Result<> {
      TRY(resolve_chown(root, req));
      for (const auto* h : docs) {
        std::string dest = req.dest.ends_with("/") ? req.dest + h->name : req.dest;
        TRY(write_heredoc_file(root, dest, h->content, req));
      }
      if (download_dir) {
        fetched_req.uid = req.uid;
        fetched_req.gid = req.gid;
        TRY(copy_sources(download_dir.get(), root, fetched_req));
      }
      if (req.sources.empty()) return {};
      if (source < 0) return copy_sources(context_.get(), root, req);
      CopyRequest expanded = req;
      expanded.sources.clear();
      for (const auto& pattern : req.sources) {
        ASSIGN_OR_RETURN(auto found, expand_source(source, pattern, nullptr));
        expanded.sources.insert(expanded.sources.end(), found.begin(), found.end());
      }
      return copy_sources(source, root, expanded);
    });
  });
}

}  // namespace berth::builder
