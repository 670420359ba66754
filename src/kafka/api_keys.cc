#include "kafka/api_keys.h"

#include <algorithm>
#include <array>

namespace tarn::kafka {
namespace {

// Flexible versions above a max are listed so request headers of newer versions still parse
// (only ApiVersions answers a version above its max).
// clang-format off
constexpr std::array kApis = {
    ApiSupport{ApiKey::kProduce, 3, 8, 9},
    ApiSupport{ApiKey::kFetch, 4, 11, 12},
    ApiSupport{ApiKey::kListOffsets, 1, 3, 6},
    ApiSupport{ApiKey::kMetadata, 0, 6, 9},
    ApiSupport{ApiKey::kOffsetCommit, 2, 7, 8},
    ApiSupport{ApiKey::kOffsetFetch, 1, 5, 6},
    ApiSupport{ApiKey::kFindCoordinator, 0, 2, 3},
    ApiSupport{ApiKey::kJoinGroup, 0, 5, 6},
    ApiSupport{ApiKey::kHeartbeat, 0, 3, 4},
    ApiSupport{ApiKey::kLeaveGroup, 0, 3, 4},
    ApiSupport{ApiKey::kSyncGroup, 0, 3, 4},
    ApiSupport{ApiKey::kDescribeGroups, 0, 4, 5},
    ApiSupport{ApiKey::kListGroups, 0, 2, 3},
    ApiSupport{ApiKey::kApiVersions, 0, 3, 3},
    ApiSupport{ApiKey::kCreateTopics, 0, 4, 5},
    ApiSupport{ApiKey::kDeleteTopics, 0, 3, 4},
    ApiSupport{ApiKey::kInitProducerId, 0, 1, 2},
    ApiSupport{ApiKey::kDescribeConfigs, 0, 2, 4},
};
// clang-format on
static_assert(std::ranges::is_sorted(kApis, {}, &ApiSupport::key));

}  // namespace

std::span<const ApiSupport> SupportedApis() { return kApis; }

const ApiSupport* FindApi(ApiKey key) {
  const auto it = std::ranges::lower_bound(kApis, key, {}, &ApiSupport::key);
  return it != kApis.end() && it->key == key ? &*it : nullptr;
}

bool IsSupported(ApiKey key, int16_t version) {
  const ApiSupport* api = FindApi(key);
  return api != nullptr && version >= api->min_version && version <= api->max_version;
}

bool IsFlexible(ApiKey key, int16_t version) {
  const ApiSupport* api = FindApi(key);
  return api != nullptr && version >= api->first_flexible_version;
}

std::string_view ApiName(ApiKey key) {
  switch (key) {
#define TARN_KAFKA_API_KEY_NAME(constant, number, name) \
  case ApiKey::constant:                                \
    return name;
    TARN_KAFKA_API_KEYS(TARN_KAFKA_API_KEY_NAME)
#undef TARN_KAFKA_API_KEY_NAME
  }
  return "Unknown";
}

std::string ApiVersionName(ApiKey key, int16_t version) {
  std::string name(ApiName(key));
  if (name == "Unknown") name += "(" + std::to_string(static_cast<int>(key)) + ")";
  return name + " v" + std::to_string(version);
}

}  // namespace tarn::kafka
