// The Hub over the embedded broker: appends go straight to kafka::Broker (one batch per
// partition, acknowledged after the group-committed fsync, as a Kafka producer's acks=all),
// reads decode the stored batches. No loopback hop and no client library.
#pragma once

#include <memory>

#include "base/clock.h"
#include "hub/hub.h"

namespace tarn::kafka {
class Broker;
class GroupCoordinator;
}  // namespace tarn::kafka

namespace tarn::hub {

// Borrows the broker and the group coordinator, which must outlive it; the io_context's thread
// only. Without a coordinator (null), the offset calls fail with kFailedPrecondition.
class EmbeddedHub : public Hub {
 public:
  EmbeddedHub(kafka::Broker& broker, kafka::GroupCoordinator* groups, const Clock& clock)
      : broker_(broker), groups_(groups), clock_(clock) {}

  Awaitable<Result<int32_t>> PartitionCount(std::string topic) override;
  Awaitable<Result<int32_t>> EnsureTopic(std::string topic, TopicSpec spec) override;
  Awaitable<Result<std::vector<RecordPosition>>> Append(
      std::string topic, std::vector<OutgoingRecord> records) override;
  Awaitable<Result<std::vector<StoredRecord>>> Read(std::string topic,
                                                    std::map<int32_t, int64_t> from,
                                                    size_t max_records,
                                                    std::chrono::milliseconds max_wait) override;
  Awaitable<Result<std::vector<std::string>>> Topics() override;
  Awaitable<Result<std::map<int32_t, PartitionBounds>>> Bounds(std::string topic) override;
  Awaitable<Result<std::map<int32_t, int64_t>>> CommittedOffsets(std::string group,
                                                                  std::string topic) override;
  Awaitable<Status> CommitOffsets(std::string group, std::string topic,
                                  std::map<int32_t, int64_t> offsets) override;

 private:
  kafka::Broker& broker_;
  kafka::GroupCoordinator* groups_;
  const Clock& clock_;
  uint32_t next_keyless_partition_ = 0;
};

}  // namespace tarn::hub
