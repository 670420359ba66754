#include "app/produce_command.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/command_line.h"
#include "app/commands.h"

namespace tarn::app {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Counts delivery reports. librdkafka calls OnDelivery from rd_kafka_poll and rd_kafka_flush,
// on the thread that produces, so nothing here needs a lock.
class DeliveryTracker {
 public:
  explicit DeliveryTracker(bool verbose) : verbose_(verbose) {}

  void OnDelivery(const rd_kafka_message_t& message) {
    if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (failed_++ == 0) first_error_ = DeliveryStatus(message);
      return;
    }
    ++delivered_;
    if (verbose_) {
      // With --acks 0 the broker does not answer, so the offset is not known.
      std::cout << rd_kafka_topic_name(message.rkt) << "/" << message.partition << "@"
                << (message.offset >= 0 ? std::to_string(message.offset) : "unknown") << "\n";
    }
  }

  int64_t delivered() const { return delivered_; }
  int64_t failed() const { return failed_; }
  const Status& first_error() const { return first_error_; }

 private:
  static Status DeliveryStatus(const rd_kafka_message_t& message) {
    if (message.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
      return Status::NotFound("topic " + Quote(rd_kafka_topic_name(message.rkt)) +
                              " has no partition " + std::to_string(message.partition));
    }
    return hub::KafkaStatus(message.err, "delivery failed");
  }

  bool verbose_;
  int64_t delivered_ = 0;
  int64_t failed_ = 0;
  Status first_error_;
};

void OnDeliveryReport(rd_kafka_t* /*handle*/, const rd_kafka_message_t* message, void* /*opaque*/) {
  static_cast<DeliveryTracker*>(message->_private)->OnDelivery(*message);
}

// Hands records to librdkafka; the tracker hears how each one fared.
class RecordSender {
 public:
  RecordSender(const ProduceArgs& args, const hub::KafkaClient& client, DeliveryTracker& tracker,
               Headers headers)
      : args_(args), client_(client), tracker_(tracker), headers_(std::move(headers)) {}

  // Sends one input (a VALUE or a stdin line); `where` names it in errors ("line 3").
  // Fails on a bad input, when librdkafka refuses the record, or once a delivery has failed
  // (sending more would only fail the same way).
  Status Send(std::string_view input, const std::string& where) {
    if (tracker_.failed() > 0) return tracker_.first_error();
    std::optional<std::string_view> key;
    if (args_.key.has_value()) key = *args_.key;
    std::string_view value = input;
    if (args_.key_separator.has_value()) {
      Result<KeyedValue> split = SplitKeyValue(input, *args_.key_separator);
      if (!split.has_value()) return split.error().WithContext(where);
      key = split->key;
      value = split->value;
    }
    for (;;) {
      hub::HeadersPtr headers = NewHeaders();
      rd_kafka_resp_err_t err = rd_kafka_producev(
          client_.get(), RD_KAFKA_V_TOPIC(args_.topic.c_str()),
          RD_KAFKA_V_PARTITION(args_.partition < 0 ? RD_KAFKA_PARTITION_UA : args_.partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_KEY(key.has_value() ? key->data() : nullptr,
                         key.has_value() ? key->size() : 0),
          RD_KAFKA_V_HEADERS(headers.get()), RD_KAFKA_V_OPAQUE(&tracker_), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(client_.get(), 100);  // serve delivery reports to make room
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return hub::KafkaStatus(err, where);
      (void)headers.release();  // the record owns them now
      ++sent_;
      rd_kafka_poll(client_.get(), 0);
      return Status::Ok();
    }
  }

  // Sends one record per line of `in`, skipping empty lines.
  Status SendLines(FILE* in) {
    // getline grows the buffer with realloc; it is freed on every way out.
    struct LineBuffer {
      char* data = nullptr;
      size_t capacity = 0;
      ~LineBuffer() { std::free(data); }
    } buffer;
    int64_t line_number = 0;
    ssize_t length;
    while ((length = getline(&buffer.data, &buffer.capacity, in)) >= 0) {
      ++line_number;
      std::string_view line(buffer.data, static_cast<size_t>(length));
      if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
      if (line.empty()) continue;
      TARN_TRY(Send(line, "line " + std::to_string(line_number)));
    }
    if (std::ferror(in)) return Status::FromErrno("read stdin", errno);
    return Status::Ok();
  }

  int64_t sent() const { return sent_; }

 private:
  hub::HeadersPtr NewHeaders() const {
    if (headers_.empty()) return nullptr;
    hub::HeadersPtr headers(rd_kafka_headers_new(headers_.size()));
    for (const auto& [name, value] : headers_) {
      rd_kafka_header_add(headers.get(), name.data(), static_cast<ssize_t>(name.size()),
                          value.data(), static_cast<ssize_t>(value.size()));
    }
    return headers;
  }

  const ProduceArgs& args_;
  const hub::KafkaClient& client_;
  DeliveryTracker& tracker_;
  const Headers headers_;
  int64_t sent_ = 0;
};

// What a failed delivery should say: librdkafka's reason for a fatal error (an idempotent
// producer fenced or refused), else the first delivery report's error.
Status DeliveryError(const hub::KafkaClient& client, const DeliveryTracker& tracker, int64_t sent) {
  char reason[512];
  rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(client.get(), reason, sizeof(reason));
  Status error = fatal != RD_KAFKA_RESP_ERR_NO_ERROR ? hub::KafkaStatus(fatal, "delivery failed", reason)
                                                     : tracker.first_error();
  return client.Explain(error).WithContext(std::to_string(tracker.failed()) + " of " +
                                           std::to_string(sent) + " records not delivered");
}

Status Produce(const ProduceArgs& args) {
  Headers headers;
  for (const std::string& header : args.headers) {
    TARN_ASSIGN_OR_RETURN(auto parsed, ParseKeyValue(header));
    headers.push_back(std::move(parsed));
  }
  TARN_ASSIGN_OR_RETURN(hub::ConfPtr conf, hub::NewClientConf(args.client, ProducerProperties(args)));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &OnDeliveryReport);
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client,
                        hub::KafkaClient::Create(RD_KAFKA_PRODUCER, std::move(conf), args.client));
  DeliveryTracker tracker(args.verbose);
  RecordSender sender(args, client, tracker, std::move(headers));

  Status input_status;
  if (args.values.empty()) {
    input_status = sender.SendLines(stdin);
  } else {
    for (size_t i = 0; i < args.values.size() && input_status.ok(); ++i) {
      input_status = sender.Send(args.values[i], "value " + std::to_string(i + 1));
    }
  }
  // Whatever was sent is delivered or failed by message.timeout.ms; the margin lets the last
  // reports arrive.
  const int flush_ms = static_cast<int>(client.timeout().count()) + 2000;
  rd_kafka_resp_err_t flush_err = rd_kafka_flush(client.get(), flush_ms);
  std::cout.flush();
  if (tracker.failed() > 0) return DeliveryError(client, tracker, sender.sent());
  if (flush_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return client.Explain(Status::Timeout(std::to_string(sender.sent() - tracker.delivered()) +
                                          " records not confirmed within " +
                                          std::to_string(flush_ms) + " ms"));
  }
  return input_status;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ProducerProperties(const ProduceArgs& args) {
  const bool idempotent = args.acks == "all" && args.idempotence;
  return {
      {"acks", args.acks},
      {"enable.idempotence", idempotent ? "true" : "false"},
      {"compression.codec", args.compression},
      {"partitioner", "murmur2_random"},
      {"message.timeout.ms", std::to_string(args.client.timeout.count())},
  };
}

Result<KeyedValue> SplitKeyValue(std::string_view input, std::string_view separator) {
  size_t at = input.find(separator);
  if (separator.empty() || at == std::string_view::npos) {
    return Error(Status::InvalidArgument("no key separator " + Quote(separator)));
  }
  return KeyedValue{input.substr(0, at), input.substr(at + separator.size())};
}

void AddProduceCommand(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<ProduceArgs>();
  CLI::App* cmd = root.add_subcommand(
      "produce",
      "Send records to a topic: one per VALUE, or one per line of stdin (empty lines skipped)");
  cmd->add_option("TOPIC", args->topic, "Topic to send to")->required();
  cmd->add_option("VALUE", args->values, "Record values (default: read stdin)");
  CLI::Option* key =
      cmd->add_option("-k,--key", args->key, "Key of every record")->type_name("KEY");
  cmd->add_option("--key-separator", args->key_separator,
                  "Split each value at the first SEP into key and value")
      ->type_name("SEP")
      ->excludes(key)
      ->check([](const std::string& sep) {
        return sep.empty() ? std::string("must not be empty") : std::string();
      });
  cmd->add_option("-H,--header", args->headers, "Header on every record (repeatable)")
      ->type_name("KEY=VALUE")
      ->check(CheckKeyValue);
  cmd->add_option("-p,--partition", args->partition,
                  "Partition to send to (default: by key, murmur2 like the Java client)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--acks", args->acks, "Replicas that must have a record before it counts")
      ->check(CLI::IsMember({"all", "1", "0"}))
      ->capture_default_str();
  cmd->add_flag("--idempotence,!--no-idempotence", args->idempotence,
                "Idempotent producer: no duplicates on retry (default on; needs --acks all)");
  cmd->add_option("--compression", args->compression, "Batch compression")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", args->verbose, "Print topic/partition@offset per record");
  AddClientFlags(*cmd, args->client);
  cmd->callback([cmd, args, &exit_code] { exit_code = ReportStatus(*cmd, Produce(*args)); });
}

}  // namespace tarn::app
