// The schema registry's log on a hub: the compacted topic `_schemas`, one partition, appended to
// with Hub::Append (durable when it completes) and read back from its log start. The same code
// serves the embedded broker and an external cluster.
#pragma once

#include <memory>

#include "contracts/schema_log.h"

namespace tarn::hub {
class Hub;
}  // namespace tarn::hub

namespace tarn::contracts {

inline constexpr char kSchemasTopic[] = "_schemas";

// Borrows the hub, which must outlive it; the io_context's thread only.
class HubSchemaLog : public SchemaLog {
 public:
  // Finds `_schemas`, or creates it (one partition, cleanup.policy=compact). kFailedPrecondition
  // when a topic of that name exists with other than one partition; the hub's errors else (an
  // unreachable cluster is kUnavailable or kTimeout).
  static Awaitable<Result<std::unique_ptr<HubSchemaLog>>> Open(hub::Hub& hub);

  Awaitable<Result<std::vector<SchemaLogRecord>>> ReadAll() override;
  Awaitable<Status> Append(std::vector<SchemaLogRecord> records) override;

 private:
  explicit HubSchemaLog(hub::Hub& hub) : hub_(hub) {}

  hub::Hub& hub_;
};

}  // namespace tarn::contracts
