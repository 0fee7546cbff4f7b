// The build cache: what a step produced last time, under a key that names everything the
// step's result depends on.
//
// A key is a chain: the key of the step before, the instruction (after substitution), the
// ARG values in scope and the digest of the files the step reads (COPY's sources). So a
// change anywhere invalidates that step and every step after it, and nothing before it,
// which is docker's rule. A record is a small JSON file named by the key under
// <storage>/builder/cache/: the layer the step made, or that it made none (and when the
// step first ran). A record whose layer has gone from the store (rmi, builder prune) is a
// miss, not an error.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "oci/store.h"

namespace berth::builder {

// Where a state root keeps the records: <storage>/builder/cache.
std::string build_cache_dir(const std::string& storage);

// sha256 of prev + "\n" + part: the next link of a key chain.
std::string chain_key(const std::string& prev, const std::string& part);

struct CacheRecord {
  bool empty_layer = false;  // the step changed no file
  std::string diff_id;       // else its layer
  oci::LayerBlob blob;
  std::string created;       // when the step first ran (history keeps it)
};

class BuildCache {
 public:
  BuildCache(std::string dir, oci::Store& store) : dir_(std::move(dir)), store_(store) {}
  // The record under key, if there is one and what it names is still in the store.
  std::optional<CacheRecord> find(const std::string& key);
  Result<> put(const std::string& key, const CacheRecord& record);
  // builder prune: every record.
  Result<> clear();

 private:
  std::string dir_;
  oci::Store& store_;
};

}  // namespace berth::builder
