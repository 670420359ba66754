// The Kafka-protocol backend, for Tarn: librdkafka's C API, acks=all and idempotence on.
// Envelope payloads go with their partition key as the record key.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "hub/backend.h"
#include "hub/kafka_client.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

std::string Bootstrap(const RunSpec& spec) { return spec.host + ":" + std::to_string(spec.port); }

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

Result<KafkaHandle> MakeProducer(const RunSpec& spec, int linger_ms, DeliveryState* state) {
  KafkaConfig config;
  config.Set("bootstrap.servers", Bootstrap(spec))
      .Set("client.id", "tarn-hub-bench")
      .Set("acks", "all")
      .Set("enable.idempotence", "true")
      .Set("max.in.flight.requests.per.connection", "5")
      .Set("linger.ms", std::to_string(linger_ms))
      .Set("batch.size", std::to_string(spec.batch_bytes))
      .Set("batch.num.messages", "1000000")
      .Set("compression.type", "none")
      // Keys are hashed as Kafka's Java client and Tarn's HTTP API do, so a key lands on the
      // same partition whichever way its events come in.
      .Set("partitioner", "murmur2_random")
      .Set("queue.buffering.max.messages", std::to_string(std::max(spec.in_flight * 2, 100'000)))
      .Set("queue.buffering.max.kbytes", "2097151")
      .Set("message.timeout.ms",
           std::to_string(std::max<int64_t>(10'000, spec.max_wall.count() / 1'000'000)));
  rd_kafka_conf_set_dr_msg_cb(config.conf(), &OnDelivery);
  rd_kafka_conf_set_opaque(config.conf(), state);
  return config.Create(RD_KAFKA_PRODUCER);
}

// Produces one record (no key when `key` is empty); on a full local queue, serves delivery
// reports until there is room.
Status Produce(rd_kafka_t* rk, const std::string& topic, std::string_view key,
               std::span<const char> record, int64_t deadline_ns) {
  while (true) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
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
    TARN_ASSIGN_OR_RETURN(KafkaHandle producer, MakeProducer(spec, spec.linger_ms, &unused));
    return EnsureTopic(producer.get(), spec.topic, 1, deadline);
  }

  Result<RunResult> RunThroughput(const RunSpec& spec) override {
    int64_t start = MonotonicNs();
    int64_t deadline = start + spec.max_wall.count();
    DeliveryState state;
    state.window = AckWindow(spec.warmup_records, spec.records);
    TARN_ASSIGN_OR_RETURN(KafkaHandle producer, MakeProducer(spec, spec.linger_ms, &state));
    rd_kafka_t* rk = producer.get();
    Payload payload(spec.record_bytes, spec.payload_format);
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
        if (std::string_view key = payloads[k].key(); !key.empty()) {  // copied by librdkafka
          messages[k].key = const_cast<char*>(key.data());
          messages[k].key_len = key.size();
        }
      }
      const int accepted =
          rd_kafka_produce_batch(topic.get(), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                 messages.data(), static_cast<int>(n));
      result.sent += accepted;
      if (accepted < n) {
        for (int64_t k = 0; k < n; ++k) {
          if (messages[k].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            status =
                Status::Unavailable(std::string("produce: ") + rd_kafka_err2str(messages[k].err));
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

Result<RunResult> KafkaBackend::RunLatency(const RunSpec& spec) {
  int64_t run_start = MonotonicNs();
  int64_t deadline = run_start + spec.max_wall.count();
  DeliveryState state;
  // linger.ms as given: 0 sends each record in its own request as soon as it is due.
  TARN_ASSIGN_OR_RETURN(KafkaHandle producer, MakeProducer(spec, spec.linger_ms, &state));
  rd_kafka_t* rk = producer.get();
  int partitions = PartitionCount(rk, spec.topic);

  SendSchedule schedule(spec.rate_per_s, spec.warmup.count(), spec.duration.count());
  TARN_ASSIGN_OR_RETURN(auto consumer,
                        TailingConsumer::Start(Bootstrap(spec), spec.topic, spec.fetch_wait_ms,
                                               partitions, schedule.total_sends(),
                                               static_cast<uint64_t>(schedule.warmup_sends())));
  state.first_measured = static_cast<uint64_t>(schedule.warmup_sends());
  // Sends start once the consumer is in place: the first is due 50 ms from now.
  schedule.StartAt(MonotonicNs() + 50'000'000);

  // Delivery reports are served by their own thread, so an ack is timed when it arrives.
  std::atomic<bool> stop_poller{false};
  std::thread poller([&] {
    while (!stop_poller.load()) rd_kafka_poll(rk, 50);
  });

  RunResult result;
  Payload payload(spec.record_bytes, spec.payload_format);
  Status status =
      SendOnSchedule(schedule, payload, deadline, result, [&](std::span<const char> record) {
        return Produce(rk, spec.topic, payload.key(), record, deadline);
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
