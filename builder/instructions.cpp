// The instructions that only change the image config: ENV, ARG, LABEL, USER, EXPOSE,
// VOLUME, CMD, ENTRYPOINT, HEALTHCHECK, STOPSIGNAL, SHELL, ONBUILD, MAINTAINER.
//
// Read: Dockerfile reference, each instruction's section; OCI image spec config.md for
// where each lands ("Env", "Cmd", "ExposedPorts", ...). None of them touches the
// filesystem, so none makes a layer: each adds a history entry marked empty_layer, and its
// text (after substitution) goes into the cache key of every step after it.
#include <algorithm>

#include "base/clock.h"
#include "base/strings.h"
#include "builder/builder_impl.h"
#include "engine/engine.h"

namespace berth::builder {

namespace {

Result<std::string> port_key(const std::string& word) {
  std::string port = word, proto = "tcp";
  if (auto slash = word.find('/'); slash != std::string::npos) {
    port = word.substr(0, slash);
    proto = word.substr(slash + 1);
  }
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
  auto n = parse_int(port);
  if (!n || *n < 1 || *n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp"))
    return fail("invalid port to EXPOSE", word);
  return std::to_string(*n) + "/" + proto;
}

Result<int64_t> duration_flag(const std::string& name, const std::string& value) {
  auto ns = parse_duration_ns(value);
  if (!ns) return fail("invalid --" + name + " duration", value);
  return *ns;
}

}  // namespace

// A metadata step goes into the key chain, and into the cache too, for one thing: the
// time its history entry gets. The first build records it; a rebuild from the cache finds
// it, so the config document comes out byte for byte the same, and so the image id.
void Builder::record_metadata(StageRun& s, const Instruction& ins, const std::string& canonical) {
  s.key = chain_key(s.key, canonical);
  std::optional<CacheRecord> rec;
  if (!options_.no_cache) rec = cache_.find(s.key);
  if (!rec || !rec->empty_layer) {
    rec = CacheRecord{};
    rec->empty_layer = true;
    rec->created = rfc3339_now();
    (void)cache_.put(s.key, *rec);  // without it, only this step's time differs next time
  }
  s.state.add_history(ins.keyword + " " + canonical.substr(canonical.find(' ') + 1), true, rec->created);
}

// CMD, ENTRYPOINT (and HEALTHCHECK's command): the exec form as written, or the shell form
// through SHELL (["/bin/sh", "-c", text] by default). The text is not substituted: the
// shell in the container does that.
Result<std::vector<std::string>> Builder::command_form(StageRun& s, const Instruction& ins) const {
  if (ins.json) return ins.json_args;
  std::vector<std::string> argv = s.shell;
  argv.push_back(ins.text);
  return argv;
}

Result<> Builder::do_arg(StageRun& s, const Instruction& ins) {
  ASSIGN_OR_RETURN(auto kvs, parse_key_values(ins.text, vars(s), dockerfile_.escape, false, true));
  std::string canonical = "ARG";
  auto platform = platform_args();
  for (const auto& kv : kvs) {
    std::optional<std::string> value = kv.value;
    if (auto given = options_.build_args.find(kv.key); given != options_.build_args.end()) {
      used_args_.insert(kv.key);
      value = given->second ? given->second : kv.value;
    } else if (!value) {
      // `ARG NAME` re-declares a global ARG (its value then) or a predefined platform one.
      if (auto g = global_values_.find(kv.key); g != global_values_.end()) value = g->second;
      else if (auto p = platform.find(kv.key); p != platform.end()) value = p->second;
    }
    if (value) s.args[kv.key] = *value;
    else s.args.erase(kv.key);
    canonical += " " + kv.key + (value ? "=" + *value : "");
  }
  record_metadata(s, ins, canonical);
  return {};
}

Result<> Builder::do_healthcheck(StageRun& s, const Instruction& ins) {
  Json hc = Json::object();
  auto words = split_whitespace(ins.text);
  if (words.size() == 1 && (words[0] == "NONE" || words[0] == "none")) {
    if (!ins.flags.empty()) return fail("HEALTHCHECK NONE takes no options");
    hc["Test"] = {"NONE"};
  } else {
    if (words.empty() || (words[0] != "CMD" && words[0] != "cmd")) return fail("HEALTHCHECK wants CMD or NONE", ins.text);
    std::string rest = trim(std::string_view(ins.text).substr(ins.text.find(words[0]) + 3));
    Json test = Json::array();
    auto parsed = rest.starts_with("[") ? parse_json(rest, "HEALTHCHECK") : Result<Json>(fail("not json"));
    if (parsed && parsed->is_array() && std::all_of(parsed->begin(), parsed->end(), [](const Json& j) { return j.is_string(); })) {
      test.push_back("CMD");
      for (const auto& a : *parsed) test.push_back(a);
    } else {
      test = {"CMD-SHELL", rest};
    }
    if (rest.empty()) return fail("HEALTHCHECK CMD needs a command");
    hc["Test"] = test;
    for (const auto& [flag, value] : ins.flags) {
      if (flag == "retries") {
        auto n = parse_int(value);
        if (!n || *n < 0) return fail("invalid --retries", value);
        hc["Retries"] = *n;
        continue;
      }
      static const std::map<std::string, std::string> kFields = {
          {"interval", "Interval"}, {"timeout", "Timeout"}, {"start-period", "StartPeriod"}, {"start-interval", "StartInterval"}};
      auto field = kFields.find(flag);
      if (field == kFields.end()) return fail("unknown flag for HEALTHCHECK: --" + flag);
      ASSIGN_OR_RETURN(hc[field->second], duration_flag(flag, value));
    }
  }
  s.state.config()["Healthcheck"] = hc;
  record_metadata(s, ins, "HEALTHCHECK " + hc.dump());
  return {};
}

Result<> Builder::apply_metadata(StageRun& s, const Instruction& ins) {
  const std::string& k = ins.keyword;
  char esc = dockerfile_.escape;
  Json& cfg = s.state.config();
  if (k == "ARG") return do_arg(s, ins);
  if (k == "HEALTHCHECK") return do_healthcheck(s, ins);
  if (k == "ENV" || k == "LABEL") {
    ASSIGN_OR_RETURN(auto kvs, parse_key_values(ins.text, vars(s), esc, true, false));
    std::string canonical = k;
    for (const auto& kv : kvs) {
      if (k == "ENV") s.state.set_env(kv.key, kv.value.value_or(""));
      else cfg["Labels"][kv.key] = kv.value.value_or("");
      canonical += " " + kv.key + "=" + kv.value.value_or("");
    }
    record_metadata(s, ins, canonical);
    return {};
  }
  if (k == "USER" || k == "STOPSIGNAL") {
    ASSIGN_OR_RETURN(std::string value, expand_word(ins.text, vars(s), esc));
    if (value.empty()) return fail(k + " needs a value");
    if (k == "STOPSIGNAL") TRY(engine::parse_signal(value));
    cfg[k == "USER" ? "User" : "StopSignal"] = value;
    record_metadata(s, ins, k + " " + value);
    return {};
  }
  if (k == "EXPOSE" || k == "VOLUME") {
    std::vector<std::string> words;
    if (ins.json) {
      words = ins.json_args;
    } else {
      ASSIGN_OR_RETURN(words, expand_words(ins.text, vars(s), esc));
    }
    if (k == "EXPOSE") {  // EXPOSE $PORTS with PORTS="80 443": two ports, as docker splits it
      std::vector<std::string> split;
      for (const auto& w : words)
        for (const auto& p : split_whitespace(w)) split.push_back(p);
      words = std::move(split);
    }
    const char* field = k == "EXPOSE" ? "ExposedPorts" : "Volumes";
    for (const auto& w : words) {
      std::string key = w;
      if (k == "EXPOSE") {
        ASSIGN_OR_RETURN(key, port_key(w));
      } else if (w.empty()) {
        return fail("VOLUME specified can not be an empty string");
      }
      cfg[field][key] = Json::object();
    }
    record_metadata(s, ins, k + " " + join(words, " "));
    return {};
  }
  if (k == "CMD" || k == "ENTRYPOINT") {
    ASSIGN_OR_RETURN(auto argv, command_form(s, ins));
    cfg[k == "CMD" ? "Cmd" : "Entrypoint"] = argv;
    if (k == "CMD") s.cmd_set = true;
    else if (!s.cmd_set) cfg["Cmd"] = nullptr;  // an inherited CMD was meant for the old ENTRYPOINT
    record_metadata(s, ins, k + " " + Json(argv).dump());
    return {};
  }
  if (k == "SHELL") {
    if (!ins.json || ins.json_args.empty()) return fail("SHELL requires the arguments to be in JSON form");
    s.shell = ins.json_args;
    cfg["Shell"] = s.shell;
    record_metadata(s, ins, "SHELL " + Json(s.shell).dump());
    return {};
  }
  if (k == "ONBUILD") {
    std::string trigger = trim(ins.text);
    std::string word = split_whitespace(trigger).empty() ? "" : split_whitespace(trigger)[0];
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::toupper(c); });
    if (word == "ONBUILD" || word == "FROM" || word == "MAINTAINER")
      return fail(word + " isn't allowed as an ONBUILD trigger");
    if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) cfg["OnBuild"] = Json::array();
    cfg["OnBuild"].push_back(trigger);
    record_metadata(s, ins, "ONBUILD " + trigger);
    return {};
  }
  if (k == "MAINTAINER") {
    s.state.document()["author"] = ins.text;
    record_metadata(s, ins, "MAINTAINER " + ins.text);
    return {};
  }
  return fail("unknown instruction: " + k);
}

}  // namespace berth::builder
