// librdkafka plumbing shared by the hub's Kafka client and the `tarn` client commands: owning
// handles for librdkafka's C objects, its error codes as Status, and KafkaClient, which owns one
// rd_kafka_t and keeps what librdkafka logs so a failure can say why.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tarn::hub {

// Where a client connects, how long it waits, and the name it gives the brokers.
struct KafkaClientOptions {
  std::string brokers;                       // comma-separated HOST:PORT list
  std::chrono::milliseconds timeout{10000};  // how long to wait for the brokers
  std::string client_id = "tarn";            // librdkafka's client.id
};

// OK when `brokers` is a comma-separated list of HOST:PORT (port not 0); else InvalidArgument
// saying which entry is wrong.
Status ValidateBrokerList(std::string_view brokers);

// Owning pointers for librdkafka's C objects, each freed by its own destroy function.
template <auto Destroy>
struct RdKafkaDeleter {
  template <typename T>
  void operator()(T* object) const {
    Destroy(object);
  }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter<rd_kafka_conf_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, RdKafkaDeleter<rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, RdKafkaDeleter<rd_kafka_event_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, RdKafkaDeleter<rd_kafka_message_destroy>>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, RdKafkaDeleter<rd_kafka_headers_destroy>>;
using MetadataPtr =
    std::unique_ptr<const rd_kafka_metadata_t, RdKafkaDeleter<rd_kafka_metadata_destroy>>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                         RdKafkaDeleter<rd_kafka_topic_partition_list_destroy>>;
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, RdKafkaDeleter<rd_kafka_AdminOptions_destroy>>;

// The StatusCode for a librdkafka or broker error: TOPIC_ALREADY_EXISTS is kAlreadyExists,
// UNKNOWN_TOPIC_OR_PART kNotFound, time-outs kTimeout, unreachable brokers kUnavailable, ...
StatusCode KafkaErrorCode(rd_kafka_resp_err_t err);

// "<context>: <detail>", with the code from KafkaErrorCode; detail defaults to librdkafka's text
// for `err`. OK when `err` is RD_KAFKA_RESP_ERR_NO_ERROR.
Status KafkaStatus(rd_kafka_resp_err_t err, std::string_view context, std::string_view detail = {});
// The same for an rd_kafka_error_t (its code and text); OK for null.
Status KafkaStatus(const rd_kafka_error_t* error, std::string_view context);

// The reason in a librdkafka log line, without the thread, client and broker names before it:
// "[thrd:b:9092/bootstrap]: b:9092/bootstrap: Connect to ... failed" -> "Connect to ... failed".
std::string LogLineReason(std::string_view line);

// The entry for `topic` in `metadata`. NotFound ("unknown topic "x"") when it is not there; the
// topic's own error when the broker reported one.
Result<const rd_kafka_metadata_topic_t*> FindTopic(const rd_kafka_metadata_t& metadata,
                                                   const std::string& topic);

// A configuration for `options` (brokers, client id, connection time-out) with `properties`
// (librdkafka names) set on it. InvalidArgument when librdkafka refuses a property.
Result<ConfPtr> NewClientConf(const KafkaClientOptions& options,
                              const std::vector<std::pair<std::string, std::string>>& properties);

class KafkaClient;

// Consumer group `group`'s committed offsets of `partitions`, by (topic, partition); partitions
// it never committed are absent. Admin API (OffsetFetch); blocks up to the client's time-out.
Result<std::map<std::pair<std::string, int32_t>, int64_t>> ListGroupOffsets(
    const KafkaClient& client, const std::string& group,
    const rd_kafka_topic_partition_list_t& partitions);

// Commits `offsets` (topic, partition and offset of each element) for `group` as the admin API
// does, outside any generation; the broker refuses it while the group has members
// (kFailedPrecondition: UNKNOWN_MEMBER_ID and the like). Blocks up to the client's time-out.
Status AlterGroupOffsets(const KafkaClient& client, const std::string& group,
                         const rd_kafka_topic_partition_list_t& offsets);

// One librdkafka client handle (producer or consumer). Owns the rd_kafka_t; movable, not
// copyable; the handle itself is thread-safe as librdkafka's are. librdkafka's log lines are not
// printed (unless $TARN_KAFKA_DEBUG is set): the last error among them is kept and added to
// failures that time out or cannot reach a broker.
class KafkaClient {
 public:
  // Creates the handle from `conf`, which it takes. InvalidArgument when librdkafka refuses.
  static Result<KafkaClient> Create(rd_kafka_type_t type, ConfPtr conf,
                                    const KafkaClientOptions& options);
  KafkaClient(KafkaClient&&) noexcept;
  KafkaClient& operator=(KafkaClient&&) noexcept;
  ~KafkaClient();

  rd_kafka_t* get() const { return handle_.get(); }
  std::chrono::milliseconds timeout() const { return timeout_; }
  const std::string& brokers() const { return brokers_; }

  // Metadata of every topic (asking for all topics never creates one). Blocks up to timeout().
  Result<MetadataPtr> FetchMetadata() const;

  // The partition ids of `topic`, ascending. NotFound when the broker does not know the topic.
  // Blocks up to timeout().
  Result<std::vector<int32_t>> TopicPartitions(const std::string& topic) const;

  // Runs one admin request and waits up to timeout() for its result event. `start` issues the
  // request with the options and result queue it is given (rd_kafka_CreateTopics, ...).
  // Errors: the request's own error; per-resource errors are in the event, for the caller.
  Result<EventPtr> RunAdmin(
      rd_kafka_admin_op_t op,
      const std::function<void(const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& start) const;

  // `status`, with the last error librdkafka logged added when `status` is a time-out or an
  // unreachable broker ("...: timed out (last error: Connect to ... failed: ...)").
  Status Explain(Status status) const;

 private:
  struct LogState;  // what the log callback, on librdkafka's threads, writes
  using HandlePtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter<rd_kafka_destroy>>;

  KafkaClient(std::unique_ptr<LogState> log, HandlePtr handle, const KafkaClientOptions& options);
  static void OnLog(const rd_kafka_t* handle, int level, const char* facility, const char* line);

  std::unique_ptr<LogState> log_;  // declared before handle_: outlives it
  HandlePtr handle_;
  std::chrono::milliseconds timeout_;
  std::string brokers_;
};

}  // namespace tarn::hub
