#include "events/envelope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn::events {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::string_view kOrderPlaced = R"({
  "id": "o-1-placed", "type": "order-placed", "timestamp": 1700000000123,
  "partitionKey": "o-1", "tags": {"source": "shop", "region": "eu", "skip": false},
  "order": {"id": "o-1", "total": 12.5}
})";

TEST(EnvelopeTest, ParsesEveryStandardField) {
  auto event = Envelope::Parse(kOrderPlaced);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->id(), "o-1-placed");
  EXPECT_EQ(event->type(), "order-placed");
  EXPECT_EQ(event->timestamp_ms(), 1700000000123);
  EXPECT_EQ(event->partition_key(), "o-1");
  EXPECT_EQ(event->tag("source"), "shop");
  EXPECT_EQ(event->tag("region"), "eu");
  EXPECT_EQ(event->tag("missing"), std::nullopt);
  EXPECT_FALSE(event->skip());
  EXPECT_EQ(event->entity_name(), "order");
  EXPECT_EQ(event->document()["order"]["total"], 12.5);
}

struct BadEvent {
  std::string name;
  std::string json;
  std::string message;  // part of the error
};

class EnvelopeRejects : public ::testing::TestWithParam<BadEvent> {};

TEST_P(EnvelopeRejects, WithAClearMessage) {
  auto event = Envelope::Parse(GetParam().json);
  ASSERT_FALSE(event.has_value()) << GetParam().name;
  EXPECT_EQ(event.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(event.error().message(), HasSubstr(GetParam().message)) << GetParam().name;
}

const std::string kRest = R"("timestamp": 1, "partitionKey": "k")";

INSTANTIATE_TEST_SUITE_P(
    Fields, EnvelopeRejects,
    ::testing::Values(
        BadEvent{"not_json", "{", "not valid JSON"},
        BadEvent{"not_object", "[1]", "must be a JSON object"},
        BadEvent{"no_id", R"({"type": "a-b", )" + kRest + "}", "'id': is required"},
        BadEvent{"numeric_id", R"({"id": 7, "type": "a-b", )" + kRest + "}", "'id': must be a string"},
        BadEvent{"empty_id", R"({"id": "", "type": "a-b", )" + kRest + "}", "'id': must not be empty"},
        BadEvent{"no_type", R"({"id": "1", )" + kRest + "}", "'type': is required"},
        BadEvent{"one_part_type", R"({"id": "1", "type": "order", )" + kRest + "}", "<entity>-<verb>"},
        BadEvent{"upper_case_type", R"({"id": "1", "type": "Order-placed", )" + kRest + "}", "<entity>-<verb>"},
        BadEvent{"double_dash", R"({"id": "1", "type": "order--placed", )" + kRest + "}", "<entity>-<verb>"},
        BadEvent{"trailing_dash", R"({"id": "1", "type": "order-", )" + kRest + "}", "<entity>-<verb>"},
        BadEvent{"underscore", R"({"id": "1", "type": "order_placed", )" + kRest + "}", "<entity>-<verb>"},
        BadEvent{"reserved", R"({"id": "1", "type": "fault", )" + kRest + "}", "reserved"},
        BadEvent{"no_timestamp", R"({"id": "1", "type": "a-b", "partitionKey": "k"})", "'timestamp': is required"},
        BadEvent{"string_timestamp", R"({"id": "1", "type": "a-b", "timestamp": "1", "partitionKey": "k"})",
                 "must be an integer"},
        BadEvent{"float_timestamp", R"({"id": "1", "type": "a-b", "timestamp": 1.5, "partitionKey": "k"})",
                 "must be an integer"},
        BadEvent{"negative_timestamp", R"({"id": "1", "type": "a-b", "timestamp": -1, "partitionKey": "k"})",
                 "between 0 and 9999"},
        BadEvent{"no_partition_key", R"({"id": "1", "type": "a-b", "timestamp": 1})", "'partitionKey': is required"},
        BadEvent{"tags_not_object", R"({"id": "1", "type": "a-b", )" + kRest + R"(, "tags": [1]})",
                 "'tags': must be an object"},
        BadEvent{"nested_tag", R"({"id": "1", "type": "a-b", )" + kRest + R"(, "tags": {"x": {}}})",
                 "'tags.x': must be a string"},
        BadEvent{"skip_not_bool", R"({"id": "1", "type": "a-b", )" + kRest + R"(, "tags": {"skip": "yes"}})",
                 "'tags.skip': must be a boolean"}),
    [](const auto& info) { return info.param.name; });

TEST(EnvelopeTest, EnforcesSizeLimits) {
  EnvelopeLimits limits;
  limits.max_event_bytes = 200;
  std::string big = R"({"id": "1", "type": "a-b", "timestamp": 1, "partitionKey": "k", "a": ")" +
                    std::string(300, 'x') + "\"}";
  auto event = Envelope::Parse(big, limits);
  ASSERT_FALSE(event.has_value());
  EXPECT_THAT(event.error().message(), HasSubstr("over the limit of 200"));
  limits.max_partition_key_bytes = 3;
  auto key = Envelope::Parse(R"({"id": "1", "type": "a-b", "timestamp": 1, "partitionKey": "long"})", limits);
  ASSERT_FALSE(key.has_value());
  EXPECT_THAT(key.error().message(), HasSubstr("'partitionKey': is 4 bytes"));
}

TEST(EnvelopeTest, TarnMayPublishReservedTypes) {
  EnvelopeLimits limits;
  limits.allow_reserved_types = true;
  auto fault = Envelope::Parse(R"({"id": "1", "type": "fault", "timestamp": 1, "partitionKey": "k"})", limits);
  ASSERT_TRUE(fault.has_value()) << fault.error().ToString();
  EXPECT_EQ(fault->entity_name(), "fault");
}

TEST(EnvelopeTest, MakeBuildsAValidEventUnderTheEntityName) {
  auto event = Envelope::Make("t-9", "thing-shipped", 42, "t", json{{"weight", 3}},
                              json{{"source", "depot"}, {"skip", true}});
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->document()["thing"]["weight"], 3);
  EXPECT_TRUE(event->skip());
  auto again = Envelope::Parse(event->Serialize());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->document(), event->document());
  EXPECT_FALSE(Envelope::Make("1", "bad type", 1, "k", json::object()).has_value());
}

TEST(CloudEventsTest, StructuredRoundTrip) {
  auto event = Envelope::Parse(kOrderPlaced);
  ASSERT_TRUE(event.has_value());
  json ce = ToCloudEvent(*event);
  EXPECT_EQ(ce["specversion"], "1.0");
  EXPECT_EQ(ce["id"], "o-1-placed");
  EXPECT_EQ(ce["type"], "order-placed");
  EXPECT_EQ(ce["source"], "shop");
  EXPECT_EQ(ce["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(ce["partitionkey"], "o-1");
  EXPECT_EQ(ce["region"], "eu");
  EXPECT_EQ(ce["data"], (json{{"id", "o-1"}, {"total", 12.5}}));
  EXPECT_FALSE(ce.contains("skip"));  // not a string tag

  auto back = FromCloudEvent(ce, 0);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->id(), event->id());
  EXPECT_EQ(back->timestamp_ms(), event->timestamp_ms());
  EXPECT_EQ(back->partition_key(), "o-1");
  EXPECT_EQ(back->tag("source"), "shop");
  EXPECT_EQ(back->tag("region"), "eu");
  EXPECT_EQ(back->document()["order"], event->document()["order"]);
}

TEST(CloudEventsTest, FromAForeignCloudEventWithDefaults) {
  json ce = {{"specversion", "1.0"}, {"id", "A234-1234"}, {"source", "/sensors/7"},
             {"type", "reading-taken"}, {"data", {{"celsius", 21}}}};
  auto event = FromCloudEvent(ce, 1234);
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->timestamp_ms(), 1234);        // no time: now
  EXPECT_EQ(event->partition_key(), "A234-1234");  // no partitionkey: the id
  EXPECT_EQ(event->document()["reading"]["celsius"], 21);
  EXPECT_EQ(event->tag("source"), "/sensors/7");
}

TEST(CloudEventsTest, RefusesWhatIsNotACloudEventWeCanCarry) {
  json base = {{"specversion", "1.0"}, {"id", "1"}, {"source", "s"}, {"type", "a-b"}};
  auto refused = [&](json ce, std::string_view message) {
    auto event = FromCloudEvent(ce, 0);
    ASSERT_FALSE(event.has_value()) << ce.dump();
    EXPECT_THAT(event.error().message(), HasSubstr(message));
  };
  json v = base;
  v["specversion"] = "0.3";
  refused(v, "only 1.0");
  v = base;
  v.erase("source");
  refused(v, "source is required");
  v = base;
  v["time"] = "yesterday";
  refused(v, "not an RFC 3339 time");
  v = base;
  v["data_base64"] = "AAAA";
  refused(v, "data_base64");
  v = base;
  v["datacontenttype"] = "text/plain";
  refused(v, "not JSON");
  v = base;
  v["Bad-Name"] = "x";
  refused(v, "lowercase letters and digits");
  v = base;
  v["type"] = "Order.Created";
  refused(v, "<entity>-<verb>");
  refused(json::array(), "JSON object");
}

TEST(CloudEventsTest, BinaryModeOnKafkaAndHttp) {
  auto event = Envelope::Parse(kOrderPlaced);
  ASSERT_TRUE(event.has_value());
  auto headers = CloudEventKafkaHeaders(*event);
  auto header = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "(none)";
  };
  EXPECT_EQ(header("ce_specversion"), "1.0");
  EXPECT_EQ(header("ce_id"), "o-1-placed");
  EXPECT_EQ(header("ce_type"), "order-placed");
  EXPECT_EQ(header("ce_source"), "shop");
  EXPECT_EQ(header("ce_time"), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(header("ce_partitionkey"), "o-1");
  EXPECT_EQ(header("content-type"), "application/json");

  std::vector<Header> http = {{"Ce-Specversion", "1.0"}, {"ce-id", "9"}, {"CE-TYPE", "user-joined"},
                              {"ce-source", "signup"}, {"ce-time", "2026-11-22T08:00:00+01:00"},
                              {"Content-Type", "application/json; charset=utf-8"}};
  auto from_http = FromCloudEventBinary(http, R"({"name": "ada"})", 0);
  ASSERT_TRUE(from_http.has_value()) << from_http.error().ToString();
  EXPECT_EQ(from_http->document()["user"]["name"], "ada");
  EXPECT_EQ(from_http->timestamp_ms(), *ParseRfc3339("2026-11-22T07:00:00Z"));
  http.back().second = "text/plain";
  EXPECT_FALSE(FromCloudEventBinary(http, "hi", 0).has_value());
}

TEST(Rfc3339Test, ParsesAndFormats) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20.123Z"), 1700000000123);
  EXPECT_EQ(*ParseRfc3339("2023-11-14T22:13:20.1234567Z"), 1700000000123);
  EXPECT_EQ(*ParseRfc3339("2023-11-14t23:13:20.5+01:00"), 1700000000500);
  EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(FormatRfc3339(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(253402300799999), "9999-12-31T23:59:59.999Z");
  for (int64_t ms : {int64_t{0}, int64_t{951782400000}, int64_t{1700000000123}, int64_t{4102444799999}}) {
    EXPECT_EQ(*ParseRfc3339(FormatRfc3339(ms)), ms);
  }
  for (std::string_view bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-02-30T00:00:00Z",
                               "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zx",
                               "2023-11-14T22:13:20+1:00", "2023/11/14T22:13:20Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tarn::events
