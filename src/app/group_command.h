// `tarn group list|describe|reset-offsets`: consumer groups over the Kafka admin API. What the
// commands print is built here from plain values, so its layout is tested without a broker.
//
// list:
//   GROUP           STATE   MEMBERS
//   billing         Empty   0
//   orders-service  Stable  2
//
// describe:
//   Group: orders-service
//   State: Stable
//   Protocol: range
//   Members: 2
//
//   MEMBER             INSTANCE  CLIENT   HOST        PARTITIONS
//   rdkafka-6e1c...    -         rdkafka  /127.0.0.1  orders/0,1
//   rdkafka-9f02...    -         rdkafka  /127.0.0.1  orders/2
//
//   TOPIC   PARTITION  COMMITTED  LOG-END  LAG  MEMBER
//   orders  0          40         42       2    rdkafka-6e1c...
//   orders  2          -          17       -    rdkafka-9f02...
//
// COMMITTED is the group's committed offset (the next record it will read), LOG-END the offset
// the next record produced will get, LAG their difference. "-": no commit, no owner.
//
// reset-offsets prints one row per partition (TOPIC PARTITION CURRENT NEW) and, with
// --dry-run, a last line saying that nothing changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tarn::app {

using TopicPartitionName = std::pair<std::string, int32_t>;

struct GroupListing {
  std::string group_id;
  std::string state;  // Empty, PreparingRebalance, CompletingRebalance, Stable, Dead, Unknown
  int32_t members = 0;
};

struct GroupMemberInfo {
  std::string member_id;
  std::optional<std::string> instance_id;  // a static member's group.instance.id
  std::string client_id;
  std::string host;
  std::vector<TopicPartitionName> assignment;
};

struct GroupPartitionInfo {
  std::string topic;
  int32_t partition = 0;
  std::optional<int64_t> committed;  // nullopt: the group has committed nothing here
  std::optional<int64_t> log_end;    // nullopt: unknown (the topic is gone)
  std::string member_id;             // the member it is assigned to; empty: none
};

struct GroupDescription {
  std::string group_id;
  std::string state;
  std::string protocol;  // the partition assignor; empty unless Stable
  std::vector<GroupMemberInfo> members;
  std::vector<GroupPartitionInfo> partitions;  // by topic, then partition
};

struct OffsetReset {
  std::string topic;
  int32_t partition = 0;
  std::optional<int64_t> current;  // the committed offset before; nullopt: none
  int64_t target = 0;
};

std::string FormatGroupList(const std::vector<GroupListing>& groups);
std::string FormatGroupDescription(const GroupDescription& group);
std::string FormatOffsetResets(const std::vector<OffsetReset>& resets, bool dry_run);

// "orders/0,1 payments/3": partitions grouped by topic, in the order given.
std::string FormatAssignment(const std::vector<TopicPartitionName>& partitions);

// An ISO 8601 date and time, "2024-05-01T12:30:00Z", with optional seconds, fraction
// (".250") and zone ("Z", "+02:00", "-0500"); no zone means UTC. A date alone is its midnight.
// Milliseconds since the epoch; InvalidArgument says what does not parse.
Result<int64_t> ParseDateTime(std::string_view text);

}  // namespace tarn::app
