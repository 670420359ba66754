// The broker's state: topics, their partitions and logs, idempotent-producer state, and the
// durability pipeline (appends are synced by one sync job at a time; everything appended while
// a job runs joins the next one, so concurrent producers share each fdatasync).
//
// Visibility: consumers see a partition up to its high watermark, which is the offset below
// which everything is on disk (or, with a flush interval, everything appended).
//
// Owned by the app; lives on the io_context's thread, which is the only thread that may call
// it. Topics are held by shared_ptr so a request that suspends keeps its topic alive even if the
// topic is deleted meanwhile.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/api_keys.h"
#include "kafka/kafka_metrics.h"
#include "kafka/producer_state.h"
#include "kafka/record_batch.h"
#include "kafka/topic_config.h"
#include "log/partition_log.h"
#include "net/asio_fwd.h"

namespace tarn {
class MetricsRegistry;
}

namespace tarn::log {
class SyncThread;
}

namespace tarn::net {
class Signal;
}

namespace tarn::kafka {

class LogCleaner;

struct BrokerOptions {
  std::filesystem::path data_dir = "./tarn-data";
  int32_t node_id = 0;
  std::string advertised_host = "127.0.0.1";
  int32_t advertised_port = 9092;
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  // 0: every acknowledged write (acks 1 or all) is fdatasync'd before the ack.
  // > 0: acks come from the page cache and a timer syncs every this many milliseconds.
  int64_t flush_interval_ms = 0;
  // How often retention runs over every partition.
  int64_t retention_check_interval_ms = 60'000;
  // How often the log cleaner looks for a compacted partition to clean (Kafka's
  // log.cleaner.backoff.ms).
  int64_t log_cleaner_interval_ms = 15'000;
  TopicConfig topic_defaults;
};

struct Partition {
  int32_t id = 0;
  std::unique_ptr<log::PartitionLog> log;
  ProducerStateTable producers;
  Status failure;  // a failed sync takes the partition offline until restart
  bool dirty = false;
  // Log cleaning (kafka/log_cleaner.h): the log is clean below this offset, and its last pass
  // kept a tombstone that may go at this time.
  Offset cleaned_offset{0};
  int64_t tombstone_expiry_ms = std::numeric_limits<int64_t>::max();
};

struct Topic {
  // The partition with this index, or null when the topic has no such partition.
  Partition* FindPartition(PartitionId id) const {
    int32_t i = id.value();
    return i >= 0 && i < static_cast<int32_t>(partitions.size()) ? partitions[i].get() : nullptr;
  }

  std::string name;
  std::filesystem::path dir;
  TopicSettings settings;
  std::vector<std::unique_ptr<Partition>> partitions;
  TopicMetrics metrics;
  bool deleted = false;
};

// Checks one record bound for a topic whose tarn.validation is on. A non-OK Status refuses the
// record's whole batch; its message says what is wrong with the record. The broker knows
// nothing of what is checked: `tarn serve` binds the event contracts here. Called on the
// broker's thread, synchronously, before anything of the batch is written.
using RecordValidator = std::function<Status(std::string_view topic, const Record& record)>;

// A record that failed the RecordValidator: its index in the batch and why.
struct RecordError {
  int32_t batch_index = 0;
  std::string message;
  bool operator==(const RecordError&) const = default;
};

// What an append produced. `error` is a Kafka error code (0 for success).
struct AppendOutcome {
  int16_t error = 0;
  std::string message;
  // INVALID_RECORD from the RecordValidator: the failing records in batch order (the first
  // 100; checking stops there).
  std::vector<RecordError> record_errors;
  Offset base_offset{-1};
  Offset last_offset{-1};
  int64_t log_append_time = -1;
  bool duplicate = false;
};

class Broker {
 public:
  // Opens the data directory, creating it on first use, and loads every topic (recovering
  // each partition's log). Errors name the topic or file that failed.
  static Result<std::unique_ptr<Broker>> Open(IoContext& io, BrokerOptions options,
                                              const Clock& clock, MetricsRegistry* metrics);
  ~Broker();

  const BrokerOptions& options() const { return options_; }
  const std::string& cluster_id() const { return cluster_id_; }

  // Topics. Names follow Kafka's rules ([a-zA-Z0-9._-], at most 249 characters, not . or ..).
  // kAlreadyExists, kInvalidArgument (name, partition count, config) as errors.
  Result<std::shared_ptr<Topic>> CreateTopic(const std::string& name, int32_t partitions,
                                             const std::map<std::string, std::string>& configs,
                                             bool validate_only = false);
  Status DeleteTopic(const std::string& name);
  std::shared_ptr<Topic> FindTopic(const std::string& name) const;
  // The topic, created with the default partition count when auto-creation is on.
  Result<std::shared_ptr<Topic>> FindOrCreateTopic(const std::string& name);
  std::vector<std::shared_ptr<Topic>> Topics() const;
  static Status ValidateTopicName(std::string_view name);

  // Appends one produced batch (already validated by the protocol layer) to a partition. The
  // write is in the page cache when this returns; WaitDurable waits for the disk. On a topic
  // with tarn.validation, a new batch (not an idempotent producer's retry) is first checked by
  // the RecordValidator, record by record; if any fails, nothing is written, the producer's
  // sequence does not move, and the outcome is INVALID_RECORD with the failing records.
  AppendOutcome Append(const std::shared_ptr<Topic>& topic, Partition& partition,
                       MutableByteView batch);
  // The check for topics with tarn.validation; without one (the default) they take any record.
  void SetRecordValidator(RecordValidator validator) { validator_ = std::move(validator); }
  // Waits until everything below `end` in the partition is durable (or, with a flush
  // interval, returns at once). kIoError when the partition's sync failed.
  Awaitable<Status> WaitDurable(std::shared_ptr<Topic> topic, Partition& partition, Offset end);

  // Whole batches from the one containing `from`, up to the high watermark and about max_bytes
  // (always at least one batch when there is data). kOutOfRange outside [log start, HWM].
  Result<Bytes> Read(Partition& partition, Offset from, int32_t max_bytes) const;
  Offset HighWatermark(const Partition& partition) const;
  // Suspends until a high watermark moves or the deadline passes.
  Awaitable<void> WaitForData(std::chrono::steady_clock::time_point deadline);
  // The first offset whose record timestamp is >= ts, with that timestamp; nullopt if none.
  Result<std::optional<TimestampedOffset>> OffsetForTimestamp(Partition& partition,
                                                             int64_t ts) const;

  // A producer id never handed out before, even across restarts.
  Result<int64_t> AllocateProducerId();

  // Syncs and closes every log; writes producer-state snapshots. The broker is unusable after.
  Status Close();

  uint64_t fsync_count() const;

  // Metrics the protocol layer reports through the broker.
  void ObserveRequest(ApiKey key, std::chrono::nanoseconds elapsed) {
    metrics_.ObserveRequest(key, elapsed);
  }
  // Counts record batches sent to a consumer (`batches` is what Read returned).
  static void CountFetched(const Topic& topic, ByteView batches);

 private:
  Broker(IoContext& io, BrokerOptions options, const Clock& clock, MetricsRegistry* metrics);
  Status LoadMeta();
  Status LoadTopics();
  Result<std::shared_ptr<Topic>> LoadTopic(const std::filesystem::path& dir);
  Result<std::unique_ptr<Partition>> OpenPartition(const Topic& topic, int32_t id);
  void MarkDirty(const std::shared_ptr<Topic>& topic, Partition& partition);
  void StartSyncRound();
  void StartPeriodicTasks();
  void ApplyRetention();
  Status SaveProducerSnapshot(const Topic& topic, Partition& partition);
  // Runs the RecordValidator over every record of `batch`; nullopt when all pass.
  std::optional<AppendOutcome> CheckRecords(const Topic& topic, ByteView batch) const;

  IoContext& io_;
  BrokerOptions options_;
  const Clock& clock_;
  KafkaMetrics metrics_;
  uint64_t fsyncs_reported_ = 0;
  std::string cluster_id_;
  int64_t next_producer_id_ = 0;
  int64_t producer_id_limit_ = 0;  // persisted: ids below it may have been handed out
  std::map<std::string, std::shared_ptr<Topic>> topics_;
  RecordValidator validator_;
  std::vector<std::pair<std::shared_ptr<Topic>, Partition*>> dirty_;
  bool sync_in_flight_ = false;
  bool closed_ = false;
  std::unique_ptr<log::SyncThread> sync_thread_;
  std::unique_ptr<net::Signal> durable_advanced_;
  std::unique_ptr<net::Signal> data_arrived_;
  struct Timers;
  std::unique_ptr<Timers> timers_;
  std::shared_ptr<std::function<void()>> flush_tick_;
  std::shared_ptr<std::function<void()>> retention_tick_;
  std::unique_ptr<LogCleaner> cleaner_;
  std::shared_ptr<std::function<void()>> cleaner_tick_;
  std::shared_ptr<bool> alive_;  // lets callbacks from the sync thread know the broker is gone
};

}  // namespace tarn::kafka
