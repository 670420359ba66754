#include "hub/payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "contracts/json_schema.h"
#include "contracts/schema_validator.h"
#include "events/envelope.h"

namespace tarn::bench {
namespace {

TEST(PayloadTest, StampThenParse) {
  Payload payload(1024);
  auto record = payload.Stamp(42, 123456789);
  ASSERT_EQ(record.size(), 1024u);
  auto header = Payload::Parse(record.data(), record.size());
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->sequence, 42u);
  EXPECT_EQ(header->scheduled_ns, 123456789);
  EXPECT_TRUE(payload.key().empty());
}

TEST(PayloadTest, RejectsForeignBytes) {
  std::string bytes(1024, 'x');
  EXPECT_FALSE(Payload::Parse(bytes.data(), bytes.size()).has_value());
  EXPECT_FALSE(Payload::Parse(bytes.data(), 10).has_value());
  EXPECT_FALSE(Payload::Parse(nullptr, 0).has_value());
  std::string almost = R"({"id":"evt-0000000000000000000x-00000000000000000001","type":"a-b"})";
  EXPECT_FALSE(Payload::Parse(almost.data(), almost.size()).has_value());
}

TEST(PayloadTest, EnvelopeIsAnOrderPlacedEventOfTheRequestedSize) {
  Payload payload(1024, PayloadFormat::kEnvelope);
  const int64_t before = EpochMs();
  auto record = payload.Stamp(123'456, 987'654'321);
  ASSERT_EQ(record.size(), 1024u);
  nlohmann::json event = nlohmann::json::parse(record.begin(), record.end());
  EXPECT_EQ(event["id"], "evt-00000000000000123456-00000000000987654321");
  EXPECT_EQ(event["type"], "order-placed");
  EXPECT_EQ(event["partitionKey"], "order-456");
  EXPECT_EQ(event["order"]["id"], "order-456");
  EXPECT_EQ(event["tags"]["source"], "bench");
  EXPECT_GE(event["timestamp"].get<int64_t>(), before);
  EXPECT_LE(event["timestamp"].get<int64_t>(), EpochMs());
  EXPECT_EQ(payload.key(), "order-456");

  // The same generator gives every system the same bytes but for the stamped fields.
  Payload other(1024, PayloadFormat::kEnvelope);
  auto again = other.Stamp(123'456, 987'654'321);
  nlohmann::json copy = nlohmann::json::parse(again.begin(), again.end());
  copy["timestamp"] = event["timestamp"];
  EXPECT_EQ(copy, event);
}

TEST(PayloadTest, EnvelopeSizeIsRaisedToItsFixedPart) {
  Payload payload(10, PayloadFormat::kEnvelope);
  EXPECT_EQ(payload.size(), Payload::kMinEnvelopeBytes);
  auto record = payload.Stamp(1, 2);
  EXPECT_TRUE(nlohmann::json::accept(record.begin(), record.end()));
}

TEST(PayloadTest, EnvelopeParsesAsSentAndAsAServerStoresIt) {
  Payload payload(1024, PayloadFormat::kEnvelope);
  auto record = payload.Stamp(7, 1'700'000'000'123'456'789);
  auto header = Payload::Parse(record.data(), record.size());
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->sequence, 7u);
  EXPECT_EQ(header->scheduled_ns, 1'700'000'000'123'456'789);

  // Tarn re-serializes an event with its keys sorted: the id still comes first.
  std::string stored = nlohmann::json::parse(record.begin(), record.end()).dump();
  ASSERT_NE(stored, std::string(record.data(), record.size()));
  header = Payload::Parse(stored.data(), stored.size());
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->sequence, 7u);
  EXPECT_EQ(header->scheduled_ns, 1'700'000'000'123'456'789);
}

TEST(PayloadTest, StampEnvelopeOnACopyMatchesStamp) {
  Payload payload(1024, PayloadFormat::kEnvelope);
  std::string copy(payload.record().data(), payload.size());
  Payload::StampEnvelope(copy, 999'999, 5, 1'700'000'000'000);
  auto record = payload.Stamp(999'999, 5);
  nlohmann::json a = nlohmann::json::parse(copy);
  nlohmann::json b = nlohmann::json::parse(record.begin(), record.end());
  EXPECT_EQ(a["timestamp"], 1'700'000'000'000);
  b["timestamp"] = a["timestamp"];
  EXPECT_EQ(a, b);
}

TEST(PayloadTest, EnvelopePassesTarnsEnvelopeAndContractChecks) {
  Payload payload(1024, PayloadFormat::kEnvelope);
  auto record = payload.Stamp(31, 1);
  Result<events::Envelope> event =
      events::Envelope::Parse(std::string_view(record.data(), record.size()));
  ASSERT_TRUE(event.has_value()) << event.error().ToString();
  EXPECT_EQ(event->type(), "order-placed");
  EXPECT_EQ(event->partition_key(), "order-031");

  Result<contracts::JsonSchema> schema = contracts::JsonSchema::Parse(kOrderPlacedContract);
  ASSERT_TRUE(schema.has_value()) << schema.error().ToString();
  contracts::SchemaValidator validator(std::move(*schema));
  std::vector<contracts::Finding> findings = validator.Validate(event->document());
  for (const auto& finding : findings) ADD_FAILURE() << finding.path << ": " << finding.message;

  // The contract has teeth: a currency outside its enum, a bad SKU, a zero quantity.
  nlohmann::json broken = event->document();
  broken["order"]["currency"] = "XXX";
  broken["order"]["lines"][0]["sku"] = "sku-1";
  broken["order"]["lines"][1]["quantity"] = 0;
  EXPECT_EQ(validator.Validate(broken).size(), 3u);
}

}  // namespace
}  // namespace tarn::bench
