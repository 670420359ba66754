// InitProducerId (key 22), versions 0-1: InitProducerIdRequest.json and
// InitProducerIdResponse.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct InitProducerIdRequest {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;

  std::optional<std::string> transactional_id;  // null for an idempotent producer
  int32_t transaction_timeout_ms = 0;

  static Result<InitProducerIdRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const InitProducerIdRequest&) const = default;
};

struct InitProducerIdResponse {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;

  int32_t throttle_time_ms = 0;
  ErrorCode error_code = ErrorCode::kNone;
  ProducerId producer_id{-1};
  ProducerEpoch producer_epoch{0};

  static Result<InitProducerIdResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const InitProducerIdResponse&) const = default;
};

}  // namespace tarn::kafka
