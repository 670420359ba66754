// The Redis Streams backend: hiredis, XADD pipelined over several connections, XREAD BLOCK to tail.
#include <hiredis/hiredis.h>
#include <poll.h>

#include <atomic>
#include <deque>
#include <thread>

#include "hub/backend.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One connection used as a pipeline: commands are appended and written without waiting, and
// replies are read when the socket is readable, in the order the commands were sent.
// Not thread-safe; one thread per connection.
class RedisConnection {
 public:
  static Result<RedisConnection> Connect(const RunSpec& spec) {
    redisContext* context = redisConnectWithTimeout(spec.host.c_str(), spec.port, timeval{5, 0});
    if (context == nullptr)
      return Error(Status::ResourceExhausted("redis: cannot allocate a context"));
    RedisConnection connection(context);
    if (context->err != 0) {
      return Error(Status::Unavailable("redis " + spec.host + ":" + std::to_string(spec.port) +
                                       ": " + context->errstr));
    }
    return connection;
  }

  int fd() const { return context_->fd; }
  int64_t pending() const { return static_cast<int64_t>(due_ns_.size()); }

  // Appends XADD key * d <record> to the output buffer; Flush() sends it. `due_ns` is what the
  // reply's latency counts from.
  void AppendXadd(const std::string& key, std::span<const char> record, int64_t due_ns) {
    const char* argv[] = {"XADD", key.data(), "*", "d", record.data()};
    const size_t lengths[] = {4, key.size(), 1, 1, record.size()};
    redisAppendCommandArgv(context_.get(), 5, argv, lengths);
    due_ns_.push_back(due_ns);
  }

  Status Flush() {
    int done = 0;
    while (!done) {
      if (redisBufferWrite(context_.get(), &done) != REDIS_OK) return Failed("write");
    }
    return Status::Ok();
  }

  // Reads what the socket has (blocks if it has nothing: call when poll() says readable), then
  // calls on_reply(reply, due_ns) for each complete reply.
  template <typename OnReply>
  Status ReadReplies(OnReply&& on_reply) {
    if (redisBufferRead(context_.get()) != REDIS_OK) return Failed("read");
    while (true) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(context_.get(), &raw) != REDIS_OK) return Failed("parse");
      if (raw == nullptr) return Status::Ok();
      Reply reply(static_cast<redisReply*>(raw));
      if (due_ns_.empty()) return Status::Internal("redis: a reply to no command");
      int64_t due = due_ns_.front();
      due_ns_.pop_front();
      on_reply(*reply, due);
    }
  }

  // Sends one command and waits for its reply. Only when no pipelined command is pending.
  Result<Reply> Command(std::initializer_list<std::string_view> args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (std::string_view arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    void* raw = redisCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                                 lengths.data());
    if (raw == nullptr) return Error(Failed("command"));
    Reply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      return Error(Status::FailedPrecondition(std::string("redis: ") + std::string(*args.begin()) +
                                              ": " + std::string(reply->str, reply->len)));
    }
    return reply;
  }

 private:
  explicit RedisConnection(redisContext* context) : context_(context, &redisFree) {}

  Status Failed(std::string_view what) const {
    return Status::Unavailable("redis " + std::string(what) + ": " + context_->errstr);
  }

  std::unique_ptr<redisContext, decltype(&redisFree)> context_;
  std::deque<int64_t> due_ns_;  // per command in flight, oldest first
};

// Counts an XADD reply; its latency goes into result.ack when `measured`.
void RecordReply(const redisReply& reply, int64_t due_ns, int64_t now_ns, bool measured,
                 RunResult& result) {
  if (reply.type == REDIS_REPLY_STRING) {  // the new entry's id
    ++result.acked;
    if (measured) result.ack.Record(now_ns - due_ns);
  } else {
    ++result.failed;
    if (result.first_error.empty()) {
      result.first_error = reply.type == REDIS_REPLY_ERROR ? std::string(reply.str, reply.len)
                                                           : "XADD: unexpected reply type";
    }
  }
}

int64_t StoredCount(const RunSpec& spec) {
  auto connection = RedisConnection::Connect(spec);
  if (!connection) return -1;
  auto reply = connection->Command({"XLEN", spec.topic});
  return reply && (*reply)->type == REDIS_REPLY_INTEGER ? (*reply)->integer : -1;
}

// Tails the stream with XREAD BLOCK from its own connection and thread.
class StreamTail {
 public:
  StreamTail(RedisConnection connection, const RunSpec& spec, const SendSchedule& schedule,
             std::string last_id)
      : connection_(std::move(connection)),
        key_(spec.topic),
        last_id_(std::move(last_id)),
        schedule_(schedule),
        tracker_(schedule.total_sends()) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~StreamTail() {
    if (thread_.joinable()) thread_.join();
  }

  // Lets the thread stop once `expected` records were seen or at `deadline_ns`; joins it.
  void Finish(int64_t expected, int64_t deadline_ns) {
    deadline_ns_.store(deadline_ns);
    expected_.store(expected);
    if (thread_.joinable()) thread_.join();
  }

  void Report(RunResult& result) {
    result.consumed = tracker_.distinct();
    result.duplicates = tracker_.duplicates();
    result.e2e = e2e_;
    if (result.first_error.empty()) result.first_error = first_error_;
  }

 private:
  void Loop() {
    while (true) {
      int64_t expected = expected_.load();
      if (expected >= 0 &&
          (tracker_.distinct() >= expected || MonotonicNs() >= deadline_ns_.load())) {
        return;
      }
      auto reply =
          connection_.Command({"XREAD", "COUNT", "1000", "BLOCK", "50", "STREAMS", key_, last_id_});
      if (!reply) {
        if (first_error_.empty()) first_error_ = reply.error().ToString();
        return;
      }
      int64_t now = MonotonicNs();
      const redisReply& streams = **reply;
      if (streams.type != REDIS_REPLY_ARRAY) continue;  // nil: BLOCK timed out
      for (size_t s = 0; s < streams.elements; ++s) {
        const redisReply* entries = streams.element[s]->element[1];
        for (size_t e = 0; e < entries->elements; ++e) {
          const redisReply* entry = entries->element[e];
          last_id_.assign(entry->element[0]->str, entry->element[0]->len);
          const redisReply* fields = entry->element[1];
          if (fields->elements < 2) continue;
          const redisReply* value = fields->element[1];
          if (auto header = Payload::Parse(value->str, value->len)) {
            if (tracker_.Observe(header->sequence) && schedule_.Measured(header->sequence)) {
              e2e_.Record(now - header->scheduled_ns);
            }
          }
        }
      }
    }
  }

  RedisConnection connection_;
  std::string key_;
  std::string last_id_;
  SendSchedule schedule_;
  SequenceTracker tracker_;
  LatencyHistogram e2e_;
  std::string first_error_;
  std::atomic<int64_t> expected_{-1};
  std::atomic<int64_t> deadline_ns_{0};
  std::thread thread_;
};

class RedisBackend : public Backend {
 public:
  std::string_view Name() const override { return "redis"; }

  Status Prepare(const RunSpec& spec) override {
    TARN_ASSIGN_OR_RETURN(RedisConnection connection, RedisConnection::Connect(spec));
    TARN_TRY(connection.Command({"DEL", spec.topic}));
    return Status::Ok();
  }

  // One thread drives every connection: each keeps up to in_flight / connections XADDs
  // outstanding and is refilled as its replies arrive.
  Result<RunResult> RunThroughput(const RunSpec& spec) override {
    int64_t start = MonotonicNs();
    int64_t deadline = start + spec.max_wall.count();
    std::vector<RedisConnection> connections;
    for (int i = 0; i < std::max(spec.connections, 1); ++i) {
      TARN_ASSIGN_OR_RETURN(RedisConnection connection, RedisConnection::Connect(spec));
      connections.push_back(std::move(connection));
    }
    int64_t window =
        std::max<int64_t>(1, spec.in_flight / static_cast<int64_t>(connections.size()));
    Payload payload(spec.record_bytes);
    RunResult result;
    AckWindow meter(spec.warmup_records, spec.records);
    meter.Start(MonotonicNs());

    auto refill = [&](RedisConnection& connection) -> Status {
      bool appended = false;
      while (connection.pending() < window && result.sent < spec.records) {
        int64_t now = MonotonicNs();
        connection.AppendXadd(spec.topic, payload.Stamp(result.sent, now), now);
        ++result.sent;
        appended = true;
      }
      return appended ? connection.Flush() : Status::Ok();
    };
    for (RedisConnection& connection : connections) TARN_TRY(refill(connection));

    std::vector<pollfd> fds(connections.size());
    while (result.acked + result.failed < result.sent) {
      if (MonotonicNs() >= deadline) {
        result.timed_out = true;
        break;
      }
      for (size_t i = 0; i < connections.size(); ++i) fds[i] = {connections[i].fd(), POLLIN, 0};
      if (poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) {
        return Error(Status::FromErrno("poll", errno));
      }
      for (size_t i = 0; i < connections.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        TARN_TRY(connections[i].ReadReplies([&](const redisReply& reply, int64_t due) {
          int64_t now = MonotonicNs();
          RecordReply(reply, due, now, /*measured=*/true, result);
          if (reply.type == REDIS_REPLY_STRING) meter.OnAck(now);
        }));
        TARN_TRY(refill(connections[i]));
      }
    }
    meter.Report(result);
    result.failed = result.sent - result.acked;
    result.stored = StoredCount(spec);
    return result;
  }

  // Sends go round-robin over `connections` producer connections (one by default); a thread
  // sends each XADD when it is due and, between sends, reads replies as they come.
  Result<RunResult> RunLatency(const RunSpec& spec) override {
    int64_t deadline = MonotonicNs() + spec.max_wall.count();
    std::vector<RedisConnection> producers;
    for (int i = 0; i < std::max(spec.connections, 1); ++i) {
      TARN_ASSIGN_OR_RETURN(RedisConnection connection, RedisConnection::Connect(spec));
      producers.push_back(std::move(connection));
    }
    TARN_ASSIGN_OR_RETURN(RedisConnection tail_connection, RedisConnection::Connect(spec));
    // Tail from the last entry now in the stream ("0-0" when it is empty).
    TARN_ASSIGN_OR_RETURN(
        Reply last, tail_connection.Command({"XREVRANGE", spec.topic, "+", "-", "COUNT", "1"}));
    std::string last_id = "0-0";
    if (last->type == REDIS_REPLY_ARRAY && last->elements == 1) {
      last_id.assign(last->element[0]->element[0]->str, last->element[0]->element[0]->len);
    }
    SendSchedule schedule(spec.rate_per_s, spec.warmup.count(), spec.duration.count());
    StreamTail tail(std::move(tail_connection), spec, schedule, last_id);
    schedule.StartAt(MonotonicNs() + 50'000'000);

    RunResult result;
    Payload payload(spec.record_bytes);
    int64_t total = schedule.total_sends();
    int64_t first_measured_due = schedule.DueNs(schedule.warmup_sends());
    auto pending = [&] {
      int64_t n = 0;
      for (const RedisConnection& producer : producers) n += producer.pending();
      return n;
    };
    std::vector<pollfd> fds(producers.size());
    while (result.sent < total || pending() > 0) {
      int64_t now = MonotonicNs();
      if (now >= deadline) {
        result.timed_out = true;
        break;
      }
      if (result.sent < total && now >= schedule.DueNs(result.sent)) {
        int64_t due = schedule.DueNs(result.sent);
        result.max_send_lag_ns = std::max(result.max_send_lag_ns, now - due);
        RedisConnection& producer = producers[result.sent % producers.size()];
        producer.AppendXadd(spec.topic, payload.Stamp(result.sent, due), due);
        ++result.sent;
        TARN_TRY(producer.Flush());
        now = MonotonicNs();
      }
      // Wait for replies until the next send is due (not at all when it is already late).
      int64_t wait_ns = result.sent < total
                            ? std::max<int64_t>(0, schedule.DueNs(result.sent) - now)
                            : 100'000'000;
      timespec timeout{.tv_sec = wait_ns / 1'000'000'000, .tv_nsec = wait_ns % 1'000'000'000};
      for (size_t i = 0; i < producers.size(); ++i) fds[i] = {producers[i].fd(), POLLIN, 0};
      if (ppoll(fds.data(), fds.size(), &timeout, nullptr) < 0 && errno != EINTR) {
        return Error(Status::FromErrno("ppoll", errno));
      }
      for (size_t i = 0; i < producers.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        TARN_TRY(producers[i].ReadReplies([&](const redisReply& reply, int64_t due) {
          RecordReply(reply, due, MonotonicNs(), due >= first_measured_due, result);
        }));
      }
    }
    tail.Finish(result.acked, std::min(deadline, MonotonicNs() + spec.drain.count()));
    tail.Report(result);
    if (result.consumed < result.acked && MonotonicNs() >= deadline) result.timed_out = true;
    result.failed = result.sent - result.acked;
    result.window_records = total - schedule.warmup_sends();
    result.window_ns = spec.duration.count();
    result.stored = StoredCount(spec);
    return result;
  }
};

}  // namespace

std::unique_ptr<Backend> MakeRedisBackend() { return std::make_unique<RedisBackend>(); }

}  // namespace tarn::bench
