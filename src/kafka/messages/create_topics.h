// CreateTopics (key 19), versions 0-4: CreateTopicsRequest.json and CreateTopicsResponse.json.
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

struct CreateTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;

  struct CreatableReplicaAssignment {
    PartitionId partition_index;
    std::vector<int32_t> broker_ids;
    bool operator==(const CreatableReplicaAssignment&) const = default;
  };
  struct CreateableTopicConfig {  // sic: Kafka's spelling
    std::string name;
    std::optional<std::string> value;
    bool operator==(const CreateableTopicConfig&) const = default;
  };
  struct CreatableTopic {
    std::string name;
    int32_t num_partitions = -1;      // -1: the broker's default (clients send it at any version)
    int16_t replication_factor = -1;  // -1: the broker's default
    std::vector<CreatableReplicaAssignment> assignments;
    std::vector<CreateableTopicConfig> configs;
    bool operator==(const CreatableTopic&) const = default;
  };

  std::vector<CreatableTopic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;  // v1+

  static Result<CreateTopicsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const CreateTopicsRequest&) const = default;
};

struct CreateTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;

  struct CreatableTopicResult {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;  // v1+
    bool operator==(const CreatableTopicResult&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<CreatableTopicResult> topics;

  static Result<CreateTopicsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const CreateTopicsResponse&) const = default;
};

}  // namespace tarn::kafka
