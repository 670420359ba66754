// The schema registry's log on the embedded broker: the compacted topic `_schemas`, one
// partition, written with Broker::Append and acknowledged after Broker::WaitDurable.
#pragma once

#include <memory>

#include "base/clock.h"
#include "contracts/schema_log.h"

namespace tarn::kafka {
class Broker;
struct Topic;
}  // namespace tarn::kafka

namespace tarn::contracts {

inline constexpr char kSchemasTopic[] = "_schemas";

// Borrows the broker, which must outlive it; the io_context's thread only.
class BrokerSchemaLog : public SchemaLog {
 public:
  // Finds `_schemas`, or creates it (one partition, cleanup.policy=compact). kFailedPrecondition
  // when a topic of that name exists with other than one partition.
  static Result<std::unique_ptr<BrokerSchemaLog>> Open(kafka::Broker& broker, const Clock& clock);

  Result<std::vector<SchemaLogRecord>> ReadAll() override;
  Awaitable<Status> Append(std::vector<SchemaLogRecord> records) override;

 private:
  BrokerSchemaLog(kafka::Broker& broker, const Clock& clock, std::shared_ptr<kafka::Topic> topic)
      : broker_(broker), clock_(clock), topic_(std::move(topic)) {}

  kafka::Broker& broker_;
  const Clock& clock_;
  std::shared_ptr<kafka::Topic> topic_;
};

}  // namespace tarn::contracts
