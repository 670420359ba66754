// Routing rules: a name, an EventBridge event pattern matched against the whole envelope, and
// the targets an event that matches goes to. As JSON (the HTTP API, the `_rules` topic, the
// CLI) and YAML (tarn.yaml's `rules`):
//
//   {"name": "big-orders", "description": "...", "enabled": true,
//    "pattern": {"type": ["order-placed"], "order": {"total": [{"numeric": [">", 100]}]}},
//    "targets": [{"id": "billing", "channel": "billing-orders"},
//                {"id": "audit", "channel": "audit", "field": "order"},
//                {"id": "crm", "webhook": {"url": "http://crm:8000/events", "batch-size": 10}},
//                {"id": "eu", "bridge": {"address": "eu-hub:9092"}}]}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "events/pattern.h"

namespace tarn::router {

// A channel topic: key = partitionKey; value = the whole envelope, or one top-level field of it
// (`field`), as JSON.
struct ChannelTarget {
  std::string topic;
  std::string field;
  bool operator==(const ChannelTarget&) const = default;
};

// An HTTP endpoint that takes batches of events as a JSON array (POST). A batch that fails is
// retried with exponential backoff and jitter from initial_backoff_ms up to max_backoff_ms,
// until max_age_ms has passed since its first attempt; then its events become faults
// (router/webhook_delivery.h).
struct WebhookTarget {
  std::string url;
  int32_t batch_size = 10;
  int64_t timeout_ms = 10'000;
  int64_t initial_backoff_ms = 200;
  int64_t max_backoff_ms = 30'000;
  int64_t max_age_ms = 3'600'000;
  bool operator==(const WebhookTarget&) const = default;
};

// Another hub's bus (its Kafka address): the fractal topology's link between subsystems.
struct BridgeTarget {
  std::string address;
  std::string topic = "bus";
  bool operator==(const BridgeTarget&) const = default;
};

struct Target {
  std::string id;  // unique within the rule
  std::variant<ChannelTarget, WebhookTarget, BridgeTarget> spec;

  // The destination's identity: targets of different rules with the same destination share one
  // delivery lane and one position ("channel:orders", "channel:audit#order",
  // "webhook:http://...", "bridge:host:9092/bus").
  std::string Destination() const;
  bool operator==(const Target& other) const { return id == other.id && spec == other.spec; }
};

struct Rule {
  std::string name;
  std::string description;
  bool enabled = true;
  nlohmann::json pattern_json;  // as given, for showing back
  events::Pattern pattern;
  std::vector<Target> targets;
};

// Rule names: 1-64 of [a-zA-Z0-9._-].
Status ValidateRuleName(std::string_view name);

// Parses and validates a rule. kInvalidArgument names the field: an unknown key, a bad name, a
// pattern EventBridge would refuse (with its path), no targets or more than 5, a target with
// none or several of channel/webhook/bridge, a bad topic name, URL or address, ids repeated.
Result<Rule> RuleFromJson(const nlohmann::json& json);
nlohmann::json RuleToJson(const Rule& rule);

// One target, as in a rule's "targets" list (`where` names it in errors).
Result<Target> TargetFromJson(const nlohmann::json& json, std::string_view where = "target");
nlohmann::json TargetToJson(const Target& target);

}  // namespace tarn::router
