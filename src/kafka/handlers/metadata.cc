// Metadata: the one broker (us, also the controller) and the requested topics. A topic that
// does not exist is created here when auto-creation is allowed (by the request from v4, by the
// broker's setting always), as kcat and kafka-python producers expect.
#include "kafka/handlers/handler.h"
#include "kafka/messages/metadata.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

MetadataResponse::MetadataResponseTopic Describe(const Broker& broker, const Topic& topic) {
  int32_t node = broker.options().node_id;
  MetadataResponse::MetadataResponseTopic out;
  out.name = topic.name;
  out.is_internal = !topic.name.empty() && topic.name[0] == '_';
  for (const auto& p : topic.partitions) {
    MetadataResponse::MetadataResponsePartition partition;
    partition.partition_index = PartitionId(p->id);
    partition.leader_id = node;
    partition.replica_nodes = {node};
    partition.isr_nodes = {node};
    if (!p->failure.ok()) partition.error_code = ErrorCode::kKafkaStorageError;
    out.partitions.push_back(std::move(partition));
  }
  return out;
}

}  // namespace

Awaitable<HandlerResult> HandleMetadata(RequestContext& ctx) {
  auto request = DecodeBody<MetadataRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  Broker& broker = ctx.broker;
  const BrokerOptions& options = broker.options();

  MetadataResponse response;
  response.brokers.push_back({options.node_id, options.advertised_host, options.advertised_port, std::nullopt});
  response.cluster_id = broker.cluster_id();
  response.controller_id = options.node_id;

  if (!request->topics.has_value()) {
    for (const auto& topic : broker.Topics()) response.topics.push_back(Describe(broker, *topic));
    co_return EncodeResponse(ctx.header, response);
  }
  bool may_create = options.auto_create_topics &&
                    (ctx.header.api_version < 4 || request->allow_auto_topic_creation);
  for (const auto& wanted : *request->topics) {
    std::shared_ptr<Topic> topic = broker.FindTopic(wanted.name);
    if (!topic && may_create) {
      auto created = broker.CreateTopic(wanted.name, -1, {});
      if (created.has_value()) {
        topic = *created;
      } else {
        MetadataResponse::MetadataResponseTopic failed;
        failed.name = wanted.name;
        failed.error_code = created.error().code() == StatusCode::kInvalidArgument
                                ? ErrorCode::kInvalidTopicException
                                : ToErrorCode(created.error());
        response.topics.push_back(std::move(failed));
        continue;
      }
    }
    if (!topic) {
      MetadataResponse::MetadataResponseTopic missing;
      missing.name = wanted.name;
      missing.error_code = Broker::ValidateTopicName(wanted.name).ok()
                               ? ErrorCode::kUnknownTopicOrPartition
                               : ErrorCode::kInvalidTopicException;
      response.topics.push_back(std::move(missing));
      continue;
    }
    response.topics.push_back(Describe(broker, *topic));
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
