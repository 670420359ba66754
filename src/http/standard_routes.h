// The routes every Tarn HTTP server has: metrics for Prometheus and a health check.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "http/server.h"

namespace tarn::http {

// The content type of the Prometheus text exposition format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Adds to `server`:
//   GET /metrics  `metrics` rendered for Prometheus.
//   GET /health   the object `health()` returns (200 when its "status" is "ok", else 503), or
//                 {"status":"ok"} when `health` is empty.
// `metrics` and whatever `health` uses must outlive the server's serving.
void AddStandardRoutes(Server& server, const MetricsRegistry& metrics,
                       std::function<nlohmann::json()> health = {});

}  // namespace tarn::http
