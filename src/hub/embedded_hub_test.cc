#include "hub/embedded_hub.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "base/metrics.h"
#include "hub/partitioner.h"
#include "kafka/broker.h"
#include "kafka/group/group_coordinator.h"
#include "net/run_to_completion.h"

namespace tarn::hub {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class EmbeddedHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("embedded_hub_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    kafka::BrokerOptions options;
    options.data_dir = dir_;
    options.default_partitions = 3;
    broker_ = kafka::Broker::Open(io_, options, clock_, &metrics_).value();
    kafka::GroupCoordinatorOptions group_options;
    group_options.timer_tick_ms = 0;
    groups_ = kafka::GroupCoordinator::Open(io_, *broker_, group_options, clock_).value();
    hub_ = std::make_unique<EmbeddedHub>(*broker_, groups_.get(), clock_);
  }
  void TearDown() override {
    hub_.reset();
    groups_->Stop();
    groups_.reset();
    ASSERT_TRUE(broker_->Close().ok());
    broker_.reset();
    fs::remove_all(dir_);
  }

  template <typename T>
  T Run(Awaitable<T> task) {
    return net::RunToCompletion(io_, std::move(task));
  }

  static OutgoingRecord Keyed(std::string key, std::string value) {
    OutgoingRecord record;
    record.key = std::move(key);
    record.value = std::move(value);
    return record;
  }

  fs::path dir_;
  IoContext io_;
  ManualClock clock_{1'700'000'000'000};
  MetricsRegistry metrics_;
  std::unique_ptr<kafka::Broker> broker_;
  std::unique_ptr<kafka::GroupCoordinator> groups_;
  std::unique_ptr<EmbeddedHub> hub_;
};

TEST_F(EmbeddedHubTest, EnsureTopicCreatesOnceWithTheDefaultOrGivenPartitions) {
  EXPECT_EQ(Run(hub_->EnsureTopic("bus", {})).value(), 3);
  EXPECT_EQ(Run(hub_->EnsureTopic("bus", TopicSpec{.partitions = 7, .configs = {}})).value(), 3);
  EXPECT_EQ(Run(hub_->EnsureTopic("one", TopicSpec{.partitions = 1, .configs = {}})).value(), 1);
  EXPECT_EQ(Run(hub_->PartitionCount("one")).value(), 1);
  EXPECT_EQ(Run(hub_->PartitionCount("missing")).error().code(), StatusCode::kNotFound);
  Result<int32_t> bad = Run(hub_->EnsureTopic("no/slash", {}));
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(EmbeddedHubTest, AppendPartitionsByKeyAndReadsBackInOrder) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("bus", {})).has_value());
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 30; ++i) {
    records.push_back(Keyed("key-" + std::to_string(i % 5), "value-" + std::to_string(i)));
  }
  records[3].headers = {{"ce_type", "order-placed"}, {"empty", ""}};
  records[4].timestamp_ms = 42;
  auto positions = Run(hub_->Append("bus", records)).value();
  ASSERT_EQ(positions.size(), records.size());
  std::map<int32_t, int64_t> expected_next;
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(positions[i].partition, PartitionForKey(*records[i].key, 3));
    EXPECT_EQ(positions[i].offset, expected_next[positions[i].partition]++) << i;
  }

  auto read = Run(hub_->Read("bus", {{0, 0}, {1, 0}, {2, 0}}, 1000, milliseconds(0))).value();
  ASSERT_EQ(read.size(), records.size());
  for (const StoredRecord& record : read) {
    auto it = std::find(positions.begin(), positions.end(),
                        RecordPosition{record.partition, record.offset});
    ASSERT_NE(it, positions.end());
    const OutgoingRecord& sent = records[it - positions.begin()];
    EXPECT_EQ(record.key, sent.key);
    EXPECT_EQ(record.value, sent.value);
    EXPECT_EQ(record.headers, sent.headers);
    EXPECT_EQ(record.timestamp_ms, sent.timestamp_ms >= 0 ? sent.timestamp_ms : clock_.NowMs());
  }

  auto bounds = Run(hub_->Bounds("bus")).value();
  int64_t total = 0;
  for (const auto& [partition, range] : bounds) total += range.high_watermark - range.log_start;
  EXPECT_EQ(total, 30);
}

TEST_F(EmbeddedHubTest, KeylessRecordsOfOneAppendShareAPartition) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("bus", {})).has_value());
  std::vector<OutgoingRecord> records(4);
  for (auto& record : records) record.value = "v";
  auto positions = Run(hub_->Append("bus", records)).value();
  for (const RecordPosition& position : positions) {
    EXPECT_EQ(position.partition, positions[0].partition);
  }
  EXPECT_EQ(positions[3].offset, positions[0].offset + 3);
}

TEST_F(EmbeddedHubTest, ReadHonoursLimitsPositionsAndBounds) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("t", TopicSpec{.partitions = 1, .configs = {}})).has_value());
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 10; ++i) records.push_back(Keyed("k", std::to_string(i)));
  ASSERT_TRUE(Run(hub_->Append("t", records)).has_value());

  auto some = Run(hub_->Read("t", {{0, 4}}, 3, milliseconds(0))).value();
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0].offset, 4);
  EXPECT_EQ(*some[2].value, "6");

  EXPECT_TRUE(Run(hub_->Read("t", {{0, 10}}, 3, milliseconds(0))).value().empty());
  EXPECT_EQ(Run(hub_->Read("t", {{0, 11}}, 3, milliseconds(0))).error().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(Run(hub_->Read("t", {{0, -1}}, 3, milliseconds(0))).error().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(Run(hub_->Read("t", {{5, 0}}, 3, milliseconds(0))).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Run(hub_->Read("nope", {{0, 0}}, 3, milliseconds(0))).error().code(),
            StatusCode::kNotFound);
}

TEST_F(EmbeddedHubTest, AReadAtTheEndWaitsForTheNextAppend) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("t", TopicSpec{.partitions = 1, .configs = {}})).has_value());
  // The append is queued behind the read, which must be waiting when it lands.
  asio::post(io_, [&] {
    asio::co_spawn(io_, hub_->Append("t", {Keyed("k", "late")}), asio::detached);
  });
  auto read = Run(hub_->Read("t", {{0, 0}}, 10, milliseconds(30'000))).value();
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(*read[0].value, "late");
}

TEST_F(EmbeddedHubTest, ABatchOverTheTopicLimitWritesNothing) {
  ASSERT_TRUE(
      Run(hub_->EnsureTopic("small", TopicSpec{.partitions = 1, .configs = {{"max.message.bytes", "2000"}}}))
          .has_value());
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 50; ++i) records.push_back(Keyed("k", std::string(100, 'x')));
  Result<std::vector<RecordPosition>> appended = Run(hub_->Append("small", records));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(appended.error().message().find("max.message.bytes"), std::string::npos);
  EXPECT_EQ(Run(hub_->Bounds("small")).value().at(0).high_watermark, 0);
}

TEST_F(EmbeddedHubTest, GroupPositionsAreCommittedAndReadBack) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("bus", {})).has_value());
  EXPECT_TRUE(Run(hub_->CommittedOffsets("router.audit", "bus")).value().empty());
  ASSERT_TRUE(Run(hub_->CommitOffsets("router.audit", "bus", {{0, 5}, {2, 9}})).ok());
  EXPECT_EQ(Run(hub_->CommittedOffsets("router.audit", "bus")).value(),
            (std::map<int32_t, int64_t>{{0, 5}, {2, 9}}));
  ASSERT_TRUE(Run(hub_->CommitOffsets("router.audit", "bus", {{0, 7}})).ok());
  EXPECT_EQ(Run(hub_->CommittedOffsets("router.audit", "bus")).value().at(0), 7);
  EXPECT_TRUE(Run(hub_->CommittedOffsets("router.other", "bus")).value().empty());
  EXPECT_EQ(Run(hub_->CommittedOffsets("router.audit", "missing")).error().code(), StatusCode::kNotFound);
}

TEST_F(EmbeddedHubTest, ARecordTheTopicsValidationRefusesWritesNothing) {
  broker_->SetRecordValidator([](std::string_view, const kafka::Record& record) {
    return AsString(*record.value) == "bad" ? Status::InvalidArgument("a bad value") : Status::Ok();
  });
  ASSERT_TRUE(Run(hub_->EnsureTopic("checked", TopicSpec{.partitions = 1,
                                                         .configs = {{"tarn.validation", "true"}}}))
                  .has_value());
  Result<std::vector<RecordPosition>> appended =
      Run(hub_->Append("checked", {Keyed("k", "good"), Keyed("k", "bad")}));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(appended.error().message().find("record 1 of 2: a bad value"), std::string::npos)
      << appended.error().message();
  EXPECT_EQ(Run(hub_->Bounds("checked")).value().at(0).high_watermark, 0);
  EXPECT_TRUE(Run(hub_->Append("checked", {Keyed("k", "good")})).has_value());
}

}  // namespace
}  // namespace tarn::hub
