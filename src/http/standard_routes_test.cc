#include "http/standard_routes.h"

#include <gtest/gtest.h>

#include "http/test_server.h"

namespace tarn::http {
namespace {

using test::RawClient;
using test::RawResponse;
using test::TestServer;

RawResponse Get(uint16_t port, std::string_view path) {
  RawClient client(port);
  client.Send("GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n\r\n");
  return client.ReadResponse().value();
}

TEST(StandardRoutesTest, MetricsAreServedInPrometheusFormat) {
  MetricsRegistry metrics;
  Counter& requests = metrics.AddCounter("tarn_test_requests_total", "Requests.");
  TestServer server([&](Server& s) { AddStandardRoutes(s, metrics); });

  requests.Increment(2);
  RawResponse response = Get(server.port(), "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.body, metrics.RenderPrometheus());
  EXPECT_NE(response.body.find("tarn_test_requests_total 2\n"), std::string::npos);
}

TEST(StandardRoutesTest, HealthIsOkByDefault) {
  MetricsRegistry metrics;
  TestServer server([&](Server& s) { AddStandardRoutes(s, metrics); });
  RawResponse response = Get(server.port(), "/health");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers["Content-Type"], "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body), (nlohmann::json{{"status", "ok"}}));
}

TEST(StandardRoutesTest, HealthReportsWhatTheAppSays) {
  MetricsRegistry metrics;
  std::atomic<bool> loading = true;
  TestServer server([&](Server& s) {
    AddStandardRoutes(s, metrics, [&] {
      return loading ? nlohmann::json{{"status", "loading"}, {"segments", 3}}
                     : nlohmann::json{{"status", "ok"}};
    });
  });

  RawResponse starting = Get(server.port(), "/health");
  EXPECT_EQ(starting.status, 503);
  EXPECT_EQ(nlohmann::json::parse(starting.body)["segments"], 3);
  loading = false;
  EXPECT_EQ(Get(server.port(), "/health").status, 200);
}

}  // namespace
}  // namespace tarn::http
