#include "app/consume_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

#include "app/command_line.h"
#include "app/commands.h"

namespace tarn::app {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int /*signal*/) { stop_requested = 1; }

// While it lives, SIGINT and SIGTERM ask the read loop to stop instead of killing the process,
// so what was read is flushed and the exit code is ours.
class StopOnSignal {
 public:
  StopOnSignal() {
    stop_requested = 0;
    previous_int_ = std::signal(SIGINT, RequestStop);
    previous_term_ = std::signal(SIGTERM, RequestStop);
  }
  ~StopOnSignal() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

RecordView ToRecordView(const rd_kafka_message_t& message, std::string_view topic) {
  RecordView record;
  record.topic = topic;
  record.partition = message.partition;
  record.offset = message.offset;
  rd_kafka_timestamp_type_t timestamp_type;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, &timestamp_type);
  if (message.key != nullptr) {
    record.key = std::string_view(static_cast<const char*>(message.key), message.key_len);
  }
  if (message.payload != nullptr) {
    record.value = std::string_view(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      std::optional<std::string_view> header_value;
      if (value != nullptr) header_value = std::string_view(static_cast<const char*>(value), size);
      record.headers.emplace_back(name, header_value);
    }
  }
  return record;
}

// The partitions to read: all of the topic's, or the one --partition names.
Result<std::vector<int32_t>> PartitionsToRead(const hub::KafkaClient& client, const ConsumeArgs& args) {
  TARN_ASSIGN_OR_RETURN(std::vector<int32_t> partitions, client.TopicPartitions(args.topic));
  if (!args.partition.has_value()) return partitions;
  if (std::find(partitions.begin(), partitions.end(), *args.partition) == partitions.end()) {
    return Error(Status::NotFound("topic " + Quote(args.topic) + " has no partition " +
                                  std::to_string(*args.partition) + " (it has " +
                                  std::to_string(partitions.size()) + " partitions)"));
  }
  return std::vector<int32_t>{*args.partition};
}

// The assignment: each partition with the offset --from asks for.
Result<hub::PartitionListPtr> StartOffsets(const hub::KafkaClient& client, const ConsumeArgs& args,
                                      const std::vector<int32_t>& partitions) {
  hub::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int32_t partition : partitions) {
    int64_t offset = args.from.value;
    if (args.from.kind == StartPosition::Kind::kEarliest) offset = RD_KAFKA_OFFSET_BEGINNING;
    if (args.from.kind == StartPosition::Kind::kLatest) offset = RD_KAFKA_OFFSET_END;
    rd_kafka_topic_partition_list_add(list.get(), args.topic.c_str(), partition)->offset = offset;
  }
  if (args.from.kind != StartPosition::Kind::kTimestamp) return list;
  // offsets_for_times replaces each timestamp with the first offset at or after it.
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(client.get(), list.get(),
                                                       static_cast<int>(client.timeout().count()));
  TARN_TRY(client.Explain(hub::KafkaStatus(err, "cannot look up offsets by time")));
  for (int i = 0; i < list->cnt; ++i) {
    rd_kafka_topic_partition_t& element = list->elems[i];
    TARN_TRY(hub::KafkaStatus(element.err, "cannot look up the offset by time in " + args.topic + "/" +
                                          std::to_string(element.partition)));
    if (element.offset < 0) element.offset = RD_KAFKA_OFFSET_END;  // nothing that late yet
  }
  return list;
}

// Reads and prints until every assigned partition is at its end (unless --follow), --count
// records are printed, or a signal asks to stop.
class RecordPrinter {
 public:
  RecordPrinter(const ConsumeArgs& args, const hub::KafkaClient& client, size_t partition_count)
      : args_(args), client_(client), partition_count_(partition_count) {}

  Status Run() {
    StopOnSignal stop_on_signal;
    auto last_progress = std::chrono::steady_clock::now();
    while (stop_requested == 0) {
      if (args_.count.has_value() && printed_ >= *args_.count) break;
      hub::MessagePtr message(rd_kafka_consumer_poll(client_.get(), 0));
      if (message == nullptr) {
        std::fflush(stdout);  // caught up: let a reader of a pipe see what we have
        message.reset(rd_kafka_consumer_poll(client_.get(), 100));
      }
      const auto now = std::chrono::steady_clock::now();
      if (message == nullptr) {
        if (!args_.follow && now - last_progress > client_.timeout()) {
          return client_.Explain(
              Status::Timeout("no records or end of partition from " + client_.brokers() +
                              " within " + std::to_string(client_.timeout().count()) + " ms"));
        }
        continue;
      }
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        last_progress = now;
        at_end_.insert(message->partition);
        if (!args_.follow && at_end_.size() == partition_count_) break;
        continue;
      }
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        TARN_TRY(OnError(*message));
        continue;
      }
      last_progress = now;
      at_end_.erase(message->partition);
      std::string line = FormatRecord(ToRecordView(*message, args_.topic), args_.format);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
      ++printed_;
    }
    std::fflush(stdout);
    return Status::Ok();
  }

 private:
  // A partition's error (unknown partition, offset out of range) ends the command. A client
  // error (a broker went away) is printed once and retried: librdkafka reconnects by itself.
  Status OnError(const rd_kafka_message_t& message) {
    const char* detail = rd_kafka_message_errstr(&message);
    if (message.rkt != nullptr) {
      std::string where = args_.topic + "/" + std::to_string(message.partition);
      // With auto.offset.reset=error an --from OFFSET outside the partition arrives as this.
      if ((message.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
           message.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) &&
          args_.from.kind == StartPosition::Kind::kOffset) {
        return OffsetOutOfRange(message.partition);
      }
      return hub::KafkaStatus(message.err, where, detail);
    }
    std::string warning = detail;
    if (warning != last_warning_) {
      std::cerr << "tarn consume: " << warning << " (retrying)" << std::endl;
      last_warning_ = std::move(warning);
    }
    return Status::Ok();
  }

  Status OffsetOutOfRange(int32_t partition) const {
    std::string message = "offset " + std::to_string(args_.from.value) + " is out of range for " +
                          args_.topic + "/" + std::to_string(partition);
    int64_t earliest = 0;
    int64_t latest = 0;
    if (rd_kafka_query_watermark_offsets(client_.get(), args_.topic.c_str(), partition, &earliest,
                                         &latest, static_cast<int>(client_.timeout().count())) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      message +=
          " (earliest " + std::to_string(earliest) + ", latest " + std::to_string(latest) + ")";
    }
    return Status::OutOfRange(std::move(message));
  }

  const ConsumeArgs& args_;
  const hub::KafkaClient& client_;
  const size_t partition_count_;
  std::set<int32_t> at_end_;  // partitions whose end was reached and nothing read since
  int64_t printed_ = 0;
  std::string last_warning_;
};

Status Consume(const ConsumeArgs& args) {
  TARN_ASSIGN_OR_RETURN(hub::ConfPtr conf,
                        hub::NewClientConf(args.client, {
                                                       {"group.id", "tarn-cli"},
                                                       {"enable.auto.commit", "false"},
                                                       {"enable.auto.offset.store", "false"},
                                                       {"enable.partition.eof", "true"},
                                                       {"auto.offset.reset", "error"},
                                                       {"allow.auto.create.topics", "false"},
                                                   }));
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client,
                        hub::KafkaClient::Create(RD_KAFKA_CONSUMER, std::move(conf), args.client));
  rd_kafka_poll_set_consumer(client.get());
  TARN_ASSIGN_OR_RETURN(std::vector<int32_t> partitions, PartitionsToRead(client, args));
  TARN_ASSIGN_OR_RETURN(hub::PartitionListPtr assignment, StartOffsets(client, args, partitions));
  TARN_TRY(
      hub::KafkaStatus(rd_kafka_assign(client.get(), assignment.get()), "cannot assign partitions"));
  RecordPrinter printer(args, client, partitions.size());
  return printer.Run();
}

}  // namespace

Result<StartPosition> ParseStartPosition(std::string_view text) {
  if (text == "earliest") return StartPosition{StartPosition::Kind::kEarliest, 0};
  if (text == "latest") return StartPosition{StartPosition::Kind::kLatest, 0};
  StartPosition position{StartPosition::Kind::kOffset, 0};
  std::string_view number = text;
  if (!number.empty() && number.front() == '@') {
    position.kind = StartPosition::Kind::kTimestamp;
    number.remove_prefix(1);
  }
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), position.value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
      position.value < 0) {
    return Error(
        Status::InvalidArgument("expected earliest, latest, an offset or @TIMESTAMP_MS, "
                                "got \"" +
                                std::string(text) + "\""));
  }
  return position;
}

void AddConsumeCommand(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<ConsumeArgs>();
  CLI::App* cmd = root.add_subcommand(
      "consume", "Print a topic's records, one per line; stops at the end unless --follow");
  cmd->add_option("TOPIC", args->topic, "Topic to read")->required();
  cmd->add_option("-p,--partition", args->partition, "Read only this partition (default: all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option_function<std::string>(
         "--from",
         [args](const std::string& text) {
           if (Result<StartPosition> position = ParseStartPosition(text)) args->from = *position;
         },
         "earliest (default), latest, an OFFSET, or @TIMESTAMP_MS: the first record at or after "
         "that time")
      ->type_name("POSITION")
      ->check([](const std::string& text) {
        Result<StartPosition> position = ParseStartPosition(text);
        return position.has_value() ? std::string() : position.error().message();
      });
  cmd->add_option("-c,--count", args->count, "Stop after N records")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-f,--follow", args->follow, "At the end, wait for new records (Ctrl-C stops)");
  cmd->add_option_function<std::string>(
         "--format",
         [args](const std::string& format) {
           args->format = format == "json" ? RecordFormat::kJson : RecordFormat::kText;
         },
         "text or json (default: text); the layouts are below")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
      "text: p<partition>@<offset> [key=<key>] [<header>=<value>...]<TAB><value>\n"
      "  Escapes \\ \\t \\n \\r and non-UTF-8 bytes (\\xNN); a null value is (null).\n"
      "json: {\"topic\",\"partition\",\"offset\",\"timestamp\",\"key\",\"headers\":{},\"value\"}\n"
      "  UTF-8 bytes are strings, others {\"base64\":\"...\"}; null stays null.");
  AddClientFlags(*cmd, args->client);
  cmd->callback([cmd, args, &exit_code] { exit_code = ReportStatus(*cmd, Consume(*args)); });
}

}  // namespace tarn::app
