// The HTTP backend, for Tarn's event API: envelopes POSTed to /v1/events in batches (a JSON
// array each), over keep-alive HTTP/1.1 connections with one request in flight each, all driven
// by one thread with epoll so that the load generator stays light. With the server's Kafka
// address it also counts what the bus gained and, in a latency run, tails the bus.
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "hub/backend.h"
#include "hub/http_connection.h"
#include "hub/kafka_client.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

constexpr std::string_view kEventsTarget = "/v1/events";
constexpr std::string_view kContractTarget = "/subjects/order-placed/versions";
// How long a broken connection may take to come back before its slot is given up.
constexpr int64_t kReconnectNs = 2'000'000'000;

std::string Truncated(std::string_view text, size_t at_most = 300) {
  return std::string(text.substr(0, at_most)) + (text.size() > at_most ? "..." : "");
}

// A file descriptor owned by the run.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) close(fd_);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A request body: `batch_events` envelopes in a JSON array, made once and restamped in place for
// every request (the stamped fields have fixed widths, so the length never changes).
class BatchBody {
 public:
  BatchBody(size_t record_bytes, int batch_events) {
    Payload payload(record_bytes, PayloadFormat::kEnvelope);
    record_bytes_ = payload.size();
    text_ = "[";
    for (int i = 0; i < batch_events; ++i) {
      if (i > 0) text_ += ',';
      text_.append(payload.record().data(), payload.size());
    }
    text_ += ']';
    events_ = batch_events;
  }

  // Events first_sequence, first_sequence + 1, ... all due at `scheduled_ns`.
  void Stamp(uint64_t first_sequence, int64_t scheduled_ns) {
    const int64_t now_ms = EpochMs();
    for (int i = 0; i < events_; ++i) {
      std::span<char> record(text_.data() + 1 + static_cast<size_t>(i) * (record_bytes_ + 1),
                             record_bytes_);
      Payload::StampEnvelope(record, first_sequence + static_cast<uint64_t>(i), scheduled_ns,
                             now_ms);
    }
  }
  std::string_view text() const { return text_; }

 private:
  std::string text_;
  size_t record_bytes_ = 0;
  int events_ = 0;
};

// One connection of the load loop and the request it has in flight.
struct Slot {
  std::optional<HttpConnection> connection;  // empty once given up
  BatchBody body;
  bool busy = false;
  bool writing = false;  // EPOLLOUT is on: the request is not all sent yet
  int64_t batch = 0;
  int64_t scheduled_ns = 0;
};

// What the server's Kafka side says about the bus, when the run has its address.
class BusProbe {
 public:
  static Result<std::optional<BusProbe>> Open(const RunSpec& spec) {
    if (spec.kafka_address.empty()) return std::optional<BusProbe>();
    KafkaConfig config;
    config.Set("bootstrap.servers", spec.kafka_address).Set("client.id", "tarn-hub-bench-probe");
    TARN_ASSIGN_OR_RETURN(KafkaHandle handle, config.Create(RD_KAFKA_PRODUCER));
    BusProbe probe(std::move(handle), spec.topic);
    probe.partitions_ = PartitionCount(probe.handle_.get(), spec.topic);
    probe.stored_before_ = StoredCount(probe.handle_.get(), spec.topic, probe.partitions_);
    return std::optional<BusProbe>(std::move(probe));
  }
  int partitions() const { return partitions_; }
  // Records the bus gained since Open, -1 if the broker did not say.
  int64_t Gained() const {
    int64_t now = StoredCount(handle_.get(), topic_, partitions_);
    return now < 0 || stored_before_ < 0 ? -1 : now - stored_before_;
  }

 private:
  BusProbe(KafkaHandle handle, std::string topic)
      : handle_(std::move(handle)), topic_(std::move(topic)) {}

  KafkaHandle handle_;
  std::string topic_;
  int partitions_ = 1;
  int64_t stored_before_ = -1;
};

// One run: throughput (every connection sends its next request as soon as the previous one is
// answered, until `records` events) or open loop (requests due every batch_events / rate_per_s,
// each sent on an idle connection or queued until one is free; latency counts from the due time).
class LoadRun {
 public:
  LoadRun(const RunSpec& spec, bool open_loop)
      : spec_(spec),
        open_loop_(open_loop),
        batch_(std::max(spec.batch_events, 1)),
        schedule_(spec.rate_per_s / batch_, spec.warmup.count(), spec.duration.count()),
        total_batches_(open_loop ? schedule_.total_sends() : (spec.records + batch_ - 1) / batch_),
        warmup_batches_(open_loop ? schedule_.warmup_sends() : 0),
        window_(spec.warmup_records, total_batches_ * batch_),
        head_(RequestHead("POST", kEventsTarget, spec.host, spec.port, "application/json",
                          BatchBody(spec.record_bytes, batch_).text().size())) {}

  Result<RunResult> Run();

 private:
  Status Setup(int64_t deadline_ns);
  void Start(Slot& slot, int64_t batch, int64_t scheduled_ns, int64_t now_ns);
  void OnResponse(Slot& slot, const HttpResponse& response, int64_t now_ns);
  // Counts the slot's request (if any) as failed and reconnects it, or gives the slot up.
  void OnBroken(Slot& slot, const Status& why);
  Status Watch(Slot& slot, bool writable);
  void Fail(int64_t events, const std::string& why) {
    result_.failed += events;
    if (result_.first_error.empty()) result_.first_error = why;
  }

  const RunSpec& spec_;
  const bool open_loop_;
  const int64_t batch_;
  SendSchedule schedule_;
  const int64_t total_batches_;
  const int64_t warmup_batches_;
  AckWindow window_;
  const std::string head_;
  int epoll_fd_ = -1;
  std::vector<Slot> slots_;
  RunResult result_;
};

Status LoadRun::Setup(int64_t deadline_ns) {
  slots_.reserve(static_cast<size_t>(spec_.connections));
  for (int i = 0; i < spec_.connections; ++i) {
    TARN_ASSIGN_OR_RETURN(HttpConnection connection,
                          HttpConnection::Connect(spec_.host, spec_.port, deadline_ns));
    slots_.push_back(Slot{.connection = std::move(connection),
                          .body = BatchBody(spec_.record_bytes, static_cast<int>(batch_))});
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    epoll_event event{.events = EPOLLIN, .data = {.u64 = i}};
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, slots_[i].connection->fd(), &event) != 0) {
      return Status::IoError(std::string("epoll_ctl: ") + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Status LoadRun::Watch(Slot& slot, bool writable) {
  if (slot.writing == writable) return Status::Ok();
  epoll_event event{.events = EPOLLIN | (writable ? EPOLLOUT : 0u),
                    .data = {.u64 = static_cast<uint64_t>(&slot - slots_.data())}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, slot.connection->fd(), &event) != 0) {
    return Status::IoError(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  slot.writing = writable;
  return Status::Ok();
}

void LoadRun::Start(Slot& slot, int64_t batch, int64_t scheduled_ns, int64_t now_ns) {
  slot.busy = true;
  slot.batch = batch;
  slot.scheduled_ns = scheduled_ns;
  slot.body.Stamp(static_cast<uint64_t>(batch * batch_), scheduled_ns);
  result_.sent += batch_;
  result_.max_send_lag_ns = std::max(result_.max_send_lag_ns, now_ns - scheduled_ns);
  slot.connection->StartRequest(head_, slot.body.text());
  Result<bool> sent = slot.connection->Flush();
  Status watched = sent ? Watch(slot, !*sent) : sent.error();
  if (!watched.ok()) OnBroken(slot, watched);
}

void LoadRun::OnResponse(Slot& slot, const HttpResponse& response, int64_t now_ns) {
  slot.busy = false;
  const int positions = response.status == 200 ? CountEventPositions(response.body) : 0;
  if (response.status == 200 && positions == batch_) {
    result_.acked += batch_;
    window_.OnAck(now_ns, batch_);
    if (slot.batch >= warmup_batches_) result_.ack.Record(now_ns - slot.scheduled_ns);
  } else if (response.status == 200) {
    Fail(batch_, "HTTP 200 listing " + std::to_string(positions) + " of " + std::to_string(batch_) +
                     " events: " + Truncated(response.body));
  } else {
    Fail(batch_, "HTTP " + std::to_string(response.status) + ": " + Truncated(response.body));
  }
  if (response.close) OnBroken(slot, Status::Ok());
}

void LoadRun::OnBroken(Slot& slot, const Status& why) {
  if (slot.busy) Fail(batch_, "connection failed mid-request: " + why.ToString());
  slot.busy = false;
  slot.writing = false;
  slot.connection.reset();  // closing the socket takes it out of the epoll set
  Result<HttpConnection> again =
      HttpConnection::Connect(spec_.host, spec_.port, MonotonicNs() + kReconnectNs);
  if (!again) return;
  epoll_event event{.events = EPOLLIN,
                    .data = {.u64 = static_cast<uint64_t>(&slot - slots_.data())}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, again->fd(), &event) != 0) return;
  slot.connection = std::move(*again);
}

Result<RunResult> LoadRun::Run() {
  const int64_t deadline = MonotonicNs() + spec_.max_wall.count();
  OwnedFd epoll(epoll_create1(EPOLL_CLOEXEC));
  OwnedFd timer(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (epoll.get() < 0 || timer.get() < 0) {
    return Error(Status::IoError(std::string("epoll/timerfd: ") + std::strerror(errno)));
  }
  epoll_fd_ = epoll.get();
  constexpr uint64_t kTimerTag = ~uint64_t{0};
  epoll_event timer_event{.events = EPOLLIN, .data = {.u64 = kTimerTag}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer.get(), &timer_event);
  TARN_TRY(Setup(deadline));

  TARN_ASSIGN_OR_RETURN(std::optional<BusProbe> bus, BusProbe::Open(spec_));
  std::unique_ptr<TailingConsumer> consumer;
  if (open_loop_ && bus) {
    TARN_ASSIGN_OR_RETURN(
        consumer, TailingConsumer::Start(spec_.kafka_address, spec_.topic, spec_.fetch_wait_ms,
                                         bus->partitions(), total_batches_ * batch_,
                                         static_cast<uint64_t>(warmup_batches_ * batch_)));
  }
  // Open loop: the first request is due 50 ms from now, once the consumer is in place.
  schedule_.StartAt(MonotonicNs() + 50'000'000);
  window_.Start(MonotonicNs());

  int64_t next_batch = 0;               // the next to send (throughput) or to fall due (open loop)
  int64_t last_batch = total_batches_;  // lowered when the schedule runs past the cap
  std::deque<int64_t> queued;           // open loop: due, waiting for an idle connection
  std::vector<epoll_event> events(slots_.size() + 1);
  while (true) {
    int64_t now = MonotonicNs();
    if (now >= deadline) {
      result_.timed_out = true;
      break;
    }
    if (open_loop_) {
      while (next_batch < last_batch && schedule_.DueNs(next_batch) <= now) {
        queued.push_back(next_batch++);
      }
      if (next_batch < last_batch && schedule_.DueNs(next_batch) >= deadline) {
        result_.timed_out = true;  // the rest would be due after the cap: not sent
        last_batch = next_batch;
      }
    }
    bool idle = true;
    for (Slot& slot : slots_) {
      if (!slot.busy && slot.connection) {
        if (open_loop_ && !queued.empty()) {
          Start(slot, queued.front(), schedule_.DueNs(queued.front()), now);
          queued.pop_front();
        } else if (!open_loop_ && next_batch < last_batch) {
          Start(slot, next_batch++, now, now);
        }
      }
      idle = idle && !slot.busy;
    }
    if (next_batch == last_batch && queued.empty() && idle) break;
    if (std::none_of(slots_.begin(), slots_.end(),
                     [](const Slot& s) { return s.connection.has_value(); })) {
      result_.first_error = "every connection to the server failed; " +
                            std::to_string(last_batch - next_batch + std::ssize(queued)) +
                            " requests not sent; the first failure: " + result_.first_error;
      break;
    }

    if (open_loop_ && next_batch < last_batch) {
      const int64_t due = schedule_.DueNs(next_batch);
      itimerspec when{.it_interval = {},
                      .it_value = {.tv_sec = due / 1'000'000'000, .tv_nsec = due % 1'000'000'000}};
      timerfd_settime(timer.get(), TFD_TIMER_ABSTIME, &when, nullptr);
    }
    const int wait_ms = static_cast<int>(std::clamp<int64_t>((deadline - now) / 1'000'000, 1, 100));
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
    if (n < 0 && errno != EINTR) {
      return Error(Status::IoError(std::string("epoll_wait: ") + std::strerror(errno)));
    }
    now = MonotonicNs();
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kTimerTag) {
        uint64_t expirations;
        (void)!read(timer.get(), &expirations, sizeof expirations);
        continue;
      }
      Slot& slot = slots_[events[i].data.u64];
      if (!slot.connection) continue;
      if (slot.writing && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        Result<bool> sent = slot.connection->Flush();
        Status watched = sent ? Watch(slot, !*sent) : sent.error();
        if (!watched.ok()) {
          OnBroken(slot, watched);
          continue;
        }
      }
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        Result<bool> complete = slot.connection->Read();
        if (!complete) {
          OnBroken(slot, complete.error());
        } else if (*complete) {
          OnResponse(slot, slot.connection->TakeResponse(), now);
        }
      }
    }
  }

  // Requests still out when the cap struck are failures too.
  result_.failed = result_.sent - result_.acked;
  if (result_.failed > 0 && result_.first_error.empty()) {
    result_.first_error = "requests unanswered at the wall-clock cap";
  }
  if (open_loop_) {
    result_.window_records = (total_batches_ - warmup_batches_) * batch_;
    result_.window_ns = spec_.duration.count();
  } else {
    window_.Report(result_);
  }
  result_.consumed = -1;
  if (consumer) {
    consumer->Finish(result_.acked, std::min(deadline, MonotonicNs() + spec_.drain.count()));
    consumer->Report(result_);
    if (result_.consumed < result_.acked && MonotonicNs() >= deadline) result_.timed_out = true;
  }
  if (bus) result_.stored = bus->Gained();
  return result_;
}

// A set-up call on `connection`: kFailedPrecondition saying `why` (and what came back) unless the
// server answers `method target` with `expected`.
Status ExpectStatus(HttpConnection& connection, const RunSpec& spec, std::string_view method,
                    std::string_view target, std::string_view content_type, const std::string& body,
                    int expected, std::string_view why, int64_t deadline_ns) {
  TARN_ASSIGN_OR_RETURN(HttpResponse response,
                        connection.Exchange(RequestHead(method, target, spec.host, spec.port,
                                                        content_type, body.size()),
                                            body, deadline_ns));
  if (response.status == expected) return Status::Ok();
  return Status::FailedPrecondition(std::string(why) + ": " + std::string(method) + " " +
                                    std::string(target) + " answered HTTP " +
                                    std::to_string(response.status) + ", not " +
                                    std::to_string(expected) + ": " + Truncated(response.body));
}

class HttpBackend : public Backend {
 public:
  std::string_view Name() const override { return "http"; }

  // Registers the order-placed contract, then checks that the server enforces it: an event that
  // breaks it must be refused (422) without being written. Without the contract, checks that
  // the server has none.
  Status Prepare(const RunSpec& spec) override {
    const int64_t deadline =
        MonotonicNs() + std::min<int64_t>(spec.max_wall.count(), 30'000'000'000);
    TARN_ASSIGN_OR_RETURN(HttpConnection connection,
                          HttpConnection::Connect(spec.host, spec.port, deadline));
    if (!spec.contract) {
      return ExpectStatus(connection, spec, "GET", kContractTarget, "", "", 404,
                          "without a contract, order-placed must have none on the server (start "
                          "a fresh one)",
                          deadline);
    }
    const std::string contract =
        nlohmann::json{{"schemaType", "JSON"}, {"schema", kOrderPlacedContract}}.dump();
    TARN_TRY(ExpectStatus(connection, spec, "POST", kContractTarget,
                          "application/vnd.schemaregistry.v1+json", contract, 200,
                          "registering the contract of order-placed", deadline));

    Payload payload(spec.record_bytes, PayloadFormat::kEnvelope);
    std::string broken(payload.Stamp(0, 0).data(), payload.size());
    constexpr std::string_view kCurrency = R"("currency":"EUR")";
    broken.replace(broken.find(kCurrency), kCurrency.size(), R"("currency":"XXX")");
    return ExpectStatus(connection, spec, "POST", kEventsTarget, "application/json",
                        "[" + broken + "]", 422,
                        "an order-placed event that breaks its contract was not refused "
                        "(contracts not checked?)",
                        deadline);
  }

  Result<RunResult> RunThroughput(const RunSpec& spec) override {
    return LoadRun(spec, /*open_loop=*/false).Run();
  }
  Result<RunResult> RunLatency(const RunSpec& spec) override {
    return LoadRun(spec, /*open_loop=*/true).Run();
  }
};

}  // namespace

std::unique_ptr<Backend> MakeHttpBackend() { return std::make_unique<HttpBackend>(); }

}  // namespace tarn::bench
