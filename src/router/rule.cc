#include "router/rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "http/client.h"
#include "hub/hub.h"
#include "net/host_port.h"

namespace tarn::router {
namespace {

using nlohmann::json;

constexpr size_t kMaxTargets = 5;

Status Invalid(std::string_view where, std::string_view why) {
  return Status::InvalidArgument(fmt::format("rule: {}: {}", where, why));
}

// The keys of `object` that are not in `known`, as an error naming the first.
Status RefuseUnknownKeys(const json& object, std::string_view where,
                         std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Invalid(where, fmt::format("unknown key \"{}\"", key));
    }
  }
  return Status::Ok();
}

// An integer field of `object` within [min, max]; `value` keeps its default when absent.
template <typename T>
Status ReadInteger(const json& object, const char* key, std::string_view where, T min, T max,
                   T& value) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Invalid(fmt::format("{}.{}", where, key),
                   fmt::format("must be an integer in [{}, {}]", min, max));
  }
  value = it->get<T>();
  return Status::Ok();
}

// An http:// URL that http::ParseUrl takes, as WebhookDelivery sends to it.
Status ValidateHttpUrl(std::string_view url, std::string_view where) {
  if (!url.starts_with("http://")) {
    return Invalid(where, fmt::format("\"{}\" is not an http:// URL", url));
  }
  Result<http::Url> parsed = http::ParseUrl(url);
  if (!parsed) return Invalid(where, parsed.error().message());
  return Status::Ok();
}

Status ValidateAddress(std::string_view address, std::string_view where) {
  Result<std::pair<std::string, uint16_t>> parsed = net::ParseHostPort(address);
  if (!parsed || parsed->second == 0) {
    return Invalid(where, fmt::format("\"{}\" is not HOST:PORT", address));
  }
  return Status::Ok();
}

Result<WebhookTarget> WebhookFromJson(const json& value, std::string_view where) {
  WebhookTarget out;
  if (value.is_string()) {
    out.url = value.get<std::string>();
  } else if (value.is_object()) {
    TARN_TRY(RefuseUnknownKeys(value, where,
                               {"url", "batch-size", "timeout-ms", "initial-backoff-ms",
                                "max-backoff-ms", "max-age-ms"}));
    auto url = value.find("url");
    if (url == value.end() || !url->is_string()) return Error(Invalid(where, "needs a \"url\" string"));
    out.url = url->get<std::string>();
    TARN_TRY(ReadInteger<int32_t>(value, "batch-size", where, 1, 10'000, out.batch_size));
    TARN_TRY(ReadInteger<int64_t>(value, "timeout-ms", where, 1, 600'000, out.timeout_ms));
    TARN_TRY(ReadInteger<int64_t>(value, "initial-backoff-ms", where, 1, 3'600'000,
                                  out.initial_backoff_ms));
    TARN_TRY(ReadInteger<int64_t>(value, "max-backoff-ms", where, 1, 86'400'000, out.max_backoff_ms));
    TARN_TRY(ReadInteger<int64_t>(value, "max-age-ms", where, 0, 7LL * 86'400'000, out.max_age_ms));
    if (out.max_backoff_ms < out.initial_backoff_ms) {
      return Error(Invalid(where, "max-backoff-ms is below initial-backoff-ms"));
    }
  } else {
    return Error(Invalid(where, "must be a URL or an object"));
  }
  TARN_TRY(ValidateHttpUrl(out.url, where));
  return out;
}

Result<BridgeTarget> BridgeFromJson(const json& value, std::string_view where) {
  BridgeTarget out;
  if (value.is_string()) {
    out.address = value.get<std::string>();
  } else if (value.is_object()) {
    TARN_TRY(RefuseUnknownKeys(value, where, {"address", "topic"}));
    auto address = value.find("address");
    if (address == value.end() || !address->is_string()) {
      return Error(Invalid(where, "needs an \"address\" string"));
    }
    out.address = address->get<std::string>();
    if (auto topic = value.find("topic"); topic != value.end()) {
      if (!topic->is_string()) return Error(Invalid(where, "topic must be a string"));
      out.topic = topic->get<std::string>();
    }
  } else {
    return Error(Invalid(where, "must be HOST:PORT or an object"));
  }
  TARN_TRY(ValidateAddress(out.address, where));
  if (Status valid = hub::ValidateTopicName(out.topic); !valid.ok()) {
    return Error(Invalid(fmt::format("{}.topic", where), valid.message()));
  }
  return out;
}

}  // namespace

Result<Target> TargetFromJson(const json& value, std::string_view where_text) {
  const std::string where(where_text);
  if (!value.is_object()) return Error(Invalid(where, "must be an object"));
  TARN_TRY(RefuseUnknownKeys(value, where, {"id", "channel", "field", "webhook", "bridge"}));
  const int kinds = value.contains("channel") + value.contains("webhook") + value.contains("bridge");
  if (kinds != 1) return Error(Invalid(where, "needs exactly one of channel, webhook and bridge"));
  Target target;
  if (auto it = value.find("channel"); it != value.end()) {
    if (!it->is_string()) return Error(Invalid(where + ".channel", "must be a topic name"));
    ChannelTarget channel{.topic = it->get<std::string>(), .field = ""};
    if (Status valid = hub::ValidateTopicName(channel.topic); !valid.ok()) {
      return Error(Invalid(where + ".channel", valid.message()));
    }
    if (auto field = value.find("field"); field != value.end()) {
      if (!field->is_string() || field->get<std::string>().empty()) {
        return Error(Invalid(where + ".field", "must be a field name"));
      }
      channel.field = field->get<std::string>();
    }
    target.spec = std::move(channel);
  } else if (value.contains("field")) {
    return Error(Invalid(where + ".field", "applies to channel targets only"));
  } else if (auto hook = value.find("webhook"); hook != value.end()) {
    TARN_ASSIGN_OR_RETURN(WebhookTarget webhook, WebhookFromJson(*hook, where + ".webhook"));
    target.spec = std::move(webhook);
  } else {
    TARN_ASSIGN_OR_RETURN(BridgeTarget bridge, BridgeFromJson(value["bridge"], where + ".bridge"));
    target.spec = std::move(bridge);
  }
  if (auto id = value.find("id"); id != value.end()) {
    if (!id->is_string() || id->get<std::string>().empty()) {
      return Error(Invalid(where + ".id", "must be a non-empty string"));
    }
    target.id = id->get<std::string>();
  } else {
    target.id = target.Destination();
  }
  return target;
}

json TargetToJson(const Target& target) {
  json out = {{"id", target.id}};
  if (const auto* channel = std::get_if<ChannelTarget>(&target.spec)) {
    out["channel"] = channel->topic;
    if (!channel->field.empty()) out["field"] = channel->field;
  } else if (const auto* hook = std::get_if<WebhookTarget>(&target.spec)) {
    out["webhook"] = {{"url", hook->url},
                      {"batch-size", hook->batch_size},
                      {"timeout-ms", hook->timeout_ms},
                      {"initial-backoff-ms", hook->initial_backoff_ms},
                      {"max-backoff-ms", hook->max_backoff_ms},
                      {"max-age-ms", hook->max_age_ms}};
  } else {
    const auto& bridge = std::get<BridgeTarget>(target.spec);
    out["bridge"] = {{"address", bridge.address}, {"topic", bridge.topic}};
  }
  return out;
}

std::string Target::Destination() const {
  if (const auto* channel = std::get_if<ChannelTarget>(&spec)) {
    return channel->field.empty() ? "channel:" + channel->topic
                                  : "channel:" + channel->topic + "#" + channel->field;
  }
  if (const auto* hook = std::get_if<WebhookTarget>(&spec)) return "webhook:" + hook->url;
  const auto& bridge = std::get<BridgeTarget>(spec);
  return "bridge:" + bridge.address + "/" + bridge.topic;
}

Status ValidateRuleName(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::all_of(name.begin(), name.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                  });
  if (ok) return Status::Ok();
  return Invalid("name", fmt::format("\"{}\" must be 1-64 of letters, digits, '.', '_' and '-'", name));
}

Result<Rule> RuleFromJson(const json& value) {
  if (!value.is_object()) return Error(Invalid("", "a rule must be a JSON object"));
  TARN_TRY(RefuseUnknownKeys(value, "rule", {"name", "description", "enabled", "pattern", "targets"}));
  Rule rule;
  auto name = value.find("name");
  if (name == value.end() || !name->is_string()) return Error(Invalid("name", "is required"));
  rule.name = name->get<std::string>();
  TARN_TRY(ValidateRuleName(rule.name));
  if (auto description = value.find("description"); description != value.end()) {
    if (!description->is_string()) return Error(Invalid("description", "must be a string"));
    rule.description = description->get<std::string>();
  }
  if (auto enabled = value.find("enabled"); enabled != value.end()) {
    if (!enabled->is_boolean()) return Error(Invalid("enabled", "must be true or false"));
    rule.enabled = enabled->get<bool>();
  }
  auto pattern = value.find("pattern");
  if (pattern == value.end()) return Error(Invalid("pattern", "is required"));
  Result<events::Pattern> parsed = events::Pattern::FromJson(*pattern);
  if (!parsed) return Error(Invalid("pattern", parsed.error().message()));
  rule.pattern_json = *pattern;
  rule.pattern = std::move(*parsed);
  auto targets = value.find("targets");
  if (targets == value.end() || !targets->is_array() || targets->empty() ||
      targets->size() > kMaxTargets) {
    return Error(Invalid("targets", fmt::format("must be a list of 1 to {} targets", kMaxTargets)));
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < targets->size(); ++i) {
    TARN_ASSIGN_OR_RETURN(Target target, TargetFromJson((*targets)[i], fmt::format("targets[{}]", i)));
    if (!ids.insert(target.id).second) {
      return Error(Invalid(fmt::format("targets[{}].id", i), fmt::format("\"{}\" is repeated", target.id)));
    }
    rule.targets.push_back(std::move(target));
  }
  return rule;
}

json RuleToJson(const Rule& rule) {
  json targets = json::array();
  for (const Target& target : rule.targets) targets.push_back(TargetToJson(target));
  json out = {{"name", rule.name}, {"enabled", rule.enabled}, {"pattern", rule.pattern_json},
              {"targets", std::move(targets)}};
  if (!rule.description.empty()) out["description"] = rule.description;
  return out;
}

}  // namespace tarn::router
