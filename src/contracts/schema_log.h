// Where the schema registry keeps its state: an append-only log of key/value records, the
// compacted topic `_schemas`, replayed from the start when the registry opens. A seam with two
// implementations: any hub (hub_schema_log.h: the embedded broker or an external cluster) and,
// in tests, memory (memory_schema_log.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/asio_fwd.h"

namespace tarn::contracts {

// One record: a JSON key and a JSON value; no value is a tombstone (the key's earlier records
// may be compacted away). Formats: docs/contracts.md, "The _schemas topic".
struct SchemaLogRecord {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const SchemaLogRecord&) const = default;
};

// Used from the io_context's thread only.
class SchemaLog {
 public:
  virtual ~SchemaLog() = default;

  // Every record in the log, oldest first (it runs once, at start).
  virtual Awaitable<Result<std::vector<SchemaLogRecord>>> ReadAll() = 0;

  // Appends `records` in order, as one write where the log allows, and completes once they
  // are durable. An error means they may or may not be in the log.
  virtual Awaitable<Status> Append(std::vector<SchemaLogRecord> records) = 0;
};

}  // namespace tarn::contracts
