// Copying yaml-cpp's document into compose's positioned tree (compose/node.h), resolving
// aliases and `<<` merge keys on the way.
#include "compose/node.h"

#include <yaml-cpp/yaml.h>

namespace berth::compose {

const Node* Node::find(std::string_view key) const {
  for (const Entry& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (Entry& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

void Node::set(std::string key, Node value, int key_line) {
  if (Node* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries.push_back(Entry{std::move(key), key_line ? key_line : value.line, std::move(value)});
}

bool Node::erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key == key) {
      entries.erase(it);
      return true;
    }
  }
  return false;
}

std::string Node::where() const {
  std::string out = source ? source->display : "<input>";
  if (line > 0) out += ":" + std::to_string(line);
  return out;
}

Node Node::make_scalar(std::string text, const Node& at) {
  Node n;
  n.kind = Kind::kScalar;
  n.scalar = std::move(text);
  n.source = at.source;
  n.line = at.line;
  return n;
}

Node Node::make_mapping(const Node& at) {
  Node n = make_null(at);
  n.kind = Kind::kMapping;
  return n;
}

Node Node::make_sequence(const Node& at) {
  Node n = make_null(at);
  n.kind = Kind::kSequence;
  return n;
}

Node Node::make_null(const Node& at) {
  Node n;
  n.source = at.source;
  n.line = at.line;
  return n;
}

std::string_view kind_name(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNull: return "null";
    case Node::Kind::kScalar: return "a string";
    case Node::Kind::kSequence: return "a list";
    case Node::Kind::kMapping: return "a mapping";
  }
  return "?";
}

namespace {

// Aliases are copied, so a document of nested aliases ("billion laughs") could expand
// exponentially; no compose file comes near this many nodes.
constexpr size_t kMaxNodes = 1'000'000;

class Converter {
 public:
  explicit Converter(std::shared_ptr<const Source> source) : source_(std::move(source)) {}

  // `path` is the key path of `y` ("services.web"), for errors.
  Result<Node> convert(const YAML::Node& y, int fallback_line, const std::string& path);

 private:
  std::unexpected<Error> error_at(int line, std::string what) const {
    return fail(source_->display + ":" + std::to_string(line) + ": " + what);
  }
  Result<> add_entries(const YAML::Node& y, Node& out, const std::string& path);
  Result<> add_merged(const YAML::Node& value, Node& out, int line, const std::string& path);

  std::shared_ptr<const Source> source_;
  size_t count_ = 0;
};

Result<Node> Converter::convert(const YAML::Node& y, int fallback_line, const std::string& path) {
  if (++count_ > kMaxNodes) return error_at(fallback_line, "document too large (alias expansion?)");
  Node n;
  n.source = source_;
  int line = y.Mark().is_null() ? fallback_line : y.Mark().line + 1;
  n.line = line > 0 ? line : fallback_line;
  const std::string& tag = y.Tag();
  if (tag == "!reset" || tag == "!override") n.tag = tag;
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.kind = Node::Kind::kNull;
      n.line = fallback_line;  // yaml-cpp places an empty value on the next token's line
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::kScalar;
      n.scalar = y.Scalar();
      // yaml-cpp tags a quoted scalar "!" and a plain one "?"; an explicit !!str is quoted too.
      n.quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::kSequence;
      for (const auto& item : y) {
        std::string item_path = path + "[" + std::to_string(n.items.size()) + "]";
        ASSIGN_OR_RETURN(Node child, convert(item, n.line, item_path));
        n.items.push_back(std::move(child));
      }
      break;
    case YAML::NodeType::Map:
      n.kind = Node::Kind::kMapping;
      TRY(add_entries(y, n, path));
      break;
  }
  return n;
}

// The explicit entries first, then `<<`: an explicit key always wins over a merged one,
// wherever the `<<` stands.
Result<> Converter::add_entries(const YAML::Node& y, Node& out, const std::string& path) {
  std::vector<std::pair<YAML::Node, int>> merges;
  for (const auto& kv : y) {
    int key_line = kv.first.Mark().line + 1;
    if (!kv.first.IsScalar()) return error_at(key_line, "mapping keys must be strings");
    const std::string& key = kv.first.Scalar();
    if (key == "<<" && kv.first.Tag() == "?") {
      merges.emplace_back(kv.second, key_line);
      continue;
    }
    std::string key_path = path.empty() ? key : path + "." + key;
    if (out.find(key)) return error_at(key_line, key_path + ": duplicate key");
    ASSIGN_OR_RETURN(Node value, convert(kv.second, key_line, key_path));
    out.entries.push_back(Entry{key, key_line, std::move(value)});
  }
  for (const auto& [value, line] : merges) TRY(add_merged(value, out, line, path));
  return {};
}

// `<<: *a` or `<<: [*a, *b]`: earlier mappings of the list win over later ones.
Result<> Converter::add_merged(const YAML::Node& value, Node& out, int line,
                               const std::string& path) {
  std::vector<YAML::Node> sources;
  if (value.IsMap()) {
    sources.push_back(value);
  } else if (value.IsSequence()) {
    for (const auto& item : value) sources.push_back(item);
  }
  if (sources.empty()) return error_at(line, "<< must merge a mapping or a list of mappings");
  for (const YAML::Node& src : sources) {
    if (!src.IsMap()) return error_at(line, "<< must merge a mapping or a list of mappings");
    ASSIGN_OR_RETURN(Node merged, convert(src, line, path));
    for (Entry& e : merged.entries)
      if (!out.find(e.key)) out.entries.push_back(std::move(e));
  }
  return {};
}

}  // namespace

Result<Node> parse_yaml(const std::string& text, std::shared_ptr<const Source> source) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(source->display + ":" + std::to_string(e.mark.line + 1) + ": yaml: " + e.msg);
  }
  Converter converter(source);
  try {
    return converter.convert(doc, 1, "");
  } catch (const YAML::Exception& e) {
    return fail(source->display + ":" + std::to_string(e.mark.line + 1) + ": yaml: " + e.msg);
  }
}

}  // namespace berth::compose
