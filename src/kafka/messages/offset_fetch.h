// OffsetFetch (key 9), versions 1-5: OffsetFetchRequest.json and OffsetFetchResponse.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct OffsetFetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;

  struct OffsetFetchRequestTopic {
    std::string name;
    std::vector<PartitionId> partition_indexes;
    bool operator==(const OffsetFetchRequestTopic&) const = default;
  };

  std::string group_id;
  // nullopt (v2+ only): every topic the group has committed offsets for.
  std::optional<std::vector<OffsetFetchRequestTopic>> topics =
      std::vector<OffsetFetchRequestTopic>();

  static Result<OffsetFetchRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const OffsetFetchRequest&) const = default;
};

struct OffsetFetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;

  struct OffsetFetchResponsePartition {
    PartitionId partition_index;
    Offset committed_offset{-1};          // -1 (with error NONE) when nothing was committed
    int32_t committed_leader_epoch = -1;  // v5+
    std::optional<std::string> metadata;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const OffsetFetchResponsePartition&) const = default;
  };
  struct OffsetFetchResponseTopic {
    std::string name;
    std::vector<OffsetFetchResponsePartition> partitions;
    bool operator==(const OffsetFetchResponseTopic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<OffsetFetchResponseTopic> topics;
  ErrorCode error_code = ErrorCode::kNone;  // v2+

  static Result<OffsetFetchResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const OffsetFetchResponse&) const = default;
};

}  // namespace tarn::kafka
