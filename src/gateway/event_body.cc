#include "gateway/event_body.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tarn::gateway {
namespace {

using nlohmann::json;

std::unexpected<EventFailure> Fail(int status, std::string code, std::string message,
                                   std::optional<size_t> index = std::nullopt) {
  return std::unexpected(EventFailure{status, std::move(code), std::move(message), index});
}

std::unexpected<EventFailure> InvalidEvent(size_t index, const json* event, const Status& why) {
  std::string id;
  if (event && event->is_object()) {
    auto it = event->find("id");
    if (it != event->end() && it->is_string()) id = fmt::format(" (id \"{}\")", it->get<std::string>());
  }
  return Fail(400, "invalid_event", fmt::format("event {}{}: {}", index, id, why.message()), index);
}

// The media type of the request without parameters, in lowercase; empty when there is none.
std::string MediaType(const http::Request& request) {
  auto it = request.headers.find("Content-Type");
  if (it == request.headers.end()) return {};
  std::string media = it->second.substr(0, it->second.find(';'));
  media.erase(std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }),
              media.end());
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return media;
}

bool HasBinaryCloudEvent(const http::Request& request) {
  return request.headers.contains("ce-specversion");
}

using Parsed = std::expected<std::vector<events::Envelope>, EventFailure>;

Parsed NotEmpty(std::vector<events::Envelope> events) {
  if (events.empty()) return Fail(400, "no_events", "the request holds no events");
  return events;
}

Parsed TooMany(const BodyLimits& limits) {
  return Fail(413, "too_many_events",
              fmt::format("a request may hold at most {} events", limits.max_events));
}

// One envelope or an array of them; `cloud_events`: structured CloudEvents instead.
Parsed ParseJsonDocument(json document, bool cloud_events, int64_t now_ms,
                         const BodyLimits& limits) {
  std::vector<json> items;
  if (document.is_array()) {
    if (document.size() > limits.max_events) return TooMany(limits);
    items.reserve(document.size());
    for (json& item : document) items.push_back(std::move(item));
  } else {
    items.push_back(std::move(document));
  }
  std::vector<events::Envelope> events;
  events.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Result<events::Envelope> event =
        cloud_events ? events::FromCloudEvent(items[i], now_ms, limits.envelope)
                     : events::Envelope::FromJson(items[i], limits.envelope);
    if (!event) return InvalidEvent(i, &items[i], event.error());
    events.push_back(std::move(*event));
  }
  return NotEmpty(std::move(events));
}

Parsed ParseNdjsonBody(std::string_view body, const BodyLimits& limits) {
  std::vector<events::Envelope> events;
  size_t line_number = 0;
  while (!body.empty()) {
    size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (events.size() == limits.max_events) return TooMany(limits);
    const size_t index = events.size();
    Result<events::Envelope> event = events::Envelope::Parse(line, limits.envelope);
    if (!event) {
      json parsed = json::parse(line, nullptr, false);
      return Fail(400, "invalid_event",
                  fmt::format("event {} (line {}){}: {}", index, line_number,
                              parsed.is_object() && parsed.contains("id") && parsed["id"].is_string()
                                  ? fmt::format(" (id \"{}\")", parsed["id"].get<std::string>())
                                  : "",
                              event.error().message()),
                  index);
    }
    events.push_back(std::move(*event));
  }
  return NotEmpty(std::move(events));
}

}  // namespace

std::expected<std::vector<events::Envelope>, EventFailure> ParseEventBody(
    const http::Request& request, int64_t now_ms, const BodyLimits& limits) {
  if (HasBinaryCloudEvent(request)) {
    std::vector<events::Header> headers(request.headers.begin(), request.headers.end());
    Result<events::Envelope> event =
        events::FromCloudEventBinary(headers, request.body, now_ms, limits.envelope);
    if (!event) return InvalidEvent(0, nullptr, event.error());
    std::vector<events::Envelope> one;
    one.push_back(std::move(*event));
    return one;
  }
  const std::string media = MediaType(request);
  if (media == "application/x-ndjson" || media == "application/jsonl" ||
      media == "application/jsonlines" || media == "application/x-jsonlines") {
    return ParseNdjsonBody(request.body, limits);
  }
  const bool envelopes = media.empty() || media == "application/json";
  const bool cloud_event = media == "application/cloudevents+json";
  const bool cloud_batch = media == "application/cloudevents-batch+json";
  if (envelopes || cloud_event || cloud_batch) {
    json document = json::parse(request.body, nullptr, false);
    if (document.is_discarded()) {
      return Fail(400, "invalid_json", "the request body is not valid JSON");
    }
    if (cloud_event && !document.is_object()) {
      return Fail(400, "invalid_json", "a structured CloudEvent must be one JSON object");
    }
    if (cloud_batch && !document.is_array()) {
      return Fail(400, "invalid_json", "a CloudEvents batch must be a JSON array");
    }
    return ParseJsonDocument(std::move(document), !envelopes, now_ms, limits);
  }
  return Fail(415, "unsupported_media_type",
              fmt::format("Content-Type {} is not accepted: send application/json, "
                          "application/x-ndjson, application/cloudevents+json, "
                          "application/cloudevents-batch+json or a binary-mode CloudEvent",
                          media));
}

http::Response FailureResponse(const EventFailure& failure) {
  nlohmann::ordered_json error = {{"code", failure.code}, {"message", failure.message}};
  if (failure.index) error["index"] = *failure.index;
  nlohmann::ordered_json body = {{"error", std::move(error)}};
  return http::Response{.status = failure.status,
                        .content_type = "application/json",
                        .body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)};
}

}  // namespace tarn::gateway
