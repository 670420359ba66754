#include "lake/archiver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "lake/catalog.h"
#include "lake/lake_file.h"
#include "net/asio.h"
#include "net/on_worker.h"

namespace tarn::lake {
namespace {

constexpr int64_t kHourMs = 3'600'000;

int64_t HourOf(int64_t timestamp_ms) {
  return timestamp_ms >= 0 ? timestamp_ms / kHourMs : (timestamp_ms - kHourMs + 1) / kHourMs;
}

}  // namespace

struct Archiver::State {
  State(IoContext& io, hub::Hub& hub, ArchiverOptions options, const Clock& clock,
        MetricsRegistry& metrics)
      : io(io),
        hub(hub),
        options(std::move(options)),
        clock(clock),
        files(metrics.AddCounterFamily("tarn_lake_files_total", "Files written to the lake.", {"lake"})),
        bytes(metrics.AddCounterFamily("tarn_lake_bytes_total",
                                       "Compressed bytes written to the lake.", {"lake"})),
        events(metrics.AddCounterFamily("tarn_lake_events_total", "Records written to the lake.",
                                        {"lake"})),
        lag(metrics.AddGaugeFamily("tarn_lake_lag",
                                   "Records of a topic-partition the lake's files do not hold yet.",
                                   {"lake", "topic", "partition"})) {}

  IoContext& io;
  hub::Hub& hub;
  ArchiverOptions options;
  const Clock& clock;
  CounterFamily& files;
  CounterFamily& bytes;
  CounterFamily& events;
  GaugeFamily& lag;
  asio::thread_pool worker{1};
  // Where each topic-partition's files end, per lake, as loaded at start.
  std::map<TopicPartition, int64_t> lake_ends, fault_ends;
  std::map<std::string, std::shared_ptr<TopicArchive>> topics;
  bool stopped = false;
};

// One topic: reads every partition from where its files end and fills a FileBuilder per
// partition, which the worker writes out when it is full, old, or the hour changes.
class Archiver::TopicArchive : public std::enable_shared_from_this<TopicArchive> {
 public:
  TopicArchive(State& state, std::string topic)
      : state_(state),
        topic_(std::move(topic)),
        faults_(topic_ == state.options.fault_topic),
        lake_label_(faults_ ? "faults" : "lake"),
        root_(faults_ ? state.options.fault_root : state.options.root),
        files_(state.files.With({lake_label_})),
        bytes_(state.bytes.With({lake_label_})),
        events_(state.events.With({lake_label_})) {}

  Awaitable<void> Run() {
    auto self = shared_from_this();
    const ArchiverOptions& options = state_.options;
    while (!state_.stopped) {
      Status step = co_await Step();
      if (!step.ok()) {
        if (last_error_ != step.message()) {
          spdlog::warn("lake: {}: {}", topic_, step.ToString());
          last_error_ = step.message();
        }
        co_await Pause(options.retry_pause);
      } else {
        last_error_.clear();
      }
    }
  }

  std::map<std::string, int64_t> Lag() const {
    std::map<std::string, int64_t> lag;
    for (const auto& [partition, value] : lag_) lag[topic_ + "/" + std::to_string(partition)] = value;
    return lag;
  }

 private:
  struct Open {
    std::unique_ptr<FileBuilder> builder;
    std::chrono::steady_clock::time_point opened;
  };

  Awaitable<void> Pause(std::chrono::milliseconds how_long) {
    asio::steady_timer timer(state_.io, how_long);
    co_await timer.async_wait(asio::use_awaitable);
  }

  // Learns the topic's partitions (new ones too) and their bounds; positions of partitions new
  // to this run start where their files end, else at the partition's log start.
  Awaitable<Status> RefreshBounds() {
    Result<std::map<int32_t, hub::PartitionBounds>> bounds = co_await state_.hub.Bounds(topic_);
    if (!bounds) co_return bounds.error();
    const auto& ends = faults_ ? state_.fault_ends : state_.lake_ends;
    for (const auto& [partition, range] : *bounds) {
      high_watermarks_[partition] = range.high_watermark;
      if (positions_.contains(partition)) continue;
      int64_t start = range.log_start;
      if (auto archived = archived_.find(partition); archived != archived_.end()) {
        start = archived->second;
      } else if (auto end = ends.find({topic_, partition}); end != ends.end()) {
        start = end->second;
      }
      if (start < range.log_start) {
        spdlog::warn("lake: {}/{}: offsets {} to {} left the hub before they were archived", topic_,
                     partition, start, range.log_start - 1);
        start = range.log_start;
      }
      positions_[partition] = start;
      if (archived_[partition] != start) open_.erase(partition);  // a new file starts at `start`
      archived_[partition] = start;
    }
    bounds_refreshed_ = std::chrono::steady_clock::now();
    UpdateLag();
    co_return Status::Ok();
  }

  void UpdateLag() {
    for (const auto& [partition, archived] : archived_) {
      const int64_t lag = std::max<int64_t>(0, std::max(high_watermarks_[partition], positions_[partition]) - archived);
      lag_[partition] = lag;
      if (!lag_gauges_.contains(partition)) {
        lag_gauges_[partition] =
            state_.lag.With({lake_label_, topic_, std::to_string(partition)});
      }
      lag_gauges_[partition]->Set(static_cast<double>(lag));
    }
  }

  Awaitable<Status> Step() {
    const ArchiverOptions& options = state_.options;
    if (positions_.empty() ||
        std::chrono::steady_clock::now() - bounds_refreshed_ >= options.topic_scan) {
      Status refreshed = co_await RefreshBounds();
      if (!refreshed.ok()) co_return refreshed;
    }
    Result<std::vector<hub::StoredRecord>> records =
        co_await state_.hub.Read(topic_, positions_, options.read_batch, options.poll_wait);
    if (!records) {
      if (records.error().code() == StatusCode::kOutOfRange) {
        positions_.clear();  // the log start moved past a position: learn the bounds again
        Status flushed = co_await FlushAll(/*only_old=*/false);
        if (!flushed.ok()) co_return flushed;
      }
      co_return records.error();
    }
    for (const hub::StoredRecord& record : *records) {
      positions_[record.partition] = std::max(positions_[record.partition], record.offset + 1);
    }
    auto self = shared_from_this();
    auto encode = [self, records = std::move(*records)]() { return self->Encode(records); };
    Status encoded = co_await net::OnWorker(state_.worker, std::move(encode));
    if (!encoded.ok()) {
      ReadAgainFromFiles();
      co_return encoded;
    }
    co_return co_await FlushAll(/*only_old=*/true);
  }

  // On the worker: adds the records to their partitions' files, writing out each file that the
  // hour leaves behind or that is full.
  Status Encode(const std::vector<hub::StoredRecord>& records) {
    for (const hub::StoredRecord& record : records) {
      Open& open = open_[record.partition];
      if (open.builder && !open.builder->empty() &&
          HourOf(record.timestamp_ms) != HourOf(open.builder->first_timestamp())) {
        TARN_TRY(WriteFile(record.partition, open));
      }
      if (!open.builder) {
        open.builder = std::make_unique<FileBuilder>(state_.options.region, topic_, record.partition,
                                                     archived_[record.partition],
                                                     state_.options.compression_level);
        open.opened = std::chrono::steady_clock::now();
      }
      open.builder->Add(record);
      if (open.builder->raw_bytes() >= state_.options.file_bytes) {
        TARN_TRY(WriteFile(record.partition, open));
      }
    }
    return Status::Ok();
  }

  // On the worker.
  Status WriteFile(int32_t partition, Open& open) {
    std::unique_ptr<FileBuilder> builder = std::move(open.builder);
    Result<Manifest> written = builder->Write(root_, state_.clock.NowMs());
    if (!written) return written.error();
    archived_[partition] = written->end_position;
    files_->Increment();
    bytes_->Increment(static_cast<uint64_t>(written->bytes));
    events_->Increment(static_cast<uint64_t>(written->events));
    return Status::Ok();
  }

  // Writes out the files older than the file age (every file with `only_old` false).
  Awaitable<Status> FlushAll(bool only_old) {
    auto self = shared_from_this();
    auto flush = [self, only_old]() -> Status {
      const auto now = std::chrono::steady_clock::now();
      for (auto& [partition, open] : self->open_) {
        if (!open.builder || open.builder->empty()) continue;
        if (only_old && now - open.opened < self->state_.options.file_age) continue;
        TARN_TRY(self->WriteFile(partition, open));
      }
      return Status::Ok();
    };
    Status flushed = co_await net::OnWorker(state_.worker, std::move(flush));
    if (!flushed.ok()) ReadAgainFromFiles();
    UpdateLag();
    co_return flushed;
  }

  // After a failed write: drops every file not written yet and reads their records again from
  // where the written files end (nothing was renamed, or the same bytes are renamed again).
  void ReadAgainFromFiles() {
    open_.clear();
    for (const auto& [partition, archived] : archived_) positions_[partition] = archived;
  }

  State& state_;
  const std::string topic_;
  const bool faults_;
  const std::string lake_label_;
  const std::filesystem::path root_;
  std::shared_ptr<Counter> files_, bytes_, events_;
  // Read position, and where the partition's written files end (touched on the worker, while
  // the topic's coroutine waits for it).
  std::map<int32_t, int64_t> positions_, archived_, high_watermarks_, lag_;
  std::map<int32_t, std::shared_ptr<Gauge>> lag_gauges_;
  std::map<int32_t, Open> open_;
  std::chrono::steady_clock::time_point bounds_refreshed_;
  std::string last_error_;
};

Archiver::Archiver(IoContext& io, hub::Hub& hub, ArchiverOptions options, const Clock& clock,
                   MetricsRegistry& metrics)
    : state_(std::make_unique<State>(io, hub, std::move(options), clock, metrics)) {}

Archiver::~Archiver() {
  state_->worker.join();
}

Result<std::unique_ptr<Archiver>> Archiver::Open(IoContext& io, hub::Hub& hub,
                                                 ArchiverOptions options, const Clock& clock,
                                                 MetricsRegistry& metrics) {
  TARN_ASSIGN_OR_RETURN(Catalog lake, Catalog::Load(options.root, /*recover=*/true, clock.NowMs()));
  TARN_ASSIGN_OR_RETURN(Catalog faults,
                        Catalog::Load(options.fault_root, /*recover=*/true, clock.NowMs()));
  spdlog::info("lake: {} files in {}, {} in {}", lake.entries().size(), options.root.string(),
               faults.entries().size(), options.fault_root.string());
  std::unique_ptr<Archiver> archiver(new Archiver(io, hub, std::move(options), clock, metrics));
  archiver->state_->lake_ends = lake.EndPositions();
  archiver->state_->fault_ends = faults.EndPositions();
  return archiver;
}

void Archiver::Start() {
  asio::co_spawn(state_->io, ScanTopics(), asio::detached);
}

void Archiver::Stop() {
  state_->stopped = true;
}

bool Archiver::Archives(const std::string& topic) const {
  const ArchiverOptions& options = state_->options;
  if (topic == options.fault_topic) return true;
  if (options.topics.empty()) return !topic.starts_with('_');
  return std::any_of(options.topics.begin(), options.topics.end(), [&](const std::string& wanted) {
    return wanted.ends_with('*') ? topic.starts_with(std::string_view(wanted).substr(0, wanted.size() - 1))
                                 : topic == wanted;
  });
}

Awaitable<void> Archiver::ScanTopics() {
  State& state = *state_;
  while (!state.stopped) {
    Result<std::vector<std::string>> topics = co_await state.hub.Topics();
    if (!topics) {
      spdlog::warn("lake: listing topics: {}", topics.error().ToString());
    } else {
      for (const std::string& topic : *topics) {
        if (state.topics.contains(topic) || !Archives(topic)) continue;
        auto archive = std::make_shared<TopicArchive>(state, topic);
        state.topics.emplace(topic, archive);
        asio::co_spawn(state.io, archive->Run(), asio::detached);
      }
    }
    asio::steady_timer timer(state.io, state.options.topic_scan);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

std::map<std::string, int64_t> Archiver::Lag() const {
  std::map<std::string, int64_t> lag;
  for (const auto& [name, topic] : state_->topics) lag.merge(topic->Lag());
  return lag;
}

}  // namespace tarn::lake
