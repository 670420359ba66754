#include "kafka/kafka_metrics.h"

namespace tarn::kafka {
namespace {

MetricsRegistry& Pick(MetricsRegistry* given, std::unique_ptr<MetricsRegistry>& owned) {
  if (given) return *given;
  owned = std::make_unique<MetricsRegistry>();
  return *owned;
}

}  // namespace

KafkaMetrics::KafkaMetrics(MetricsRegistry* registry)
    : registry_(Pick(registry, owned_)),
      bytes_in_(registry_.AddCounterFamily("tarn_topic_bytes_in_total",
                                           "Record batch bytes appended, per topic.", {"topic"})),
      records_in_(registry_.AddCounterFamily("tarn_topic_records_in_total",
                                             "Records appended, per topic.", {"topic"})),
      bytes_out_(registry_.AddCounterFamily("tarn_topic_bytes_out_total",
                                            "Record batch bytes sent to consumers, per topic.",
                                            {"topic"})),
      records_out_(registry_.AddCounterFamily("tarn_topic_records_out_total",
                                              "Records sent to consumers, per topic.", {"topic"})),
      records_refused_(registry_.AddCounterFamily(
          "tarn_topic_records_refused_total",
          "Produced records that failed the topic's tarn.validation check, per topic.",
          {"topic"})),
      request_seconds_(registry_.AddHistogramFamily(
          "tarn_kafka_request_seconds", "Kafka request handling time, per API.", {"api"})),
      fsyncs_(&registry_.AddCounter("tarn_log_fsyncs_total",
                                    "fdatasync calls made to make appended data durable.")),
      sync_round_seconds_(&registry_.AddHistogram(
          "tarn_log_sync_round_seconds",
          "Time of one group commit: every file appended to since the last one, fdatasync'd.")) {
  cleaner_.passes = &registry_.AddCounter(
      "tarn_log_cleaner_passes_total", "Log compaction passes swapped into a partition's log.");
  cleaner_.abandoned = &registry_.AddCounter(
      "tarn_log_cleaner_abandoned_total",
      "Log compaction passes dropped: their segments changed meanwhile, or the pass failed.");
  cleaner_.bytes_read = &registry_.AddCounter(
      "tarn_log_cleaner_bytes_read_total", "Bytes of log segments compacted.");
  cleaner_.bytes_written = &registry_.AddCounter(
      "tarn_log_cleaner_bytes_written_total", "Bytes of the compacted segments that replaced them.");
  cleaner_.records_removed = &registry_.AddCounter(
      "tarn_log_cleaner_records_removed_total",
      "Records removed by log compaction: superseded values and expired tombstones.");
  for (const ApiSupport& api : SupportedApis()) {
    auto index = static_cast<size_t>(api.key);
    if (index < by_key_.size()) {
      by_key_[index] = request_seconds_.With({std::string(ApiName(api.key))});
    }
  }
}

TopicMetrics KafkaMetrics::ForTopic(const std::string& topic) {
  return {bytes_in_.With({topic}), records_in_.With({topic}), bytes_out_.With({topic}),
          records_out_.With({topic}), records_refused_.With({topic})};
}

void KafkaMetrics::RemoveTopic(const std::string& topic) {
  for (CounterFamily* f :
       {&bytes_in_, &records_in_, &bytes_out_, &records_out_, &records_refused_}) {
    f->Remove({topic});
  }
}

void KafkaMetrics::ObserveRequest(ApiKey key, std::chrono::nanoseconds elapsed) {
  auto index = static_cast<size_t>(key);
  if (index < by_key_.size() && by_key_[index]) by_key_[index]->Observe(elapsed);
}

}  // namespace tarn::kafka
