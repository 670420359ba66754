#include "http/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

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
