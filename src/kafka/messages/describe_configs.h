// DescribeConfigs (key 32), versions 0-2: DescribeConfigsRequest.json and
// DescribeConfigsResponse.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

// Kafka's resource types.
enum class ConfigResourceType : int8_t { kUnknown = 0, kTopic = 2, kBroker = 4 };

struct DescribeConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;

  struct DescribeConfigsResource {
    ConfigResourceType resource_type = ConfigResourceType::kUnknown;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;  // nullopt: every key
    bool operator==(const DescribeConfigsResource&) const = default;
  };

  std::vector<DescribeConfigsResource> resources;
  bool include_synonyms = false;  // v1+

  static Result<DescribeConfigsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const DescribeConfigsRequest&) const = default;
};

struct DescribeConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;

  // Where a value comes from (v1+): Kafka's DescribeConfigsResponse.ConfigSource.
  enum class ConfigSource : int8_t {
    kUnknown = 0,
    kDynamicTopicConfig = 1,
    kDynamicBrokerConfig = 2,
    kDynamicDefaultBrokerConfig = 3,
    kStaticBrokerConfig = 4,
    kDefaultConfig = 5,
  };

  struct DescribeConfigsSynonym {  // v1+
    std::string name;
    std::optional<std::string> value;
    ConfigSource source = ConfigSource::kUnknown;
    bool operator==(const DescribeConfigsSynonym&) const = default;
  };
  struct DescribeConfigsResourceResult {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;                        // v0 only; v1+ says it with config_source
    ConfigSource config_source = ConfigSource{-1};  // v1+; -1 until set
    bool is_sensitive = false;
    std::vector<DescribeConfigsSynonym> synonyms;  // v1+
    bool operator==(const DescribeConfigsResourceResult&) const = default;
  };
  struct DescribeConfigsResult {
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    ConfigResourceType resource_type = ConfigResourceType::kUnknown;
    std::string resource_name;
    std::vector<DescribeConfigsResourceResult> configs;
    bool operator==(const DescribeConfigsResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<DescribeConfigsResult> results;

  static Result<DescribeConfigsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const DescribeConfigsResponse&) const = default;
};

}  // namespace tarn::kafka
