// FindCoordinator (key 10), versions 0-2: FindCoordinatorRequest.json and
// FindCoordinatorResponse.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct FindCoordinatorRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;

  static constexpr int8_t kGroupKey = 0;
  static constexpr int8_t kTransactionKey = 1;

  std::string key;
  int8_t key_type = kGroupKey;  // v1+

  static Result<FindCoordinatorRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const FindCoordinatorRequest&) const = default;
};

struct FindCoordinatorResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::optional<std::string> error_message;  // v1+
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;

  static Result<FindCoordinatorResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const FindCoordinatorResponse&) const = default;
};

}  // namespace tarn::kafka
