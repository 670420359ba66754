// The hub's metrics: traffic per topic, request latency per API, fsyncs. Registered once in the
// app's MetricsRegistry; children are looked up when a topic opens and kept, so the data path
// only bumps atomics.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "kafka/api_keys.h"

namespace tarn::kafka {

struct TopicMetrics {
  std::shared_ptr<Counter> bytes_in;
  std::shared_ptr<Counter> records_in;
  std::shared_ptr<Counter> bytes_out;
  std::shared_ptr<Counter> records_out;
  std::shared_ptr<Counter> records_refused;  // failed the topic's tarn.validation check
};

// Where the log cleaner reports (kafka/log_cleaner.h).
struct CleanerMetrics {
  Counter* passes = nullptr;         // passes swapped in
  Counter* abandoned = nullptr;      // passes dropped: the segments changed, or the pass failed
  Counter* bytes_read = nullptr;     // size of the segments cleaned
  Counter* bytes_written = nullptr;  // size of the segments that replaced them
  Counter* records_removed = nullptr;
};

// Thread-safe (it only touches the registry and atomics).
class KafkaMetrics {
 public:
  // With a null registry the metrics go to a private one (tests).
  explicit KafkaMetrics(MetricsRegistry* registry);

  TopicMetrics ForTopic(const std::string& topic);
  void RemoveTopic(const std::string& topic);
  void ObserveRequest(ApiKey key, std::chrono::nanoseconds elapsed);
  Counter& fsyncs() { return *fsyncs_; }
  // One group-commit round: from handing its files to the sync thread until they are synced.
  Histogram& sync_round_seconds() { return *sync_round_seconds_; }
  CleanerMetrics cleaner() const { return cleaner_; }

 private:
  std::unique_ptr<MetricsRegistry> owned_;
  MetricsRegistry& registry_;
  CounterFamily& bytes_in_;
  CounterFamily& records_in_;
  CounterFamily& bytes_out_;
  CounterFamily& records_out_;
  CounterFamily& records_refused_;
  HistogramFamily& request_seconds_;
  std::array<std::shared_ptr<Histogram>, 128> by_key_;  // indexed by API key
  Counter* fsyncs_;
  Histogram* sync_round_seconds_;
  CleanerMetrics cleaner_;
};

}  // namespace tarn::kafka
