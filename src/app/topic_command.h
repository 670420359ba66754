// `tarn topic create|list|describe|delete`: topic administration over the Kafka admin API.
// What `describe` prints is built here from plain values, so its layout is tested without a
// broker:
//
//   Topic: orders
//   Partitions: 2
//
//   PARTITION  LEADER  EARLIEST  LATEST
//   0          1       0         42
//   1          1       3         17
//
//   CONFIG          VALUE      SOURCE
//   cleanup.policy  delete     default
//   retention.ms    86400000   topic
//
// EARLIEST is the first offset still stored, LATEST the offset the next record will get.
// SOURCE says where a config's value comes from: topic (set on the topic), broker (the broker's
// configuration) or default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tarn::app {

struct TopicPartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;  // broker id; -1 when there is none
  int64_t earliest = 0;
  int64_t latest = 0;
};

struct TopicConfigEntry {
  std::string name;
  std::optional<std::string> value;  // nullopt: no value, or hidden because it is sensitive
  std::string source;                // "topic", "broker" or "default"
};

struct TopicDescription {
  std::string name;
  std::vector<TopicPartitionInfo> partitions;  // by id
  std::vector<TopicConfigEntry> configs;       // by name
};

// The text `tarn topic describe` prints, ending in a newline.
std::string FormatTopicDescription(const TopicDescription& topic);

// Left-aligned columns two spaces apart, a header row first; each row ends in a newline.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace tarn::app
