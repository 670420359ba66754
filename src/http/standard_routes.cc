#include "http/standard_routes.h"

namespace tarn::http {

void AddStandardRoutes(Server& server, const MetricsRegistry& metrics,
                       std::function<nlohmann::json()> health) {
  server.Route("GET", "/metrics", [&metrics](const Request&) {
    return Response{.content_type = kPrometheusContentType, .body = metrics.RenderPrometheus()};
  });
  server.Route("GET", "/health", [health = std::move(health)](const Request&) {
    nlohmann::json report = health ? health() : nlohmann::json{{"status", "ok"}};
    const auto status = report.find("status");  // end() unless an object with "status"
    const bool ok = status != report.end() && *status == "ok";
    return Response{.status = ok ? 200 : 503,
                    .body = report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  });
}

}  // namespace tarn::http
