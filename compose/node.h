// A YAML document as the compose loader sees it: a tree of positioned nodes.
//
// Every later step needs to say *where* a value came from: `compose.yml:12:
// services.web.ports[0]: invalid port "80800"`. yaml-cpp's nodes know their line (Mark()),
// but they are shared references, awkward to edit, and they lose the line once we merge
// files or rewrite a short form. So the loader copies each document once into this plain
// tree, where every node remembers its file, its line and the directory its relative paths
// resolve against, and then interpolates, merges and extends that tree freely.
//
// Two YAML features are resolved while copying: aliases (`*base`) become copies of their
// anchor's node, and `<<` merge keys (a YAML 1.1 type that compose files use for fragments)
// copy the entries of the merged mapping(s) that the mapping does not set itself. Tags are kept, for
// the two that compose defines: `!reset` (drop the value an earlier file set) and
// `!override` (replace it instead of merging), see compose/merge.h.
//
// Read: YAML 1.1 "Merge Key Language-Independent Type" (yaml.org/type/merge.html), the
// Compose Specification's "Fragments" and "Merge" pages.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::compose {

// Where a node was read from.
struct Source {
  std::string path;      // absolute path of the file
  std::string display;   // how messages name it: "compose.yml", "../common/base.yml"
  std::string base_dir;  // absolute directory that relative paths in it resolve against
};

struct Entry;

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMapping };

  Kind kind = Kind::kNull;
  std::string scalar;           // the text of a scalar, as written
  bool quoted = false;          // the scalar was quoted ("8080" is a string, not a number)
  std::string tag;              // "!reset", "!override", or empty
  std::vector<Node> items;      // a sequence's items
  std::vector<Entry> entries;   // a mapping's entries, in file order
  std::shared_ptr<const Source> source;
  int line = 0;                 // 1-based; 0 when unknown

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_mapping() const { return kind == Kind::kMapping; }

  // A mapping's value for `key`, or nullptr.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Sets (replacing) or appends an entry of a mapping.
  void set(std::string key, Node value, int key_line = 0);
  bool erase(std::string_view key);

  // "compose.yml:12" (or just the file name when the line is unknown).
  std::string where() const;

  // New nodes positioned like `at` (same source and line): for values a rewrite creates.
  static Node make_scalar(std::string text, const Node& at);
  static Node make_mapping(const Node& at);
  static Node make_sequence(const Node& at);
  static Node make_null(const Node& at);
};

struct Entry {
  std::string key;
  int key_line = 0;
  Node value;
};

// Parses one YAML document. `source` names the file in errors and is recorded in every node.
// An empty document yields a null node.
Result<Node> parse_yaml(const std::string& text, std::shared_ptr<const Source> source);

// A short human name for a node's kind in errors: "a mapping", "a list", "a string", "null".
std::string_view kind_name(const Node& node);

}  // namespace berth::compose
