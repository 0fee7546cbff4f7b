// The merge rules of compose/merge.h, as one recursive function with a rule per key.
#include "compose/merge.h"

#include "base/strings.h"

namespace berth::compose {

namespace {

enum class Rule {
  kMerge,         // mappings merge, sequences append, anything else is replaced
  kReplace,       // the later value wins whole
  kTopLevel,      // the file itself
  kServices,      // services: each entry is a service
  kService,       // services.*
  kByKey,         // list-or-dict: merged by key
  kDependsOn,     // list of names or mapping of names
  kNetworks,      // list of names or mapping of names
  kVolumes,       // merged by target
  kFileRefs,      // secrets/configs of a service: merged by target, else source
  kStringOrList,  // "a" or ["a", "b"]: appended
  kExtraHosts,    // list or mapping of host: address, appended as list
  kBuild,         // "dir" or {context: dir, ...}
  kLogging,
  kHealthcheck,
};

Rule child_rule(Rule parent, std::string_view key) {
  switch (parent) {
    case Rule::kTopLevel:
      if (key == "services") return Rule::kServices;
      if (key == "name" || key == "version") return Rule::kReplace;
      return Rule::kMerge;
    case Rule::kServices:
      return Rule::kService;
    case Rule::kService:
      if (key == "command" || key == "entrypoint") return Rule::kReplace;
      if (key == "environment" || key == "labels" || key == "sysctls" || key == "annotations")
        return Rule::kByKey;
      if (key == "depends_on") return Rule::kDependsOn;
      if (key == "networks") return Rule::kNetworks;
      if (key == "volumes") return Rule::kVolumes;
      if (key == "secrets" || key == "configs") return Rule::kFileRefs;
      if (key == "dns" || key == "dns_search" || key == "dns_opt" || key == "tmpfs" ||
          key == "env_file")
        return Rule::kStringOrList;
      if (key == "extra_hosts") return Rule::kExtraHosts;
      if (key == "build") return Rule::kBuild;
      if (key == "logging") return Rule::kLogging;
      if (key == "healthcheck") return Rule::kHealthcheck;
      return Rule::kMerge;
    case Rule::kBuild:
      if (key == "args" || key == "labels") return Rule::kByKey;
      return Rule::kMerge;
    case Rule::kHealthcheck:
      return key == "test" ? Rule::kReplace : Rule::kMerge;
    case Rule::kByKey:
      return Rule::kReplace;  // `KEY:` (no value) replaces too: it means "from the environment"
    default:
      return Rule::kMerge;
  }
}

bool all_scalars(const Node& seq) {
  for (const Node& item : seq.items)
    if (!item.is_scalar()) return false;
  return true;
}

// Rewrites the short forms that merge by key into mappings, in place.
void to_long_form(Node& n, Rule rule) {
  if (rule == Rule::kStringOrList && n.is_scalar()) {
    Node seq = Node::make_sequence(n);
    seq.items.push_back(n);
    n = std::move(seq);
  } else if (rule == Rule::kBuild && n.is_scalar()) {
    Node map = Node::make_mapping(n);
    map.set("context", n, n.line);
    n = std::move(map);
  } else if (n.is_sequence() && all_scalars(n) &&
             (rule == Rule::kByKey || rule == Rule::kDependsOn || rule == Rule::kNetworks)) {
    Node map = Node::make_mapping(n);
    for (const Node& item : n.items) {
      size_t eq = rule == Rule::kByKey ? item.scalar.find('=') : std::string::npos;
      std::string key = item.scalar.substr(0, eq);
      Node value = Node::make_null(item);
      if (eq != std::string::npos) {
        value = Node::make_scalar(item.scalar.substr(eq + 1), item);
      } else if (rule == Rule::kDependsOn) {
        value = Node::make_mapping(item);
        value.set("condition", Node::make_scalar("service_started", item));
        value.set("required", Node::make_scalar("true", item));
      }
      map.entries.push_back(Entry{std::move(key), item.line, std::move(value)});
    }
    n = std::move(map);
  } else if (rule == Rule::kExtraHosts && n.is_mapping()) {
    Node seq = Node::make_sequence(n);
    for (const Entry& e : n.entries) {
      if (e.value.is_sequence()) {
        for (const Node& addr : e.value.items)
          seq.items.push_back(Node::make_scalar(e.key + "=" + addr.scalar, addr));
      } else {
        seq.items.push_back(Node::make_scalar(e.key + "=" + e.value.scalar, e.value));
      }
    }
    n = std::move(seq);
  }
}

std::string file_ref_key(const Node& item) {
  if (item.is_scalar()) return item.scalar;
  if (item.is_mapping()) {
    if (const Node* t = item.find("target"); t && t->is_scalar()) return t->scalar;
    if (const Node* s = item.find("source"); s && s->is_scalar()) return s->scalar;
  }
  return {};
}

void merge_value(Node& base, const Node& over, Rule rule);

// A copy of `over` as if merged into nothing: tags applied and dropped, short forms rewritten.
Node fresh(const Node& over, Rule rule) {
  Node n = Node::make_null(over);
  merge_value(n, over, rule);
  return n;
}

void merge_entries(Node& base, const Node& over, Rule rule) {
  for (const Entry& e : over.entries) {
    if (e.value.tag == "!reset") {
      base.erase(e.key);
      continue;
    }
    Rule child = child_rule(rule, e.key);
    if (Node* existing = base.find(e.key))
      merge_value(*existing, e.value, child);
    else
      base.entries.push_back(Entry{e.key, e.key_line, fresh(e.value, child)});
  }
}

// Sequences whose items replace an earlier item with the same key instead of repeating it.
void merge_keyed_items(Node& base, const Node& over, Rule rule) {
  auto key_of = [rule](const Node& item) {
    return rule == Rule::kVolumes ? volume_merge_key(item) : file_ref_key(item);
  };
  for (const Node& item : over.items) {
    Node copy = fresh(item, Rule::kMerge);
    std::string key = key_of(copy);
    bool replaced = false;
    for (Node& existing : base.items) {
      if (!key.empty() && key_of(existing) == key) {
        existing = copy;
        replaced = true;
        break;
      }
    }
    if (!replaced) base.items.push_back(std::move(copy));
  }
}

bool different_logging_driver(const Node& base, const Node& over) {
  const Node* a = base.is_mapping() ? base.find("driver") : nullptr;
  const Node* b = over.is_mapping() ? over.find("driver") : nullptr;
  return a && b && a->is_scalar() && b->is_scalar() && a->scalar != b->scalar;
}

void merge_value(Node& base, const Node& over_in, Rule rule) {
  if (over_in.tag == "!override") rule = Rule::kReplace;
  Node over = over_in;
  over.tag.clear();
  to_long_form(over, rule);
  if (rule == Rule::kLogging && different_logging_driver(base, over)) rule = Rule::kReplace;
  if (rule == Rule::kReplace) {
    base = fresh(over, Rule::kMerge);
    return;
  }
  // An empty value (`web:` in an override file) adds nothing; `!reset` is how to remove.
  if (over.is_null() && !base.is_null()) return;
  to_long_form(base, rule);
  if (base.is_null() && (over.is_mapping() || over.is_sequence()))
    base = over.is_mapping() ? Node::make_mapping(over) : Node::make_sequence(over);
  if (base.is_mapping() && over.is_mapping()) {
    merge_entries(base, over, rule);
  } else if (base.is_sequence() && over.is_sequence()) {
    if (rule == Rule::kVolumes || rule == Rule::kFileRefs) {
      merge_keyed_items(base, over, rule);
    } else {
      for (const Node& item : over.items) base.items.push_back(fresh(item, Rule::kMerge));
    }
  } else {
    base = std::move(over);  // a scalar, null, or a change of shape: the later file wins
    if (base.is_mapping() || base.is_sequence()) base = fresh(base, rule);
  }
}

}  // namespace

std::string volume_merge_key(const Node& item) {
  if (item.is_mapping()) {
    const Node* t = item.find("target");
    return t && t->is_scalar() ? t->scalar : std::string();
  }
  if (!item.is_scalar()) return {};
  std::vector<std::string> parts = split(item.scalar, ':');
  return parts.size() == 1 ? parts[0] : parts[1];
}

void merge_file(Node& merged, const Node& file) {
  if (merged.is_null()) merged = Node::make_mapping(file);
  if (file.is_mapping()) merge_entries(merged, file, Rule::kTopLevel);
}

void merge_service(Node& base, const Node& over) { merge_value(base, over, Rule::kService); }

}  // namespace berth::compose
