#include "hub/embedded_hub.h"

#include <algorithm>
#include <string_view>

#include "hub/partitioner.h"
#include "kafka/broker.h"
#include "kafka/error_code.h"
#include "kafka/group/group_coordinator.h"
#include "kafka/record_batch_builder.h"
#include "net/asio.h"

namespace tarn::hub {
namespace {

// How much of a partition one read step takes from the log, and the most a batch may expand to.
constexpr int32_t kReadChunkBytes = 1 << 20;
constexpr size_t kMaxDecompressedBytes = size_t{64} << 20;

std::string ToString(ByteView bytes) { return std::string(AsString(bytes)); }

Status UnknownTopic(const std::string& topic) {
  return Status::NotFound("unknown topic \"" + topic + "\"");
}

Result<std::shared_ptr<kafka::Topic>> FindTopic(const kafka::Broker& broker,
                                                const std::string& name) {
  std::shared_ptr<kafka::Topic> topic = broker.FindTopic(name);
  if (!topic) return Error(UnknownTopic(name));
  return topic;
}

Result<kafka::Partition*> FindPartition(const kafka::Topic& topic, int32_t id) {
  kafka::Partition* partition = topic.FindPartition(PartitionId(id));
  if (!partition) {
    return Error(Status::NotFound("topic \"" + topic.name + "\" has no partition " +
                                  std::to_string(id)));
  }
  return partition;
}

// The Status for a refused append; Kafka's error code and the broker's reason in the message.
Status AppendError(const kafka::Topic& topic, int32_t partition, const kafka::AppendOutcome& out) {
  std::string message = "appending to " + topic.name + "/" + std::to_string(partition) +
                        " failed (Kafka error " + std::to_string(out.error) + "): " + out.message;
  if (out.error == static_cast<int16_t>(kafka::ErrorCode::kKafkaStorageError)) {
    return Status::IoError(message);
  }
  if (out.error == static_cast<int16_t>(kafka::ErrorCode::kUnknownTopicOrPartition)) {
    return Status::NotFound(message);
  }
  if (out.error == static_cast<int16_t>(kafka::ErrorCode::kInvalidRecord)) {
    return Status::InvalidArgument(message);  // the topic's tarn.validation refused a record
  }
  return Status::Internal(message);
}

StoredRecord ToStored(int32_t partition, const kafka::Record& record) {
  StoredRecord out;
  out.partition = partition;
  out.offset = record.offset.value();
  out.timestamp_ms = record.timestamp;
  if (record.key) out.key = ToString(*record.key);
  if (record.value) out.value = ToString(*record.value);
  out.headers.reserve(record.headers.size());
  for (const kafka::RecordHeader& header : record.headers) {
    out.headers.push_back(RecordHeader{
        std::string(header.key), header.value ? ToString(*header.value) : std::string()});
  }
  return out;
}

// Appends to `out` the records of `partition` from `from`, at most `limit` of them.
Status ReadPartition(const kafka::Broker& broker, const kafka::Topic& topic,
                     kafka::Partition& partition, int64_t from, size_t limit,
                     std::vector<StoredRecord>& out) {
  const Offset end = broker.HighWatermark(partition);
  const Offset start = partition.log->log_start_offset();
  if (from < start.value() || from > end.value()) {
    return Status::OutOfRange("offset " + std::to_string(from) + " of " + topic.name + "/" +
                              std::to_string(partition.id) + " is outside [" +
                              std::to_string(start.value()) + ", " +
                              std::to_string(end.value()) + "]");
  }
  Offset next(from);
  size_t taken = 0;
  while (taken < limit && next < end) {
    Result<Bytes> bytes = broker.Read(partition, next, kReadChunkBytes);
    if (!bytes) {
      return bytes.error().WithContext(topic.name + "/" + std::to_string(partition.id));
    }
    if (bytes->empty()) break;
    TARN_ASSIGN_OR_RETURN(std::vector<kafka::DecodedBatch> batches,
                          kafka::DecodeBatches(*bytes, kMaxDecompressedBytes));
    if (batches.empty()) break;
    for (const kafka::DecodedBatch& batch : batches) {
      for (const kafka::Record& record : batch.records()) {
        if (record.offset < next || record.offset >= end || taken == limit) continue;
        out.push_back(ToStored(partition.id, record));
        ++taken;
      }
      if (taken == limit) {
        return Status::Ok();
      }
      next = std::max(next, batch.header().last_offset() + 1);
    }
  }
  return Status::Ok();
}

}  // namespace

Awaitable<Result<int32_t>> EmbeddedHub::PartitionCount(std::string topic) {
  Result<std::shared_ptr<kafka::Topic>> found = FindTopic(broker_, topic);
  if (!found) co_return Error(found.error());
  co_return static_cast<int32_t>((*found)->partitions.size());
}

Awaitable<Result<std::vector<std::string>>> EmbeddedHub::Topics() {
  std::vector<std::string> names;
  for (const std::shared_ptr<kafka::Topic>& topic : broker_.Topics()) names.push_back(topic->name);
  std::sort(names.begin(), names.end());
  co_return names;
}

Awaitable<Result<int32_t>> EmbeddedHub::EnsureTopic(std::string topic, TopicSpec spec) {
  std::shared_ptr<kafka::Topic> found = broker_.FindTopic(topic);
  if (!found) {
    int32_t partitions = spec.partitions > 0 ? spec.partitions : broker_.options().default_partitions;
    Result<std::shared_ptr<kafka::Topic>> created =
        broker_.CreateTopic(topic, partitions, spec.configs);
    if (!created) co_return Error(created.error());
    found = std::move(*created);
  }
  co_return static_cast<int32_t>(found->partitions.size());
}

Awaitable<Result<std::vector<RecordPosition>>> EmbeddedHub::Append(
    std::string topic_name, std::vector<OutgoingRecord> records) {
  using Positions = std::vector<RecordPosition>;
  if (records.empty()) co_return Positions();
  Result<std::shared_ptr<kafka::Topic>> found = FindTopic(broker_, topic_name);
  if (!found) co_return Error(found.error());
  std::shared_ptr<kafka::Topic> topic = std::move(*found);
  const auto partition_count = static_cast<int32_t>(topic->partitions.size());
  const int32_t keyless_partition = static_cast<int32_t>(next_keyless_partition_++ %
                                                         static_cast<uint32_t>(partition_count));

  // Each partition's records become one batch, built before anything is written so that a
  // batch the topic would refuse (too large) fails the call with nothing appended.
  Positions positions(records.size());
  std::map<int32_t, std::vector<size_t>> by_partition;
  for (size_t i = 0; i < records.size(); ++i) {
    const OutgoingRecord& record = records[i];
    int32_t partition =
        record.key ? PartitionForKey(*record.key, partition_count) : keyless_partition;
    positions[i].partition = partition;
    by_partition[partition].push_back(i);
  }
  const int64_t now = clock_.NowMs();
  const int32_t max_batch_bytes = topic->settings.effective.max_message_bytes;
  std::vector<std::pair<int32_t, Bytes>> batches;
  for (const auto& [partition, indexes] : by_partition) {
    kafka::RecordBatchBuilder builder;
    std::vector<kafka::RecordHeader> headers;
    for (size_t i : indexes) {
      const OutgoingRecord& record = records[i];
      headers.clear();
      for (const RecordHeader& header : record.headers) {
        headers.push_back(kafka::RecordHeader{header.name, AsBytes(header.value)});
      }
      std::optional<ByteView> key, value;
      if (record.key) key = AsBytes(*record.key);
      if (record.value) value = AsBytes(*record.value);
      builder.Add(key, value, record.timestamp_ms >= 0 ? record.timestamp_ms : now, headers);
    }
    Result<Bytes> batch = builder.Build();
    if (!batch) co_return Error(batch.error());
    if (batch->size() > static_cast<size_t>(std::max(max_batch_bytes, 0))) {
      co_return Error(Status::InvalidArgument(
          std::to_string(indexes.size()) + " records for " + topic->name + "/" +
          std::to_string(partition) + " make a batch of " + std::to_string(batch->size()) +
          " bytes, over the topic's max.message.bytes of " + std::to_string(max_batch_bytes)));
    }
    batches.emplace_back(partition, std::move(*batch));
  }

  std::vector<std::pair<kafka::Partition*, Offset>> written;
  for (auto& [partition_id, batch] : batches) {
    kafka::Partition& partition = *topic->partitions[partition_id];
    kafka::AppendOutcome outcome = broker_.Append(topic, partition, batch);
    if (outcome.error != 0) co_return Error(AppendError(*topic, partition_id, outcome));
    int64_t offset = outcome.base_offset.value();
    for (size_t i : by_partition[partition_id]) positions[i].offset = offset++;
    written.emplace_back(&partition, outcome.last_offset + 1);
  }
  for (auto& [partition, end] : written) {
    Status durable = co_await broker_.WaitDurable(topic, *partition, end);
    if (!durable.ok()) co_return Error(durable);
  }
  co_return positions;
}

Awaitable<Result<std::vector<StoredRecord>>> EmbeddedHub::Read(
    std::string topic_name, std::map<int32_t, int64_t> from, size_t max_records,
    std::chrono::milliseconds max_wait) {
  using Records = std::vector<StoredRecord>;
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  max_records = std::max<size_t>(max_records, 1);
  for (;;) {
    Result<std::shared_ptr<kafka::Topic>> topic = FindTopic(broker_, topic_name);
    if (!topic) co_return Error(topic.error());
    // Each partition first gets its share of max_records, so that a backlog in one does not
    // starve the others; what is left over then goes to whichever still has records.
    Records records;
    std::map<int32_t, int64_t> next = from;
    const size_t share = (max_records + from.size() - 1) / std::max<size_t>(from.size(), 1);
    for (size_t quota : {share, max_records}) {
      for (auto& [partition_id, offset] : next) {
        if (records.size() >= max_records) break;
        Result<kafka::Partition*> partition = FindPartition(**topic, partition_id);
        if (!partition) co_return Error(partition.error());
        const size_t before = records.size();
        Status read = ReadPartition(broker_, **topic, **partition, offset,
                                    std::min(quota, max_records - records.size()), records);
        if (!read.ok()) co_return Error(read);
        if (records.size() > before) offset = records.back().offset + 1;
      }
    }
    if (!records.empty() || std::chrono::steady_clock::now() >= deadline) co_return records;
    co_await broker_.WaitForData(deadline);
  }
}

Awaitable<Result<std::map<int32_t, PartitionBounds>>> EmbeddedHub::Bounds(std::string topic_name) {
  Result<std::shared_ptr<kafka::Topic>> topic = FindTopic(broker_, topic_name);
  if (!topic) co_return Error(topic.error());
  std::map<int32_t, PartitionBounds> bounds;
  for (const auto& partition : (*topic)->partitions) {
    bounds[partition->id] = PartitionBounds{partition->log->log_start_offset().value(),
                                            broker_.HighWatermark(*partition).value()};
  }
  co_return bounds;
}

Awaitable<Result<std::map<int32_t, int64_t>>> EmbeddedHub::CommittedOffsets(std::string group,
                                                                             std::string topic) {
  using Offsets = std::map<int32_t, int64_t>;
  if (!groups_) co_return Error(Status::FailedPrecondition("this hub has no group coordinator"));
  kafka::OffsetFetchRequest request;
  request.group_id = group;
  Result<std::shared_ptr<kafka::Topic>> found = FindTopic(broker_, topic);
  if (!found) co_return Error(found.error());
  kafka::OffsetFetchRequest::OffsetFetchRequestTopic wanted{.name = topic, .partition_indexes = {}};
  for (const auto& partition : (*found)->partitions) {
    wanted.partition_indexes.push_back(PartitionId(partition->id));
  }
  request.topics = std::vector{wanted};
  kafka::OffsetFetchResponse response = groups_->OffsetFetch(request);
  if (response.error_code != kafka::ErrorCode::kNone) {
    co_return Error(Status::Unavailable("fetching the offsets of group " + group + ": " +
                                        std::string(kafka::ErrorName(response.error_code))));
  }
  Offsets offsets;
  for (const auto& fetched : response.topics) {
    for (const auto& partition : fetched.partitions) {
      if (partition.error_code == kafka::ErrorCode::kNone && partition.committed_offset.value() >= 0) {
        offsets[partition.partition_index.value()] = partition.committed_offset.value();
      }
    }
  }
  co_return offsets;
}

Awaitable<Status> EmbeddedHub::CommitOffsets(std::string group, std::string topic,
                                             std::map<int32_t, int64_t> offsets) {
  if (!groups_) co_return Status::FailedPrecondition("this hub has no group coordinator");
  if (offsets.empty()) co_return Status::Ok();
  kafka::OffsetCommitRequest request;
  request.group_id = group;
  kafka::OffsetCommitRequest::OffsetCommitRequestTopic committed{.name = topic, .partitions = {}};
  for (const auto& [partition, offset] : offsets) {
    committed.partitions.push_back({.partition_index = PartitionId(partition),
                                    .committed_offset = Offset(offset),
                                    .committed_leader_epoch = -1,
                                    .committed_metadata = std::nullopt});
  }
  request.topics.push_back(std::move(committed));
  kafka::OffsetCommitResponse response = co_await groups_->OffsetCommit(std::move(request));
  for (const auto& answered : response.topics) {
    for (const auto& partition : answered.partitions) {
      if (partition.error_code == kafka::ErrorCode::kNone) continue;
      std::string why = "committing offsets of group " + group + " in " + topic + ": " +
                        std::string(kafka::ErrorName(partition.error_code));
      co_return partition.error_code == kafka::ErrorCode::kUnknownMemberId ||
                        partition.error_code == kafka::ErrorCode::kIllegalGeneration
                    ? Status::FailedPrecondition(why)
                    : Status::Unavailable(why);
    }
  }
  co_return Status::Ok();
}

}  // namespace tarn::hub
