// DescribeConfigs (v0-2): a topic's configs (its overrides marked as topic settings, the rest as
// defaults), or the broker's topic defaults for a broker resource.
#include "kafka/handlers/handler.h"
#include "kafka/messages/describe_configs.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

using Result_ = DescribeConfigsResponse::DescribeConfigsResult;
using Source = DescribeConfigsResponse::ConfigSource;

bool Wanted(const std::optional<std::vector<std::string>>& keys, std::string_view key) {
  if (!keys.has_value() || keys->empty()) return true;
  return std::find(keys->begin(), keys->end(), key) != keys->end();
}

void AddConfigs(Result_& out, const TopicConfig& config,
                const std::map<std::string, std::string>* overrides,
                const std::optional<std::vector<std::string>>& keys, bool synonyms) {
  for (std::string_view key : TopicConfig::Keys()) {
    if (!Wanted(keys, key)) continue;
    auto& entry = out.configs.emplace_back();
    entry.name = std::string(key);
    entry.value = config.Get(key);
    bool overridden = overrides && overrides->contains(entry.name);
    entry.is_default = !overridden;
    entry.config_source = overrides == nullptr ? Source::kStaticBrokerConfig
                          : overridden         ? Source::kDynamicTopicConfig
                                               : Source::kDefaultConfig;
    if (synonyms) entry.synonyms.push_back({entry.name, entry.value, entry.config_source});
  }
}

}  // namespace

Awaitable<HandlerResult> HandleDescribeConfigs(RequestContext& ctx) {
  auto request = DecodeBody<DescribeConfigsRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  const Broker& broker = ctx.broker;
  DescribeConfigsResponse response;
  for (const auto& resource : request->resources) {
    auto& out = response.results.emplace_back();
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    if (resource.resource_type == ConfigResourceType::kTopic) {
      std::shared_ptr<Topic> topic = broker.FindTopic(resource.resource_name);
      if (!topic) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
        out.error_message = "topic '" + resource.resource_name + "' does not exist";
        continue;
      }
      AddConfigs(out, topic->settings.effective, &topic->settings.overrides,
                 resource.configuration_keys, request->include_synonyms);
    } else if (resource.resource_type == ConfigResourceType::kBroker) {
      if (resource.resource_name != std::to_string(broker.options().node_id) &&
          !resource.resource_name.empty()) {
        out.error_code = ErrorCode::kInvalidRequest;
        out.error_message = "unknown broker '" + resource.resource_name + "'";
        continue;
      }
      AddConfigs(out, broker.options().topic_defaults, nullptr, resource.configuration_keys,
                 request->include_synonyms);
    } else {
      out.error_code = ErrorCode::kInvalidRequest;
      out.error_message = "only topic and broker resources are supported";
    }
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
