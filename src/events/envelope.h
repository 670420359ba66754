// The domain-event envelope (DESIGN.md, "The event envelope"): parse and validate it, build it,
// and map it to and from CloudEvents 1.0, structured (one JSON document) and binary (the data
// in the record value, attributes in ce_* Kafka headers).
//
//   {"id": "o-1-placed", "type": "order-placed", "timestamp": 1700000000000,
//    "partitionKey": "o-1", "tags": {"source": "shop", "region": "eu"},
//    "order": {"id": "o-1", "total": 12.5}}
//
// The entity field (`order` above) is named by the type's first part; it and any other field
// beyond the standard ones are the contract's business, not the envelope's.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace tarn::events {

struct EnvelopeLimits {
  size_t max_event_bytes = 1 << 20;  // the serialized event, as Kafka's default max.message.bytes
  size_t max_id_bytes = 256;
  size_t max_type_bytes = 128;
  size_t max_partition_key_bytes = 1024;
  bool allow_reserved_types = false;  // `fault` is Tarn's own: services may not publish it
};

class Envelope {
 public:
  // Parses and validates a JSON event. kInvalidArgument names the field and the rule broken:
  // not JSON, not an object, a required field missing or of the wrong type, a type that is not
  // `<entity>-<verb>` in lowercase kebab case, a reserved type, a size over the limits.
  static Result<Envelope> Parse(std::string_view json, const EnvelopeLimits& limits = {});
  // The same for an already-parsed document (its size counts as serialized).
  static Result<Envelope> FromJson(nlohmann::json event, const EnvelopeLimits& limits = {});

  // A new event; `entity` goes under the type's entity name. Validated as Parse does.
  static Result<Envelope> Make(std::string id, std::string type, int64_t timestamp_ms,
                               std::string partition_key, nlohmann::json entity,
                               nlohmann::json tags = nlohmann::json::object(),
                               const EnvelopeLimits& limits = {});

  const std::string& id() const { return id_; }
  const std::string& type() const { return type_; }
  int64_t timestamp_ms() const { return timestamp_ms_; }
  const std::string& partition_key() const { return partition_key_; }
  // The tag's value when it is a string, else nullopt (source, region, subsystem, ...).
  std::optional<std::string> tag(std::string_view name) const;
  bool skip() const;  // tags.skip: test traffic
  // The entity name: the type up to its last '-' ("order" for "order-placed").
  std::string entity_name() const;
  // The whole event, standard fields included.
  const nlohmann::json& document() const { return event_; }
  // The event as JSON text: the text it was parsed from (Parse), else its one serialization.
  const std::string& Serialize() const { return text_; }

 private:
  Envelope(nlohmann::json event, std::string text)
      : event_(std::move(event)), text_(std::move(text)) {}
  // `serialized_bytes`: the event's size as text (what the size limit applies to).
  Status Validate(const EnvelopeLimits& limits, size_t serialized_bytes);

  nlohmann::json event_;
  std::string text_;
  std::string id_;
  std::string type_;
  int64_t timestamp_ms_ = 0;
  std::string partition_key_;
};

// `<entity>-<verb>`: lowercase letters and digits in two or more parts joined by single '-',
// starting with a letter. kInvalidArgument says why not.
Status ValidateEventType(std::string_view type);

// --- CloudEvents 1.0 -------------------------------------------------------------------------
//
// Envelope -> CloudEvent: specversion "1.0", id, type, source (tags.source, else "tarn"),
// time (RFC 3339, UTC, milliseconds), partitionkey, datacontenttype application/json, data (the
// entity field, or null), and each other string tag as an extension attribute (region,
// subsystem). CloudEvent -> envelope is the reverse: data goes under the type's entity name,
// source becomes tags.source, extension attributes become tags, partitionkey defaults to the id
// and a missing time to `now_ms`.

// A structured-mode CloudEvent (application/cloudevents+json).
nlohmann::json ToCloudEvent(const Envelope& event);
Result<Envelope> FromCloudEvent(const nlohmann::json& cloud_event, int64_t now_ms,
                                const EnvelopeLimits& limits = {});

using Header = std::pair<std::string, std::string>;

// Binary mode on Kafka: ce_* headers (ce_specversion, ce_id, ce_type, ce_source, ce_time,
// ce_partitionkey, extensions) and content-type; the value is the envelope itself, so Tarn's
// consumers read the envelope and CloudEvents-aware tools route on the headers.
std::vector<Header> CloudEventKafkaHeaders(const Envelope& event);
// Binary mode over HTTP: attributes in ce-* headers (any case), the body is the data.
Result<Envelope> FromCloudEventBinary(const std::vector<Header>& headers, std::string_view body,
                                      int64_t now_ms, const EnvelopeLimits& limits = {});

// RFC 3339 timestamps ("2026-11-22T07:30:00.123Z", "...+01:00"), to and from epoch
// milliseconds (fractions beyond milliseconds are truncated). kInvalidArgument when malformed.
Result<int64_t> ParseRfc3339(std::string_view text);
std::string FormatRfc3339(int64_t epoch_ms);

}  // namespace tarn::events
