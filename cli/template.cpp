#include "cli/template.h"

#include <cstdio>

#include "base/strings.h"

namespace berth::cli {

namespace {

// ".State.Pid" -> the value, or nullptr when a step is missing.
const Json* lookup(const Json& root, const std::string& path) {
  const Json* v = &root;
  if (path == ".") return v;
  for (const auto& part : split(path.substr(1), '.')) {
    if (!v->is_object() || !v->contains(part)) return nullptr;
    v = &(*v)[part];
  }
  return v;
}

}  // namespace

Result<std::string> render_template(const std::string& tpl, const Json& value) {
  std::string out;
  size_t pos = 0;
  while (pos < tpl.size()) {
    size_t open = tpl.find("{{", pos);
    if (open == std::string::npos) {
      out += tpl.substr(pos);
      break;
    }
    out += tpl.substr(pos, open - pos);
    size_t close = tpl.find("}}", open);
    if (close == std::string::npos) return fail("template: unclosed action", tpl);
    std::string action = trim(tpl.substr(open + 2, close - open - 2));
    bool as_json = false;
    if (action.rfind("json ", 0) == 0) {
      as_json = true;
      action = trim(action.substr(5));
    }
    if (action.empty() || action[0] != '.')
      return fail("template: unsupported action (only {{.Field}} and {{json .Field}})", action);
    const Json* v = lookup(value, action);
    if (!v)
      out += as_json ? "null" : "<no value>";
    else if (!as_json && v->is_string())
      out += v->get<std::string>();
    else
      out += v->dump();
    pos = close + 2;
  }
  // docker's --format strings come from a shell: "\n" and "\t" typed as two characters.
  std::string cooked;
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i] == '\\' && i + 1 < out.size() && (out[i + 1] == 'n' || out[i + 1] == 't')) {
      cooked += out[i + 1] == 'n' ? '\n' : '\t';
      i++;
    } else {
      cooked += out[i];
    }
  }
  return cooked;
}

Result<> print_inspected(const Json& all, const std::string& format) {
  if (format.empty()) {
    std::puts(all.dump(4).c_str());
    return {};
  }
  for (const auto& one : all) {
    ASSIGN_OR_RETURN(std::string text, render_template(format, one));
    std::puts(text.c_str());
  }
  return {};
}

}  // namespace berth::cli
