// Delivery to another hub's bus (the fractal topology's link between subsystems): each event is
// appended there as it is here (key, envelope, headers) plus a `tarn_origin` header naming the
// sending hub. Events that carry `tarn_origin` themselves came in over a bridge: they are never
// sent on, so a pair of hubs bridged both ways never echoes an event back, and a hub never takes
// back its own egress. Such events count as delivered.
#pragma once

#include <memory>
#include <string>

#include "router/delivery.h"

namespace tarn::router {

inline constexpr char kOriginHeader[] = "tarn_origin";

class BridgeDelivery : public Delivery {
 public:
  // `remote` is the other hub (a Kafka client to its address); `origin` names this hub.
  BridgeDelivery(std::unique_ptr<hub::Hub> remote, BridgeTarget target, std::string origin)
      : remote_(std::move(remote)), target_(std::move(target)), origin_(std::move(origin)) {}

  // An event the other hub refuses (too large) is a fault (RecordRefused); a hub that cannot
  // be reached is an error (the lane tries again).
  Awaitable<Result<DeliveryReport>> Deliver(std::vector<RoutedEvent> events) override;

 private:
  std::unique_ptr<hub::Hub> remote_;
  BridgeTarget target_;
  std::string origin_;
};

}  // namespace tarn::router
