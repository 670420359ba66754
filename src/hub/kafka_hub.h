// The Hub over an external Kafka-compatible cluster, through librdkafka: one idempotent producer
// (acks=all) for every append, and consumers with manual assignment (no group membership, no
// commits) for reads, kept between calls so that a reader polling in a loop reuses one.
//
// Nothing here blocks the io_context's thread. Appends are handed to librdkafka without waiting
// and complete on its delivery reports; librdkafka wakes the io_context when a queue has
// something (a delivery report, a fetched record). The calls that do block (metadata, the
// admin API, watermark queries, assigning, closing a consumer) run on a small pool of worker
// threads, and the coroutine resumes on the io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hub/hub.h"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace tarn::hub {

struct KafkaHubOptions {
  std::string brokers;  // comma-separated HOST:PORT list (bootstrap.servers)
  // How long a call waits for the cluster: a metadata or admin request, a watermark query, a
  // delivery (message.timeout.ms), a record known to be there but not fetched yet.
  std::chrono::milliseconds timeout{10000};
  std::string client_id = "tarn";
  // The largest record the producer sends (librdkafka's message.max.bytes; it refuses larger
  // ones itself, as kInvalidArgument). The cluster's topic limits may be lower.
  int32_t max_record_bytes = 1'000'000;
  // How long a topic's partition count is trusted before metadata is asked again.
  std::chrono::milliseconds metadata_max_age{30000};
  size_t max_idle_readers = 8;                           // consumers kept for reuse, all topics
  std::chrono::milliseconds reader_idle_timeout{60000};  // a reader unused this long is closed
  int worker_threads = 2;                                // threads for the blocking calls
};

// Owned by the app (or by whatever uses the cluster, such as a bridge to another hub); used from
// the io_context's thread only (the Hub contract). Destroy it when none of its calls is in
// flight (or once the io_context no longer runs): it waits for its worker threads and closes
// every librdkafka handle, which may take up to `timeout`.
//
// Differences from the embedded hub, which Kafka clients share: the records of one partition are
// produced together and in order (the idempotent producer keeps the order), but a call larger
// than the producer's batch.size is sent as several batches, so a failure can leave a prefix
// written. A keyless call's partition is chosen round-robin across calls, as the embedded hub
// does. The broker's reason for a refused record is not carried by librdkafka's Produce version:
// the message names the record, the partition and librdkafka's text for the error code.
class KafkaHub : public Hub {
 public:
  // A hub over `options.brokers`. Connects lazily: an unreachable cluster shows as kTimeout or
  // kUnavailable from the first call. InvalidArgument for a malformed broker list or an option
  // librdkafka refuses.
  static Result<std::unique_ptr<KafkaHub>> Create(IoContext& io, KafkaHubOptions options);
  ~KafkaHub() override;
  KafkaHub(const KafkaHub&) = delete;
  KafkaHub& operator=(const KafkaHub&) = delete;

  // From metadata, cached for `metadata_max_age`.
  Awaitable<Result<int32_t>> PartitionCount(std::string topic) override;
  // CreateTopics (replication factor: the cluster's default); an existing topic is fine.
  Awaitable<Result<int32_t>> EnsureTopic(std::string topic, TopicSpec spec) override;
  Awaitable<Result<std::vector<RecordPosition>>> Append(
      std::string topic, std::vector<OutgoingRecord> records) override;
  // When a position is known to have a record (the partition's end is past it), waits up to
  // `timeout` for it even when `max_wait` is shorter: a fetch takes a round trip.
  Awaitable<Result<std::vector<StoredRecord>>> Read(std::string topic,
                                                    std::map<int32_t, int64_t> from,
                                                    size_t max_records,
                                                    std::chrono::milliseconds max_wait) override;
  // One watermark query per partition.
  Awaitable<Result<std::vector<std::string>>> Topics() override;
  Awaitable<Result<std::map<int32_t, PartitionBounds>>> Bounds(std::string topic) override;
  // The admin API: OffsetFetch, and OffsetCommit outside any generation (as
  // AlterConsumerGroupOffsets does), which the cluster refuses while the group has members.
  Awaitable<Result<std::map<int32_t, int64_t>>> CommittedOffsets(std::string group,
                                                                 std::string topic) override;
  Awaitable<Status> CommitOffsets(std::string group, std::string topic,
                                  std::map<int32_t, int64_t> offsets) override;

 private:
  class Producer;  // the producer handle, its delivery reports and the appends awaiting them
  struct Reader;   // a consumer, where it is assigned, and its wake-up
  struct IdleSweep;
  struct CachedCount {
    int32_t partitions = 0;
    std::chrono::steady_clock::time_point expires;
  };

  KafkaHub(IoContext& io, KafkaHubOptions options);

  Result<std::unique_ptr<Reader>> TakeReader(const std::string& topic,
                                             const std::map<int32_t, int64_t>& from);
  void ReturnReader(std::unique_ptr<Reader> reader);
  void CloseReader(std::unique_ptr<Reader> reader);
  void ArmIdleSweep();
  void CloseIdleReaders(bool all);
  Awaitable<Result<std::vector<StoredRecord>>> ReadFrom(Reader& reader,
                                                        std::map<int32_t, int64_t> from,
                                                        size_t max_records,
                                                        std::chrono::milliseconds max_wait);

  IoContext& io_;
  KafkaHubOptions options_;
  std::unique_ptr<boost::asio::thread_pool> workers_;
  std::shared_ptr<Producer> producer_;
  std::map<std::string, CachedCount> partition_counts_;
  std::vector<std::unique_ptr<Reader>> idle_readers_;  // the least recently used first
  std::shared_ptr<IdleSweep> idle_sweep_;
  uint32_t next_keyless_partition_ = 0;
};

}  // namespace tarn::hub
