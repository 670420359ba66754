// Delivery to a channel topic through the hub: key = the bus record's key (the partitionKey),
// value = the envelope as stored, or one top-level field of it as JSON; the bus record's headers
// are kept. The topic is created (hub default partitions) on first use.
#pragma once

#include "router/delivery.h"

namespace tarn::router {

class ChannelDelivery : public Delivery {
 public:
  ChannelDelivery(hub::Hub& hub, ChannelTarget target) : hub_(hub), target_(std::move(target)) {}

  // An event without the field is refused (FieldMissing); so is one the topic refuses
  // (RecordRefused: too large, say). Hub failures are errors.
  Awaitable<Result<DeliveryReport>> Deliver(std::vector<RoutedEvent> events) override;

 private:
  hub::Hub& hub_;
  ChannelTarget target_;
  bool topic_ready_ = false;
};

}  // namespace tarn::router
