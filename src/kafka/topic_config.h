// A topic's configuration under Kafka's config names (retention.ms, segment.bytes, ...).
// Values start from the broker's defaults; a topic records only what it overrides, so
// DescribeConfigs can tell a default from a topic setting.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/partition_log.h"

namespace tarn::kafka {

struct TopicConfig {
  std::string cleanup_policy = "delete";  // delete | compact | compact,delete
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t retention_bytes = -1;
  int64_t segment_bytes = 1LL << 30;
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;
  int32_t max_message_bytes = 1048588;
  std::string message_timestamp_type = "CreateTime";  // CreateTime | LogAppendTime
  int64_t delete_retention_ms = 24LL * 3600 * 1000;

  // Applies one setting. kInvalidArgument, naming the key, for an unknown key or a bad value.
  Status Set(std::string_view key, std::string_view value);
  // The value of a known key as text.
  std::string Get(std::string_view key) const;
  // Every key we serve, in a stable order.
  static const std::vector<std::string_view>& Keys();

  log::LogConfig ToLogConfig() const;
};

// A topic's settings: the broker defaults plus its own overrides.
struct TopicSettings {
  TopicConfig effective;
  std::map<std::string, std::string> overrides;

  // Validates and applies `overrides` on top of `defaults`.
  static Result<TopicSettings> Make(const TopicConfig& defaults,
                                    const std::map<std::string, std::string>& overrides);
};

}  // namespace tarn::kafka
