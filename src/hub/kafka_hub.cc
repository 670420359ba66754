#include "hub/kafka_hub.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "hub/kafka_client.h"
#include "hub/partitioner.h"
#include "net/asio.h"
#include "net/on_worker.h"
#include "net/signal.h"

namespace tarn::hub {
namespace {

using net::OnWorker;

using SteadyClock = std::chrono::steady_clock;

// A delivery report finds its Append and record through the message's opaque: the Append's id in
// the high bits, the record's index in the low ones.
constexpr int kIndexBits = 24;
constexpr size_t kMaxRecordsPerAppend = size_t{1} << kIndexBits;
static_assert(sizeof(void*) == sizeof(uint64_t), "the opaque packs 64 bits");

void* MessageOpaque(uint64_t append_id, size_t index) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(append_id << kIndexBits | index));
}

std::pair<uint64_t, size_t> AppendAndIndex(void* opaque) {
  const auto bits = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(opaque));
  return {bits >> kIndexBits, static_cast<size_t>(bits & (kMaxRecordsPerAppend - 1))};
}

// How many records one poll of a reader's queue takes at most.
constexpr size_t kPollBatch = 256;

std::string PartitionName(std::string_view topic, int32_t partition) {
  return std::string(topic) + "/" + std::to_string(partition);
}

// The Status for a record the producer could not write. The refusals that are the record's own
// fault (too large, malformed) are kInvalidArgument, as the Hub contract has it.
Status RecordError(rd_kafka_resp_err_t err, std::string_view topic, int32_t partition, size_t index,
                   std::string_view detail) {
  std::string message =
      "record " + std::to_string(index) + " to " + PartitionName(topic, partition) +
      " was not written: " + std::string(detail.empty() ? rd_kafka_err2str(err) : detail);
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
      return Status::InvalidArgument(std::move(message));
    default:
      return Status(KafkaErrorCode(err), std::move(message));
  }
}

// Calls `on_ready` on the io_context's thread when `queue` gets an element while empty. librdkafka
// calls back on its own threads, under the queue's lock; the call is posted, and dropped when
// this waker is gone by the time it runs.
class QueueWaker {
 public:
  QueueWaker(IoContext& io, rd_kafka_queue_t* queue, std::function<void()> on_ready)
      : io_(io),
        queue_(queue),
        on_ready_(std::make_shared<std::function<void()>>(std::move(on_ready))) {
    rd_kafka_queue_cb_event_enable(queue_, &QueueWaker::OnEvent, this);
  }
  // Once disabled (under the queue's lock) the callback no longer runs.
  ~QueueWaker() { rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr); }
  QueueWaker(const QueueWaker&) = delete;
  QueueWaker& operator=(const QueueWaker&) = delete;

 private:
  static void OnEvent(rd_kafka_t* /*handle*/, void* opaque) {
    auto* self = static_cast<QueueWaker*>(opaque);
    std::weak_ptr<std::function<void()>> ready = self->on_ready_;
    asio::post(self->io_, [ready = std::move(ready)] {
      if (std::shared_ptr<std::function<void()>> call = ready.lock()) (*call)();
    });
  }

  IoContext& io_;
  rd_kafka_queue_t* queue_;
  std::shared_ptr<std::function<void()>> on_ready_;
};

StoredRecord ToStored(const rd_kafka_message_t& message) {
  StoredRecord record;
  record.partition = message.partition;
  record.offset = message.offset;
  rd_kafka_timestamp_type_t type;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, &type);
  if (message.key != nullptr) {
    record.key.emplace(static_cast<const char*>(message.key), message.key_len);
  }
  if (message.payload != nullptr) {
    record.value.emplace(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record.headers.push_back(RecordHeader{
          name, value != nullptr ? std::string(static_cast<const char*>(value), size) : ""});
    }
  }
  return record;
}

// The low and high watermarks of `partition`, asked of its leader. Blocks up to the client's
// time-out.
Result<PartitionBounds> QueryBounds(const KafkaClient& client, const std::string& topic,
                                    int32_t partition) {
  int64_t low = 0;
  int64_t high = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(client.get(), topic.c_str(), partition, &low, &high,
                                       static_cast<int>(client.timeout().count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(client.Explain(
        KafkaStatus(err, "cannot get the offsets of " + PartitionName(topic, partition))));
  }
  return PartitionBounds{low, high};
}

// Checks each position against its partition's bounds and assigns the consumer there. Returns
// whether a record is there to read. Blocks: one watermark query per partition, then assign().
Result<bool> AssignAt(const KafkaClient& client, const std::string& topic,
                      const std::map<int32_t, int64_t>& from) {
  bool due = false;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(from.size())));
  for (const auto& [partition, offset] : from) {
    TARN_ASSIGN_OR_RETURN(PartitionBounds bounds, QueryBounds(client, topic, partition));
    if (offset < bounds.log_start || offset > bounds.high_watermark) {
      return Error(Status::OutOfRange("offset " + std::to_string(offset) + " of " +
                                      PartitionName(topic, partition) + " is outside [" +
                                      std::to_string(bounds.log_start) + ", " +
                                      std::to_string(bounds.high_watermark) + "]"));
    }
    due = due || offset < bounds.high_watermark;
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  }
  TARN_TRY(KafkaStatus(rd_kafka_assign(client.get(), list.get()), "cannot assign " + topic));
  return due;
}

std::vector<std::pair<std::string, std::string>> ProducerProperties(
    const KafkaHubOptions& options) {
  return {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"partitioner", "murmur2_random"},  // Append picks partitions itself; this is for agreement
      {"message.timeout.ms", std::to_string(options.timeout.count())},
      {"message.max.bytes", std::to_string(options.max_record_bytes)},
      {"allow.auto.create.topics", "false"},
  };
}

std::vector<std::pair<std::string, std::string>> ConsumerProperties() {
  return {
      // assign() needs a group id; the reader never joins the group nor commits.
      {"group.id", "tarn-hub-reader"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"auto.offset.reset", "error"},  // a position outside the log is an error, never a jump
      {"allow.auto.create.topics", "false"},
      // A reader kept for reuse prefetches; keep what it may hold small.
      {"queued.min.messages", "1000"},
      {"queued.max.messages.kbytes", "4096"},
  };
}

}  // namespace

// The producer handle and the appends awaiting delivery reports. Its queue is served on the
// io_context's thread; the client may also be used from the workers (metadata, admin, offsets).
class KafkaHub::Producer {
 public:
  // One Append's records awaiting their delivery reports.
  struct Pending {
    Pending(IoContext& io, size_t records) : positions(records), done(io) {}
    std::vector<RecordPosition> positions;
    size_t awaiting = 0;
    size_t first_failed = std::numeric_limits<size_t>::max();
    Status error;  // the failure of the first record (in input order) that failed
    net::Signal done;
  };

  Producer(KafkaClient client, QueuePtr events)
      : client_(std::move(client)), events_(std::move(events)) {}

  // Starts serving the delivery reports: from now on, on the io_context's thread.
  static void Start(const std::shared_ptr<Producer>& producer, IoContext& io) {
    std::weak_ptr<Producer> weak = producer;
    producer->waker_ = std::make_unique<QueueWaker>(io, producer->events_.get(), [weak] {
      if (std::shared_ptr<Producer> alive = weak.lock()) alive->ServeEvents();
    });
    producer->ServeEvents();
  }

  ~Producer() { waker_.reset(); }

  const KafkaClient& client() const { return client_; }
  const Status& fatal() const { return fatal_; }

  uint64_t Track(std::shared_ptr<Pending> pending) {
    const uint64_t id = next_append_id_++;
    in_flight_.emplace(id, std::move(pending));
    return id;
  }
  void Forget(uint64_t id) { in_flight_.erase(id); }

  // Hands one record to librdkafka (without waiting). The error is the record's own, from
  // librdkafka's checks (too large, unknown partition, queue full).
  Status Enqueue(const std::string& topic, int32_t partition, const OutgoingRecord& record,
                 size_t index, void* opaque) {
    HeadersPtr headers;
    if (!record.headers.empty()) {
      headers.reset(rd_kafka_headers_new(record.headers.size()));
      for (const RecordHeader& header : record.headers) {
        rd_kafka_header_add(headers.get(), header.name.data(),
                            static_cast<ssize_t>(header.name.size()), header.value.data(),
                            static_cast<ssize_t>(header.value.size()));
      }
    }
    rd_kafka_vu_t values[9];
    size_t count = 0;
    auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
      values[count].vtype = type;
      return values[count++];
    };
    add(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic.c_str();
    add(RD_KAFKA_VTYPE_PARTITION).u.i32 = partition;
    add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
    if (record.key) {
      rd_kafka_vu_t& key = add(RD_KAFKA_VTYPE_KEY);
      key.u.mem.ptr = const_cast<char*>(record.key->data());
      key.u.mem.size = record.key->size();
    }
    rd_kafka_vu_t& value = add(RD_KAFKA_VTYPE_VALUE);
    value.u.mem.ptr = record.value ? const_cast<char*>(record.value->data()) : nullptr;
    value.u.mem.size = record.value ? record.value->size() : 0;
    if (headers) add(RD_KAFKA_VTYPE_HEADERS).u.headers = headers.get();
    add(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = std::max<int64_t>(record.timestamp_ms, 0);  // 0: now
    add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = opaque;
    rd_kafka_error_t* error = rd_kafka_produceva(client_.get(), values, count);
    if (error != nullptr) {
      Status status = RecordError(rd_kafka_error_code(error), topic, partition, index,
                                  rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      return status;
    }
    (void)headers.release();  // the message owns them now
    return Status::Ok();
  }

 private:
  void ServeEvents() {
    while (EventPtr event = EventPtr(rd_kafka_queue_poll(events_.get(), 0))) {
      switch (rd_kafka_event_type(event.get())) {
        case RD_KAFKA_EVENT_DR:
          while (const rd_kafka_message_t* message = rd_kafka_event_message_next(event.get())) {
            OnDelivery(*message);
          }
          break;
        case RD_KAFKA_EVENT_ERROR:
          OnError(*event);
          break;
        default:
          break;
      }
    }
  }

  void OnDelivery(const rd_kafka_message_t& message) {
    auto [append_id, index] = AppendAndIndex(message._private);
    auto it = in_flight_.find(append_id);
    if (it == in_flight_.end()) return;
    Pending& pending = *it->second;
    if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (index < pending.first_failed) {
        pending.first_failed = index;
        const char* topic = message.rkt != nullptr ? rd_kafka_topic_name(message.rkt) : "?";
        // Not rd_kafka_message_errstr: on a delivery report the payload is the record's value.
        pending.error = client_.Explain(RecordError(message.err, topic, message.partition, index,
                                                    rd_kafka_err2str(message.err)));
      }
    } else {
      pending.positions[index] = RecordPosition{message.partition, message.offset};
    }
    if (--pending.awaiting == 0) pending.done.NotifyAll();
  }

  // Most errors here are passing (a broker went away; librdkafka retries). A fatal one (the
  // idempotent producer lost its sequence) stops every later append.
  void OnError(rd_kafka_event_t& event) {
    if (!rd_kafka_event_error_is_fatal(&event)) {
      spdlog::debug("kafka hub: producer: {}", rd_kafka_event_error_string(&event));
      return;
    }
    char reason[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(client_.get(), reason, sizeof(reason));
    fatal_ = Status::Unavailable(std::string("the producer stopped after a fatal error (") +
                                 rd_kafka_err2name(err) + "): " + reason);
    spdlog::error("kafka hub: {}", fatal_.message());
  }

  KafkaClient client_;
  QueuePtr events_;  // the main queue: delivery reports and errors
  std::unique_ptr<QueueWaker> waker_;
  uint64_t next_append_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Pending>> in_flight_;
  Status fatal_;
};

// One consumer, assigned to some partitions of one topic. `positions` says where the records in
// its queue continue for each of them; a Read from exactly there reuses what it prefetched.
// Members are destroyed in reverse: the waker first, the handle last.
struct KafkaHub::Reader {
  std::string topic;
  std::shared_ptr<KafkaClient> client;
  QueuePtr queue;                      // the consumer queue: records and errors
  std::shared_ptr<net::Signal> ready;  // notified when the queue gets something
  std::unique_ptr<QueueWaker> waker;
  std::map<int32_t, int64_t> positions;  // empty: nothing assigned yet
  SteadyClock::time_point idle_since;

  // Takes what the queue holds now, without waiting, into `records` (up to `max_records` in
  // all), moving `positions` past them. Returns how many messages it took, errors and stale
  // records included. An error of a partition fails the call; the last error of the client's
  // own (a broker is down) goes to `client_error`.
  Result<size_t> Poll(size_t max_records, std::vector<StoredRecord>& records,
                      Status& client_error) {
    rd_kafka_message_t* batch[kPollBatch];
    const size_t want = std::min(kPollBatch, max_records - records.size());
    const ssize_t got = rd_kafka_consume_batch_queue(queue.get(), 0, batch, want);
    if (got < 0) {
      return Error(
          Status::Internal("cannot poll the consumer of " + topic + ": " + std::strerror(errno)));
    }
    std::vector<MessagePtr> messages(batch, batch + got);
    for (const MessagePtr& message : messages) {
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string detail = rd_kafka_message_errstr(message.get());
        if (message->rkt == nullptr) {
          client_error = KafkaStatus(message->err, client->brokers(), detail);
          continue;
        }
        const std::string where = PartitionName(topic, message->partition);
        if (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
            message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
          return Error(Status::OutOfRange("offset " +
                                          std::to_string(positions[message->partition]) + " of " +
                                          where + " is out of range: " + detail));
        }
        return Error(client->Explain(KafkaStatus(message->err, where, detail)));
      }
      auto position = positions.find(message->partition);
      if (position == positions.end() || message->offset < position->second) continue;
      position->second = message->offset + 1;
      records.push_back(ToStored(*message));
    }
    return static_cast<size_t>(got);
  }
};

// Closes readers left idle past reader_idle_timeout; armed while any reader is idle.
struct KafkaHub::IdleSweep {
  explicit IdleSweep(IoContext& io) : timer(io) {}
  asio::steady_timer timer;
  bool armed = false;
};

KafkaHub::KafkaHub(IoContext& io, KafkaHubOptions options)
    : io_(io),
      options_(std::move(options)),
      workers_(std::make_unique<asio::thread_pool>(std::max(options_.worker_threads, 1))),
      idle_sweep_(std::make_shared<IdleSweep>(io)) {}

KafkaHub::~KafkaHub() {
  idle_sweep_->timer.cancel();
  CloseIdleReaders(/*all=*/true);
  workers_->join();  // the blocking calls under way finish (each within the time-out)
}

Result<std::unique_ptr<KafkaHub>> KafkaHub::Create(IoContext& io, KafkaHubOptions options) {
  TARN_TRY(ValidateBrokerList(options.brokers));
  if (options.timeout.count() <= 0) {
    return Error(Status::InvalidArgument("the time-out must be positive"));
  }
  KafkaClientOptions client_options{options.brokers, options.timeout, options.client_id};
  TARN_ASSIGN_OR_RETURN(ConfPtr conf, NewClientConf(client_options, ProducerProperties(options)));
  rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  TARN_ASSIGN_OR_RETURN(KafkaClient client,
                        KafkaClient::Create(RD_KAFKA_PRODUCER, std::move(conf), client_options));
  QueuePtr events(rd_kafka_queue_get_main(client.get()));
  std::unique_ptr<KafkaHub> hub(new KafkaHub(io, std::move(options)));
  hub->producer_ = std::make_shared<Producer>(std::move(client), std::move(events));
  Producer::Start(hub->producer_, io);
  return hub;
}

Awaitable<Result<int32_t>> KafkaHub::PartitionCount(std::string topic) {
  const auto now = SteadyClock::now();
  if (auto it = partition_counts_.find(topic);
      it != partition_counts_.end() && it->second.expires > now) {
    co_return it->second.partitions;
  }
  std::shared_ptr<Producer> producer = producer_;
  auto fetch = [producer, topic] { return producer->client().TopicPartitions(topic); };
  Result<std::vector<int32_t>> partitions = co_await OnWorker(*workers_, std::move(fetch));
  if (!partitions) co_return Error(partitions.error());
  const auto count = static_cast<int32_t>(partitions->size());
  partition_counts_[topic] = CachedCount{count, SteadyClock::now() + options_.metadata_max_age};
  co_return count;
}

Awaitable<Result<std::vector<std::string>>> KafkaHub::Topics() {
  std::shared_ptr<Producer> producer = producer_;
  auto fetch = [producer]() -> Result<std::vector<std::string>> {
    TARN_ASSIGN_OR_RETURN(MetadataPtr metadata, producer->client().FetchMetadata());
    std::vector<std::string> names;
    for (int t = 0; t < metadata->topic_cnt; ++t) {
      if (metadata->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) names.emplace_back(metadata->topics[t].topic);
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  co_return co_await OnWorker(*workers_, std::move(fetch));
}

Awaitable<Result<int32_t>> KafkaHub::EnsureTopic(std::string topic, TopicSpec spec) {
  std::shared_ptr<Producer> producer = producer_;
  auto ensure = [producer, topic, spec]() -> Result<int32_t> {
    const KafkaClient& client = producer->client();
    Result<std::vector<int32_t>> existing = client.TopicPartitions(topic);
    if (existing) return static_cast<int32_t>(existing->size());
    if (existing.error().code() != StatusCode::kNotFound) return Error(existing.error());

    char errstr[512];
    std::unique_ptr<rd_kafka_NewTopic_t, RdKafkaDeleter<rd_kafka_NewTopic_destroy>> request(
        rd_kafka_NewTopic_new(topic.c_str(), spec.partitions > 0 ? spec.partitions : -1,
                              /*replication_factor=*/-1, errstr, sizeof(errstr)));
    if (request == nullptr) return Error(Status::InvalidArgument(errstr));
    for (const auto& [name, value] : spec.configs) {
      TARN_TRY(KafkaStatus(rd_kafka_NewTopic_set_config(request.get(), name.c_str(), value.c_str()),
                           "config " + name));
    }
    rd_kafka_NewTopic_t* requests[] = {request.get()};
    TARN_ASSIGN_OR_RETURN(
        EventPtr event,
        client.RunAdmin(RD_KAFKA_ADMIN_OP_CREATETOPICS,
                        [&](const rd_kafka_AdminOptions_t* admin_options, rd_kafka_queue_t* queue) {
                          rd_kafka_CreateTopics(client.get(), requests, 1, admin_options, queue);
                        }));
    size_t results = 0;
    const rd_kafka_topic_result_t** created = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &results);
    for (size_t i = 0; i < results; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(created[i]);
      if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;  // made meanwhile: fine
      const char* detail = rd_kafka_topic_result_error_string(created[i]);
      TARN_TRY(KafkaStatus(err, "cannot create topic \"" + topic + "\"",
                           detail != nullptr ? detail : ""));
    }
    // Metadata may lag the creation for a moment.
    const auto deadline = SteadyClock::now() + client.timeout();
    for (;;) {
      Result<std::vector<int32_t>> partitions = client.TopicPartitions(topic);
      if (partitions && !partitions->empty()) return static_cast<int32_t>(partitions->size());
      if (SteadyClock::now() >= deadline) {
        return Error(partitions ? Status::Timeout("topic \"" + topic +
                                                  "\" was created but has no partitions yet")
                                : partitions.error());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  Result<int32_t> count = co_await OnWorker(*workers_, std::move(ensure));
  if (!count) co_return Error(count.error());
  partition_counts_[topic] = CachedCount{*count, SteadyClock::now() + options_.metadata_max_age};
  co_return *count;
}

Awaitable<Result<std::vector<RecordPosition>>> KafkaHub::Append(
    std::string topic, std::vector<OutgoingRecord> records) {
  using Positions = std::vector<RecordPosition>;
  if (records.empty()) co_return Positions();
  if (records.size() >= kMaxRecordsPerAppend) {
    co_return Error(Status::InvalidArgument("at most " + std::to_string(kMaxRecordsPerAppend - 1) +
                                            " records in one append, got " +
                                            std::to_string(records.size())));
  }
  if (!producer_->fatal().ok()) co_return Error(producer_->fatal());
  Result<int32_t> partition_count = co_await PartitionCount(topic);
  if (!partition_count) co_return Error(partition_count.error());
  const int32_t keyless_partition =
      static_cast<int32_t>(next_keyless_partition_++ % static_cast<uint32_t>(*partition_count));

  // The records of each partition are handed over back to back, in the given order, so that
  // the producer batches them together.
  std::map<int32_t, std::vector<size_t>> by_partition;
  for (size_t i = 0; i < records.size(); ++i) {
    const OutgoingRecord& record = records[i];
    by_partition[record.key ? PartitionForKey(*record.key, *partition_count) : keyless_partition]
        .push_back(i);
  }
  auto pending = std::make_shared<Producer::Pending>(io_, records.size());
  const uint64_t append_id = producer_->Track(pending);
  Status refused;
  for (const auto& [partition, indexes] : by_partition) {
    for (size_t i : indexes) {
      refused = producer_->Enqueue(topic, partition, records[i], i, MessageOpaque(append_id, i));
      if (!refused.ok()) break;
      ++pending->awaiting;
    }
    if (!refused.ok()) break;
  }
  // Every record handed over gets a report (at the latest when message.timeout.ms passes).
  while (pending->awaiting > 0) co_await pending->done.Wait();
  producer_->Forget(append_id);
  Status failed = !refused.ok() ? refused : pending->error;
  if (!failed.ok()) {
    if (failed.code() == StatusCode::kNotFound) partition_counts_.erase(topic);
    co_return Error(failed);
  }
  co_return std::move(pending->positions);
}

Awaitable<Result<std::map<int32_t, PartitionBounds>>> KafkaHub::Bounds(std::string topic) {
  Result<int32_t> partition_count = co_await PartitionCount(topic);
  if (!partition_count) co_return Error(partition_count.error());
  std::shared_ptr<Producer> producer = producer_;
  auto query = [producer, topic,
                count = *partition_count]() -> Result<std::map<int32_t, PartitionBounds>> {
    std::map<int32_t, PartitionBounds> bounds;
    for (int32_t partition = 0; partition < count; ++partition) {
      TARN_ASSIGN_OR_RETURN(bounds[partition], QueryBounds(producer->client(), topic, partition));
    }
    return bounds;
  };
  Result<std::map<int32_t, PartitionBounds>> bounds =
      co_await OnWorker(*workers_, std::move(query));
  co_return bounds;
}

Awaitable<Result<std::map<int32_t, int64_t>>> KafkaHub::CommittedOffsets(std::string group,
                                                                         std::string topic) {
  Result<int32_t> partition_count = co_await PartitionCount(topic);
  if (!partition_count) co_return Error(partition_count.error());
  std::shared_ptr<Producer> producer = producer_;
  auto list = [producer, group, topic,
               count = *partition_count]() -> Result<std::map<int32_t, int64_t>> {
    PartitionListPtr partitions(rd_kafka_topic_partition_list_new(count));
    for (int32_t partition = 0; partition < count; ++partition) {
      rd_kafka_topic_partition_list_add(partitions.get(), topic.c_str(), partition);
    }
    TARN_ASSIGN_OR_RETURN(auto committed, ListGroupOffsets(producer->client(), group, *partitions));
    std::map<int32_t, int64_t> offsets;
    for (const auto& [where, offset] : committed) {
      if (where.first == topic) offsets[where.second] = offset;
    }
    return offsets;
  };
  Result<std::map<int32_t, int64_t>> offsets = co_await OnWorker(*workers_, std::move(list));
  co_return offsets;
}

Awaitable<Status> KafkaHub::CommitOffsets(std::string group, std::string topic,
                                          std::map<int32_t, int64_t> offsets) {
  if (offsets.empty()) co_return Status::Ok();
  std::shared_ptr<Producer> producer = producer_;
  auto commit = [producer, group, topic, offsets] {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [partition, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    }
    return AlterGroupOffsets(producer->client(), group, *list);
  };
  Status committed = co_await OnWorker(*workers_, std::move(commit));
  co_return committed;
}

Awaitable<Result<std::vector<StoredRecord>>> KafkaHub::Read(std::string topic,
                                                            std::map<int32_t, int64_t> from,
                                                            size_t max_records,
                                                            std::chrono::milliseconds max_wait) {
  using Records = std::vector<StoredRecord>;
  if (from.empty()) co_return Records();
  Result<std::unique_ptr<Reader>> reader = TakeReader(topic, from);
  if (!reader) co_return Error(reader.error());
  Result<Records> records = co_await ReadFrom(**reader, std::move(from), max_records, max_wait);
  if (!records) (*reader)->positions.clear();  // where it stands is unclear: assign afresh
  ReturnReader(std::move(*reader));
  co_return records;
}

Awaitable<Result<std::vector<StoredRecord>>> KafkaHub::ReadFrom(
    Reader& reader, std::map<int32_t, int64_t> from, size_t max_records,
    std::chrono::milliseconds max_wait) {
  using Records = std::vector<StoredRecord>;
  max_records = std::max<size_t>(max_records, 1);
  auto deadline = SteadyClock::now() + max_wait;
  bool record_due = false;  // some position is known to be before its partition's end

  if (reader.positions != from) {
    // A fresh position: check it against the partition's bounds (a consumer would only report
    // it after a fetch), then assign.
    const int32_t highest = from.rbegin()->first;
    Result<int32_t> partition_count = co_await PartitionCount(reader.topic);
    if (partition_count && *partition_count <= highest) {
      partition_counts_.erase(reader.topic);  // partitions may have been added since
      partition_count = co_await PartitionCount(reader.topic);
    }
    if (!partition_count) co_return Error(partition_count.error());
    if (from.begin()->first < 0 || highest >= *partition_count) {
      const int32_t missing = from.begin()->first < 0 ? from.begin()->first : highest;
      co_return Error(Status::NotFound("topic \"" + reader.topic + "\" has no partition " +
                                       std::to_string(missing)));
    }
    reader.positions.clear();
    auto assign = [client = reader.client, topic = reader.topic, from] {
      return AssignAt(*client, topic, from);
    };
    Result<bool> assigned = co_await OnWorker(*workers_, std::move(assign));
    if (!assigned) co_return Error(assigned.error());
    reader.positions = from;
    record_due = *assigned;
  } else {
    // Reused: what it knows of each partition's end, without asking.
    for (const auto& [partition, offset] : from) {
      int64_t low = 0;
      int64_t high = 0;
      if (rd_kafka_get_watermark_offsets(reader.client->get(), reader.topic.c_str(), partition,
                                         &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          high > offset) {
        record_due = true;
      }
    }
  }
  if (record_due) deadline = std::max(deadline, SteadyClock::now() + options_.timeout);

  Records records;
  Status client_error;  // the last error not tied to a partition (a broker is down, say)
  for (;;) {
    Result<size_t> polled = reader.Poll(max_records, records, client_error);
    if (!polled) co_return Error(polled.error());
    if (!records.empty() || SteadyClock::now() >= deadline) break;
    if (*polled > 0) continue;  // only errors or stale records so far: look again at once
    co_await reader.ready->WaitUntil(deadline);
  }
  if (records.empty() && !client_error.ok() &&
      (client_error.code() == StatusCode::kUnavailable ||
       client_error.code() == StatusCode::kTimeout)) {
    co_return Error(reader.client->Explain(client_error));
  }
  co_return records;
}

Result<std::unique_ptr<KafkaHub::Reader>> KafkaHub::TakeReader(
    const std::string& topic, const std::map<int32_t, int64_t>& from) {
  // Best a reader already where the call starts (a poll loop's own). Else the topic's reader
  // idle longest, which re-assigns: the recently used ones likely belong to loops still going.
  auto it = std::find_if(idle_readers_.begin(), idle_readers_.end(),
                         [&](const auto& r) { return r->topic == topic && r->positions == from; });
  if (it == idle_readers_.end()) {
    it = std::find_if(idle_readers_.begin(), idle_readers_.end(),
                      [&](const auto& r) { return r->topic == topic; });
  }
  if (it != idle_readers_.end()) {
    std::unique_ptr<Reader> reader = std::move(*it);
    idle_readers_.erase(it);
    return reader;
  }

  KafkaClientOptions client_options{options_.brokers, options_.timeout, options_.client_id};
  TARN_ASSIGN_OR_RETURN(ConfPtr conf, NewClientConf(client_options, ConsumerProperties()));
  TARN_ASSIGN_OR_RETURN(KafkaClient client,
                        KafkaClient::Create(RD_KAFKA_CONSUMER, std::move(conf), client_options));
  auto reader = std::make_unique<Reader>();
  reader->topic = topic;
  reader->client = std::make_shared<KafkaClient>(std::move(client));
  rd_kafka_poll_set_consumer(reader->client->get());  // errors come with the records
  reader->queue.reset(rd_kafka_queue_get_consumer(reader->client->get()));
  reader->ready = std::make_shared<net::Signal>(io_);
  std::weak_ptr<net::Signal> ready = reader->ready;
  reader->waker = std::make_unique<QueueWaker>(io_, reader->queue.get(), [ready] {
    if (std::shared_ptr<net::Signal> signal = ready.lock()) signal->NotifyAll();
  });
  return reader;
}

void KafkaHub::ReturnReader(std::unique_ptr<Reader> reader) {
  reader->idle_since = SteadyClock::now();
  idle_readers_.push_back(std::move(reader));
  while (idle_readers_.size() > options_.max_idle_readers) {
    CloseReader(std::move(idle_readers_.front()));
    idle_readers_.erase(idle_readers_.begin());
  }
  ArmIdleSweep();
}

void KafkaHub::ArmIdleSweep() {
  if (idle_sweep_->armed || idle_readers_.empty()) return;
  idle_sweep_->armed = true;
  // The first idle reader is the one idle longest.
  idle_sweep_->timer.expires_at(idle_readers_.front()->idle_since + options_.reader_idle_timeout);
  // A completion already queued when the hub goes runs anyway: it checks the sweep is still
  // there (the hub owns it) before touching the hub.
  std::weak_ptr<IdleSweep> sweep = idle_sweep_;
  idle_sweep_->timer.async_wait([this, sweep](const boost::system::error_code& ec) {
    if (ec || sweep.expired()) return;  // cancelled: the hub is going away
    idle_sweep_->armed = false;
    CloseIdleReaders(/*all=*/false);
    ArmIdleSweep();
  });
}

void KafkaHub::CloseIdleReaders(bool all) {
  const auto now = SteadyClock::now();
  std::erase_if(idle_readers_, [&](std::unique_ptr<Reader>& reader) {
    if (!all && now - reader->idle_since < options_.reader_idle_timeout) return false;
    CloseReader(std::move(reader));
    return true;
  });
}

void KafkaHub::CloseReader(std::unique_ptr<Reader> reader) {
  if (reader == nullptr) return;
  reader->waker.reset();  // on this thread: no wake-up runs for it from now on
  // Closing a consumer waits for its threads: a worker's job.
  asio::post(*workers_,
             [doomed = std::shared_ptr<Reader>(std::move(reader))]() mutable { doomed.reset(); });
}

}  // namespace tarn::hub
