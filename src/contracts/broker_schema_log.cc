#include "contracts/broker_schema_log.h"

#include <spdlog/spdlog.h>

#include "kafka/broker.h"
#include "kafka/record_batch_builder.h"

namespace tarn::contracts {
namespace {

constexpr int32_t kReadChunkBytes = 1 << 20;
constexpr size_t kMaxDecompressedBytes = size_t{64} << 20;

std::string ToString(ByteView bytes) { return std::string(AsString(bytes)); }

}  // namespace

Result<std::unique_ptr<BrokerSchemaLog>> BrokerSchemaLog::Open(kafka::Broker& broker,
                                                               const Clock& clock) {
  std::shared_ptr<kafka::Topic> topic = broker.FindTopic(kSchemasTopic);
  if (!topic) {
    TARN_ASSIGN_OR_RETURN(topic,
                          broker.CreateTopic(kSchemasTopic, 1, {{"cleanup.policy", "compact"}}));
  }
  if (topic->partitions.size() != 1) {
    return Error(Status::FailedPrecondition(
        std::string("topic ") + kSchemasTopic + " must have exactly one partition, it has " +
        std::to_string(topic->partitions.size())));
  }
  if (topic->settings.effective.cleanup_policy.find("compact") == std::string::npos) {
    spdlog::warn("topic {} is not compacted (cleanup.policy={}): registry records may expire",
                 kSchemasTopic, topic->settings.effective.cleanup_policy);
  }
  return std::unique_ptr<BrokerSchemaLog>(new BrokerSchemaLog(broker, clock, std::move(topic)));
}

Result<std::vector<SchemaLogRecord>> BrokerSchemaLog::ReadAll() {
  kafka::Partition& partition = *topic_->partitions[0];
  std::vector<SchemaLogRecord> records;
  Offset next = partition.log->log_start_offset();
  const Offset end = broker_.HighWatermark(partition);
  while (next < end) {
    TARN_ASSIGN_OR_RETURN(Bytes bytes, broker_.Read(partition, next, kReadChunkBytes));
    if (bytes.empty()) break;
    TARN_ASSIGN_OR_RETURN(std::vector<kafka::DecodedBatch> batches,
                          kafka::DecodeBatches(bytes, kMaxDecompressedBytes));
    if (batches.empty()) break;
    for (const kafka::DecodedBatch& batch : batches) {
      for (const kafka::Record& record : batch.records()) {
        if (record.offset < next || !record.key) continue;
        std::optional<std::string> value;
        if (record.value) value = ToString(*record.value);
        records.push_back(SchemaLogRecord{ToString(*record.key), std::move(value)});
      }
      next = std::max(next, batch.header().last_offset() + 1);
    }
  }
  return records;
}

Awaitable<Status> BrokerSchemaLog::Append(std::vector<SchemaLogRecord> records) {
  if (records.empty()) co_return Status::Ok();
  kafka::RecordBatchBuilder builder;
  const int64_t now = clock_.NowMs();
  for (const SchemaLogRecord& record : records) {
    std::optional<ByteView> value;
    if (record.value) value = AsBytes(*record.value);
    builder.Add(AsBytes(record.key), value, now);
  }
  Result<Bytes> batch = builder.Build();
  if (!batch) co_return batch.error();
  kafka::Partition& partition = *topic_->partitions[0];
  kafka::AppendOutcome outcome = broker_.Append(topic_, partition, *batch);
  if (outcome.error != 0) {
    co_return Status::IoError("appending to " + std::string(kSchemasTopic) + " failed (Kafka error " +
                              std::to_string(outcome.error) + "): " + outcome.message);
  }
  co_return co_await broker_.WaitDurable(topic_, partition, outcome.last_offset + 1);
}

}  // namespace tarn::contracts
