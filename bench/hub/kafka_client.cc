#include "hub/kafka_client.h"

#include <unistd.h>

#include <algorithm>

#include "hub/payload.h"

namespace tarn::bench {
namespace {

using TopicPartitions = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                        decltype(&rd_kafka_topic_partition_list_destroy)>;

}  // namespace

int64_t RemainingMs(int64_t deadline_ns) {
  return std::max<int64_t>(0, (deadline_ns - MonotonicNs()) / 1'000'000);
}

KafkaConfig::~KafkaConfig() {
  if (conf_ != nullptr) rd_kafka_conf_destroy(conf_);
}

KafkaConfig& KafkaConfig::Set(const char* name, const std::string& value) {
  char error[256];
  if (status_.ok() &&
      rd_kafka_conf_set(conf_, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    status_ =
        Status::InvalidArgument(std::string("librdkafka ") + name + "=" + value + ": " + error);
  }
  return *this;
}

Result<KafkaHandle> KafkaConfig::Create(rd_kafka_type_t type) {
  TARN_TRY(status_);
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf_, error, sizeof error);
  if (rk == nullptr) return Error(Status::InvalidArgument(std::string("rd_kafka_new: ") + error));
  conf_ = nullptr;
  return KafkaHandle(rk, &rd_kafka_destroy);
}

Status EnsureTopic(rd_kafka_t* rk, const std::string& topic, int partitions, int64_t deadline_ns) {
  char error[256];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof error);
  if (new_topic == nullptr)
    return Status::InvalidArgument(std::string("topic ") + topic + ": " + error);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, nullptr, queue);
  std::string create_error;
  if (rd_kafka_event_t* event =
          rd_kafka_queue_poll(queue, static_cast<int>(RemainingMs(deadline_ns)))) {
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      create_error = rd_kafka_event_error_string(event);
    } else if (const rd_kafka_CreateTopics_result_t* result =
                   rd_kafka_event_CreateTopics_result(event)) {
      size_t count = 0;
      const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &count);
      for (size_t i = 0; i < count; ++i) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          create_error = rd_kafka_err2str(err);
        }
      }
    }
    rd_kafka_event_destroy(event);
  } else {
    create_error = "no answer to CreateTopics";
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);

  // Wait for a leader for every partition (auto-creation happens on this metadata request).
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  Status status =
      Status::FailedPrecondition("topic " + topic + " has no leader" +
                                 (create_error.empty() ? "" : "; CreateTopics: " + create_error));
  while (MonotonicNs() < deadline_ns) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool ready = metadata->topic_cnt == 1 &&
                   metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                   metadata->topics[0].partition_cnt > 0;
      for (int p = 0; ready && p < metadata->topics[0].partition_cnt; ++p) {
        ready = metadata->topics[0].partitions[p].leader >= 0;
      }
      rd_kafka_metadata_destroy(metadata);
      if (ready) {
        status = Status::Ok();
        break;
      }
    }
    SleepUntilNs(MonotonicNs() + 100'000'000);
  }
  rd_kafka_topic_destroy(rkt);
  return status;
}

int64_t StoredCount(rd_kafka_t* rk, const std::string& topic, int partitions) {
  int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 5000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return -1;
    }
    total += high - low;
  }
  return total;
}

int PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  int count = 1;
  if (rd_kafka_metadata(rk, 0, rkt, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata->topic_cnt == 1 && metadata->topics[0].partition_cnt > 0) {
      count = metadata->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(rkt);
  return count;
}

Result<std::unique_ptr<TailingConsumer>> TailingConsumer::Start(const std::string& bootstrap,
                                                                const std::string& topic,
                                                                int fetch_wait_ms, int partitions,
                                                                int64_t capacity,
                                                                uint64_t first_measured) {
  KafkaConfig config;
  config.Set("bootstrap.servers", bootstrap)
      .Set("client.id", "tarn-hub-bench-consumer")
      .Set("group.id", "tarn-hub-bench-" + std::to_string(getpid()))
      .Set("enable.auto.commit", "false")
      .Set("enable.auto.offset.store", "false")
      .Set("enable.partition.eof", "false")
      .Set("fetch.wait.max.ms", std::to_string(fetch_wait_ms))
      .Set("fetch.min.bytes", "1")
      .Set("fetch.error.backoff.ms", "10");
  TARN_ASSIGN_OR_RETURN(KafkaHandle rk, config.Create(RD_KAFKA_CONSUMER));
  rd_kafka_poll_set_consumer(rk.get());

  TopicPartitions assignment(rd_kafka_topic_partition_list_new(partitions),
                             &rd_kafka_topic_partition_list_destroy);
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, 5000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error(Status::Unavailable(std::string("consumer: watermarks of ") + topic + ": " +
                                       rd_kafka_err2str(err)));
    }
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset = high;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), assignment.get()); err) {
    return Error(Status::Unavailable(std::string("consumer: assign: ") + rd_kafka_err2str(err)));
  }
  auto consumer = std::unique_ptr<TailingConsumer>(
      new TailingConsumer(std::move(rk), capacity, first_measured));
  consumer->thread_ = std::thread([c = consumer.get()] { c->Loop(); });
  return consumer;
}

void TailingConsumer::Finish(int64_t expected, int64_t deadline_ns) {
  expected_.store(expected);
  deadline_ns_.store(deadline_ns);
  Stop();
}

void TailingConsumer::Report(RunResult& result) const {
  result.consumed = tracker_.distinct();
  result.duplicates = tracker_.duplicates();
  result.e2e = e2e_;
  if (result.first_error.empty()) result.first_error = first_error_;
}

void TailingConsumer::Stop() {
  if (thread_.joinable()) thread_.join();
  if (rk_) rd_kafka_consumer_close(rk_.get());
}

void TailingConsumer::Loop() {
  while (true) {
    int64_t expected = expected_.load();
    if (expected >= 0 &&
        (tracker_.distinct() >= expected || MonotonicNs() >= deadline_ns_.load())) {
      return;
    }
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_.get(), 50);
    if (msg == nullptr) continue;
    int64_t now = MonotonicNs();
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (auto header = Payload::Parse(msg->payload, msg->len)) {
        if (tracker_.Observe(header->sequence) && header->sequence >= first_measured_) {
          e2e_.Record(now - header->scheduled_ns);
        }
      }
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && first_error_.empty()) {
      first_error_ = std::string("consume: ") + rd_kafka_message_errstr(msg);
    }
    rd_kafka_message_destroy(msg);
  }
}

}  // namespace tarn::bench
