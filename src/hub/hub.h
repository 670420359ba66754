// The hub as the services see it: topics to append records to and read them from. Two
// implementations: the embedded broker (embedded_hub.h), and an external Kafka-compatible
// cluster through librdkafka (kafka_hub.h), chosen by `tarn serve --broker on|off`. The HTTP
// event API and the schema registry's log are written against this interface only, so they
// run unchanged over either.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/asio_fwd.h"

namespace tarn::hub {

struct RecordHeader {
  std::string name;
  std::string value;
  bool operator==(const RecordHeader&) const = default;
};

// A record to append. No key: the hub picks the partition (one partition for all the keyless
// records of one Append).
struct OutgoingRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  std::vector<RecordHeader> headers;
  int64_t timestamp_ms = -1;  // -1: the time of the append
};

// A record read back, with its coordinates.
struct StoredRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RecordHeader> headers;
};

struct RecordPosition {
  int32_t partition = 0;
  int64_t offset = 0;
  bool operator==(const RecordPosition&) const = default;
};

// A partition's readable range: [log_start, high_watermark).
struct PartitionBounds {
  int64_t log_start = 0;
  int64_t high_watermark = 0;
  bool operator==(const PartitionBounds&) const = default;
};

struct TopicSpec {
  int32_t partitions = -1;                     // -1: the hub's default
  std::map<std::string, std::string> configs;  // Kafka topic configs (cleanup.policy, ...)
};

// Used from the io_context's thread only; every call may suspend. Errors: kNotFound for an
// unknown topic or partition, kOutOfRange for a read outside a partition's bounds,
// kUnavailable / kTimeout when the hub cannot be reached, kIoError when storage fails,
// kInvalidArgument for a record the hub refuses (too large, say).
class Hub {
 public:
  virtual ~Hub() = default;

  // The number of partitions of `topic`.
  virtual Awaitable<Result<int32_t>> PartitionCount(std::string topic) = 0;

  // The names of every topic, internal ones included, sorted.
  virtual Awaitable<Result<std::vector<std::string>>> Topics() = 0;

  // Creates `topic` with `spec` unless it exists; returns its partition count (the existing
  // topic's when it was there).
  virtual Awaitable<Result<int32_t>> EnsureTopic(std::string topic, TopicSpec spec) = 0;

  // Appends `records` to `topic` and completes once they are durable (acks=all). A keyed record
  // goes to the partition Kafka's Java client would pick (murmur2 of the key, partitioner.h), so
  // a key's records share one order whoever produced them. The records bound for one partition
  // are written as one batch, in the given order: all or none of them. Returns each record's
  // position, in the order given. On error, the batches of other partitions may have been
  // written.
  virtual Awaitable<Result<std::vector<RecordPosition>>> Append(
      std::string topic, std::vector<OutgoingRecord> records) = 0;

  // Reads records of `topic` from the given partition -> offset positions, at most
  // `max_records` (at least one when any is there), oldest first within each partition. When
  // none of the positions has a record, waits up to `max_wait` for one; an empty result means
  // none came. kOutOfRange when a position is outside its partition's bounds (the message names
  // the partition).
  virtual Awaitable<Result<std::vector<StoredRecord>>> Read(std::string topic,
                                                            std::map<int32_t, int64_t> from,
                                                            size_t max_records,
                                                            std::chrono::milliseconds max_wait) = 0;

  // The readable range of every partition of `topic`, by partition id.
  virtual Awaitable<Result<std::map<int32_t, PartitionBounds>>> Bounds(std::string topic) = 0;

  // The positions consumer group `group` has committed in `topic` (partition -> next offset to
  // read); partitions it never committed are absent.
  virtual Awaitable<Result<std::map<int32_t, int64_t>>> CommittedOffsets(std::string group,
                                                                          std::string topic) = 0;

  // Commits `offsets` for `group` as a consumer outside any generation (Kafka's commit for a
  // group without members, which is how a service keeps positions without joining); completes
  // once durable. kFailedPrecondition when the group has live members.
  virtual Awaitable<Status> CommitOffsets(std::string group, std::string topic,
                                          std::map<int32_t, int64_t> offsets) = 0;
};

}  // namespace tarn::hub

namespace tarn::hub {

// Kafka's rules for a topic name: 1-249 of [a-zA-Z0-9._-], not "." or "..".
Status ValidateTopicName(std::string_view name);

}  // namespace tarn::hub
