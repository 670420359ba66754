#include "http/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "net/asio.h"

namespace tarn::http {
namespace {

Handler Reply(std::string body) {
  return [body = std::move(body)](const Request&) { return Response{.body = body}; };
}

Response Dispatch(const Router& router, std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return router.Dispatch(request);
}

TEST(RouterTest, MatchesLiteralPathsExactly) {
  Router router;
  router.Add("GET", "/", Reply("root"));
  router.Add("GET", "/v1/topics", Reply("topics"));
  EXPECT_EQ(Dispatch(router, "GET", "/").body, "root");
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics").body, "topics");
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics/").status, 404);
  EXPECT_EQ(Dispatch(router, "GET", "/v1").status, 404);
}

TEST(RouterTest, PlaceholdersCaptureDecodedSegments) {
  Router router;
  router.Add("GET", "/v1/topics/{topic}/partitions/{partition}", [](const Request& request) {
    return Response{.body = request.params.at("topic") + "#" + request.params.at("partition")};
  });
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics/a%2Fb/partitions/3").body, "a/b#3");
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics//partitions/3").status, 404);  // empty segment
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics/a%zz/partitions/3").status, 400);
}

TEST(RouterTest, MoreLiteralSegmentsWin) {
  Router router;
  router.Add("GET", "/v1/topics/{topic}", Reply("one topic"));
  router.Add("GET", "/v1/topics/_all", Reply("all topics"));
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics/_all").body, "all topics");
  EXPECT_EQ(Dispatch(router, "GET", "/v1/topics/orders").body, "one topic");
}

TEST(RouterTest, KnownPathWithOtherMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/v1/topics/{topic}", Reply("get"));
  router.Add("DELETE", "/v1/topics/{topic}", Reply("delete"));
  Response response = Dispatch(router, "PUT", "/v1/topics/orders");
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, DELETE"}));
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "method_not_allowed");
}

TEST(RouterTest, UnknownPathIs404) {
  Router router;
  Response response = Dispatch(router, "GET", "/missing");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "not_found");
}

TEST(RouterTest, HandlerExceptionsBecome500) {
  Router router;
  router.Add("GET", "/std", [](const Request&) -> Response { throw std::logic_error("bug"); });
  router.Add("GET", "/other", [](const Request&) -> Response { throw 42; });
  EXPECT_EQ(Dispatch(router, "GET", "/std").status, 500);
  EXPECT_EQ(Dispatch(router, "GET", "/other").status, 500);
}

// Runs DispatchAsync to completion on its own io_context.
Response DispatchAsync(const Router& router, std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  asio::io_context io;
  std::optional<Response> response;
  asio::co_spawn(io, router.DispatchAsync(std::move(request)),
                 [&](std::exception_ptr error, Response r) {
                   if (!error) response = std::move(r);
                 });
  io.run();
  return response.value_or(Response{.status = 0});
}

TEST(RouterTest, AwaitableHandlersAreAwaited) {
  Router router;
  router.AddAsync("POST", "/v1/items/{item}", [](Request request) -> Awaitable<Response> {
    // Suspends once, as a handler waiting for a disk write would.
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
    co_await timer.async_wait(asio::use_awaitable);
    co_return Response{.status = 201, .body = request.params.at("item")};
  });
  router.Add("GET", "/v1/items/{item}", Reply("sync"));
  Response created = DispatchAsync(router, "POST", "/v1/items/a%20b");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "a b");
  // DispatchAsync runs synchronous handlers too, and answers the same errors.
  EXPECT_EQ(DispatchAsync(router, "GET", "/v1/items/x").body, "sync");
  EXPECT_EQ(DispatchAsync(router, "GET", "/v1/other").status, 404);
  Response wrong_method = DispatchAsync(router, "PUT", "/v1/items/x");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers[0].second, "POST, GET");
  // Dispatch cannot run an awaitable handler.
  EXPECT_EQ(Dispatch(router, "POST", "/v1/items/x").status, 500);
}

TEST(RouterTest, AwaitableHandlerExceptionsBecome500) {
  Router router;
  router.AddAsync("GET", "/before", [](Request) -> Awaitable<Response> {
    throw std::runtime_error("bug");
    co_return Response{};
  });
  router.AddAsync("GET", "/after", [](Request) -> Awaitable<Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
    co_await timer.async_wait(asio::use_awaitable);
    throw 42;
  });
  Response before = DispatchAsync(router, "GET", "/before");
  EXPECT_EQ(before.status, 500);
  EXPECT_EQ(nlohmann::json::parse(before.body)["error"]["code"], "internal");
  EXPECT_EQ(DispatchAsync(router, "GET", "/after").status, 500);
}

TEST(RouterDeathTest, BadPatternsAreWiringBugs) {
  Router router;
  router.Add("GET", "/a/{id}", Reply("a"));
  EXPECT_DEATH(router.Add("GET", "/a/{id}", Reply("again")), "/a/\\{id\\}");
  EXPECT_DEATH(router.Add("GET", "no-slash", Reply("x")), "no-slash");
  EXPECT_DEATH(router.Add("GET", "/b/{}", Reply("x")), "/b/");
  EXPECT_DEATH(router.Add("GET", "/c/x{y}", Reply("x")), "/c/");
}

}  // namespace
}  // namespace tarn::http
