#include "gateway/event_gateway.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "base/text_encoding.h"
#include "gateway/cursor.h"
#include "http/server.h"
#include "net/asio.h"

namespace tarn::gateway {
namespace {

using OrderedJson = nlohmann::ordered_json;
using http::Request;
using http::Response;

std::string Dump(const OrderedJson& value) {
  return value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

Response JsonOk(const OrderedJson& body) {
  return Response{.status = 200, .content_type = "application/json", .body = Dump(body)};
}

// The failure owed for a hub error while publishing or reading.
EventFailure HubFailure(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
      return EventFailure{503, "unavailable", status.message(), std::nullopt};
    case StatusCode::kInvalidArgument:
      return EventFailure{413, "payload_too_large", status.message(), std::nullopt};
    case StatusCode::kNotFound:
      return EventFailure{404, "not_found", status.message(), std::nullopt};
    default:
      return EventFailure{500, "internal", status.message(), std::nullopt};
  }
}

// A query parameter as a number in [min, max], its default when absent.
template <typename T>
std::expected<T, EventFailure> NumberParam(const Request& request, const char* name, T fallback,
                                           T min, T max) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  T value{};
  const std::string& text = it->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::unexpected(EventFailure{
        400, "invalid_argument", fmt::format("{}={} is not a number in [{}, {}]", name, text, min, max),
        std::nullopt});
  }
  return value;
}

bool WantsEventStream(const Request& request) {
  auto it = request.headers.find("Accept");
  return it != request.headers.end() && it->second.find("text/event-stream") != std::string::npos;
}

// Bytes as JSON: a string when they are UTF-8, else {"base64": ...}.
OrderedJson BytesJson(const std::string& bytes) {
  if (IsValidUtf8(bytes)) return bytes;
  return OrderedJson{{"base64", Base64Encode(bytes)}};
}

// One record as the read API shows it. A value that is a JSON object (an event) is embedded
// as it is stored, under "event"; any other value is "value".
std::string RecordJson(const std::string& topic, const hub::StoredRecord& record) {
  OrderedJson item = {{"topic", topic},
                      {"partition", record.partition},
                      {"offset", record.offset},
                      {"timestamp", record.timestamp_ms},
                      {"key", record.key ? BytesJson(*record.key) : OrderedJson(nullptr)}};
  OrderedJson headers = OrderedJson::object();
  for (const hub::RecordHeader& header : record.headers) headers[header.name] = BytesJson(header.value);
  item["headers"] = std::move(headers);
  const bool is_event = record.value && !record.value->empty() &&
                        record.value->front() == '{' && OrderedJson::accept(*record.value);
  if (!is_event) {
    item["value"] = record.value ? BytesJson(*record.value) : OrderedJson(nullptr);
    return Dump(item);
  }
  std::string text = Dump(item);
  text.pop_back();  // the closing brace
  text += ",\"event\":";
  text += *record.value;
  text += '}';
  return text;
}

// The server-sent event that ends a stream on a failure: `event: error`, data the JSON error.
std::string ErrorEvent(const EventFailure& failure) {
  return "event: error\ndata: " + FailureResponse(failure).body + "\n\n";
}

// Counts an open stream for as long as it lives.
class StreamCount {
 public:
  explicit StreamCount(Gauge& gauge) : gauge_(gauge) { gauge_.Add(1); }
  ~StreamCount() { gauge_.Add(-1); }
  StreamCount(const StreamCount&) = delete;
  StreamCount& operator=(const StreamCount&) = delete;

 private:
  Gauge& gauge_;
};

}  // namespace

struct EventGateway::Metrics {
  explicit Metrics(MetricsRegistry& registry)
      : published(registry.AddCounter("tarn_http_events_published_total",
                                      "Events published over HTTP and acknowledged.")),
        refused(registry.AddCounterFamily("tarn_http_events_refused_total",
                                          "Publish requests refused, by error code.", {"code"})),
        streams(registry.AddGauge("tarn_http_event_streams",
                                  "Open server-sent event streams.")) {}
  Counter& published;
  CounterFamily& refused;
  Gauge& streams;
};

EventGateway::EventGateway(hub::Hub& hub, ContractCheck check, const Clock& clock,
                           MetricsRegistry& metrics, GatewayOptions options)
    : hub_(hub),
      check_(std::move(check)),
      clock_(clock),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(metrics)) {}

EventGateway::~EventGateway() = default;

Awaitable<Status> EventGateway::Start() {
  hub::TopicSpec spec;
  spec.configs["max.message.bytes"] = std::to_string(options_.bus_max_message_bytes);
  Result<int32_t> partitions = co_await hub_.EnsureTopic(options_.bus_topic, spec);
  if (!partitions) co_return partitions.error().WithContext("creating the bus topic");
  co_return Status::Ok();
}

Awaitable<std::expected<std::vector<PublishedEvent>, EventFailure>> EventGateway::Publish(
    std::vector<events::Envelope> events) {
  for (size_t i = 0; i < events.size(); ++i) {
    Status valid = check_ ? check_(events[i]) : Status::Ok();
    if (!valid.ok()) {
      co_return std::unexpected(EventFailure{
          422, "contract_violation",
          fmt::format("event {} (id \"{}\"): {}", i, events[i].id(), valid.message()), i});
    }
  }
  std::vector<hub::OutgoingRecord> records;
  records.reserve(events.size());
  for (const events::Envelope& event : events) {
    hub::OutgoingRecord record;
    record.key = event.partition_key();
    record.value = event.Serialize();
    for (auto& [name, value] : events::CloudEventKafkaHeaders(event)) {
      record.headers.push_back(hub::RecordHeader{std::move(name), std::move(value)});
    }
    records.push_back(std::move(record));
  }
  Result<std::vector<hub::RecordPosition>> positions =
      co_await hub_.Append(options_.bus_topic, std::move(records));
  if (!positions) co_return std::unexpected(HubFailure(positions.error()));
  std::vector<PublishedEvent> published;
  published.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    published.push_back(PublishedEvent{events[i].id(), options_.bus_topic, (*positions)[i]});
  }
  metrics_->published.Increment(published.size());
  co_return published;
}

Awaitable<void> EventGateway::StreamEvents(http::BodyWriter& writer, std::string topic,
                                           Cursor cursor, size_t batch) {
  StreamCount counted(metrics_->streams);
  if (!co_await writer.Write(std::string("retry: 1000\n\n"))) co_return;
  for (;;) {
    Result<std::vector<hub::StoredRecord>> records =
        co_await hub_.Read(topic, cursor, batch, options_.heartbeat);
    if (!records && records.error().code() == StatusCode::kOutOfRange) {
      Result<std::map<int32_t, hub::PartitionBounds>> now = co_await hub_.Bounds(topic);
      Result<Cursor> moved = now ? ResolveStart(FormatCursor(cursor), *now) : Result<Cursor>(Error(now.error()));
      if (moved) {
        cursor = std::move(*moved);
        continue;
      }
      records = Error(moved.error());
    }
    if (!records) {
      co_await writer.Write(ErrorEvent(HubFailure(records.error())));
      co_return;
    }
    std::string text;
    if (records->empty()) text = ": heartbeat\n\n";
    for (const hub::StoredRecord& record : *records) {
      cursor[record.partition] = record.offset + 1;
      text += "id: " + FormatCursor(cursor) + "\ndata: " + RecordJson(topic, record) + "\n\n";
    }
    if (!co_await writer.Write(std::move(text))) co_return;
  }
}

void EventGateway::AddRoutes(http::Server& server) {
  server.RouteAsync("POST", "/v1/events", [this](Request request) -> Awaitable<Response> {
    auto refuse = [this](const EventFailure& failure) {
      metrics_->refused.With({failure.code})->Increment();
      return FailureResponse(failure);
    };
    auto events = ParseEventBody(request, clock_.NowMs(), options_.limits);
    if (!events) co_return refuse(events.error());
    auto published = co_await Publish(std::move(*events));
    if (!published) co_return refuse(published.error());
    OrderedJson list = OrderedJson::array();
    for (const PublishedEvent& event : *published) {
      list.push_back(OrderedJson{{"id", event.id},
                                 {"topic", event.topic},
                                 {"partition", event.position.partition},
                                 {"offset", event.position.offset}});
    }
    co_return JsonOk(OrderedJson{{"events", std::move(list)}});
  });

  server.RouteAsync("GET", "/v1/topics/{topic}/events", [this](Request request) -> Awaitable<Response> {
    const std::string topic = request.params.at("topic");
    auto limit = NumberParam<size_t>(request, "limit", options_.default_read_events, 1,
                                     options_.max_read_events);
    if (!limit) co_return FailureResponse(limit.error());
    auto wait_ms = NumberParam<int64_t>(request, "wait_ms", 0, 0, options_.max_wait.count());
    if (!wait_ms) co_return FailureResponse(wait_ms.error());
    const bool stream = WantsEventStream(request);
    std::string from;
    if (auto it = request.query.find("from"); it != request.query.end()) from = it->second;
    if (auto it = request.headers.find("Last-Event-ID"); stream && it != request.headers.end()) {
      from = it->second;
    }

    Result<std::map<int32_t, hub::PartitionBounds>> bounds = co_await hub_.Bounds(topic);
    if (!bounds) co_return FailureResponse(HubFailure(bounds.error()));
    Result<Cursor> start = ResolveStart(from, *bounds);
    if (!start) co_return FailureResponse(EventFailure{400, "invalid_argument", start.error().message(), std::nullopt});

    if (stream) {
      Response response{.status = 200, .content_type = "text/event-stream"};
      response.stream = [this, topic, cursor = std::move(*start),
                         batch = *limit](http::BodyWriter& writer) -> Awaitable<void> {
        return StreamEvents(writer, topic, cursor, batch);
      };
      co_return response;
    }

    Cursor cursor = std::move(*start);
    Result<std::vector<hub::StoredRecord>> records =
        co_await hub_.Read(topic, cursor, *limit, std::chrono::milliseconds(*wait_ms));
    if (!records && records.error().code() == StatusCode::kOutOfRange) {
      // Retention moved the log start since the bounds were read: start again from there.
      bounds = co_await hub_.Bounds(topic);
      if (!bounds) co_return FailureResponse(HubFailure(bounds.error()));
      start = ResolveStart(FormatCursor(cursor), *bounds);
      if (!start) co_return FailureResponse(HubFailure(start.error()));
      cursor = std::move(*start);
      records = co_await hub_.Read(topic, cursor, *limit, std::chrono::milliseconds(0));
    }
    if (!records) co_return FailureResponse(HubFailure(records.error()));
    std::string body = "{\"events\":[";
    for (size_t i = 0; i < records->size(); ++i) {
      const hub::StoredRecord& record = (*records)[i];
      cursor[record.partition] = record.offset + 1;
      if (i > 0) body += ',';
      body += RecordJson(topic, record);
    }
    body += "],\"next\":\"" + FormatCursor(cursor) + "\"}";
    co_return Response{.status = 200, .content_type = "application/json", .body = std::move(body)};
  });
}

}  // namespace tarn::gateway
