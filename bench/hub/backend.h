// Backend: one system under test (Tarn over the Kafka protocol or its HTTP event API, Redis
// Streams, NATS JetStream) behind the two runs every system gets: throughput and open-loop
// latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "hub/latency_histogram.h"
#include "hub/payload.h"

namespace tarn::bench {

// What to run. Every run stops by itself: after `records` (throughput) or `warmup + duration`
// of scheduled sends (latency), and in any case once `max_wall` has passed.
struct RunSpec {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string topic = "hub-bench";  // Kafka topic, Redis stream key, NATS stream and subject
  size_t record_bytes = 1024;
  PayloadFormat payload_format = PayloadFormat::kBytes;  // the http system sends envelopes only
  std::chrono::nanoseconds max_wall = std::chrono::seconds(60);

  // Throughput: `records` sent as fast as the system acks them, at most `in_flight` unacked.
  // The first `warmup_records` acks are left out of the measured window. `in_flight` 0 means
  // the system's own best setting (hub_bench_main.cc, DefaultInFlight).
  int64_t records = 500'000;
  int64_t warmup_records = 50'000;
  int in_flight = 0;

  // Latency: sends scheduled every 1/rate s for warmup + duration; latency counts from the
  // scheduled time (so a stall delays every later send's start and is charged for it).
  double rate_per_s = 10'000;
  std::chrono::nanoseconds warmup = std::chrono::seconds(1);
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  // How long the consumer may take, after the last ack, to see every record.
  std::chrono::nanoseconds drain = std::chrono::seconds(5);

  // Kafka (librdkafka producer and consumer).
  int linger_ms = 5;
  int batch_bytes = 1'000'000;
  int fetch_wait_ms = 2;
  // Redis: connections the sends are spread over (round-robin in a latency run). HTTP: keep-alive
  // connections, each with one request in flight.
  int connections = 50;
  // HTTP: events per request (a JSON array). `records`, `warmup_records` and `rate_per_s` count
  // events; requests are scheduled at rate_per_s / batch_events.
  int batch_events = 100;
  // HTTP: register the order-placed contract so that every event is checked against it; off
  // measures the API with envelope checks only (the server must not have the contract).
  bool contract = true;
  // HTTP: the same server's Kafka address (HOST:PORT), for the tailing consumer of a latency run
  // and the count of what the bus holds; empty: neither.
  std::string kafka_address;
  // NATS: flush every publish at once instead of letting the client coalesce writes.
  bool send_asap = false;
};

// What a run observed. Latencies are in the histograms (ns); counts are records.
struct RunResult {
  int64_t sent = 0;
  int64_t acked = 0;
  int64_t failed = 0;      // sends the system answered with an error or never answered
  int64_t consumed = 0;    // distinct records the tailing consumer saw (latency runs); -1: none ran
  int64_t duplicates = 0;  // records the consumer saw more than once
  int64_t stored = -1;     // records in the topic/stream after the run, per the server; -1 unknown
  int64_t window_records = 0;   // records acked inside the measured window
  int64_t window_ns = 0;        // length of the measured window
  int64_t max_send_lag_ns = 0;  // latency runs: how late the harness sent, worst case
  bool timed_out = false;       // max_wall stopped the run early
  std::string first_error;      // the first error a send or read reported, if any
  LatencyHistogram ack;         // send (scheduled) time -> acknowledgement (HTTP: of a request)
  LatencyHistogram e2e;         // scheduled send time -> tailing consumer has the record
};

// One system's client. Prepare() once, then any number of runs, each on its own topic.
// Not thread-safe; a run may start threads of its own and joins them before returning.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view Name() const = 0;
  // Connects and creates the topic/stream if it is missing. Fails with kUnavailable when the
  // server cannot be reached and kFailedPrecondition when it refuses to create the topic.
  virtual Status Prepare(const RunSpec& spec) = 0;
  virtual Result<RunResult> RunThroughput(const RunSpec& spec) = 0;
  virtual Result<RunResult> RunLatency(const RunSpec& spec) = 0;
};

// "kafka" (Tarn or any Kafka-protocol broker), "http" (Tarn's POST /v1/events), "redis" or
// "nats". kUnsupported names a system whose client library this build was made without, and says
// what to install.
Result<std::unique_ptr<Backend>> MakeBackend(std::string_view system);
// The systems this build can drive.
std::vector<std::string> AvailableSystems();

// Counts acks in a throughput run and times the measured window: it opens at the ack that
// brings the count to `warmup` (or at Start() when warmup is 0) and closes at the last.
// Single-threaded; callers that ack from another thread hold a lock.
class AckWindow {
 public:
  AckWindow(int64_t warmup, int64_t total) : warmup_(warmup), total_(total) {}
  void Start(int64_t now_ns) {
    if (warmup_ == 0) open_ns_ = now_ns;
  }
  // `count` records acknowledged at once (a batch) at `now_ns`.
  void OnAck(int64_t now_ns, int64_t count = 1) {
    const int64_t before = acked_;
    acked_ += count;
    if (before < warmup_ && acked_ >= warmup_) {
      open_ns_ = now_ns;
      open_acked_ = acked_;
    }
    if (acked_ >= warmup_) close_ns_ = now_ns;
  }
  int64_t acked() const { return acked_; }
  // Fills window_records and window_ns.
  void Report(RunResult& result) const {
    result.window_records = acked_ > open_acked_ ? acked_ - open_acked_ : 0;
    result.window_ns = close_ns_ > open_ns_ ? close_ns_ - open_ns_ : 0;
  }

 private:
  int64_t warmup_;
  int64_t total_;
  int64_t acked_ = 0;
  int64_t open_acked_ = 0;  // acks counted when the window opened
  int64_t open_ns_ = 0;
  int64_t close_ns_ = 0;
};

// Which sequence numbers a consumer has seen, to count records consumed exactly once.
// Sized for the run up front; single-threaded.
class SequenceTracker {
 public:
  explicit SequenceTracker(int64_t capacity) : seen_(static_cast<size_t>(capacity), false) {}
  // True the first time `sequence` is seen.
  bool Observe(uint64_t sequence) {
    if (sequence >= seen_.size()) return false;
    if (seen_[sequence]) {
      ++duplicates_;
      return false;
    }
    seen_[sequence] = true;
    ++distinct_;
    return true;
  }
  int64_t distinct() const { return distinct_; }
  int64_t duplicates() const { return duplicates_; }

 private:
  std::vector<bool> seen_;
  int64_t distinct_ = 0;
  int64_t duplicates_ = 0;
};

// The open-loop send schedule of a latency run: send i is due at start + i / rate, where the
// start is set once the consumer is in place.
class SendSchedule {
 public:
  SendSchedule(double rate_per_s, int64_t warmup_ns, int64_t duration_ns)
      : period_ns_(1e9 / rate_per_s),
        warmup_sends_(static_cast<int64_t>(static_cast<double>(warmup_ns) / period_ns_)),
        total_sends_(
            static_cast<int64_t>(static_cast<double>(warmup_ns + duration_ns) / period_ns_)) {}
  void StartAt(int64_t start_ns) { start_ns_ = start_ns; }
  int64_t DueNs(int64_t i) const {
    return start_ns_ + static_cast<int64_t>(static_cast<double>(i) * period_ns_);
  }
  int64_t total_sends() const { return total_sends_; }
  // Sends before this one are warm-up: produced and checked, but not in the latency figures.
  int64_t warmup_sends() const { return warmup_sends_; }
  bool Measured(uint64_t sequence) const { return static_cast<int64_t>(sequence) >= warmup_sends_; }

 private:
  int64_t start_ns_ = 0;
  double period_ns_;
  int64_t warmup_sends_;
  int64_t total_sends_;
};

// The open loop of a latency run for clients whose send does not wait for the reply: waits for
// each send's due time, stamps `payload` with its sequence and due time, and calls `send` with
// the record. Stops at the end of the schedule, at the first failed send (its
// Status is returned) or when a send would be due at or after `deadline_ns` (result.timed_out).
// Counts sends and the worst lateness into `result`.
Status SendOnSchedule(const SendSchedule& schedule, Payload& payload, int64_t deadline_ns,
                      RunResult& result, const std::function<Status(std::span<const char>)>& send);

}  // namespace tarn::bench
