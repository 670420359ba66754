#include "http/message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tarn::http {
namespace {

TEST(MessageTest, JsonErrorHasCodeAndMessage) {
  Response response = JsonError(404, "not_found", "no topic \"orders\"");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(
      nlohmann::json::parse(response.body),
      (nlohmann::json{{"error", {{"code", "not_found"}, {"message", "no topic \"orders\""}}}}));
}

TEST(MessageTest, JsonErrorSurvivesInvalidUtf8) {
  Response response = JsonError(400, "bad_request", "got \xff");
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["message"], "got \xEF\xBF\xBD");
}

TEST(MessageTest, StatusResponseMapsEachCode) {
  struct Case {
    Status status;
    int http_status;
    std::string code;
  };
  for (const Case& c : {
           Case{Status::InvalidArgument("x"), 400, "invalid_argument"},
           Case{Status::NotFound("x"), 404, "not_found"},
           Case{Status::AlreadyExists("x"), 409, "already_exists"},
           Case{Status::FailedPrecondition("x"), 400, "failed_precondition"},
           Case{Status::ResourceExhausted("x"), 429, "resource_exhausted"},
           Case{Status::Unsupported("x"), 501, "unsupported"},
           Case{Status::Unavailable("x"), 503, "unavailable"},
           Case{Status::Timeout("x"), 504, "timeout"},
           Case{Status::IoError("x"), 500, "io_error"},
           Case{Status::Corruption("x"), 500, "corruption"},
       }) {
    Response response = StatusResponse(c.status);
    EXPECT_EQ(response.status, c.http_status) << c.status.ToString();
    nlohmann::json body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["error"]["code"], c.code);
    EXPECT_EQ(body["error"]["message"], "x");
  }
}

TEST(MessageTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc").value(), "a b/c");
  EXPECT_EQ(PercentDecode("a+b").value(), "a+b");
  EXPECT_EQ(PercentDecode("a+b", /*plus_is_space=*/true).value(), "a b");
  EXPECT_EQ(PercentDecode("%zz").error().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(PercentDecode("%2").has_value());
  EXPECT_FALSE(PercentDecode("%").has_value());
}

TEST(MessageTest, PercentEncodeKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(PercentEncode("order-placed_v1.2~x"), "order-placed_v1.2~x");
  EXPECT_EQ(PercentEncode("a b/c?d%e&f"), "a%20b%2Fc%3Fd%25e%26f");
  EXPECT_EQ(PercentEncode("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(PercentDecode(PercentEncode("x/y z+\xff")).value(), "x/y z+\xff");
}

TEST(MessageTest, ParseQuery) {
  auto query = ParseQuery("limit=10&name=a+b%21&flag&&limit=20&empty=").value();
  EXPECT_EQ(query, (std::map<std::string, std::string>{
                       {"limit", "20"}, {"name", "a b!"}, {"flag", ""}, {"empty", ""}}));
  EXPECT_TRUE(ParseQuery("").value().empty());
  EXPECT_FALSE(ParseQuery("a=%x1").has_value());
}

TEST(MessageTest, HeaderNamesIgnoreCase) {
  Headers headers{{"Content-Type", "text/plain"}};
  EXPECT_EQ(headers.at("content-type"), "text/plain");
  EXPECT_EQ(headers.count("CONTENT-TYPE"), 1u);
  EXPECT_EQ(headers.count("Content-Length"), 0u);
}

}  // namespace
}  // namespace tarn::http
