// CreateTopics (v0-4). Every check has its own Kafka error, in Kafka's order: name, partition
// count, replication factor (one node: 1 or -1), replica assignment, configs. -1 partitions or
// replication factor means the broker default at every version (kafkajs sends it even at v0).
#include <set>

#include "kafka/handlers/handler.h"
#include "kafka/messages/create_topics.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

struct Refusal {
  ErrorCode code;
  std::string message;
};

std::optional<Refusal> Check(const Broker& broker, const CreateTopicsRequest::CreatableTopic& t,
                             int32_t& partitions, std::map<std::string, std::string>& configs) {
  if (Status s = Broker::ValidateTopicName(t.name); !s.ok()) {
    return Refusal{ErrorCode::kInvalidTopicException, s.message()};
  }
  if (broker.FindTopic(t.name)) {
    return Refusal{ErrorCode::kTopicAlreadyExists, "topic '" + t.name + "' already exists"};
  }
  int32_t node = broker.options().node_id;
  partitions = t.num_partitions;
  if (!t.assignments.empty()) {
    if (partitions != -1 || (t.replication_factor != -1)) {
      return Refusal{ErrorCode::kInvalidRequest,
                     "give either a replica assignment or partitions and replication factor"};
    }
    partitions = static_cast<int32_t>(t.assignments.size());
    for (const auto& a : t.assignments) {
      if (a.partition_index.value() < 0 || a.partition_index.value() >= partitions ||
          a.broker_ids != std::vector<int32_t>{node}) {
        return Refusal{ErrorCode::kInvalidReplicaAssignment,
                       "each partition must be assigned to broker " + std::to_string(node) + " alone"};
      }
    }
  }
  if (partitions == -1) partitions = broker.options().default_partitions;
  if (partitions <= 0 || partitions > 10000) {
    return Refusal{ErrorCode::kInvalidPartitions,
                   "number of partitions must be between 1 and 10000, not " + std::to_string(partitions)};
  }
  if (t.replication_factor != -1 && t.replication_factor != 1) {
    return Refusal{ErrorCode::kInvalidReplicationFactor,
                   "replication factor " + std::to_string(t.replication_factor) +
                       " is larger than the 1 available broker"};
  }
  for (const auto& c : t.configs) {
    if (c.value.has_value()) configs[c.name] = *c.value;
  }
  auto settings = TopicSettings::Make(broker.options().topic_defaults, configs);
  if (!settings.has_value()) return Refusal{ErrorCode::kInvalidConfig, settings.error().message()};
  return std::nullopt;
}

}  // namespace

Awaitable<HandlerResult> HandleCreateTopics(RequestContext& ctx) {
  auto request = DecodeBody<CreateTopicsRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  std::map<std::string, int> seen;
  for (const auto& t : request->topics) ++seen[t.name];

  CreateTopicsResponse response;
  for (const auto& t : request->topics) {
    auto& out = response.topics.emplace_back();
    out.name = t.name;
    if (seen[t.name] > 1) {
      out.error_code = ErrorCode::kInvalidRequest;
      out.error_message = "topic '" + t.name + "' appears more than once in the request";
      continue;
    }
    int32_t partitions = 0;
    std::map<std::string, std::string> configs;
    if (auto refusal = Check(ctx.broker, t, partitions, configs)) {
      out.error_code = refusal->code;
      out.error_message = refusal->message;
      continue;
    }
    auto created = ctx.broker.CreateTopic(t.name, partitions, configs, request->validate_only);
    if (!created.has_value()) {
      out.error_code = ToErrorCode(created.error());
      out.error_message = created.error().message();
    }
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
