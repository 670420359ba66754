#include "hub/kafka_client.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "base/strings.h"
#include "net/host_port.h"

namespace tarn::hub {
namespace {

// Set to a librdkafka `debug` context list ("broker,protocol") to print librdkafka's logs.
constexpr const char* kDebugEnv = "TARN_KAFKA_DEBUG";
constexpr int kLogErr = 3;  // syslog's LOG_ERR: librdkafka's level for connection failures

std::string Quote(std::string_view name) { return "\"" + std::string(name) + "\""; }

}  // namespace

Status ValidateBrokerList(std::string_view brokers) {
  if (TrimSpaces(brokers).empty()) return Status::InvalidArgument("no brokers given");
  for (std::string_view broker : SplitList(brokers)) {
    Result<std::pair<std::string, uint16_t>> parsed = net::ParseHostPort(broker);
    if (!parsed.has_value()) return parsed.error().WithContext("bad broker address");
    if (parsed->second == 0) {
      return Status::InvalidArgument("bad broker address: port 0 in \"" + std::string(broker) + "\"");
    }
  }
  return Status::Ok();
}

std::string LogLineReason(std::string_view line) {
  if (line.starts_with("[thrd:")) {
    size_t end = line.find("]: ");
    if (end != std::string_view::npos) line.remove_prefix(end + 3);
  }
  // Then "tarn-cli/0.1.0#producer-1: " and "127.0.0.1:9092/bootstrap: ": words ending in ':'.
  for (;;) {
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space < 2 || line[space - 1] != ':') break;
    line.remove_prefix(space + 1);
  }
  return std::string(line);
}

StatusCode KafkaErrorCode(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return StatusCode::kOk;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return StatusCode::kNotFound;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return StatusCode::kTimeout;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
      return StatusCode::kUnavailable;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return StatusCode::kInvalidArgument;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return StatusCode::kResourceExhausted;
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      return StatusCode::kOutOfRange;
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
      return StatusCode::kUnsupported;
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:
      return StatusCode::kCorruption;
    default:
      // The broker refused for a reason of its own (authorization, fencing, ...).
      return StatusCode::kFailedPrecondition;
  }
}

Status KafkaStatus(rd_kafka_resp_err_t err, std::string_view context, std::string_view detail) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  std::string message(context);
  message += ": ";
  message += detail.empty() ? std::string_view(rd_kafka_err2str(err)) : detail;
  return Status(KafkaErrorCode(err), std::move(message));
}

Status KafkaStatus(const rd_kafka_error_t* error, std::string_view context) {
  if (error == nullptr) return Status::Ok();
  return KafkaStatus(rd_kafka_error_code(error), context, rd_kafka_error_string(error));
}

Result<const rd_kafka_metadata_topic_t*> FindTopic(const rd_kafka_metadata_t& metadata,
                                                   const std::string& topic) {
  for (int i = 0; i < metadata.topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& entry = metadata.topics[i];
    if (topic != entry.topic) continue;
    TARN_TRY(KafkaStatus(entry.err, "topic " + Quote(topic)));
    return &entry;
  }
  return Error(Status::NotFound("unknown topic " + Quote(topic)));
}

Result<ConfPtr> NewClientConf(const KafkaClientOptions& options,
                              const std::vector<std::pair<std::string, std::string>>& properties) {
  ConfPtr conf(rd_kafka_conf_new());
  std::vector<std::pair<std::string, std::string>> all = {
      {"bootstrap.servers", options.brokers},
      {"client.id", options.client_id},
      {"socket.connection.setup.timeout.ms", std::to_string(options.timeout.count())},
  };
  if (const char* debug = std::getenv(kDebugEnv); debug != nullptr && *debug != '\0') {
    all.emplace_back("debug", debug);
  }
  all.insert(all.end(), properties.begin(), properties.end());
  char errstr[512];
  for (const auto& [name, value] : all) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      return Error(Status::InvalidArgument(std::string(errstr)));
    }
  }
  return conf;
}

struct KafkaClient::LogState {
  bool print = false;  // TARN_KAFKA_DEBUG is set: print every line
  std::mutex mu;
  // Guarded by mu. A connection failure (facility FAIL) says more than the "1/1 brokers are
  // down" that follows it, so it is kept apart and preferred.
  std::string last_connect_error;
  std::string last_error;
};

KafkaClient::KafkaClient(std::unique_ptr<LogState> log, HandlePtr handle,
                         const KafkaClientOptions& options)
    : log_(std::move(log)),
      handle_(std::move(handle)),
      timeout_(options.timeout),
      brokers_(options.brokers) {}

KafkaClient::KafkaClient(KafkaClient&&) noexcept = default;
KafkaClient& KafkaClient::operator=(KafkaClient&&) noexcept = default;
KafkaClient::~KafkaClient() = default;

Result<KafkaClient> KafkaClient::Create(rd_kafka_type_t type, ConfPtr conf,
                                        const KafkaClientOptions& options) {
  auto log = std::make_unique<LogState>();
  const char* debug = std::getenv(kDebugEnv);
  log->print = debug != nullptr && *debug != '\0';
  rd_kafka_conf_set_opaque(conf.get(), log.get());
  rd_kafka_conf_set_log_cb(conf.get(), &KafkaClient::OnLog);
  char errstr[512];
  HandlePtr handle(rd_kafka_new(type, conf.get(), errstr, sizeof(errstr)));
  if (handle == nullptr) return Error(Status::InvalidArgument(errstr));
  (void)conf.release();  // rd_kafka_new took it
  return KafkaClient(std::move(log), std::move(handle), options);
}

void KafkaClient::OnLog(const rd_kafka_t* handle, int level, const char* facility,
                        const char* line) {
  auto* log = static_cast<LogState*>(rd_kafka_opaque(handle));
  if (log == nullptr) return;
  if (log->print) std::cerr << "librdkafka " << level << " " << facility << ": " << line << "\n";
  if (level > kLogErr) return;
  std::lock_guard lock(log->mu);
  (std::string_view(facility) == "FAIL" ? log->last_connect_error : log->last_error) =
      LogLineReason(line);
}

Status KafkaClient::Explain(Status status) const {
  if (status.code() != StatusCode::kTimeout && status.code() != StatusCode::kUnavailable) {
    return status;
  }
  std::string last_error;
  {
    std::lock_guard lock(log_->mu);
    last_error = log_->last_connect_error.empty() ? log_->last_error : log_->last_connect_error;
  }
  if (last_error.empty()) return status;
  return Status(status.code(), status.message() + " (last error: " + last_error + ")");
}

Result<MetadataPtr> KafkaClient::FetchMetadata() const {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(handle_.get(), /*all_topics=*/1, nullptr, &metadata,
                                              static_cast<int>(timeout_.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(Explain(KafkaStatus(err, "cannot get metadata from " + brokers_)));
  }
  return MetadataPtr(metadata);
}

Result<std::vector<int32_t>> KafkaClient::TopicPartitions(const std::string& topic) const {
  TARN_ASSIGN_OR_RETURN(MetadataPtr metadata, FetchMetadata());
  TARN_ASSIGN_OR_RETURN(const rd_kafka_metadata_topic_t* found, FindTopic(*metadata, topic));
  std::vector<int32_t> partitions;
  for (int p = 0; p < found->partition_cnt; ++p) partitions.push_back(found->partitions[p].id);
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

Result<EventPtr> KafkaClient::RunAdmin(
    rd_kafka_admin_op_t op,
    const std::function<void(const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& start) const {
  AdminOptionsPtr admin_options(rd_kafka_AdminOptions_new(handle_.get(), op));
  char errstr[512];
  const int timeout_ms = static_cast<int>(timeout_.count());
  if (rd_kafka_AdminOptions_set_request_timeout(admin_options.get(), timeout_ms, errstr,
                                                sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(Status::InvalidArgument(errstr));
  }
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS) {
    // Wait until the broker has finished creating or deleting, not just accepted the request.
    if (rd_kafka_AdminOptions_set_operation_timeout(admin_options.get(), timeout_ms, errstr,
                                                    sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Error(Status::InvalidArgument(errstr));
    }
  }
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  start(admin_options.get(), queue.get());
  // librdkafka fails the request itself at the request time-out; the margin lets that report
  // arrive instead of a bare time-out here.
  EventPtr event(rd_kafka_queue_poll(queue.get(), timeout_ms + 2000));
  if (event == nullptr) {
    return Error(Explain(Status::Timeout("no answer from " + brokers_ + " within " +
                                         std::to_string(timeout_ms) + " ms")));
  }
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(Explain(KafkaStatus(err, brokers_, rd_kafka_event_error_string(event.get()))));
  }
  return event;
}

namespace {

using ListOffsetsPtr = std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t,
                                       RdKafkaDeleter<rd_kafka_ListConsumerGroupOffsets_destroy>>;
using AlterOffsetsPtr = std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t,
                                        RdKafkaDeleter<rd_kafka_AlterConsumerGroupOffsets_destroy>>;

}  // namespace

Result<std::map<std::pair<std::string, int32_t>, int64_t>> ListGroupOffsets(
    const KafkaClient& client, const std::string& group,
    const rd_kafka_topic_partition_list_t& partitions) {
  ListOffsetsPtr request(rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), &partitions));
  TARN_ASSIGN_OR_RETURN(
      EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                      [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                        rd_kafka_ListConsumerGroupOffsets_t* requests[] = {request.get()};
                        rd_kafka_ListConsumerGroupOffsets(client.get(), requests, 1, options,
                                                          queue);
                      }));
  size_t count = 0;
  const rd_kafka_group_result_t** results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(event.get()), &count);
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  for (size_t i = 0; i < count; ++i) {
    TARN_TRY(KafkaStatus(rd_kafka_group_result_error(results[i]),
                         "cannot read the committed offsets of group " + Quote(group)));
    const rd_kafka_topic_partition_list_t* list = rd_kafka_group_result_partitions(results[i]);
    for (int p = 0; list != nullptr && p < list->cnt; ++p) {
      const rd_kafka_topic_partition_t& tp = list->elems[p];
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0) continue;
      out[{tp.topic, tp.partition}] = tp.offset;
    }
  }
  return out;
}

Status AlterGroupOffsets(const KafkaClient& client, const std::string& group,
                         const rd_kafka_topic_partition_list_t& offsets) {
  AlterOffsetsPtr alter(rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), &offsets));
  TARN_ASSIGN_OR_RETURN(
      EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
                      [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                        rd_kafka_AlterConsumerGroupOffsets_t* requests[] = {alter.get()};
                        rd_kafka_AlterConsumerGroupOffsets(client.get(), requests, 1, options,
                                                           queue);
                      }));
  size_t count = 0;
  const rd_kafka_group_result_t** results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(event.get()), &count);
  const std::string context = "cannot commit the offsets of group " + Quote(group);
  for (size_t i = 0; i < count; ++i) {
    TARN_TRY(KafkaStatus(rd_kafka_group_result_error(results[i]), context));
    const rd_kafka_topic_partition_list_t* list = rd_kafka_group_result_partitions(results[i]);
    for (int p = 0; list != nullptr && p < list->cnt; ++p) {
      TARN_TRY(KafkaStatus(list->elems[p].err, context + " on " + list->elems[p].topic + "/" +
                                                   std::to_string(list->elems[p].partition)));
    }
  }
  return Status::Ok();
}

}  // namespace tarn::hub
