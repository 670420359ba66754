#include "kafka/group/group_store.h"

#include <spdlog/spdlog.h>

#include "kafka/broker.h"
#include "kafka/group/offsets_topic.h"
#include "kafka/record_batch.h"
#include "kafka/record_batch_builder.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

constexpr int32_t kLoadChunkBytes = 1 << 20;
constexpr size_t kMaxDecompressedBatch = 64 * 1024 * 1024;

}  // namespace

GroupStore::GroupStore(Broker& broker, std::shared_ptr<Topic> topic)
    : broker_(broker), topic_(std::move(topic)) {}

GroupStore::~GroupStore() = default;

Result<std::unique_ptr<GroupStore>> GroupStore::Open(Broker& broker, int32_t partitions) {
  const std::string name(kConsumerOffsetsTopic);
  std::shared_ptr<Topic> topic = broker.FindTopic(name);
  if (!topic) {
    auto created = broker.CreateTopic(name, partitions, {{"cleanup.policy", "compact"}});
    if (!created.has_value()) return Error(created.error().WithContext("creating " + name));
    topic = *created;
  } else if (static_cast<int32_t>(topic->partitions.size()) != partitions) {
    spdlog::info("{} keeps its {} partitions (the configured count, {}, applies to a new topic)",
                 name, topic->partitions.size(), partitions);
  }
  return std::unique_ptr<GroupStore>(new GroupStore(broker, std::move(topic)));
}

int32_t GroupStore::partition_count() const {
  return static_cast<int32_t>(topic_->partitions.size());
}

Status GroupStore::Load(const RecordVisitor& apply) const {
  for (const auto& partition : topic_->partitions) {
    Offset from = partition->log->log_start_offset();
    const Offset end = broker_.HighWatermark(*partition);
    while (from < end) {
      auto bytes = broker_.Read(*partition, from, kLoadChunkBytes);
      if (!bytes.has_value()) {
        return bytes.error().WithContext(std::string(kConsumerOffsetsTopic) + " partition " +
                                         std::to_string(partition->id));
      }
      if (bytes->empty()) break;
      auto batches = DecodeBatches(*bytes, kMaxDecompressedBatch);
      if (!batches.has_value() || batches->empty()) {
        return (batches.has_value() ? Status::Corruption("no whole batch") : batches.error())
            .WithContext(std::string(kConsumerOffsetsTopic) + " partition " +
                         std::to_string(partition->id) + " at offset " +
                         std::to_string(from.value()));
      }
      for (const DecodedBatch& batch : *batches) {
        if (batch.header().is_control()) continue;
        for (const Record& record : batch.records()) {
          if (record.offset < from || !record.key.has_value()) continue;
          apply(*record.key, record.value, record.offset);
        }
        from = std::max(from, batch.header().last_offset() + 1);
      }
    }
  }
  return Status::Ok();
}

Result<StoreWrite> GroupStore::Append(std::string_view group_id,
                                      const std::vector<StoreRecord>& records,
                                      int64_t timestamp_ms) {
  RecordBatchBuilder builder;
  for (const StoreRecord& r : records) {
    builder.Add(ByteView(r.key),
                r.value.has_value() ? std::optional<ByteView>(ByteView(*r.value)) : std::nullopt,
                timestamp_ms);
  }
  TARN_ASSIGN_OR_RETURN(Bytes batch, builder.Build());
  StoreWrite write;
  write.partition = OffsetsTopicPartitionFor(group_id, partition_count());
  Partition& partition = *topic_->partitions[write.partition];
  AppendOutcome outcome = broker_.Append(topic_, partition, batch);
  if (outcome.error != 0) {
    return Error(Status::IoError("cannot append to " + std::string(kConsumerOffsetsTopic) + " " +
                                 std::to_string(write.partition) + ": " + outcome.message));
  }
  write.base = outcome.base_offset;
  write.end = outcome.last_offset + 1;
  return write;
}

Awaitable<Status> GroupStore::WaitDurable(StoreWrite write) {
  co_return co_await broker_.WaitDurable(topic_, *topic_->partitions[write.partition], write.end);
}

}  // namespace tarn::kafka
