// Delivery to an HTTP endpoint: the events go in batches of the target's batch size, each POSTed
// as a JSON array of envelopes (Content-Type application/json) over one kept-alive connection.
// A 2xx answer acknowledges the batch. A connection failure, a timeout, 408, 429 or a 5xx is
// tried again after an exponential backoff with jitter (a random pause between half and all of
// the step, doubling from initial-backoff-ms up to max-backoff-ms), until the batch's first attempt is
// max-age-ms old; then its events are faults (WebhookUnavailable). Any other answer refuses the
// batch at once: its events are faults (WebhookRejected, with the status and the body's start).
#pragma once

#include <memory>
#include <random>

#include "http/client.h"
#include "router/delivery.h"

namespace tarn::router {

class WebhookDelivery : public Delivery {
 public:
  WebhookDelivery(IoContext& io, WebhookTarget target);
  ~WebhookDelivery() override;

  Awaitable<Result<DeliveryReport>> Deliver(std::vector<RoutedEvent> events) override;
  void Cancel() override;

 private:
  struct Connection;
  struct PauseTimer;
  // One POST of `body`: the HTTP status, or an error when no answer came.
  Awaitable<Result<std::pair<int, std::string>>> Post(std::string body);

  IoContext& io_;
  WebhookTarget target_;
  http::Url url_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<PauseTimer> pause_;
  std::mt19937_64 random_;
  bool cancelled_ = false;
};

}  // namespace tarn::router
