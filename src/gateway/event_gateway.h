// Tarn's HTTP front door for events: publishing to the bus, and reading any topic by long poll
// or server-sent events, for producers and consumers that do not speak Kafka. It reaches topics
// only through hub::Hub, so it works the same over the embedded broker and an external cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "events/envelope.h"
#include "gateway/cursor.h"
#include "gateway/event_body.h"
#include "hub/hub.h"
#include "net/asio_fwd.h"

namespace tarn {
class Counter;
class MetricsRegistry;
}  // namespace tarn

namespace tarn::http {
class BodyWriter;
class Server;
}

namespace tarn::gateway {

// Checks an event against its type's contract; kInvalidArgument says what it breaks. The app
// wires the schema registry in (contracts::SchemaRegistry::CheckEvent).
using ContractCheck = std::function<Status(const events::Envelope&)>;

struct GatewayOptions {
  std::string bus_topic = "bus";
  BodyLimits limits;
  // The bus's max.message.bytes when the gateway creates it: one request's events for one
  // partition go in one batch, so it must hold the largest request body.
  int64_t bus_max_message_bytes = 16 << 20;
  size_t default_read_events = 100;
  size_t max_read_events = 1000;
  std::chrono::milliseconds max_wait{60'000};
  // How often a server-sent event stream with nothing to send writes a comment line, so that
  // proxies keep it open and a client that has gone is noticed.
  std::chrono::milliseconds heartbeat{15'000};
};

// A published event's place in the hub.
struct PublishedEvent {
  std::string id;
  std::string topic;
  hub::RecordPosition position;
};

// Owned by the app; lives on the io_context's thread. Borrows the hub, the clock and the
// metrics registry, which must outlive it and the server's pending work.
class EventGateway {
 public:
  EventGateway(hub::Hub& hub, ContractCheck check, const Clock& clock, MetricsRegistry& metrics,
               GatewayOptions options = {});
  ~EventGateway();

  // Creates the bus topic unless it exists.
  Awaitable<Status> Start();

  // Checks every event against its contract, then appends them all to the bus (key =
  // partitionKey, value = the envelope, CloudEvents binary-mode headers) and waits until they
  // are durable. Nothing is written unless every event passes: 422 contract_violation names the
  // first that does not. A hub failure is 503 unavailable / 500 internal; the events of other
  // partitions than the failed one's may then be written (retrying with the same ids is safe
  // for consumers, which deduplicate by id).
  Awaitable<std::expected<std::vector<PublishedEvent>, EventFailure>> Publish(
      std::vector<events::Envelope> events);

  // Adds (before Listen):
  //   POST /v1/events                  publish (event_body.h lists the accepted bodies)
  //        200 {"events":[{"id","topic","partition","offset"}, ...]} in request order
  //   GET  /v1/topics/{topic}/events   ?from=earliest|latest|N|P:O,...  &limit=N  &wait_ms=N
  //        200 {"events":[{"topic","partition","offset","timestamp","key","headers",
  //                        "event"|"value"}, ...], "next": "<cursor>"}; waits up to wait_ms
  //        (default 0) when nothing is there. With Accept: text/event-stream, a stream of
  //        server-sent events instead: each `id: <cursor>` and `data: <the same object>`,
  //        resuming from Last-Event-ID when the client sends one.
  void AddRoutes(http::Server& server);

 private:
  struct Metrics;

  // A server-sent event stream of `topic` from `cursor`, until the client goes.
  Awaitable<void> StreamEvents(http::BodyWriter& writer, std::string topic, Cursor cursor,
                               size_t batch);

  hub::Hub& hub_;
  ContractCheck check_;
  const Clock& clock_;
  GatewayOptions options_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace tarn::gateway
