// The Kafka-protocol backend, for Tarn: librdkafka's C API, acks=all and idempotence on.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "hub/backend.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

using Handle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;
using TopicPartitions = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                        decltype(&rd_kafka_topic_partition_list_destroy)>;

std::string Bootstrap(const RunSpec& spec) { return spec.host + ":" + std::to_string(spec.port); }

int64_t RemainingMs(int64_t deadline_ns) {
  return std::max<int64_t>(0, (deadline_ns - MonotonicNs()) / 1'000'000);
}

// Shared by the delivery-report callback and the thread that waits for acks. The callback runs
// inside rd_kafka_poll() on whichever thread polls; `mu` covers the histogram and the window.
struct DeliveryState {
  std::mutex mu;
  LatencyHistogram ack;
  AckWindow window{0, 0};
  uint64_t first_measured = 0;  // acks of earlier sequence numbers are warm-up
  std::string first_error;
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* state = static_cast<DeliveryState*>(opaque);
  int64_t now = MonotonicNs();
  std::lock_guard lock(state->mu);
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (state->first_error.empty()) state->first_error = rd_kafka_err2str(msg->err);
    state->failed.fetch_add(1, std::memory_order_release);
    return;
  }
  auto header = Payload::Parse(msg->payload, msg->len);
  if (header && header->sequence >= state->first_measured) {
    state->ack.Record(now - header->scheduled_ns);
  }
  state->window.OnAck(now);
  state->acked.fetch_add(1, std::memory_order_release);
}

// Builds a configuration, naming the property that was refused.
class Config {
 public:
  Config() : conf_(rd_kafka_conf_new()) {}
  ~Config() {
    if (conf_ != nullptr) rd_kafka_conf_destroy(conf_);
  }
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  Config& Set(const char* name, const std::string& value) {
    char error[256];
    if (status_.ok() &&
        rd_kafka_conf_set(conf_, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      status_ =
          Status::InvalidArgument(std::string("librdkafka ") + name + "=" + value + ": " + error);
    }
    return *this;
  }
  rd_kafka_conf_t* conf() { return conf_; }

  // rd_kafka_new takes the configuration only when it succeeds.
  Result<Handle> Create(rd_kafka_type_t type) {
    TARN_TRY(status_);
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf_, error, sizeof error);
    if (rk == nullptr) return Error(Status::InvalidArgument(std::string("rd_kafka_new: ") + error));
    conf_ = nullptr;
    return Handle(rk, &rd_kafka_destroy);
  }

 private:
  rd_kafka_conf_t* conf_;
  Status status_;
};

Result<Handle> MakeProducer(const RunSpec& spec, int linger_ms, DeliveryState* state) {
  Config config;
  config.Set("bootstrap.servers", Bootstrap(spec))
      .Set("client.id", "tarn-hub-bench")
      .Set("acks", "all")
      .Set("enable.idempotence", "true")
      .Set("max.in.flight.requests.per.connection", "5")
      .Set("linger.ms", std::to_string(linger_ms))
      .Set("batch.size", std::to_string(spec.batch_bytes))
      .Set("batch.num.messages", "1000000")
      .Set("compression.type", "none")
      .Set("queue.buffering.max.messages", std::to_string(std::max(spec.in_flight * 2, 100'000)))
      .Set("queue.buffering.max.kbytes", "2097151")
      .Set("message.timeout.ms",
           std::to_string(std::max<int64_t>(10'000, spec.max_wall.count() / 1'000'000)));
  rd_kafka_conf_set_dr_msg_cb(config.conf(), &OnDelivery);
  rd_kafka_conf_set_opaque(config.conf(), state);
  return config.Create(RD_KAFKA_PRODUCER);
}

// Creates the topic with one partition; a broker without CreateTopics (or that says it exists)
// is fine as long as the topic then shows up in metadata, e.g. by auto-creation.
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

// Records in the topic: the sum of high minus low watermarks, -1 if the broker did not say.
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

// Produces one record; on a full local queue, serves delivery reports until there is room.
Status Produce(rd_kafka_t* rk, const std::string& topic, std::span<const char> record,
               int64_t deadline_ns) {
  while (true) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(record.data()), record.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Status::Unavailable(std::string("produce: ") + rd_kafka_err2str(err));
    }
    if (MonotonicNs() >= deadline_ns) return Status::Timeout("produce: local queue stayed full");
    rd_kafka_poll(rk, 1);
  }
}

class KafkaBackend : public Backend {
 public:
  std::string_view Name() const override { return "kafka"; }

  Status Prepare(const RunSpec& spec) override {
    int64_t deadline = MonotonicNs() + std::min<int64_t>(spec.max_wall.count(), 30'000'000'000);
    DeliveryState unused;
    TARN_ASSIGN_OR_RETURN(Handle producer, MakeProducer(spec, spec.linger_ms, &unused));
    return EnsureTopic(producer.get(), spec.topic, 1, deadline);
  }

  Result<RunResult> RunThroughput(const RunSpec& spec) override {
    int64_t start = MonotonicNs();
    int64_t deadline = start + spec.max_wall.count();
    DeliveryState state;
    state.window = AckWindow(spec.warmup_records, spec.records);
    TARN_ASSIGN_OR_RETURN(Handle producer, MakeProducer(spec, spec.linger_ms, &state));
    rd_kafka_t* rk = producer.get();
    Payload payload(spec.record_bytes);
    RunResult result;
    {
      std::lock_guard lock(state.mu);
      state.window.Start(MonotonicNs());
    }
    Status status;
    // The load generator shares the machine with the broker, so it hands librdkafka records
    // kBatch at a time (rd_kafka_produce_batch: one queue operation per batch, each record
    // still copied and delivered on its own) and serves delivery reports once per batch.
    // Records of one batch share their send time, the moment they were handed over.
    constexpr int64_t kBatch = 64;
    std::vector<Payload> payloads(kBatch, payload);
    std::vector<rd_kafka_message_t> messages(kBatch);
    std::unique_ptr<rd_kafka_topic_t, void (*)(rd_kafka_topic_t*)> topic(
        rd_kafka_topic_new(rk, spec.topic.c_str(), nullptr), &rd_kafka_topic_destroy);
    for (int64_t i = 0; i < spec.records && status.ok();) {
      // Bound what is in flight: serve delivery reports until a slot frees up.
      auto unacked = [&] {
        return i - state.acked.load(std::memory_order_acquire) -
               state.failed.load(std::memory_order_acquire);
      };
      while (unacked() >= spec.in_flight && MonotonicNs() < deadline) rd_kafka_poll(rk, 1);
      const int64_t now = MonotonicNs();
      if (now >= deadline) {
        result.timed_out = true;
        break;
      }
      const int64_t n = std::min({kBatch, spec.records - i, spec.in_flight - unacked()});
      for (int64_t k = 0; k < n; ++k) {
        std::span<const char> record = payloads[k].Stamp(i + k, now);
        messages[k] = rd_kafka_message_t{};
        messages[k].payload = const_cast<char*>(record.data());
        messages[k].len = record.size();
      }
      const int accepted = rd_kafka_produce_batch(topic.get(), RD_KAFKA_PARTITION_UA,
                                                  RD_KAFKA_MSG_F_COPY, messages.data(),
                                                  static_cast<int>(n));
      result.sent += accepted;
      if (accepted < n) {
        for (int64_t k = 0; k < n; ++k) {
          if (messages[k].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            status = Status::Unavailable(std::string("produce: ") + rd_kafka_err2str(messages[k].err));
            break;
          }
        }
      }
      i += n;
      rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, static_cast<int>(RemainingMs(deadline)));
    if (rd_kafka_outq_len(rk) > 0) result.timed_out = true;
    {
      std::lock_guard lock(state.mu);
      result.acked = state.acked.load();
      result.failed = result.sent - result.acked;  // refused, or never answered
      result.first_error = !status.ok() ? status.ToString() : state.first_error;
      result.ack = state.ack;
      state.window.Report(result);
    }
    result.stored = StoredCount(rk, spec.topic, PartitionCount(rk, spec.topic));
    return result;
  }

  Result<RunResult> RunLatency(const RunSpec& spec) override;
};

// The tailing consumer of a latency run: assigned (no group membership, no commits) at the end
// of every partition before the first send, polled by its own thread.
class TailingConsumer {
 public:
  static Result<std::unique_ptr<TailingConsumer>> Start(const RunSpec& spec, int partitions,
                                                        const SendSchedule& schedule) {
    Config config;
    config.Set("bootstrap.servers", Bootstrap(spec))
        .Set("client.id", "tarn-hub-bench-consumer")
        .Set("group.id", "tarn-hub-bench-" + std::to_string(getpid()))
        .Set("enable.auto.commit", "false")
        .Set("enable.auto.offset.store", "false")
        .Set("enable.partition.eof", "false")
        .Set("fetch.wait.max.ms", std::to_string(spec.fetch_wait_ms))
        .Set("fetch.min.bytes", "1")
        .Set("fetch.error.backoff.ms", "10");
    TARN_ASSIGN_OR_RETURN(Handle rk, config.Create(RD_KAFKA_CONSUMER));
    rd_kafka_poll_set_consumer(rk.get());

    TopicPartitions assignment(rd_kafka_topic_partition_list_new(partitions),
                               &rd_kafka_topic_partition_list_destroy);
    for (int p = 0; p < partitions; ++p) {
      int64_t low = 0, high = 0;
      rd_kafka_resp_err_t err =
          rd_kafka_query_watermark_offsets(rk.get(), spec.topic.c_str(), p, &low, &high, 5000);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Error(Status::Unavailable(std::string("consumer: watermarks of ") + spec.topic +
                                         ": " + rd_kafka_err2str(err)));
      }
      rd_kafka_topic_partition_list_add(assignment.get(), spec.topic.c_str(), p)->offset = high;
    }
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), assignment.get()); err) {
      return Error(Status::Unavailable(std::string("consumer: assign: ") + rd_kafka_err2str(err)));
    }
    auto consumer = std::unique_ptr<TailingConsumer>(
        new TailingConsumer(std::move(rk), schedule.total_sends(), schedule));
    consumer->thread_ = std::thread([c = consumer.get()] { c->Loop(); });
    return consumer;
  }

  ~TailingConsumer() { Stop(); }

  // Asks the thread to stop once `expected` records were seen or at `deadline_ns`, and joins it.
  void Finish(int64_t expected, int64_t deadline_ns) {
    expected_.store(expected);
    deadline_ns_.store(deadline_ns);
    Stop();
  }

  void Report(RunResult& result) {
    result.consumed = tracker_.distinct();
    result.duplicates = tracker_.duplicates();
    result.e2e = e2e_;
    if (result.first_error.empty()) result.first_error = first_error_;
  }

 private:
  TailingConsumer(Handle rk, int64_t capacity, const SendSchedule& schedule)
      : rk_(std::move(rk)), tracker_(capacity), schedule_(schedule) {}

  void Stop() {
    if (thread_.joinable()) thread_.join();
    if (rk_) rd_kafka_consumer_close(rk_.get());
  }

  void Loop() {
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
          if (tracker_.Observe(header->sequence) && schedule_.Measured(header->sequence)) {
            e2e_.Record(now - header->scheduled_ns);
          }
        }
      } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && first_error_.empty()) {
        first_error_ = std::string("consume: ") + rd_kafka_message_errstr(msg);
      }
      rd_kafka_message_destroy(msg);
    }
  }

  Handle rk_;
  SequenceTracker tracker_;
  SendSchedule schedule_;
  LatencyHistogram e2e_;
  std::string first_error_;
  std::atomic<int64_t> expected_{-1};  // -1 until the producer knows how many were acked
  std::atomic<int64_t> deadline_ns_{0};
  std::thread thread_;
};

Result<RunResult> KafkaBackend::RunLatency(const RunSpec& spec) {
  int64_t run_start = MonotonicNs();
  int64_t deadline = run_start + spec.max_wall.count();
  DeliveryState state;
  // linger.ms as given: 0 sends each record in its own request as soon as it is due.
  TARN_ASSIGN_OR_RETURN(Handle producer, MakeProducer(spec, spec.linger_ms, &state));
  rd_kafka_t* rk = producer.get();
  int partitions = PartitionCount(rk, spec.topic);

  SendSchedule schedule(spec.rate_per_s, spec.warmup.count(), spec.duration.count());
  TARN_ASSIGN_OR_RETURN(auto consumer, TailingConsumer::Start(spec, partitions, schedule));
  state.first_measured = static_cast<uint64_t>(schedule.warmup_sends());
  // Sends start once the consumer is in place: the first is due 50 ms from now.
  schedule.StartAt(MonotonicNs() + 50'000'000);

  // Delivery reports are served by their own thread, so an ack is timed when it arrives.
  std::atomic<bool> stop_poller{false};
  std::thread poller([&] {
    while (!stop_poller.load()) rd_kafka_poll(rk, 50);
  });

  RunResult result;
  Payload payload(spec.record_bytes);
  Status status = SendOnSchedule(schedule, payload, deadline, result,
                                 [&](std::span<const char> record) {
                                   return Produce(rk, spec.topic, record, deadline);
                                 });
  while (state.acked.load() + state.failed.load() < result.sent && MonotonicNs() < deadline) {
    SleepUntilNs(MonotonicNs() + 1'000'000);
  }
  stop_poller.store(true);
  poller.join();
  if (state.acked.load() + state.failed.load() < result.sent) result.timed_out = true;

  result.acked = state.acked.load();
  result.failed = result.sent - result.acked;
  consumer->Finish(result.acked, std::min(deadline, MonotonicNs() + spec.drain.count()));
  {
    std::lock_guard lock(state.mu);
    result.ack = state.ack;
    result.first_error = !status.ok() ? status.ToString() : state.first_error;
  }
  consumer->Report(result);
  if (result.consumed < result.acked && MonotonicNs() >= deadline) result.timed_out = true;
  result.window_records = schedule.total_sends() - schedule.warmup_sends();
  result.window_ns = spec.duration.count();
  result.stored = StoredCount(rk, spec.topic, partitions);
  return result;
}

}  // namespace

std::unique_ptr<Backend> MakeKafkaBackend() { return std::make_unique<KafkaBackend>(); }

}  // namespace tarn::bench
