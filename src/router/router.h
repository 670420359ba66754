// The router: moves every event of the bus that a rule matches to that rule's targets.
//
// Targets with the same destination (router/rule.h, Target::Destination) share a lane. A lane
// reads the bus on its own, through the hub, with its own position per partition, kept as the
// committed offsets of consumer group `<group prefix><destination>`; so a slow or failing
// destination holds back only itself. A lane matches each event against the patterns of the
// rules that feed it (a PatternIndex), hands what matched to its destination in bus order (so
// per-key order holds), and commits its position only once the destination has acknowledged:
// delivery is at least once. An event the destination refuses for good becomes a fault event
// on the faults topic, and the lane goes on (the stream circuit breaker).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "hub/hub.h"
#include "net/asio_fwd.h"
#include "router/delivery.h"
#include "router/rule.h"

namespace tarn {
class MetricsRegistry;
}

namespace tarn::router {

struct RouterOptions {
  std::string bus_topic = "bus";
  std::string faults_topic = "faults";
  std::string group_prefix = "tarn-router.";
  // Records a lane reads from the bus at a time, and how long a read waits when there is none.
  size_t read_batch = 2000;
  std::chrono::milliseconds poll_wait{500};
  // After a failure that is not the event's fault (the hub unreachable, say), how long a lane
  // waits before it tries again.
  std::chrono::milliseconds retry_pause{1000};
};

// What a lane shows of itself (GET /v1/router/lanes).
struct LaneStatus {
  std::string destination;
  std::vector<std::string> rules;
  std::map<int32_t, int64_t> positions;
  int64_t lag = 0;
  uint64_t delivered = 0;
  uint64_t faulted = 0;
  std::string last_error;
};

// Owned by the app; lives on the io_context's thread. Borrows the hub, the clock and the
// metrics, which must outlive it.
class Router {
 public:
  Router(IoContext& io, hub::Hub& hub, DeliveryFactory deliveries, const Clock& clock,
         MetricsRegistry& metrics, RouterOptions options = {});
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Routes by `rules` from now on: lanes for new destinations start (where their group's
  // committed position says, else at the end of the bus), lanes whose destination no rule
  // names any more stop after their current batch, the others pick up the new patterns
  // before their next batch. Disabled rules route nothing.
  void SetRules(const std::map<std::string, Rule>& rules);

  // The names of the rules (of the last SetRules) whose pattern matches `event`, sorted.
  std::vector<std::string> Test(const nlohmann::json& event) const;

  std::vector<LaneStatus> Lanes() const;

  // Stops every lane after its current step; Router must then be kept until the io_context has
  // run out (the lanes' coroutines hold it).
  void Stop();

 private:
  class Lane;
  class ParsedCache;
  struct Metrics;

  IoContext& io_;
  hub::Hub& hub_;
  DeliveryFactory deliveries_;
  const Clock& clock_;
  RouterOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<ParsedCache> parsed_;
  std::map<std::string, std::shared_ptr<Lane>> lanes_;  // by destination
  std::map<std::string, events::Pattern> patterns_;     // enabled rules, for Test
};

}  // namespace tarn::router
