// The NATS JetStream backend: libnats, a file-storage stream, js_PublishAsync with a bounded
// number pending, and an ordered push consumer to tail.
#include <nats/nats.h>

#include <atomic>
#include <mutex>

#include "hub/backend.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

Status NatsError(std::string_view what, natsStatus s,
                 jsErrCode js_error = static_cast<jsErrCode>(0)) {
  std::string message = "nats " + std::string(what) + ": " + natsStatus_GetText(s);
  if (js_error != 0) message += " (JetStream error " + std::to_string(js_error) + ")";
  return Status::Unavailable(std::move(message));
}

// The stream is named after the topic; its one subject is the topic itself.
std::string StreamName(const RunSpec& spec) { return "HUB_" + spec.topic; }

// A connection and its JetStream context, destroyed in the right order.
class NatsClient {
 public:
  // `ack_handler` (with `closure`) gets every async publish result; `max_pending` bounds them.
  static Result<std::unique_ptr<NatsClient>> Connect(const RunSpec& spec, bool send_asap,
                                                     int64_t max_pending,
                                                     jsPubAckHandler ack_handler, void* closure) {
    auto client = std::unique_ptr<NatsClient>(new NatsClient);
    natsOptions* options = nullptr;
    natsStatus s = natsOptions_Create(&options);
    std::string url = "nats://" + spec.host + ":" + std::to_string(spec.port);
    if (s == NATS_OK) s = natsOptions_SetURL(options, url.c_str());
    if (s == NATS_OK) s = natsOptions_SetSendAsap(options, send_asap);
    if (s == NATS_OK) s = natsOptions_SetTimeout(options, 5000);
    if (s == NATS_OK) s = natsConnection_Connect(&client->connection_, options);
    natsOptions_Destroy(options);
    if (s != NATS_OK) return Error(NatsError("connect " + url, s));

    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 10'000;
    js_options.PublishAsync.MaxPending = max_pending;
    js_options.PublishAsync.AckHandler = ack_handler;
    js_options.PublishAsync.AckHandlerClosure = closure;
    js_options.PublishAsync.StallWait = 1000;
    s = natsConnection_JetStream(&client->js_, client->connection_, &js_options);
    if (s != NATS_OK) return Error(NatsError("JetStream context", s));
    return client;
  }

  ~NatsClient() {
    if (subscription_ != nullptr) {
      natsSubscription_Unsubscribe(subscription_);
      natsSubscription_Destroy(subscription_);
    }
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (connection_ != nullptr) natsConnection_Destroy(connection_);
  }

  jsCtx* js() { return js_; }

  // An ordered push consumer delivering new messages of the subject to `on_message`.
  Status SubscribeOrdered(const RunSpec& spec, natsMsgHandler on_message, void* closure) {
    std::string stream = StreamName(spec);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream.c_str();
    options.Ordered = true;
    options.Config.DeliverPolicy = js_DeliverNew;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus s = js_Subscribe(&subscription_, js_, spec.topic.c_str(), on_message, closure,
                                nullptr, &options, &js_error);
    if (s != NATS_OK) return NatsError("subscribe", s, js_error);
    // The consumer never falls this far behind at the rates we run; never drop silently.
    natsSubscription_SetPendingLimits(subscription_, -1, -1);
    return Status::Ok();
  }

  int64_t StoredCount(const RunSpec& spec) {
    jsStreamInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&info, js_, StreamName(spec).c_str(), nullptr, &js_error) != NATS_OK) {
      return -1;
    }
    auto count = static_cast<int64_t>(info->State.Msgs);
    jsStreamInfo_Destroy(info);
    return count;
  }

 private:
  NatsClient() = default;

  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* subscription_ = nullptr;
};

// Publish results, from the library's thread that delivers acks. `mu` covers all but the counts.
struct AckState {
  std::mutex mu;
  LatencyHistogram ack;
  AckWindow window{0, 0};
  uint64_t first_measured = 0;
  std::string first_error;
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* state = static_cast<AckState*>(closure);
  int64_t now = MonotonicNs();
  {
    std::lock_guard lock(state->mu);
    if (ack != nullptr) {
      auto header = Payload::Parse(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
      if (header && header->sequence >= state->first_measured) {
        state->ack.Record(now - header->scheduled_ns);
      }
      state->window.OnAck(now);
      state->acked.fetch_add(1);
    } else {
      if (state->first_error.empty() && error != nullptr) {
        state->first_error =
            error->ErrText != nullptr ? error->ErrText : natsStatus_GetText(error->Err);
      }
      state->failed.fetch_add(1);
    }
  }
  natsMsg_Destroy(msg);
}

// What the ordered consumer saw, from the library's delivery thread.
struct TailState {
  explicit TailState(const SendSchedule& s) : schedule(s), tracker(s.total_sends()) {}
  std::mutex mu;
  SendSchedule schedule;
  SequenceTracker tracker;
  LatencyHistogram e2e;
  std::atomic<int64_t> distinct{0};
};

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* state = static_cast<TailState*>(closure);
  int64_t now = MonotonicNs();
  if (auto header = Payload::Parse(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))) {
    std::lock_guard lock(state->mu);
    if (state->tracker.Observe(header->sequence)) {
      if (state->schedule.Measured(header->sequence)) state->e2e.Record(now - header->scheduled_ns);
      state->distinct.store(state->tracker.distinct());
    }
  }
  natsMsg_Destroy(msg);
}

// Publishes one record, retrying while the client stalls at MaxPending.
Status Publish(jsCtx* js, const std::string& subject, std::span<const char> record,
               int64_t deadline_ns) {
  while (true) {
    natsStatus s = js_PublishAsync(js, subject.c_str(), record.data(),
                                   static_cast<int>(record.size()), nullptr);
    if (s == NATS_OK) return Status::Ok();
    if (s != NATS_TIMEOUT || MonotonicNs() >= deadline_ns) return NatsError("publish", s);
  }
}

// Waits until every publish got its result (or the deadline); false if some did not.
bool AwaitAcks(jsCtx* js, const AckState& state, int64_t sent, int64_t deadline_ns) {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = std::max<int64_t>(1, (deadline_ns - MonotonicNs()) / 1'000'000);
  js_PublishAsyncComplete(js, &options);
  // The last handler may still be running when the pending count reaches zero.
  while (state.acked.load() + state.failed.load() < sent && MonotonicNs() < deadline_ns) {
    SleepUntilNs(MonotonicNs() + 1'000'000);
  }
  return state.acked.load() + state.failed.load() >= sent;
}

class NatsBackend : public Backend {
 public:
  std::string_view Name() const override { return "nats"; }

  // Re-creates the stream: file storage, one replica, limits retention.
  Status Prepare(const RunSpec& spec) override {
    TARN_ASSIGN_OR_RETURN(auto client, NatsClient::Connect(spec, false, 1, nullptr, nullptr));
    std::string name = StreamName(spec);
    jsErrCode js_error = static_cast<jsErrCode>(0);
    js_DeleteStream(client->js(), name.c_str(), nullptr, &js_error);  // absent is fine

    const char* subjects[] = {spec.topic.c_str()};
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = name.c_str();
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = 1;
    jsStreamInfo* info = nullptr;
    natsStatus s = js_AddStream(&info, client->js(), &config, nullptr, &js_error);
    if (s != NATS_OK) return NatsError("add stream " + name, s, js_error);
    jsStreamInfo_Destroy(info);
    return Status::Ok();
  }

  Result<RunResult> RunThroughput(const RunSpec& spec) override {
    int64_t start = MonotonicNs();
    int64_t deadline = start + spec.max_wall.count();
    AckState state;
    state.window = AckWindow(spec.warmup_records, spec.records);
    TARN_ASSIGN_OR_RETURN(
        auto client, NatsClient::Connect(spec, spec.send_asap, spec.in_flight, &OnAck, &state));
    {
      std::lock_guard lock(state.mu);
      state.window.Start(MonotonicNs());
    }
    Payload payload(spec.record_bytes);
    RunResult result;
    Status status;
    for (int64_t i = 0; i < spec.records && status.ok(); ++i) {
      if (MonotonicNs() >= deadline) {
        result.timed_out = true;
        break;
      }
      status = Publish(client->js(), spec.topic, payload.Stamp(i, MonotonicNs()), deadline);
      if (status.ok()) ++result.sent;
    }
    if (!AwaitAcks(client->js(), state, result.sent, deadline)) result.timed_out = true;
    {
      std::lock_guard lock(state.mu);
      result.acked = state.acked.load();
      result.failed = result.sent - result.acked;
      result.ack = state.ack;
      result.first_error = !status.ok() ? status.ToString() : state.first_error;
      state.window.Report(result);
    }
    result.stored = client->StoredCount(spec);
    return result;
  }

  Result<RunResult> RunLatency(const RunSpec& spec) override {
    int64_t deadline = MonotonicNs() + spec.max_wall.count();
    SendSchedule schedule(spec.rate_per_s, spec.warmup.count(), spec.duration.count());
    AckState acks;
    acks.first_measured = static_cast<uint64_t>(schedule.warmup_sends());
    TailState tail(schedule);
    // Publisher and consumer on their own connections, so acks and deliveries do not queue
    // behind each other.
    TARN_ASSIGN_OR_RETURN(auto consumer, NatsClient::Connect(spec, false, 1, nullptr, nullptr));
    TARN_TRY(consumer->SubscribeOrdered(spec, &OnMessage, &tail));
    TARN_ASSIGN_OR_RETURN(auto publisher,
                          NatsClient::Connect(spec, spec.send_asap, spec.in_flight, &OnAck, &acks));
    schedule.StartAt(MonotonicNs() + 50'000'000);

    RunResult result;
    Payload payload(spec.record_bytes);
    Status status = SendOnSchedule(schedule, payload, deadline, result,
                                   [&](std::span<const char> record) {
                                     return Publish(publisher->js(), spec.topic, record, deadline);
                                   });
    if (!AwaitAcks(publisher->js(), acks, result.sent, deadline)) result.timed_out = true;
    result.acked = acks.acked.load();
    result.failed = result.sent - result.acked;
    int64_t drain_deadline = std::min(deadline, MonotonicNs() + spec.drain.count());
    while (tail.distinct.load() < result.acked && MonotonicNs() < drain_deadline) {
      SleepUntilNs(MonotonicNs() + 1'000'000);
    }
    {
      std::lock_guard lock(acks.mu);
      result.ack = acks.ack;
      result.first_error = !status.ok() ? status.ToString() : acks.first_error;
    }
    {
      std::lock_guard lock(tail.mu);
      result.consumed = tail.tracker.distinct();
      result.duplicates = tail.tracker.duplicates();
      result.e2e = tail.e2e;
    }
    consumer.reset();  // stops deliveries before `tail` goes away
    if (result.consumed < result.acked && MonotonicNs() >= deadline) result.timed_out = true;
    result.window_records = schedule.total_sends() - schedule.warmup_sends();
    result.window_ns = spec.duration.count();
    result.stored = publisher->StoredCount(spec);
    return result;
  }
};

}  // namespace

std::unique_ptr<Backend> MakeNatsBackend() { return std::make_unique<NatsBackend>(); }

}  // namespace tarn::bench
