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
  // Compaction (cleanup.policy compact): how long a tombstone stays readable after its
  // timestamp; the share of not-yet-cleaned bytes that triggers a cleaning; how old a record
  // must be before a cleaning may remove it.
  int64_t delete_retention_ms = 24LL * 3600 * 1000;
  double min_cleanable_dirty_ratio = 0.5;
  int64_t min_compaction_lag_ms = 0;
  // tarn.validation: every produced record is checked by the broker's RecordValidator (the
  // event contracts, in `tarn serve`) and a batch with a record that fails is refused.
  bool validation = false;

  // Whether cleanup.policy includes compact (the log cleaner keeps the latest record per key),
  // and whether it includes delete (retention by time and size applies).
  bool compacted() const { return cleanup_policy.find("compact") != std::string::npos; }
  bool deletes() const { return cleanup_policy.find("delete") != std::string::npos; }

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
