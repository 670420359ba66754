#include "gateway/event_body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn::gateway {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'700'000'000'000;

http::Request Post(std::string body, std::string content_type = "application/json") {
  http::Request request;
  request.method = "POST";
  request.path = "/v1/events";
  if (!content_type.empty()) request.headers["Content-Type"] = content_type;
  request.body = std::move(body);
  return request;
}

std::string Event(const std::string& id, const std::string& extra = R"("order":{"total":1})") {
  return R"({"id":")" + id + R"(","type":"order-placed","timestamp":1,"partitionKey":"k-)" + id +
         R"(",)" + extra + "}";
}

TEST(ParseEventBody, OneEventArraysAndNdjson) {
  auto one = ParseEventBody(Post(Event("a")), kNow, {});
  ASSERT_TRUE(one.has_value()) << one.error().message;
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id(), "a");

  auto array = ParseEventBody(Post("[" + Event("a") + "," + Event("b") + "]", ""), kNow, {});
  ASSERT_TRUE(array.has_value()) << array.error().message;
  EXPECT_EQ((*array)[1].partition_key(), "k-b");

  auto lines = ParseEventBody(
      Post(Event("a") + "\n\n" + Event("b") + "\r\n" + Event("c"), "application/x-ndjson; charset=utf-8"),
      kNow, {});
  ASSERT_TRUE(lines.has_value()) << lines.error().message;
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ((*lines)[2].id(), "c");
}

TEST(ParseEventBody, CloudEventsInEveryMode) {
  auto structured = ParseEventBody(
      Post(R"({"specversion":"1.0","id":"c1","type":"order-placed","source":"shop","data":{"total":2}})",
           "application/cloudevents+json"),
      kNow, {});
  ASSERT_TRUE(structured.has_value()) << structured.error().message;
  EXPECT_EQ((*structured)[0].document()["order"]["total"], 2);
  EXPECT_EQ((*structured)[0].timestamp_ms(), kNow);

  auto batch = ParseEventBody(
      Post(R"([{"specversion":"1.0","id":"c1","type":"order-placed","source":"s"},
               {"specversion":"1.0","id":"c2","type":"order-placed","source":"s"}])",
           "application/cloudevents-batch+json"),
      kNow, {});
  ASSERT_TRUE(batch.has_value()) << batch.error().message;
  EXPECT_EQ(batch->size(), 2u);

  http::Request binary = Post(R"({"total":3})");
  binary.headers["ce-specversion"] = "1.0";
  binary.headers["ce-id"] = "c3";
  binary.headers["ce-type"] = "order-placed";
  binary.headers["ce-source"] = "shop";
  auto decoded = ParseEventBody(binary, kNow, {});
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ((*decoded)[0].id(), "c3");
  EXPECT_EQ((*decoded)[0].document()["order"]["total"], 3);
}

TEST(ParseEventBody, RefusalsNameTheEventAndTheRule) {
  auto bad_json = ParseEventBody(Post("{nope"), kNow, {});
  EXPECT_EQ(bad_json.error().status, 400);
  EXPECT_EQ(bad_json.error().code, "invalid_json");

  auto second = ParseEventBody(Post("[" + Event("a") + R"(,{"id":"b","type":"Bad Type","timestamp":1,"partitionKey":"k"}])"),
                               kNow, {});
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, "invalid_event");
  EXPECT_EQ(second.error().index, 1u);
  EXPECT_THAT(second.error().message, HasSubstr("event 1 (id \"b\")"));
  EXPECT_THAT(second.error().message, HasSubstr("type"));

  auto line = ParseEventBody(Post(Event("a") + "\n" + R"({"id":"b","type":"order-placed"})", "application/x-ndjson"),
                             kNow, {});
  ASSERT_FALSE(line.has_value());
  EXPECT_EQ(line.error().index, 1u);
  EXPECT_THAT(line.error().message, HasSubstr("line 2"));

  auto media = ParseEventBody(Post(Event("a"), "text/plain"), kNow, {});
  EXPECT_EQ(media.error().status, 415);
  EXPECT_EQ(ParseEventBody(Post("[]"), kNow, {}).error().code, "no_events");
  EXPECT_EQ(ParseEventBody(Post("\n\n", "application/x-ndjson"), kNow, {}).error().code, "no_events");
  EXPECT_EQ(ParseEventBody(Post("[1]"), kNow, {}).error().code, "invalid_event");
  EXPECT_EQ(ParseEventBody(Post("[]", "application/cloudevents+json"), kNow, {}).error().code,
            "invalid_json");

  BodyLimits two;
  two.max_events = 2;
  auto many = ParseEventBody(Post("[" + Event("a") + "," + Event("b") + "," + Event("c") + "]"), kNow, two);
  EXPECT_EQ(many.error().status, 413);
  auto many_lines = ParseEventBody(
      Post(Event("a") + "\n" + Event("b") + "\n" + Event("c"), "application/x-ndjson"), kNow, two);
  EXPECT_EQ(many_lines.error().code, "too_many_events");
}

TEST(FailureResponse, IsTarnsJsonErrorWithTheIndex) {
  http::Response response = FailureResponse(EventFailure{422, "contract_violation", "event 2: no", 2});
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.body, R"({"error":{"code":"contract_violation","message":"event 2: no","index":2}})");
}

}  // namespace
}  // namespace tarn::gateway
