#include "kafka/group/offsets_topic.h"

#include "kafka/wire.h"

namespace tarn::kafka {
namespace {

constexpr int16_t kOffsetCommitKeyVersion = 1;
constexpr int16_t kGroupMetadataKeyVersion = 2;
constexpr int16_t kOffsetCommitValueVersion = 3;
constexpr int16_t kGroupMetadataValueVersion = 3;

// Every field is classic-encoded: these schemas are not flexible below version 4.
constexpr bool kClassic = false;

template <typename T>
Result<T> Finish(const WireReader& in, T value, std::string_view what) {
  if (!in.ok()) return Error(in.status().WithContext(what));
  if (in.remaining() != 0) {
    return Error(Status::Corruption(std::string(what) + ": " + std::to_string(in.remaining()) +
                                    " bytes left over"));
  }
  return value;
}

}  // namespace

int32_t OffsetsTopicPartitionFor(std::string_view group_id, int32_t partition_count) {
  if (partition_count <= 0) return 0;
  uint32_t hash = 0;  // Java int arithmetic, wrapping
  for (char c : group_id) hash = hash * 31u + static_cast<uint8_t>(c);
  return static_cast<int32_t>((hash & 0x7fffffffu) % static_cast<uint32_t>(partition_count));
}

Bytes EncodeOffsetCommitKey(const OffsetCommitKey& key) {
  Bytes out;
  WireWriter w(out);
  w.WriteInt16(kOffsetCommitKeyVersion);
  w.WriteString(key.group, kClassic);
  w.WriteString(key.topic, kClassic);
  w.WriteInt32(key.partition);
  return out;
}

Bytes EncodeOffsetCommitValue(const OffsetCommitValue& value) {
  Bytes out;
  WireWriter w(out);
  w.WriteInt16(kOffsetCommitValueVersion);
  w.WriteInt64(value.offset);
  w.WriteInt32(value.leader_epoch);
  w.WriteString(value.metadata, kClassic);
  w.WriteInt64(value.commit_timestamp_ms);
  return out;
}

Bytes EncodeGroupMetadataKey(const GroupMetadataKey& key) {
  Bytes out;
  WireWriter w(out);
  w.WriteInt16(kGroupMetadataKeyVersion);
  w.WriteString(key.group, kClassic);
  return out;
}

Bytes EncodeGroupMetadataValue(const GroupMetadataValue& value) {
  Bytes out;
  WireWriter w(out);
  w.WriteInt16(kGroupMetadataValueVersion);
  w.WriteString(value.protocol_type, kClassic);
  w.WriteInt32(value.generation);
  w.WriteNullableString(value.protocol, kClassic);
  w.WriteNullableString(value.leader, kClassic);
  w.WriteInt64(value.current_state_timestamp_ms);
  w.WriteArrayLength(static_cast<int64_t>(value.members.size()), kClassic);
  for (const auto& m : value.members) {
    w.WriteString(m.member_id, kClassic);
    w.WriteNullableString(m.group_instance_id, kClassic);
    w.WriteString(m.client_id, kClassic);
    w.WriteString(m.client_host, kClassic);
    w.WriteInt32(m.rebalance_timeout_ms);
    w.WriteInt32(m.session_timeout_ms);
    w.WriteBytes(m.subscription, kClassic);
    w.WriteBytes(m.assignment, kClassic);
  }
  return out;
}

Result<OffsetsTopicKey> DecodeOffsetsTopicKey(ByteView bytes) {
  WireReader in(bytes);
  int16_t version = in.ReadInt16();
  if (!in.ok()) return Error(in.status().WithContext("offsets topic key"));
  if (version == 0 || version == 1) {
    OffsetCommitKey key;
    key.group = in.ReadString(kClassic);
    key.topic = in.ReadString(kClassic);
    key.partition = in.ReadInt32();
    return Finish<OffsetsTopicKey>(in, key, "offset commit key");
  }
  if (version == kGroupMetadataKeyVersion) {
    GroupMetadataKey key;
    key.group = in.ReadString(kClassic);
    return Finish<OffsetsTopicKey>(in, key, "group metadata key");
  }
  return Error(Status::Unsupported("offsets topic key version " + std::to_string(version)));
}

Result<OffsetCommitValue> DecodeOffsetCommitValue(ByteView bytes) {
  WireReader in(bytes);
  int16_t version = in.ReadInt16();
  if (in.ok() && (version < 0 || version > 3)) {
    return Error(Status::Unsupported("offset commit value version " + std::to_string(version)));
  }
  OffsetCommitValue value;
  value.offset = in.ReadInt64();
  if (version >= 3) value.leader_epoch = in.ReadInt32();
  value.metadata = in.ReadString(kClassic);
  value.commit_timestamp_ms = in.ReadInt64();
  if (version == 1) in.ReadInt64();  // expire timestamp, which we do not use
  return Finish(in, std::move(value), "offset commit value");
}

Result<GroupMetadataValue> DecodeGroupMetadataValue(ByteView bytes) {
  WireReader in(bytes);
  int16_t version = in.ReadInt16();
  if (in.ok() && (version < 0 || version > 3)) {
    return Error(Status::Unsupported("group metadata value version " + std::to_string(version)));
  }
  GroupMetadataValue value;
  value.protocol_type = in.ReadString(kClassic);
  value.generation = in.ReadInt32();
  value.protocol = in.ReadNullableString(kClassic);
  value.leader = in.ReadNullableString(kClassic);
  if (version >= 2) value.current_state_timestamp_ms = in.ReadInt64();
  int32_t count = in.ReadArrayLength(kClassic);
  for (int32_t i = 0; i < count && in.ok(); ++i) {
    auto& m = value.members.emplace_back();
    m.member_id = in.ReadString(kClassic);
    if (version >= 3) m.group_instance_id = in.ReadNullableString(kClassic);
    m.client_id = in.ReadString(kClassic);
    m.client_host = in.ReadString(kClassic);
    if (version >= 1) m.rebalance_timeout_ms = in.ReadInt32();
    m.session_timeout_ms = in.ReadInt32();
    m.subscription = in.ReadBytes(kClassic);
    m.assignment = in.ReadBytes(kClassic);
  }
  return Finish(in, std::move(value), "group metadata value");
}

}  // namespace tarn::kafka
