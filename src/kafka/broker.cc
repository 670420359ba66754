#include "kafka/broker.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>

#include "base/file_util.h"
#include "kafka/error_code.h"
#include "kafka/log_cleaner.h"
#include "kafka/record_batch.h"
#include "log/batch_header.h"
#include "log/sync_thread.h"
#include "net/asio.h"
#include "net/signal.h"

namespace tarn::kafka {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int64_t kProducerIdBlock = 1000;
constexpr std::string_view kCreatingPrefix = ".creating-";
constexpr std::string_view kDeletedPrefix = ".deleted-";
constexpr size_t kMaxDecompressedBatch = 256 * 1024 * 1024;
// A refused batch names at most this many failing records, and checking stops there: a
// compressed batch of millions of tiny records must not buy a response of millions of
// messages.
constexpr size_t kMaxRecordErrors = 100;

std::string RandomClusterId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 22; ++i) id += kAlphabet[rd() % 64];
  return id;
}

AppendOutcome Refused(ErrorCode code, std::string message) {
  AppendOutcome out;
  out.error = static_cast<int16_t>(code);
  out.message = std::move(message);
  return out;
}

}  // namespace

struct Broker::Timers {
  explicit Timers(IoContext& io) : flush(io), retention(io), cleaner(io) {}
  asio::steady_timer flush;
  asio::steady_timer retention;
  asio::steady_timer cleaner;
};

Broker::Broker(IoContext& io, BrokerOptions options, const Clock& clock, MetricsRegistry* metrics)
    : io_(io),
      options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      sync_thread_(std::make_unique<log::SyncThread>()),
      durable_advanced_(std::make_unique<net::Signal>(io)),
      data_arrived_(std::make_unique<net::Signal>(io)),
      timers_(std::make_unique<Timers>(io)),
      alive_(std::make_shared<bool>(true)) {}

Broker::~Broker() {
  if (!closed_) {
    Status s = Close();
    if (!s.ok()) spdlog::error("closing the broker: {}", s.ToString());
  }
  *alive_ = false;
}

Result<std::unique_ptr<Broker>> Broker::Open(IoContext& io, BrokerOptions options,
                                             const Clock& clock, MetricsRegistry* metrics) {
  std::unique_ptr<Broker> broker(new Broker(io, std::move(options), clock, metrics));
  std::error_code ec;
  fs::create_directories(broker->options_.data_dir / "topics", ec);
  if (ec) {
    return Error(Status::IoError("cannot create data directory " +
                                 broker->options_.data_dir.string() + ": " + ec.message()));
  }
  TARN_TRY(broker->LoadMeta());
  TARN_TRY(broker->LoadTopics());
  broker->StartPeriodicTasks();
  return broker;
}

Status Broker::LoadMeta() {
  fs::path path = options_.data_dir / "meta.json";
  auto text = ReadFileToString(path);
  if (!text.has_value()) {
    if (text.error().code() != StatusCode::kNotFound) return text.error();
    cluster_id_ = RandomClusterId();
    producer_id_limit_ = 0;
  } else {
    json meta = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!meta.is_object() || !meta["cluster_id"].is_string() ||
        !meta["producer_id_limit"].is_number_integer()) {
      return Status::Corruption(path.string() + " is not a valid broker metadata file");
    }
    cluster_id_ = meta["cluster_id"].get<std::string>();
    producer_id_limit_ = meta["producer_id_limit"].get<int64_t>();
  }
  next_producer_id_ = producer_id_limit_;
  json meta = {{"cluster_id", cluster_id_}, {"node_id", options_.node_id},
               {"producer_id_limit", producer_id_limit_}};
  return WriteFileAtomically(path, meta.dump(2) + "\n");
}

Result<int64_t> Broker::AllocateProducerId() {
  if (next_producer_id_ >= producer_id_limit_) {
    int64_t limit = producer_id_limit_ + kProducerIdBlock;
    json meta = {{"cluster_id", cluster_id_}, {"node_id", options_.node_id},
                 {"producer_id_limit", limit}};
    TARN_TRY(WriteFileAtomically(options_.data_dir / "meta.json", meta.dump(2) + "\n"));
    producer_id_limit_ = limit;
  }
  return next_producer_id_++;
}

Status Broker::LoadTopics() {
  fs::path root = options_.data_dir / "topics";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    std::string name = entry.path().filename().string();
    if (name.starts_with(kCreatingPrefix) || name.starts_with(kDeletedPrefix)) {
      // An interrupted create or delete: the topic was never acknowledged, or is already gone.
      fs::remove_all(entry.path(), ec);
      continue;
    }
    TARN_ASSIGN_OR_RETURN(auto topic, LoadTopic(entry.path()));
    topics_[topic->name] = std::move(topic);
  }
  if (ec) return Status::IoError("cannot list " + root.string() + ": " + ec.message());
  spdlog::info("loaded {} topics from {}", topics_.size(), root.string());
  return Status::Ok();
}

Result<std::shared_ptr<Topic>> Broker::LoadTopic(const fs::path& dir) {
  TARN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir / "topic.json"));
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc["name"].is_string() || !doc["partitions"].is_number_integer() ||
      !doc["configs"].is_object()) {
    return Error(Status::Corruption((dir / "topic.json").string() + " is not a valid topic file"));
  }
  auto topic = std::make_shared<Topic>();
  topic->name = doc["name"].get<std::string>();
  topic->dir = dir;
  std::map<std::string, std::string> overrides;
  for (auto& [k, v] : doc["configs"].items()) {
    if (v.is_string()) overrides[k] = v.get<std::string>();
  }
  auto settings = TopicSettings::Make(options_.topic_defaults, overrides);
  if (!settings.has_value()) return Error(settings.error().WithContext("topic " + topic->name));
  topic->settings = std::move(*settings);
  topic->metrics = metrics_.ForTopic(topic->name);
  int32_t count = doc["partitions"].get<int32_t>();
  for (int32_t i = 0; i < count; ++i) {
    TARN_ASSIGN_OR_RETURN(auto partition, OpenPartition(*topic, i));
    topic->partitions.push_back(std::move(partition));
  }
  return topic;
}

Result<std::unique_ptr<Partition>> Broker::OpenPartition(const Topic& topic, int32_t id) {
  fs::path dir = topic.dir / std::to_string(id);
  auto partition = std::make_unique<Partition>();
  partition->id = id;
  auto log = log::PartitionLog::Open(dir, topic.settings.effective.ToLogConfig(), clock_);
  if (!log.has_value()) {
    return Error(log.error().WithContext("topic " + topic.name + " partition " + std::to_string(id)));
  }
  partition->log = std::move(*log);
  // Idempotent-producer state: the snapshot written at the last clean shutdown, then every
  // batch after it; with no usable snapshot, the whole log.
  Offset scan_from = partition->log->log_start_offset();
  auto snapshot = ReadFileToString(dir / "producer.snapshot");
  if (snapshot.has_value()) {
    size_t newline = snapshot->find('\n');
    int64_t at = -1;
    if (newline != std::string::npos) at = std::strtoll(snapshot->substr(0, newline).c_str(), nullptr, 10);
    auto table = ProducerStateTable::Deserialize(std::string_view(*snapshot).substr(newline + 1));
    if (newline != std::string::npos && table.has_value() && at >= scan_from.value() &&
        at <= partition->log->next_offset().value()) {
      partition->producers = std::move(*table);
      scan_from = Offset(at);
    } else {
      spdlog::warn("topic {} partition {}: ignoring an unusable producer snapshot", topic.name, id);
    }
  }
  if (scan_from < partition->log->next_offset()) {
    Status s = partition->log->ScanBatchHeaders(
        scan_from, [&](const log::BatchHeader& h) { partition->producers.Record(h); });
    if (!s.ok()) return Error(s.WithContext("rebuilding producer state of " + topic.name));
  }
  // Whatever survived recovery is on disk now.
  partition->log->MarkDurable(partition->log->next_offset());
  return partition;
}

Status Broker::ValidateTopicName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("topic name is empty");
  if (name.size() > 249) return Status::InvalidArgument("topic name is longer than 249 characters");
  if (name == "." || name == "..") return Status::InvalidArgument("topic name cannot be . or ..");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("topic name '" + std::string(name) +
                                     "' may contain only ASCII letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<Topic>> Broker::CreateTopic(const std::string& name, int32_t partitions,
                                                   const std::map<std::string, std::string>& configs,
                                                   bool validate_only) {
  TARN_TRY(ValidateTopicName(name));
  if (topics_.contains(name)) return Error(Status::AlreadyExists("topic '" + name + "' already exists"));
  if (partitions == -1) partitions = options_.default_partitions;
  if (partitions <= 0 || partitions > 10000) {
    return Error(Status::InvalidArgument("partition count " + std::to_string(partitions) +
                                         " is outside 1..10000"));
  }
  TARN_ASSIGN_OR_RETURN(TopicSettings settings, TopicSettings::Make(options_.topic_defaults, configs));
  if (validate_only) {
    auto topic = std::make_shared<Topic>();
    topic->name = name;
    topic->settings = std::move(settings);
    return topic;
  }
  fs::path root = options_.data_dir / "topics";
  fs::path staging = root / (std::string(kCreatingPrefix) + name);
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Error(Status::IoError("cannot create " + staging.string() + ": " + ec.message()));
  json doc = {{"name", name}, {"partitions", partitions}, {"configs", json::object()}};
  for (const auto& [k, v] : settings.overrides) doc["configs"][k] = v;
  TARN_TRY(WriteFileAtomically(staging / "topic.json", doc.dump(2) + "\n"));
  fs::path dir = root / name;
  fs::rename(staging, dir, ec);
  if (ec) return Error(Status::IoError("cannot create topic directory " + dir.string() + ": " + ec.message()));
  TARN_TRY(SyncDirectory(root));

  auto topic = std::make_shared<Topic>();
  topic->name = name;
  topic->dir = dir;
  topic->settings = std::move(settings);
  topic->metrics = metrics_.ForTopic(name);
  for (int32_t i = 0; i < partitions; ++i) {
    TARN_ASSIGN_OR_RETURN(auto partition, OpenPartition(*topic, i));
    topic->partitions.push_back(std::move(partition));
  }
  topics_[name] = topic;
  spdlog::info("created topic {} with {} partitions", name, partitions);
  return topic;
}

Status Broker::DeleteTopic(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return Status::NotFound("topic '" + name + "' does not exist");
  std::shared_ptr<Topic> topic = it->second;
  topics_.erase(it);
  topic->deleted = true;
  for (auto& p : topic->partitions) {
    Status s = p->log->Close();
    if (!s.ok()) spdlog::warn("closing {} partition {}: {}", name, p->id, s.ToString());
  }
  fs::path graveyard = options_.data_dir / "topics" /
                       (std::string(kDeletedPrefix) + name + "-" + std::to_string(clock_.NowMs()));
  std::error_code ec;
  fs::rename(topic->dir, graveyard, ec);
  if (ec) return Status::IoError("cannot delete " + topic->dir.string() + ": " + ec.message());
  TARN_TRY(SyncDirectory(options_.data_dir / "topics"));
  fs::remove_all(graveyard, ec);
  metrics_.RemoveTopic(name);
  data_arrived_->NotifyAll();  // long polls on the topic return now
  durable_advanced_->NotifyAll();
  spdlog::info("deleted topic {}", name);
  return Status::Ok();
}

std::shared_ptr<Topic> Broker::FindTopic(const std::string& name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<Topic>> Broker::FindOrCreateTopic(const std::string& name) {
  if (auto topic = FindTopic(name)) return topic;
  if (!options_.auto_create_topics) {
    return Error(Status::NotFound("topic '" + name + "' does not exist"));
  }
  return CreateTopic(name, options_.default_partitions, {});
}

std::vector<std::shared_ptr<Topic>> Broker::Topics() const {
  std::vector<std::shared_ptr<Topic>> out;
  out.reserve(topics_.size());
  for (const auto& [name, topic] : topics_) out.push_back(topic);
  return out;
}

AppendOutcome Broker::Append(const std::shared_ptr<Topic>& topic_ptr, Partition& partition,
                             MutableByteView batch) {
  Topic& topic = *topic_ptr;
  if (topic.deleted) return Refused(ErrorCode::kUnknownTopicOrPartition, "topic was deleted");
  if (!partition.failure.ok()) {
    return Refused(ErrorCode::kKafkaStorageError, partition.failure.message());
  }
  auto parsed = log::BatchHeader::Parse(batch);
  if (!parsed.has_value()) return Refused(ErrorCode::kCorruptMessage, parsed.error().message());
  log::BatchHeader header = *parsed;
  auto check = partition.producers.Validate(header);
  switch (check.verdict) {
    case ProducerStateTable::Verdict::kInvalidEpoch:
      return Refused(ErrorCode::kInvalidProducerEpoch, "producer epoch is older than the current one");
    case ProducerStateTable::Verdict::kOutOfOrder:
      return Refused(ErrorCode::kOutOfOrderSequenceNumber, "sequence number out of order");
    case ProducerStateTable::Verdict::kDuplicate: {
      AppendOutcome dup;
      dup.base_offset = check.duplicate_of;
      dup.last_offset = check.duplicate_of + header.last_offset_delta;
      dup.duplicate = true;
      return dup;
    }
    case ProducerStateTable::Verdict::kAppend:
      break;
  }
  // Checked only now, so an idempotent producer's retry gets its first answer back and a
  // refused batch never reaches producers.Record().
  if (topic.settings.effective.validation && validator_) {
    if (std::optional<AppendOutcome> refused = CheckRecords(topic, batch)) return *refused;
  }
  AppendOutcome out;
  if (topic.settings.effective.message_timestamp_type == "LogAppendTime") {
    // The broker's clock replaces the producer's; the CRC covers both fields, so it is redone.
    out.log_append_time = clock_.NowMs();
    log::BatchHeader stamped = header;
    stamped.attributes = static_cast<int16_t>(header.attributes | 0x08);
    stamped.max_timestamp = out.log_append_time;
    stamped.WriteTo(batch);
  }
  auto appended = partition.log->Append(batch);
  if (!appended.has_value()) {
    if (appended.error().code() == StatusCode::kIoError) {
      partition.failure = appended.error();
      spdlog::error("topic {} partition {} is offline: {}", topic.name, partition.id,
                    appended.error().ToString());
      return Refused(ErrorCode::kKafkaStorageError, appended.error().message());
    }
    return Refused(ToErrorCode(appended.error()), appended.error().message());
  }
  header.base_offset = appended->base_offset.value();
  partition.producers.Record(header);
  out.base_offset = appended->base_offset;
  out.last_offset = appended->last_offset;
  topic.metrics.bytes_in->Increment(batch.size());
  topic.metrics.records_in->Increment(static_cast<uint64_t>(header.last_offset_delta) + 1);
  MarkDirty(topic_ptr, partition);
  if (options_.flush_interval_ms > 0) data_arrived_->NotifyAll();
  return out;
}

std::optional<AppendOutcome> Broker::CheckRecords(const Topic& topic, ByteView batch) const {
  // The Produce handler has checked the batch, but other writers have not.
  Result<DecodedBatch> decoded = DecodeBatch(batch, kMaxDecompressedBatch);
  if (!decoded.has_value()) return Refused(ErrorCode::kCorruptMessage, decoded.error().message());
  const std::vector<Record>& records = decoded->records();
  const bool compacted = topic.settings.effective.compacted();
  std::vector<RecordError> errors;
  for (size_t i = 0; i < records.size() && errors.size() < kMaxRecordErrors; ++i) {
    // A tombstone deletes its key from a compacted topic: it holds nothing to check.
    if (compacted && !records[i].value.has_value()) continue;
    Status checked = validator_(topic.name, records[i]);
    if (!checked.ok()) errors.push_back({static_cast<int32_t>(i), checked.message()});
  }
  if (errors.empty()) return std::nullopt;
  topic.metrics.records_refused->Increment(errors.size());
  const RecordError& first = errors.front();
  std::string how_many = errors.size() == kMaxRecordErrors ? "at least " : "";
  how_many += std::to_string(errors.size()) + " of " + std::to_string(records.size());
  AppendOutcome out = Refused(
      ErrorCode::kInvalidRecord,
      errors.size() == 1 ? "tarn.validation refused record " + std::to_string(first.batch_index) +
                               " of " + std::to_string(records.size()) + ": " + first.message
                         : "tarn.validation refused " + how_many + " records; the first, record " +
                               std::to_string(first.batch_index) + ": " + first.message);
  out.record_errors = std::move(errors);
  return out;
}

void Broker::MarkDirty(const std::shared_ptr<Topic>& topic, Partition& partition) {
  if (!partition.dirty) {
    partition.dirty = true;
    dirty_.emplace_back(topic, &partition);
  }
  if (options_.flush_interval_ms == 0) StartSyncRound();
}

void Broker::StartSyncRound() {
  if (sync_in_flight_ || dirty_.empty()) return;
  struct Done {
    std::shared_ptr<Topic> topic;
    Partition* partition;
    Offset end;
  };
  std::vector<std::shared_ptr<log::LogFile>> files;
  std::vector<Done> done;
  for (auto& [topic, partition] : dirty_) {
    partition->dirty = false;
    if (topic->deleted) continue;
    log::SyncPoint point = partition->log->PendingSync();
    files.insert(files.end(), point.files.begin(), point.files.end());
    done.push_back(Done{topic, partition, point.end});
  }
  dirty_.clear();
  sync_in_flight_ = true;
  const auto started = std::chrono::steady_clock::now();
  sync_thread_->Submit(std::move(files), [this, alive = alive_, done = std::move(done), started](Status s) mutable {
    asio::post(io_, [this, alive, done = std::move(done), s, started]() {
      if (!*alive) return;
      sync_in_flight_ = false;
      metrics_.sync_round_seconds().Observe(std::chrono::steady_clock::now() - started);
      uint64_t syncs = sync_thread_->sync_count();
      metrics_.fsyncs().Increment(syncs - fsyncs_reported_);
      fsyncs_reported_ = syncs;
      for (const Done& d : done) {
        if (d.topic->deleted) continue;
        if (!s.ok()) {
          d.partition->failure = s;
          spdlog::error("topic {} partition {} is offline: sync failed: {}", d.topic->name,
                        d.partition->id, s.ToString());
        } else {
          d.partition->log->MarkDurable(d.end);
        }
      }
      durable_advanced_->NotifyAll();
      data_arrived_->NotifyAll();
      StartSyncRound();
    });
  });
}

Awaitable<Status> Broker::WaitDurable(std::shared_ptr<Topic> topic, Partition& partition, Offset end) {
  if (options_.flush_interval_ms > 0) co_return Status::Ok();
  for (;;) {
    if (topic->deleted) co_return Status::NotFound("topic " + topic->name + " was deleted");
    if (!partition.failure.ok()) co_return partition.failure;
    if (partition.log->durable_offset() >= end) co_return Status::Ok();
    co_await durable_advanced_->Wait();
  }
}

Offset Broker::HighWatermark(const Partition& partition) const {
  return options_.flush_interval_ms > 0 ? partition.log->next_offset()
                                        : partition.log->durable_offset();
}

Result<Bytes> Broker::Read(Partition& partition, Offset from, int32_t max_bytes) const {
  Offset hwm = HighWatermark(partition);
  Offset start = partition.log->log_start_offset();
  if (from < start || from > hwm) {
    return Error(Status::OutOfRange("offset " + std::to_string(from.value()) + " is outside [" +
                                    std::to_string(start.value()) + ", " +
                                    std::to_string(hwm.value()) + "]"));
  }
  if (from == hwm) return Bytes{};
  return partition.log->Read(from, max_bytes, hwm);
}

Awaitable<void> Broker::WaitForData(std::chrono::steady_clock::time_point deadline) {
  co_await data_arrived_->WaitUntil(deadline);
}

Result<std::optional<TimestampedOffset>> Broker::OffsetForTimestamp(Partition& partition,
                                                                   int64_t ts) const {
  using Answer = std::optional<TimestampedOffset>;
  TARN_ASSIGN_OR_RETURN(std::optional<Offset> base, partition.log->FindBatchByTimestamp(ts));
  Offset hwm = HighWatermark(partition);
  Offset start = partition.log->log_start_offset();
  while (base.has_value() && *base < hwm) {
    TARN_ASSIGN_OR_RETURN(Bytes bytes, partition.log->Read(std::max(*base, start), 1));
    if (bytes.empty()) break;
    TARN_ASSIGN_OR_RETURN(auto header, log::BatchHeader::Parse(bytes));
    if (header.max_timestamp >= ts) {
      ByteView one(bytes.data(), std::min(bytes.size(), header.total_size()));
      TARN_ASSIGN_OR_RETURN(DecodedBatch batch, DecodeBatch(one, kMaxDecompressedBatch));
      if (auto hit = FirstRecordAtOrAfter(batch, ts, start)) {
        if (hit->offset >= hwm) return Answer();
        return Answer(*hit);
      }
    }
    // Timestamps need not grow within a partition: keep looking in the next batch.
    base = header.last_offset() + 1;
  }
  return Answer();
}

void Broker::StartPeriodicTasks() {
  if (options_.flush_interval_ms > 0) {
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [this, alive = alive_, tick_weak = std::weak_ptr(tick)]() {
      timers_->flush.expires_after(std::chrono::milliseconds(options_.flush_interval_ms));
      timers_->flush.async_wait([this, alive, tick_weak](boost::system::error_code ec) {
        if (ec || !*alive) return;
        StartSyncRound();
        if (auto t = tick_weak.lock()) (*t)();
      });
    };
    flush_tick_ = tick;
    (*tick)();
  }
  auto retention = std::make_shared<std::function<void()>>();
  *retention = [this, alive = alive_, weak = std::weak_ptr(retention)]() {
    timers_->retention.expires_after(std::chrono::milliseconds(options_.retention_check_interval_ms));
    timers_->retention.async_wait([this, alive, weak](boost::system::error_code ec) {
      if (ec || !*alive) return;
      ApplyRetention();
      if (auto r = weak.lock()) (*r)();
    });
  };
  retention_tick_ = retention;
  (*retention)();

  cleaner_ = std::make_unique<LogCleaner>(io_, clock_, metrics_.cleaner());
  auto clean = std::make_shared<std::function<void()>>();
  *clean = [this, alive = alive_, weak = std::weak_ptr(clean)]() {
    timers_->cleaner.expires_after(std::chrono::milliseconds(options_.log_cleaner_interval_ms));
    timers_->cleaner.async_wait([this, alive, weak](boost::system::error_code ec) {
      if (ec || !*alive || !cleaner_) return;
      cleaner_->Tick(Topics());
      if (auto c = weak.lock()) (*c)();
    });
  };
  cleaner_tick_ = clean;
  (*clean)();
}

void Broker::ApplyRetention() {
  for (const auto& [name, topic] : topics_) {
    if (!topic->settings.effective.deletes()) continue;
    for (const auto& p : topic->partitions) {
      auto removed = p->log->ApplyRetention();
      if (!removed.has_value()) {
        spdlog::warn("retention on {} partition {}: {}", name, p->id, removed.error().ToString());
      } else if (*removed > 0) {
        spdlog::info("retention removed {} segments of {} partition {}", *removed, name, p->id);
      }
    }
  }
}

Status Broker::SaveProducerSnapshot(const Topic& topic, Partition& partition) {
  std::string text = std::to_string(partition.log->next_offset().value()) + "\n" +
                     partition.producers.Serialize();
  return WriteFileAtomically(topic.dir / std::to_string(partition.id) / "producer.snapshot", text);
}

Status Broker::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  boost::system::error_code ec;
  timers_->flush.cancel();
  timers_->retention.cancel();
  timers_->cleaner.cancel();
  cleaner_.reset();  // cancels a compaction in progress and waits for its thread
  Status first;
  for (const auto& [name, topic] : topics_) {
    for (const auto& p : topic->partitions) {
      Status s = p->log->Close();  // syncs
      if (s.ok() && p->failure.ok()) s = SaveProducerSnapshot(*topic, *p);
      if (!s.ok()) {
        spdlog::error("closing {} partition {}: {}", name, p->id, s.ToString());
        if (first.ok()) first = s;
      }
    }
  }
  return first;
}

void Broker::CountFetched(const Topic& topic, ByteView batches) {
  uint64_t records = 0;
  size_t pos = 0;
  while (pos + log::BatchHeader::kSize <= batches.size()) {
    records += static_cast<uint64_t>(LoadBigEndian<int32_t>(batches.data() + pos + 23)) + 1;
    pos += log::BatchHeader::kLengthFieldEnd + LoadBigEndian<int32_t>(batches.data() + pos + 8);
  }
  topic.metrics.bytes_out->Increment(batches.size());
  topic.metrics.records_out->Increment(records);
}

uint64_t Broker::fsync_count() const { return sync_thread_->sync_count(); }

}  // namespace tarn::kafka
