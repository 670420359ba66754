// OffsetCommit (key 8), versions 2-7: OffsetCommitRequest.json and OffsetCommitResponse.json.
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

struct OffsetCommitRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;

  struct OffsetCommitRequestPartition {
    PartitionId partition_index;
    Offset committed_offset{-1};
    int32_t committed_leader_epoch = -1;  // v6+
    std::optional<std::string> committed_metadata;
    bool operator==(const OffsetCommitRequestPartition&) const = default;
  };
  struct OffsetCommitRequestTopic {
    std::string name;
    std::vector<OffsetCommitRequestPartition> partitions;
    bool operator==(const OffsetCommitRequestTopic&) const = default;
  };

  std::string group_id;
  // The group generation (-1 for a commit from outside the group); newer schemas share the
  // field with the KIP-848 member epoch, hence the name.
  int32_t generation_id_or_member_epoch = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                // v2-4; ignored by the broker
  std::vector<OffsetCommitRequestTopic> topics;

  static Result<OffsetCommitRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const OffsetCommitRequest&) const = default;
};

struct OffsetCommitResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;

  struct OffsetCommitResponsePartition {
    PartitionId partition_index;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const OffsetCommitResponsePartition&) const = default;
  };
  struct OffsetCommitResponseTopic {
    std::string name;
    std::vector<OffsetCommitResponsePartition> partitions;
    bool operator==(const OffsetCommitResponseTopic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<OffsetCommitResponseTopic> topics;

  static Result<OffsetCommitResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const OffsetCommitResponse&) const = default;
};

}  // namespace tarn::kafka
