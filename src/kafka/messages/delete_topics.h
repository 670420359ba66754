// DeleteTopics (key 20), versions 0-3: DeleteTopicsRequest.json and DeleteTopicsResponse.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct DeleteTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;

  std::vector<std::string> topic_names;
  int32_t timeout_ms = 0;

  static Result<DeleteTopicsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const DeleteTopicsRequest&) const = default;
};

struct DeleteTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;

  struct DeletableTopicResult {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const DeletableTopicResult&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<DeletableTopicResult> responses;

  static Result<DeleteTopicsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const DeleteTopicsResponse&) const = default;
};

}  // namespace tarn::kafka
