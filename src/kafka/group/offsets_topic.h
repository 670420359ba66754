// The records of `__consumer_offsets`, the compacted internal topic where the group coordinator
// keeps committed offsets and group metadata, in Kafka's own binary schemas so the topic reads
// the same as a Kafka broker's. Byte layouts: docs/formats/consumer-offsets.md.
//
// A record's key starts with an int16 version that says what the record is:
//   0, 1  an offset commit  (key: group, topic, partition)   value: OffsetCommitValue v0-3
//   2     group metadata    (key: group)                     value: GroupMetadataValue v0-3
// A null value is a tombstone: the key's earlier values no longer count.
// We write key version 1 with value version 3, and key version 2 with value version 3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace tarn::kafka {

inline constexpr std::string_view kConsumerOffsetsTopic = "__consumer_offsets";

// Topics clients may read but not write: the coordinator is their only writer.
inline bool IsInternalTopic(std::string_view name) { return name == kConsumerOffsetsTopic; }

// The `__consumer_offsets` partition of a group: Java's String.hashCode over the id's bytes
// (Kafka's own choice for ASCII ids), its sign bit cleared, modulo the partition count.
int32_t OffsetsTopicPartitionFor(std::string_view group_id, int32_t partition_count);

struct OffsetCommitKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const OffsetCommitKey&) const = default;
};

struct OffsetCommitValue {
  int64_t offset = -1;
  int32_t leader_epoch = -1;  // v3+
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
  bool operator==(const OffsetCommitValue&) const = default;
};

struct GroupMetadataKey {
  std::string group;
  bool operator==(const GroupMetadataKey&) const = default;
};

struct GroupMetadataValue {
  struct MemberMetadata {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v3+
    std::string client_id;
    std::string client_host;
    int32_t rebalance_timeout_ms = -1;  // v1+
    int32_t session_timeout_ms = 0;
    Bytes subscription;  // the chosen protocol's metadata
    Bytes assignment;
    bool operator==(const MemberMetadata&) const = default;
  };

  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp_ms = -1;  // v2+
  std::vector<MemberMetadata> members;
  bool operator==(const GroupMetadataValue&) const = default;
};

using OffsetsTopicKey = std::variant<OffsetCommitKey, GroupMetadataKey>;

Bytes EncodeOffsetCommitKey(const OffsetCommitKey& key);    // key version 1
Bytes EncodeOffsetCommitValue(const OffsetCommitValue& value);  // value version 3
Bytes EncodeGroupMetadataKey(const GroupMetadataKey& key);  // key version 2
Bytes EncodeGroupMetadataValue(const GroupMetadataValue& value);  // value version 3

// kCorruption for bytes that do not parse (or leave bytes over); kUnsupported for a record
// version we do not know (a newer broker's), which a reader should skip.
Result<OffsetsTopicKey> DecodeOffsetsTopicKey(ByteView bytes);
Result<OffsetCommitValue> DecodeOffsetCommitValue(ByteView bytes);
Result<GroupMetadataValue> DecodeGroupMetadataValue(ByteView bytes);

}  // namespace tarn::kafka
