#include "events/envelope.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace tarn::events {
namespace {

using nlohmann::json;

constexpr std::string_view kReservedTypes[] = {"fault"};
// The envelope's own fields; every other top-level field belongs to the contract.
constexpr std::string_view kIdField = "id";
constexpr std::string_view kTypeField = "type";
constexpr std::string_view kTimestampField = "timestamp";
constexpr std::string_view kPartitionKeyField = "partitionKey";
constexpr std::string_view kTagsField = "tags";
// Latest instant RFC 3339 can write: 9999-12-31T23:59:59.999Z.
constexpr int64_t kMaxTimestampMs = 253402300799999;
constexpr std::string_view kDefaultSource = "tarn";
// CloudEvents context attributes that are not extensions.
constexpr std::string_view kCloudEventAttributes[] = {
    "specversion", "id", "type", "source", "time", "datacontenttype", "dataschema", "subject",
    "data", "data_base64", "partitionkey"};

Status Invalid(std::string_view field, std::string_view rule) {
  return Status::InvalidArgument("event field '" + std::string(field) + "': " + std::string(rule));
}

Result<std::string> RequiredString(const json& event, std::string_view field, size_t max_bytes) {
  auto it = event.find(field);
  if (it == event.end()) return Error(Invalid(field, "is required"));
  if (!it->is_string()) return Error(Invalid(field, "must be a string"));
  const auto& value = it->get_ref<const std::string&>();
  if (value.empty()) return Error(Invalid(field, "must not be empty"));
  if (value.size() > max_bytes) {
    return Error(Invalid(field, "is " + std::to_string(value.size()) + " bytes, over the limit of " +
                                    std::to_string(max_bytes)));
  }
  return value;
}

Status CheckEventSize(size_t bytes, const EnvelopeLimits& limits) {
  if (bytes <= limits.max_event_bytes) return Status::Ok();
  return Status::InvalidArgument("event is " + std::to_string(bytes) + " bytes, over the limit of " +
                                 std::to_string(limits.max_event_bytes));
}

bool IsCloudEventAttribute(std::string_view name) {
  return std::ranges::find(kCloudEventAttributes, name) != std::end(kCloudEventAttributes);
}

// CloudEvents attribute names: lowercase letters and digits.
bool IsAttributeName(std::string_view name) {
  return !name.empty() && name.size() <= 20 &&
         std::ranges::all_of(name, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Builds the envelope from CloudEvent attributes (strings) and its data.
Result<Envelope> FromCloudEventParts(const json& attributes, json data, int64_t now_ms,
                                     const EnvelopeLimits& limits) {
  auto attribute = [&](std::string_view name) -> const json* {
    auto it = attributes.find(name);
    return it == attributes.end() || it->is_null() ? nullptr : &*it;
  };
  const json* specversion = attribute("specversion");
  if (specversion == nullptr) return Error(Status::InvalidArgument("cloudevent: specversion is required"));
  if (*specversion != "1.0") {
    return Error(Status::InvalidArgument("cloudevent: specversion " + specversion->dump() +
                                         " is not supported (only 1.0)"));
  }
  for (std::string_view required : {"id", "type", "source"}) {
    const json* value = attribute(required);
    if (value == nullptr || !value->is_string() || value->get_ref<const std::string&>().empty()) {
      return Error(Status::InvalidArgument("cloudevent: " + std::string(required) +
                                           " is required and must be a non-empty string"));
    }
  }
  json event = json::object();
  event[kIdField] = *attribute("id");
  event[kTypeField] = *attribute("type");
  int64_t timestamp = now_ms;
  if (const json* time = attribute("time")) {
    if (!time->is_string()) return Error(Status::InvalidArgument("cloudevent: time must be a string"));
    auto parsed = ParseRfc3339(time->get_ref<const std::string&>());
    if (!parsed.has_value()) {
      return Error(Status::InvalidArgument("cloudevent: time: " + parsed.error().message()));
    }
    timestamp = *parsed;
  }
  event[kTimestampField] = timestamp;
  const json* key = attribute("partitionkey");
  event[kPartitionKeyField] = key != nullptr ? *key : *attribute("id");
  json tags = json::object();
  tags["source"] = *attribute("source");
  for (const auto& [name, value] : attributes.items()) {
    if (IsCloudEventAttribute(name) || value.is_null()) continue;
    if (!IsAttributeName(name)) {
      return Error(Status::InvalidArgument("cloudevent: attribute name '" + name +
                                           "' must be lowercase letters and digits"));
    }
    tags[name] = value;
  }
  event[kTagsField] = std::move(tags);
  const std::string& type = event[kTypeField].get_ref<const std::string&>();
  TARN_TRY(ValidateEventType(type));
  event[type.substr(0, type.rfind('-'))] = std::move(data);
  return Envelope::FromJson(std::move(event), limits);
}

}  // namespace

Status ValidateEventType(std::string_view type) {
  bool valid = !type.empty() && type.front() >= 'a' && type.front() <= 'z' && type.back() != '-';
  int parts = 1;
  for (size_t i = 0; valid && i < type.size(); ++i) {
    char c = type[i];
    if (c == '-') {
      valid = type[i - 1] != '-';
      ++parts;
    } else {
      valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
  }
  if (!valid || parts < 2) {
    if (std::ranges::find(kReservedTypes, type) != std::end(kReservedTypes)) return Status::Ok();
    return Invalid(kTypeField, "'" + std::string(type) +
                                   "' is not <entity>-<verb> in lowercase kebab case, e.g. "
                                   "order-placed");
  }
  return Status::Ok();
}

Result<Envelope> Envelope::Parse(std::string_view text, const EnvelopeLimits& limits) {
  // Checked before parsing too, so an oversized body costs no parse.
  TARN_TRY(CheckEventSize(text.size(), limits));
  json event = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return Error(Status::InvalidArgument("event is not valid JSON"));
  Envelope envelope(std::move(event), std::string(text));
  TARN_TRY(envelope.Validate(limits, text.size()));
  return envelope;
}

Result<Envelope> Envelope::FromJson(json event, const EnvelopeLimits& limits) {
  std::string text = event.dump(-1, ' ', false, json::error_handler_t::replace);
  const size_t serialized_bytes = text.size();
  Envelope envelope(std::move(event), std::move(text));
  TARN_TRY(envelope.Validate(limits, serialized_bytes));
  return envelope;
}

Result<Envelope> Envelope::Make(std::string id, std::string type, int64_t timestamp_ms,
                                std::string partition_key, json entity, json tags,
                                const EnvelopeLimits& limits) {
  TARN_TRY(ValidateEventType(type));
  json event = json::object();
  event[kIdField] = std::move(id);
  event[kTimestampField] = timestamp_ms;
  event[kPartitionKeyField] = std::move(partition_key);
  event[kTagsField] = std::move(tags);
  event[type.substr(0, type.rfind('-'))] = std::move(entity);
  event[kTypeField] = std::move(type);
  return FromJson(std::move(event), limits);
}

Status Envelope::Validate(const EnvelopeLimits& limits, size_t serialized_bytes) {
  if (!event_.is_object()) return Status::InvalidArgument("an event must be a JSON object");
  TARN_ASSIGN_OR_RETURN(id_, RequiredString(event_, kIdField, limits.max_id_bytes));
  TARN_ASSIGN_OR_RETURN(type_, RequiredString(event_, kTypeField, limits.max_type_bytes));
  TARN_TRY(ValidateEventType(type_));
  if (!limits.allow_reserved_types &&
      std::ranges::find(kReservedTypes, type_) != std::end(kReservedTypes)) {
    return Invalid(kTypeField, "'" + type_ + "' is reserved for Tarn's own events");
  }
  auto timestamp = event_.find(kTimestampField);
  if (timestamp == event_.end()) return Invalid(kTimestampField, "is required");
  if (!timestamp->is_number_integer()) {
    return Invalid(kTimestampField, "must be an integer (epoch milliseconds)");
  }
  timestamp_ms_ = timestamp->get<int64_t>();
  if (timestamp_ms_ < 0 || timestamp_ms_ > kMaxTimestampMs) {
    return Invalid(kTimestampField, "must be epoch milliseconds between 0 and 9999-12-31");
  }
  TARN_ASSIGN_OR_RETURN(partition_key_,
                        RequiredString(event_, kPartitionKeyField, limits.max_partition_key_bytes));
  if (auto tags = event_.find(kTagsField); tags != event_.end()) {
    if (!tags->is_object()) return Invalid(kTagsField, "must be an object");
    for (const auto& [name, value] : tags->items()) {
      if (!value.is_primitive()) {
        return Invalid(std::string(kTagsField) + "." + name, "must be a string, number, boolean or null");
      }
    }
    if (auto skip = tags->find("skip"); skip != tags->end() && !skip->is_boolean()) {
      return Invalid("tags.skip", "must be a boolean");
    }
  }
  return CheckEventSize(serialized_bytes, limits);
}

std::optional<std::string> Envelope::tag(std::string_view name) const {
  auto tags = event_.find(kTagsField);
  if (tags == event_.end()) return std::nullopt;
  auto value = tags->find(name);
  if (value == tags->end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

bool Envelope::skip() const {
  auto tags = event_.find(kTagsField);
  if (tags == event_.end()) return false;
  auto value = tags->find("skip");
  return value != tags->end() && value->is_boolean() && value->get<bool>();
}

std::string Envelope::entity_name() const {
  size_t dash = type_.rfind('-');
  return dash == std::string::npos ? type_ : type_.substr(0, dash);
}

namespace {

// The CloudEvent's string attributes for `event`, data aside, as ToCloudEvent describes them.
std::vector<Header> CloudEventAttributes(const Envelope& event) {
  std::vector<Header> attributes = {
      {"specversion", "1.0"},
      {"id", event.id()},
      {"type", event.type()},
      {"source", event.tag("source").value_or(std::string(kDefaultSource))},
      {"time", FormatRfc3339(event.timestamp_ms())},
      {"partitionkey", event.partition_key()}};
  if (auto tags = event.document().find(kTagsField); tags != event.document().end()) {
    for (const auto& [name, value] : tags->items()) {
      std::string attribute = Lowercase(name);
      if (name == "source" || IsCloudEventAttribute(attribute) || !IsAttributeName(attribute)) continue;
      if (value.is_string()) attributes.emplace_back(std::move(attribute), value.get<std::string>());
    }
  }
  return attributes;
}

}  // namespace

json ToCloudEvent(const Envelope& event) {
  json ce = json::object();
  for (auto& [name, value] : CloudEventAttributes(event)) ce[name] = std::move(value);
  ce["datacontenttype"] = "application/json";
  auto data = event.document().find(event.entity_name());
  ce["data"] = data != event.document().end() ? *data : json();
  return ce;
}

Result<Envelope> FromCloudEvent(const json& cloud_event, int64_t now_ms, const EnvelopeLimits& limits) {
  if (!cloud_event.is_object()) return Error(Status::InvalidArgument("a cloudevent must be a JSON object"));
  json attributes = cloud_event;
  json data;
  if (auto it = attributes.find("data"); it != attributes.end()) data = *it;
  if (attributes.contains("data_base64")) {
    return Error(Status::InvalidArgument("cloudevent: data_base64 is not supported; events carry JSON data"));
  }
  if (auto type = attributes.find("datacontenttype");
      type != attributes.end() && type->is_string() &&
      type->get_ref<const std::string&>().find("json") == std::string::npos) {
    return Error(Status::InvalidArgument("cloudevent: datacontenttype " + type->dump() +
                                         " is not JSON"));
  }
  return FromCloudEventParts(attributes, std::move(data), now_ms, limits);
}

std::vector<Header> CloudEventKafkaHeaders(const Envelope& event) {
  std::vector<Header> headers = CloudEventAttributes(event);
  for (auto& [name, value] : headers) name.insert(0, "ce_");
  headers.emplace_back("content-type", "application/json");
  return headers;
}

Result<Envelope> FromCloudEventBinary(const std::vector<Header>& headers, std::string_view body,
                                      int64_t now_ms, const EnvelopeLimits& limits) {
  json attributes = json::object();
  for (const auto& [name, value] : headers) {
    std::string lower = Lowercase(name);
    if (lower.starts_with("ce-") || lower.starts_with("ce_")) {
      attributes[lower.substr(3)] = value;
    } else if (lower == "content-type" && value.find("json") == std::string::npos) {
      return Error(Status::InvalidArgument("cloudevent: content type '" + value + "' is not JSON"));
    }
  }
  json data;
  if (!body.empty()) {
    data = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) return Error(Status::InvalidArgument("cloudevent: data is not valid JSON"));
  }
  return FromCloudEventParts(attributes, std::move(data), now_ms, limits);
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return Error(Status::InvalidArgument("'" + std::string(s) + "' is not an RFC 3339 time: " +
                                         std::string(why)));
  };
  auto digits = [&](size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(5, 2, month) || s[7] != '-' ||
      !digits(8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, hour) ||
      s[13] != ':' || !digits(14, 2, minute) || s[16] != ':' || !digits(17, 2, second)) {
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return bad("no such date or time");
  size_t at = 19;
  int64_t millis = 0;
  if (at < s.size() && s[at] == '.') {
    size_t start = ++at;
    int scale = 100;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      millis += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) return bad("a '.' needs digits");
  }
  int64_t offset_minutes = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh, om;
    if (!digits(at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' || !digits(at + 4, 2, om) ||
        oh > 23 || om > 59) {
      return bad("bad offset");
    }
    offset_minutes = (s[at] == '+' ? 1 : -1) * (oh * 60 + om);
    at += 6;
  } else {
    return bad("needs Z or an offset");
  }
  if (at != s.size()) return bad("trailing characters");
  int64_t days = sys_days(date).time_since_epoch().count();
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59) -
                    offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::string FormatRfc3339(int64_t epoch_ms) {
  using namespace std::chrono;
  int64_t ms = ((epoch_ms % 1000) + 1000) % 1000;
  int64_t total_seconds = (epoch_ms - ms) / 1000;
  int64_t day_seconds = ((total_seconds % 86400) + 86400) % 86400;
  sys_days days{std::chrono::days((total_seconds - day_seconds) / 86400)};
  year_month_day date(days);
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(day_seconds / 3600), static_cast<int>(day_seconds / 60 % 60),
                static_cast<int>(day_seconds % 60), static_cast<int>(ms));
  return out;
}

}  // namespace tarn::events
