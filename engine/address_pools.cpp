// Address pools (see address_pools.h).
#include "engine/address_pools.h"

#include <algorithm>

#include "base/config_file.h"

namespace berth::engine {

using u128 = unsigned __int128;

namespace {

constexpr const char* kPoolsKey = "default-address-pools";
// A /30 is the smallest subnet that holds a gateway and one container (its other two
// addresses are the network address and the broadcast).
constexpr int kSmallestSubnet = 30;

Subnet v4_subnet(u128 bits, int prefix) { return {{false, bits}, prefix}; }

// One entry of "default-address-pools"; `where` is "<file>: default-address-pools[i]".
Result<AddressPool> parse_pool(const Json& entry, const std::string& where) {
  if (!entry.is_object()) return fail(where + ": not an object like {\"base\": \"172.30.0.0/16\", \"size\": 24}");
  auto base = entry.find("base");
  if (base == entry.end() || !base->is_string())
    return fail(where + ".base: missing, or not a string like \"172.30.0.0/16\"");
  AddressPool pool;
  ASSIGN_OR_RETURN_CTX(pool.base, Subnet::parse(base->get<std::string>()), where + ".base");
  if (pool.base.v6()) return fail(where + ".base: " + pool.base.to_string() + " is not an IPv4 subnet");
  if (pool.base.prefix > kSmallestSubnet)
    return fail(where + ".base: " + pool.base.to_string() + " is smaller than a /30, the smallest network");
  auto size = entry.find("size");
  if (size == entry.end() || !size->is_number_integer()) return fail(where + ".size: missing, or not a whole number");
  auto n = size->get<int64_t>();
  if (n < pool.base.prefix || n > kSmallestSubnet)
    return fail(where + ".size: " + std::to_string(n) + " is not a prefix length between " +
                std::to_string(pool.base.prefix) + " and " + std::to_string(kSmallestSubnet));
  pool.size = static_cast<int>(n);
  return pool;
}

}  // namespace

std::vector<AddressPool> default_v4_pools() {
  std::vector<AddressPool> pools;
  for (u128 b = 18; b <= 31; b++) pools.push_back({v4_subnet((u128{172} << 24) | (b << 16), 16), 16});
  pools.push_back({v4_subnet((u128{192} << 24) | (u128{168} << 16), 16), 20});
  return pools;
}

AddressPool v6_pool() {
  const u128 ula48 = (u128{0xfd00} << 112) | (u128{0xb3e7} << 96);  // fd00:b3e7::/48
  return {{{true, ula48}, 48}, 64};
}

Result<std::vector<AddressPool>> parse_v4_pools(const Json& config, const std::string& path) {
  auto it = config.find(kPoolsKey);
  if (it == config.end()) return default_v4_pools();
  std::string key = path + ": " + kPoolsKey;
  if (!it->is_array()) return fail(key + ": not a list of {\"base\": CIDR, \"size\": N}");
  // docker would take an empty list as no pool at all, and then fail every `network create`
  // without --subnet with "fully subnetted": say so here instead.
  if (it->empty()) return fail(key + ": an empty list leaves no subnet to choose (remove the key for the defaults)");
  std::vector<AddressPool> pools;
  for (size_t i = 0; i < it->size(); i++) {
    ASSIGN_OR_RETURN(AddressPool pool, parse_pool((*it)[i], key + "[" + std::to_string(i) + "]"));
    pools.push_back(pool);
  }
  return pools;
}

Result<std::vector<AddressPool>> load_v4_pools(const std::string& given) {
  std::string path = config_file_path(given);
  ASSIGN_OR_RETURN(Json config, read_config_file(path));
  return parse_v4_pools(config, path);
}

std::optional<Subnet> first_free_subnet(const std::vector<AddressPool>& pools, const std::vector<Subnet>& taken) {
  for (const AddressPool& pool : pools) {
    int shift = pool.base.network.width() - pool.size;  // the host bits of one subnet
    u128 count = u128{1} << (pool.size - pool.base.prefix);
    for (u128 k = 0; k < count;) {
      Subnet s{{pool.base.v6(), pool.base.network.bits | (k << shift)}, pool.size};
      auto blocker = std::find_if(taken.begin(), taken.end(), [&](const Subnet& t) { return s.overlaps(t); });
      if (blocker == taken.end()) return s;
      // Past every subnet of the pool the blocker covers: a VPN's 10.0.0.0/8 route skips
      // the 65536 /24s of a 10.0.0.0/8 pool in one step, not one by one.
      u128 past_blocker = ((blocker->last().bits - pool.base.network.bits) >> shift) + 1;
      k = std::max(k + 1, past_blocker);
    }
  }
  return std::nullopt;
}

}  // namespace berth::engine
