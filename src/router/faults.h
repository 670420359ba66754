// The faults topic as an API: listing the fault events lanes wrote, and resubmitting chosen
// ones, which delivers each fault's original event again to its target's destination.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hub/hub.h"
#include "net/asio_fwd.h"
#include "router/delivery.h"

namespace tarn::router {

// One fault, as stored (the fault envelope) with its place in the faults topic.
struct StoredFault {
  int32_t partition = 0;
  int64_t offset = 0;
  nlohmann::json fault;
};

// The outcome of resubmitting one fault.
struct Resubmission {
  std::string id;
  bool delivered = false;
  std::string error;  // why not, when not delivered
};

// Borrows the hub; the io_context's thread only.
class FaultDesk {
 public:
  FaultDesk(hub::Hub& hub, DeliveryFactory deliveries, std::string faults_topic = "faults")
      : hub_(hub), deliveries_(std::move(deliveries)), topic_(std::move(faults_topic)) {}

  // The faults, oldest first within each partition; at most `limit`. None (not an error) while
  // the faults topic does not exist.
  Awaitable<Result<std::vector<StoredFault>>> List(size_t limit);

  // The fault with this id, or kNotFound.
  Awaitable<Result<StoredFault>> Find(std::string id);

  // Delivers each named fault's event again to the destination recorded in it, one at a time
  // with that destination's own delivery (a webhook retries as it would for the lane). kNotFound
  // for an id no fault has, before anything is delivered.
  Awaitable<Result<std::vector<Resubmission>>> Resubmit(std::vector<std::string> ids);

 private:
  hub::Hub& hub_;
  DeliveryFactory deliveries_;
  std::string topic_;
};

}  // namespace tarn::router
