#include "contracts/hub_schema_log.h"

#include <chrono>

#include "hub/hub.h"
#include "net/asio.h"

namespace tarn::contracts {
namespace {

// Records per read while replaying.
constexpr size_t kReadBatch = 1000;

}  // namespace

Awaitable<Result<std::unique_ptr<HubSchemaLog>>> HubSchemaLog::Open(hub::Hub& hub) {
  hub::TopicSpec spec;
  spec.partitions = 1;
  spec.configs = {{"cleanup.policy", "compact"}};
  Result<int32_t> partitions =
      co_await hub.EnsureTopic(std::string(kSchemasTopic), std::move(spec));
  if (!partitions) co_return Error(partitions.error().WithContext(kSchemasTopic));
  if (*partitions != 1) {
    co_return Error(Status::FailedPrecondition(std::string("topic ") + kSchemasTopic +
                                               " must have exactly one partition, it has " +
                                               std::to_string(*partitions)));
  }
  co_return std::unique_ptr<HubSchemaLog>(new HubSchemaLog(hub));
}

Awaitable<Result<std::vector<SchemaLogRecord>>> HubSchemaLog::ReadAll() {
  Result<std::map<int32_t, hub::PartitionBounds>> bounds =
      co_await hub_.Bounds(std::string(kSchemasTopic));
  if (!bounds) co_return Error(bounds.error());
  auto partition = bounds->find(0);
  if (partition == bounds->end()) {
    co_return Error(
        Status::FailedPrecondition(std::string("topic ") + kSchemasTopic + " has no partition 0"));
  }
  std::vector<SchemaLogRecord> records;
  int64_t next = partition->second.log_start;
  const int64_t end = partition->second.high_watermark;
  while (next < end) {
    std::map<int32_t, int64_t> from = {{0, next}};
    Result<std::vector<hub::StoredRecord>> read = co_await hub_.Read(
        std::string(kSchemasTopic), std::move(from), kReadBatch, std::chrono::milliseconds(0));
    if (!read) co_return Error(read.error());
    // Compaction can leave the log's tail without records below the high watermark.
    if (read->empty()) break;
    for (hub::StoredRecord& record : *read) {
      next = record.offset + 1;
      if (record.offset >= end || !record.key) continue;
      records.push_back(SchemaLogRecord{std::move(*record.key), std::move(record.value)});
    }
  }
  co_return records;
}

Awaitable<Status> HubSchemaLog::Append(std::vector<SchemaLogRecord> records) {
  if (records.empty()) co_return Status::Ok();
  std::vector<hub::OutgoingRecord> outgoing;
  outgoing.reserve(records.size());
  for (SchemaLogRecord& record : records) {
    hub::OutgoingRecord out;
    out.key = std::move(record.key);
    out.value = std::move(record.value);
    outgoing.push_back(std::move(out));
  }
  Result<std::vector<hub::RecordPosition>> written =
      co_await hub_.Append(std::string(kSchemasTopic), std::move(outgoing));
  if (!written) co_return written.error().WithContext("appending to " + std::string(kSchemasTopic));
  co_return Status::Ok();
}

}  // namespace tarn::contracts
