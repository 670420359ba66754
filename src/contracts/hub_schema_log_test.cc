#include "contracts/hub_schema_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "contracts/schema_registry.h"
#include "hub/embedded_hub.h"
#include "kafka/broker.h"
#include "net/run_to_completion.h"

namespace tarn::contracts {
namespace {

namespace fs = std::filesystem;
using net::RunToCompletion;
using ::testing::ElementsAre;

class HubSchemaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hub_schema_log_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    options_.data_dir = dir_;
    OpenBroker();
  }
  void TearDown() override {
    hub_.reset();
    broker_.reset();
    fs::remove_all(dir_);
  }
  void OpenBroker() {
    auto broker = kafka::Broker::Open(io_, options_, clock_, nullptr);
    ASSERT_TRUE(broker.has_value()) << broker.error().ToString();
    broker_ = std::move(*broker);
    hub_ = std::make_unique<hub::EmbeddedHub>(*broker_, nullptr, clock_);
  }
  // Closes the broker as a clean shutdown would, or drops it without closing (a crash after
  // the acknowledged writes, which were fsync'd).
  void RestartBroker(bool clean) {
    if (clean) {
      ASSERT_TRUE(broker_->Close().ok());
    }
    hub_.reset();
    broker_.reset();
    OpenBroker();
  }
  std::unique_ptr<SchemaRegistry> OpenRegistry() {
    auto log = RunToCompletion(io_, HubSchemaLog::Open(*hub_));
    EXPECT_TRUE(log.has_value()) << log.error().ToString();
    auto registry = RunToCompletion(io_, SchemaRegistry::Open(io_, std::move(*log)));
    EXPECT_TRUE(registry.has_value()) << registry.error().ToString();
    return std::move(*registry);
  }

  fs::path dir_;
  IoContext io_;
  ManualClock clock_;
  kafka::BrokerOptions options_;
  std::unique_ptr<kafka::Broker> broker_;
  std::unique_ptr<hub::EmbeddedHub> hub_;
};

SchemaRequest Json(std::string schema) {
  return SchemaRequest{.schema = std::move(schema), .schema_type = "JSON"};
}

TEST_F(HubSchemaLogTest, CreatesACompactedTopicAndReadsBackWhatItAppends) {
  auto log = RunToCompletion(io_, HubSchemaLog::Open(*hub_)).value();
  auto topic = broker_->FindTopic(kSchemasTopic);
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->partitions.size(), 1u);
  EXPECT_EQ(topic->settings.effective.cleanup_policy, "compact");
  EXPECT_TRUE(RunToCompletion(io_, log->ReadAll())->empty());

  std::vector<SchemaLogRecord> written = {{"k1", "v1"}, {"k2", std::nullopt}};
  ASSERT_TRUE(RunToCompletion(io_, log->Append(written)).ok());
  ASSERT_TRUE(RunToCompletion(io_, log->Append({{"k1", "v2"}})).ok());
  EXPECT_EQ(broker_->HighWatermark(*topic->partitions[0]), Offset(3));
  EXPECT_THAT(RunToCompletion(io_, log->ReadAll()).value(),
              ElementsAre(SchemaLogRecord{"k1", "v1"}, SchemaLogRecord{"k2", std::nullopt},
                          SchemaLogRecord{"k1", "v2"}));
}

TEST_F(HubSchemaLogTest, RefusesASchemasTopicWithManyPartitions) {
  ASSERT_TRUE(broker_->CreateTopic(kSchemasTopic, 3, {}).has_value());
  EXPECT_EQ(RunToCompletion(io_, HubSchemaLog::Open(*hub_)).error().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(HubSchemaLogTest, RegistrySurvivesRestartsOfTheBroker) {
  for (bool clean : {true, false}) {
    SCOPED_TRACE(clean ? "clean shutdown" : "no shutdown");
    auto registry = OpenRegistry();
    const std::string subject = clean ? "a" : "b";
    ASSERT_TRUE(RunToCompletion(io_, registry->Register(subject, Json(R"({"type": "object"})")))
                    .has_value());
    ASSERT_TRUE(RunToCompletion(io_, registry->Register(subject, Json("{}"))).has_value());
    ASSERT_TRUE(RunToCompletion(io_, registry->DeleteVersion(subject, "1", false)).has_value());
    ASSERT_TRUE(RunToCompletion(io_, registry->SetLevel(subject, "FULL")).has_value());
    registry.reset();
    RestartBroker(clean);

    registry = OpenRegistry();
    const RegistryState& state = registry->state();
    EXPECT_TRUE(state.FindVersion(subject, "1", true)->deleted);
    EXPECT_EQ(state.FindVersion(subject, "latest", false)->version, 2);
    EXPECT_EQ(state.FindVersion(subject, "latest", false)->id, 2);
    EXPECT_EQ(state.EffectiveLevel(subject), CompatibilityLevel::kFull);
  }
  auto registry = OpenRegistry();
  EXPECT_THAT(registry->state().Subjects(false), ElementsAre("a", "b"));
}

}  // namespace
}  // namespace tarn::contracts
