// Where a lane hands its events: one implementation per kind of target (channel_delivery.h;
// webhooks and bridges plug in the same way).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "hub/hub.h"
#include "net/asio_fwd.h"
#include "router/rule.h"

namespace tarn::router {

// An event on its way to a destination: the bus record and its envelope, parsed.
struct RoutedEvent {
  const hub::StoredRecord* record = nullptr;
  const nlohmann::json* event = nullptr;
  std::string rule;  // the first rule (by name) that matched, for faults
};

// An event the destination refused for good: it becomes a fault.
struct DeliveryFailure {
  size_t index = 0;  // into the events handed to Deliver
  std::string name;  // "WebhookRejected", "RecordTooLarge", ...
  std::string message;
};

// What a delivery did: the events refused for good (they become faults), and how many times it
// tried again after a failure that was not the events' (a destination down or overloaded).
struct DeliveryReport {
  std::vector<DeliveryFailure> failures;
  uint64_t retries = 0;
};

class Delivery {
 public:
  virtual ~Delivery() = default;

  // Hands `events` (in bus order) to the destination and completes once it has acknowledged
  // every one it will take, or given up on some for good (returned as failures). An error
  // means nothing may be taken as delivered: the lane pauses and tries the same events again.
  virtual Awaitable<Result<DeliveryReport>> Deliver(std::vector<RoutedEvent> events) = 0;

  // Asks a Deliver in progress to end soon (the router is stopping): it may then return an
  // error. Called on the io_context's thread.
  virtual void Cancel() {}
};

// Appends `records` to `topic` as one call; when the topic refuses them (kInvalidArgument: too
// large, say), one at a time, so that only the records it refuses fail (RecordRefused, with
// `indexes[i]` as the failure's index for records[i]). Other hub errors are errors.
Awaitable<Result<std::vector<DeliveryFailure>>> AppendAll(hub::Hub& hub, std::string topic,
                                                          std::vector<hub::OutgoingRecord> records,
                                                          std::vector<size_t> indexes);

// Makes the delivery for a target's destination.
using DeliveryFactory = std::function<std::unique_ptr<Delivery>(const Target& target)>;

}  // namespace tarn::router
