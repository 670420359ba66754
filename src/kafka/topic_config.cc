#include "kafka/topic_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tarn::kafka {
namespace {

Status ParseInt(std::string_view key, std::string_view value, int64_t min, int64_t& out) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Status::InvalidArgument("config " + std::string(key) + ": '" + std::string(value) +
                                   "' is not a whole number");
  }
  if (v < min) {
    return Status::InvalidArgument("config " + std::string(key) + ": " + std::string(value) +
                                   " is below the minimum " + std::to_string(min));
  }
  out = v;
  return Status::Ok();
}

}  // namespace

const std::vector<std::string_view>& TopicConfig::Keys() {
  static const std::vector<std::string_view> kKeys = {
      "cleanup.policy",
      "compression.type",
      "delete.retention.ms",
      "max.message.bytes",
      "message.timestamp.type",
      "min.cleanable.dirty.ratio",
      "min.compaction.lag.ms",
      "retention.bytes",
      "retention.ms",
      "segment.bytes",
      "segment.ms",
      "tarn.validation",
  };
  return kKeys;
}

Status TopicConfig::Set(std::string_view key, std::string_view value) {
  if (key == "cleanup.policy") {
    if (value != "delete" && value != "compact" && value != "compact,delete" &&
        value != "delete,compact") {
      return Status::InvalidArgument("config cleanup.policy: '" + std::string(value) +
                                     "' is not one of delete, compact, compact,delete");
    }
    cleanup_policy = std::string(value);
    return Status::Ok();
  }
  if (key == "compression.type") {
    // Batches are stored as the producer compressed them; recompression is not offered.
    if (value != "producer") {
      return Status::InvalidArgument(
          "config compression.type: only 'producer' is supported (batches are kept as sent)");
    }
    return Status::Ok();
  }
  if (key == "message.timestamp.type") {
    if (value != "CreateTime" && value != "LogAppendTime") {
      return Status::InvalidArgument("config message.timestamp.type: '" + std::string(value) +
                                     "' is not CreateTime or LogAppendTime");
    }
    message_timestamp_type = std::string(value);
    return Status::Ok();
  }
  if (key == "tarn.validation") {
    // Kafka's booleans: true or false in any case.
    auto is = [&](std::string_view word) {
      return std::ranges::equal(value, word, [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      });
    };
    if (!is("true") && !is("false")) {
      return Status::InvalidArgument("config tarn.validation: '" + std::string(value) +
                                     "' is not true or false");
    }
    validation = is("true");
    return Status::Ok();
  }
  if (key == "min.cleanable.dirty.ratio") {
    double ratio = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ratio);
    if (ec != std::errc() || ptr != value.data() + value.size() || !(ratio >= 0 && ratio <= 1)) {
      return Status::InvalidArgument("config min.cleanable.dirty.ratio: '" + std::string(value) +
                                     "' is not a number from 0 to 1");
    }
    min_cleanable_dirty_ratio = ratio;
    return Status::Ok();
  }
  int64_t v = 0;
  if (key == "retention.ms") {
    TARN_TRY(ParseInt(key, value, -1, v));
    retention_ms = v;
  } else if (key == "retention.bytes") {
    TARN_TRY(ParseInt(key, value, -1, v));
    retention_bytes = v;
  } else if (key == "segment.bytes") {
    TARN_TRY(ParseInt(key, value, 1024, v));
    segment_bytes = v;
  } else if (key == "segment.ms") {
    TARN_TRY(ParseInt(key, value, 1, v));
    segment_ms = v;
  } else if (key == "max.message.bytes") {
    TARN_TRY(ParseInt(key, value, 0, v));
    if (v > INT32_MAX) return Status::InvalidArgument("config max.message.bytes: too large");
    max_message_bytes = static_cast<int32_t>(v);
  } else if (key == "delete.retention.ms") {
    TARN_TRY(ParseInt(key, value, 0, v));
    delete_retention_ms = v;
  } else if (key == "min.compaction.lag.ms") {
    TARN_TRY(ParseInt(key, value, 0, v));
    min_compaction_lag_ms = v;
  } else {
    return Status::InvalidArgument("unknown topic config '" + std::string(key) + "'");
  }
  return Status::Ok();
}

std::string TopicConfig::Get(std::string_view key) const {
  if (key == "cleanup.policy") return cleanup_policy;
  if (key == "compression.type") return "producer";
  if (key == "message.timestamp.type") return message_timestamp_type;
  if (key == "retention.ms") return std::to_string(retention_ms);
  if (key == "retention.bytes") return std::to_string(retention_bytes);
  if (key == "segment.bytes") return std::to_string(segment_bytes);
  if (key == "segment.ms") return std::to_string(segment_ms);
  if (key == "max.message.bytes") return std::to_string(max_message_bytes);
  if (key == "delete.retention.ms") return std::to_string(delete_retention_ms);
  if (key == "min.cleanable.dirty.ratio") return fmt::format("{}", min_cleanable_dirty_ratio);
  if (key == "min.compaction.lag.ms") return std::to_string(min_compaction_lag_ms);
  if (key == "tarn.validation") return validation ? "true" : "false";
  return {};
}

log::LogConfig TopicConfig::ToLogConfig() const {
  log::LogConfig c;
  c.segment_bytes = segment_bytes;
  c.segment_ms = segment_ms;
  c.retention_bytes = retention_bytes;
  c.retention_ms = retention_ms;
  return c;
}

Result<TopicSettings> TopicSettings::Make(const TopicConfig& defaults,
                                          const std::map<std::string, std::string>& overrides) {
  TopicSettings s{defaults, overrides};
  for (const auto& [key, value] : overrides) TARN_TRY(s.effective.Set(key, value));
  return s;
}

}  // namespace tarn::kafka
