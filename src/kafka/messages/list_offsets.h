// ListOffsets (key 2), versions 1-3: ListOffsetsRequest.json and ListOffsetsResponse.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct ListOffsetsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;

  // Special timestamps: the offset after the last record, and the log start offset.
  static constexpr int64_t kLatestTimestamp = -1;
  static constexpr int64_t kEarliestTimestamp = -2;

  struct ListOffsetsPartition {
    PartitionId partition_index;
    int64_t timestamp = 0;  // ms, or kLatestTimestamp / kEarliestTimestamp
    bool operator==(const ListOffsetsPartition&) const = default;
  };
  struct ListOffsetsTopic {
    std::string name;
    std::vector<ListOffsetsPartition> partitions;
    bool operator==(const ListOffsetsTopic&) const = default;
  };

  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<ListOffsetsTopic> topics;

  static Result<ListOffsetsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ListOffsetsRequest&) const = default;
};

struct ListOffsetsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;

  struct ListOffsetsPartitionResponse {
    PartitionId partition_index;
    ErrorCode error_code = ErrorCode::kNone;
    int64_t timestamp = -1;
    Offset offset{-1};
    bool operator==(const ListOffsetsPartitionResponse&) const = default;
  };
  struct ListOffsetsTopicResponse {
    std::string name;
    std::vector<ListOffsetsPartitionResponse> partitions;
    bool operator==(const ListOffsetsTopicResponse&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<ListOffsetsTopicResponse> topics;

  static Result<ListOffsetsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ListOffsetsResponse&) const = default;
};

}  // namespace tarn::kafka
