// Fetch (key 1), versions 4-11: FetchRequest.json and FetchResponse.json.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct FetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;

  struct FetchPartition {
    PartitionId partition;
    int32_t current_leader_epoch = -1;  // v9+
    Offset fetch_offset{0};
    Offset log_start_offset{-1};  // followers only
    int32_t partition_max_bytes = 0;
    bool operator==(const FetchPartition&) const = default;
  };
  struct FetchTopic {
    std::string topic;
    std::vector<FetchPartition> partitions;
    bool operator==(const FetchTopic&) const = default;
  };
  struct ForgottenTopic {  // v7+
    std::string topic;
    std::vector<PartitionId> partitions;
    bool operator==(const ForgottenTopic&) const = default;
  };

  int32_t replica_id = -1;  // -1 for a consumer
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = std::numeric_limits<int32_t>::max();
  int8_t isolation_level = 0;  // 0 READ_UNCOMMITTED, 1 READ_COMMITTED
  int32_t session_id = 0;      // v7+
  int32_t session_epoch = -1;  // v7+
  std::vector<FetchTopic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;  // v7+
  std::string rack_id;                                // v11+

  static Result<FetchRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const FetchRequest&) const = default;
};

struct FetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;

  struct AbortedTransaction {
    ProducerId producer_id{-1};
    Offset first_offset{-1};
    bool operator==(const AbortedTransaction&) const = default;
  };
  struct PartitionData {
    PartitionId partition_index;
    ErrorCode error_code = ErrorCode::kNone;
    Offset high_watermark{-1};
    Offset last_stable_offset{-1};
    Offset log_start_offset{-1};  // v5+
    // Null (nullopt) or empty; without transactions there is nothing to list.
    std::optional<std::vector<AbortedTransaction>> aborted_transactions =
        std::vector<AbortedTransaction>();
    int32_t preferred_read_replica = -1;  // v11+
    // Whole record batches as read from the log, copied into the frame once when encoded.
    Bytes records;
    bool operator==(const PartitionData&) const = default;
  };
  struct FetchableTopicResponse {
    std::string topic;
    std::vector<PartitionData> partitions;
    bool operator==(const FetchableTopicResponse&) const = default;
  };

  int32_t throttle_time_ms = 0;
  ErrorCode error_code = ErrorCode::kNone;  // v7+
  int32_t session_id = 0;                   // v7+; 0: no fetch session
  std::vector<FetchableTopicResponse> responses;

  static Result<FetchResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const FetchResponse&) const = default;
};

}  // namespace tarn::kafka
