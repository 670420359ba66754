// Produce (key 0), versions 3-8: ProduceRequest.json and ProduceResponse.json. v8 differs only
// in the response: a refused batch's record_errors and error_message (KIP-467).
#pragma once

#include <algorithm>
#include <cstdint>
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

struct ProduceRequest {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;

  struct PartitionProduceData {
    PartitionId index;
    // The record batches as sent: a view into the request frame, writable so the broker can
    // assign baseOffset in place before writing the batch to disk. Null reads as empty.
    MutableByteView records;

    bool operator==(const PartitionProduceData& other) const {
      return index == other.index && std::ranges::equal(records, other.records);
    }
  };
  struct TopicProduceData {
    std::string name;
    std::vector<PartitionProduceData> partition_data;
    bool operator==(const TopicProduceData&) const = default;
  };

  std::optional<std::string> transactional_id;
  int16_t acks = 0;  // 0: no response at all; 1: leader; -1: all in-sync replicas
  int32_t timeout_ms = 0;
  std::vector<TopicProduceData> topic_data;

  // `in` must read a mutable frame (WireReader(MutableByteView)) that outlives the request:
  // every `records` points into it.
  static Result<ProduceRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ProduceRequest&) const = default;
};

struct ProduceResponse {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;

  struct PartitionProduceResponse {
    PartitionId index;
    ErrorCode error_code = ErrorCode::kNone;
    Offset base_offset{-1};
    int64_t log_append_time_ms = -1;  // v2+; -1 unless the topic uses LogAppendTime
    Offset log_start_offset{-1};      // v5+
    // v8+: the records that caused the batch to be dropped (INVALID_RECORD), by their index in
    // the batch, and a message summarizing why.
    struct BatchIndexAndErrorMessage {
      int32_t batch_index = 0;
      std::optional<std::string> batch_index_error_message;
      bool operator==(const BatchIndexAndErrorMessage&) const = default;
    };
    std::vector<BatchIndexAndErrorMessage> record_errors;
    std::optional<std::string> error_message;
    bool operator==(const PartitionProduceResponse&) const = default;
  };
  struct TopicProduceResponse {
    std::string name;
    std::vector<PartitionProduceResponse> partition_responses;
    bool operator==(const TopicProduceResponse&) const = default;
  };

  std::vector<TopicProduceResponse> responses;
  int32_t throttle_time_ms = 0;  // the last field here, unlike every other response

  static Result<ProduceResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ProduceResponse&) const = default;
};

}  // namespace tarn::kafka
