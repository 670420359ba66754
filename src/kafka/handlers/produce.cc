// Produce (v3-8): validate each partition's batch, append it, then wait until every appended
// batch is durable before answering (acks 1 and all are the same on one node). With acks=0
// nothing is sent back; a refused batch then closes the connection, as Kafka does, since the
// producer would otherwise never learn of it. Internal topics (__consumer_offsets) are refused
// with INVALID_TOPIC_EXCEPTION, as Kafka refuses them. A batch whose records fail the topic's
// tarn.validation check (Broker::Append) is INVALID_RECORD; from v8 the response names each
// failing record (record_errors) and every refused partition says why (error_message).
#include <spdlog/spdlog.h>

#include "kafka/group/offsets_topic.h"
#include "kafka/handlers/handler.h"
#include "kafka/messages/produce.h"
#include "kafka/record_batch.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

struct Appended {
  std::shared_ptr<Topic> topic;
  Partition* partition;
  Offset end;
  ProduceResponse::PartitionProduceResponse* response;
};

}  // namespace

Awaitable<HandlerResult> HandleProduce(RequestContext& ctx) {
  auto request = DecodeBody<ProduceRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  Broker& broker = ctx.broker;
  const int16_t acks = request->acks;
  const bool acks_valid = acks == 0 || acks == 1 || acks == -1;

  ProduceResponse response;
  response.responses.reserve(request->topic_data.size());
  std::vector<Appended> appended;
  std::string first_refusal;
  for (auto& topic_data : request->topic_data) {
    auto& topic_response = response.responses.emplace_back();
    topic_response.name = topic_data.name;
    topic_response.partition_responses.reserve(topic_data.partition_data.size());
    std::shared_ptr<Topic> topic = broker.FindTopic(topic_data.name);
    for (auto& data : topic_data.partition_data) {
      auto& out = topic_response.partition_responses.emplace_back();
      out.index = data.index;
      Partition* found = topic ? topic->FindPartition(data.index) : nullptr;
      if (!acks_valid) {
        out.error_code = ErrorCode::kInvalidRequiredAcks;
      } else if (IsInternalTopic(topic_data.name)) {
        out.error_code = ErrorCode::kInvalidTopicException;
        out.error_message = topic_data.name + " is written by the broker only";
      } else if (!found) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
      } else {
        Partition& partition = *found;
        ProduceValidation validation;
        validation.produce_version = ctx.header.api_version;
        validation.max_message_bytes = topic->settings.effective.max_message_bytes;
        validation.require_keys = topic->settings.effective.compacted();
        auto valid = ValidateProducedBatch(data.records, validation);
        if (!valid.has_value()) {
          out.error_code = static_cast<ErrorCode>(valid.error().error);
          out.error_message = valid.error().status.message();
        } else {
          AppendOutcome outcome = broker.Append(topic, partition, data.records);
          out.error_code = static_cast<ErrorCode>(outcome.error);
          if (outcome.error == 0) {
            out.base_offset = outcome.base_offset;
            out.log_append_time_ms = outcome.log_append_time;
            appended.push_back({topic, &partition, outcome.last_offset + 1, &out});
          } else {
            if (outcome.error == static_cast<int16_t>(ErrorCode::kInvalidRecord) &&
                ctx.header.api_version < 8) {
              // Produce v3-7 cannot carry the reason: the log does.
              spdlog::warn("produce to {}/{} refused: {}", topic->name, partition.id,
                           outcome.message);
            }
            out.error_message = outcome.message;
            for (RecordError& e : outcome.record_errors) {
              out.record_errors.push_back({e.batch_index, std::move(e.message)});
            }
          }
        }
      }
      if (out.error_code != ErrorCode::kNone && first_refusal.empty()) {
        first_refusal = out.error_message.value_or(std::string(ErrorName(out.error_code)));
      }
    }
  }

  if (acks == 0) {
    if (!first_refusal.empty()) {
      co_return Error(Status::InvalidArgument("acks=0 produce refused: " + first_refusal));
    }
    co_return std::optional<Bytes>();
  }
  for (Appended& a : appended) {
    Status durable = co_await broker.WaitDurable(a.topic, *a.partition, a.end);
    if (!durable.ok()) {
      a.response->error_code = durable.code() == StatusCode::kNotFound
                                   ? ErrorCode::kUnknownTopicOrPartition
                                   : ErrorCode::kKafkaStorageError;
      a.response->base_offset = Offset(-1);
    }
  }
  for (auto& topic_response : response.responses) {
    std::shared_ptr<Topic> topic = broker.FindTopic(topic_response.name);
    for (auto& out : topic_response.partition_responses) {
      if (Partition* p = topic ? topic->FindPartition(out.index) : nullptr) {
        out.log_start_offset = p->log->log_start_offset();
      }
    }
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
