// librdkafka pieces shared by the Kafka backend and the HTTP backend's checks: configuration,
// topic set-up and counts, and the tailing consumer of a latency run.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/status.h"
#include "hub/backend.h"

namespace tarn::bench {

using KafkaHandle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

// Milliseconds left until `deadline_ns` (MonotonicNs), at least 0.
int64_t RemainingMs(int64_t deadline_ns);

// Builds a librdkafka configuration, naming the property that was refused.
class KafkaConfig {
 public:
  KafkaConfig() : conf_(rd_kafka_conf_new()) {}
  ~KafkaConfig();
  KafkaConfig(const KafkaConfig&) = delete;
  KafkaConfig& operator=(const KafkaConfig&) = delete;

  // Sets a property; the first refusal is kept and returned by Create.
  KafkaConfig& Set(const char* name, const std::string& value);
  rd_kafka_conf_t* conf() { return conf_; }
  // rd_kafka_new takes the configuration only when it succeeds.
  Result<KafkaHandle> Create(rd_kafka_type_t type);

 private:
  rd_kafka_conf_t* conf_;
  Status status_;
};

// Creates the topic with `partitions` partitions; a broker without CreateTopics (or that says it
// exists) is fine as long as the topic then shows up in metadata with a leader for every
// partition. kFailedPrecondition when it does not by `deadline_ns`.
Status EnsureTopic(rd_kafka_t* rk, const std::string& topic, int partitions, int64_t deadline_ns);
// The topic's partitions per the broker's metadata (1 if it does not say).
int PartitionCount(rd_kafka_t* rk, const std::string& topic);
// Records in the topic: the sum of high minus low watermarks, -1 if the broker did not say.
int64_t StoredCount(rd_kafka_t* rk, const std::string& topic, int partitions);

// The tailing consumer of a latency run: assigned (no group membership, no commits) at the end
// of every partition before the first send, polled by its own thread. Timestamps each record of
// ours (Payload::Parse) and counts the distinct ones; records with a sequence below
// `first_measured` are warm-up, counted but not timed.
class TailingConsumer {
 public:
  // `capacity`: sequence numbers run from 0 below it.
  static Result<std::unique_ptr<TailingConsumer>> Start(const std::string& bootstrap,
                                                        const std::string& topic, int fetch_wait_ms,
                                                        int partitions, int64_t capacity,
                                                        uint64_t first_measured);
  ~TailingConsumer() { Stop(); }

  // Asks the thread to stop once `expected` records were seen or at `deadline_ns`, and joins it.
  void Finish(int64_t expected, int64_t deadline_ns);
  // Fills consumed, duplicates, e2e and (if still empty) first_error. After Finish.
  void Report(RunResult& result) const;

 private:
  TailingConsumer(KafkaHandle rk, int64_t capacity, uint64_t first_measured)
      : rk_(std::move(rk)), tracker_(capacity), first_measured_(first_measured) {}
  void Stop();
  void Loop();

  KafkaHandle rk_;
  SequenceTracker tracker_;
  uint64_t first_measured_;
  LatencyHistogram e2e_;
  std::string first_error_;
  std::atomic<int64_t> expected_{-1};  // -1 until the producer knows how many were acked
  std::atomic<int64_t> deadline_ns_{0};
  std::thread thread_;
};

}  // namespace tarn::bench
