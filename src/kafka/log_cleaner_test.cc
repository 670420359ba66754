#include "kafka/log_cleaner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>

#include "kafka/broker.h"
#include "kafka/record_batch_builder.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kHour = 3600 * 1000;

class LogCleanerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("log_cleaner_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    options_.data_dir = dir_;
    options_.log_cleaner_interval_ms = 3'600'000;  // the broker's own cleaner stays out of the way
    auto broker = Broker::Open(io_, options_, clock_, nullptr);
    ASSERT_TRUE(broker.has_value()) << broker.error().ToString();
    broker_ = std::move(*broker);
    cleaner_ = std::make_unique<LogCleaner>(io_, clock_, metrics_.cleaner());
  }
  void TearDown() override {
    cleaner_.reset();
    broker_.reset();
    fs::remove_all(dir_);
  }

  std::shared_ptr<Topic> Create(std::map<std::string, std::string> configs) {
    configs.emplace("cleanup.policy", "compact");
    configs.emplace("segment.bytes", "1024");
    auto topic = broker_->CreateTopic("t" + std::to_string(topic_count_++), 1, configs);
    EXPECT_TRUE(topic.has_value()) << topic.error().ToString();
    return topic.value_or(nullptr);
  }

  // Appends one record straight to the partition's log and makes it visible.
  void Put(const Topic& topic, const std::string& key, std::optional<std::string> value) {
    RecordBatchBuilder builder;
    std::optional<ByteView> v;
    if (value) v = AsBytes(*value);
    builder.Add(AsBytes(key), v, clock_.NowMs());
    Bytes batch = builder.Build().value();
    log::PartitionLog& log = *topic.partitions[0]->log;
    ASSERT_TRUE(log.Append(batch).has_value());
    log.MarkDurable(log.next_offset());
  }

  // Writes values for `keys` keys until the log has at least `sealed` sealed segments.
  void Fill(const Topic& topic, int keys, size_t sealed) {
    for (int i = 0; topic.partitions[0]->log->SealedSegments().size() < sealed; ++i) {
      Put(topic, "key-" + std::to_string(i % keys), "value-" + std::to_string(i));
    }
  }

  // Runs the event loop until the cleaner's pass is swapped in or abandoned (bounded).
  void WaitForPass() {
    for (int i = 0; i < 600 && cleaner_->busy(); ++i) {
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    ASSERT_FALSE(cleaner_->busy()) << "the compaction pass did not finish";
  }

  // The latest value of every key, and how many records there are.
  static std::pair<std::map<std::string, std::string>, size_t> Contents(const Topic& topic) {
    const log::PartitionLog& log = *topic.partitions[0]->log;
    auto bytes = log.Read(log.log_start_offset(), std::numeric_limits<int32_t>::max()).value();
    std::map<std::string, std::string> latest;
    size_t records = 0;
    std::vector<DecodedBatch> batches = DecodeBatches(bytes, 1 << 30).value();
    for (const DecodedBatch& batch : batches) {
      for (const Record& r : batch.records()) {
        ++records;
        std::string key(AsString(*r.key));
        if (r.value) {
          latest[key] = std::string(AsString(*r.value));
        } else {
          latest.erase(key);
        }
      }
    }
    return {latest, records};
  }

  static bool HasTemporaryFiles(const Topic& topic) {
    for (const auto& entry : fs::directory_iterator(topic.partitions[0]->log->dir())) {
      if (entry.path().string().ends_with(".cleaned")) return true;
    }
    return false;
  }

  fs::path dir_;
  IoContext io_;
  ManualClock clock_;
  BrokerOptions options_;
  KafkaMetrics metrics_{nullptr};
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<LogCleaner> cleaner_;
  int topic_count_ = 0;
};

TEST_F(LogCleanerTest, CompactsADirtyPartitionWhileAppendsGoOn) {
  auto topic = Create({});
  Fill(*topic, 4, 4);
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  EXPECT_TRUE(cleaner_->busy());
  EXPECT_FALSE(cleaner_->Tick(broker_->Topics()));  // one pass at a time
  // Producers are not held up: appends (and rolls) go on while the pass runs.
  Fill(*topic, 4, 6);
  Put(*topic, "key-1", "during");
  const auto [expected, records_before] = Contents(*topic);
  WaitForPass();
  EXPECT_EQ(metrics_.cleaner().passes->Value(), 1);
  EXPECT_GT(metrics_.cleaner().records_removed->Value(), 0);
  EXPECT_GT(metrics_.cleaner().bytes_read->Value(), metrics_.cleaner().bytes_written->Value());
  auto [after, records_after] = Contents(*topic);
  EXPECT_EQ(after, expected);  // the latest value of every key is still there
  EXPECT_LT(records_after, records_before);
  EXPECT_EQ(after.at("key-1"), "during");
  EXPECT_LT(records_after, static_cast<size_t>(topic->partitions[0]->log->next_offset().value()));
  EXPECT_GT(topic->partitions[0]->cleaned_offset, Offset(0));
  EXPECT_FALSE(HasTemporaryFiles(*topic));
  // The segments sealed meanwhile outweigh the compacted ones: due again, then clean.
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  WaitForPass();
  EXPECT_EQ(Contents(*topic).first, after);
  EXPECT_FALSE(cleaner_->Tick(broker_->Topics()));
}

TEST_F(LogCleanerTest, LeavesTopicsThatAreNotCompactedAlone) {
  auto topic = broker_->CreateTopic("plain", 1, {{"segment.bytes", "1024"}}).value();
  Fill(*topic, 2, 3);
  EXPECT_FALSE(cleaner_->Tick(broker_->Topics()));
}

TEST_F(LogCleanerTest, WaitsForMinCompactionLag) {
  auto topic = Create({{"min.compaction.lag.ms", std::to_string(kHour)}});
  Fill(*topic, 2, 3);
  EXPECT_FALSE(cleaner_->Tick(broker_->Topics()));
  clock_.Advance(kHour + 1);
  EXPECT_TRUE(cleaner_->Tick(broker_->Topics()));
  WaitForPass();
  EXPECT_EQ(metrics_.cleaner().passes->Value(), 1);
}

TEST_F(LogCleanerTest, CleansAgainWhenAKeptTombstoneExpires) {
  auto topic = Create({{"delete.retention.ms", std::to_string(kHour)}});
  Put(*topic, "gone", "value");
  Put(*topic, "gone", std::nullopt);
  Fill(*topic, 2, 3);
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  WaitForPass();
  EXPECT_EQ(Contents(*topic).first.count("gone"), 0u);
  const size_t records = Contents(*topic).second;
  EXPECT_EQ(topic->partitions[0]->tombstone_expiry_ms, clock_.NowMs() + kHour);
  EXPECT_FALSE(cleaner_->Tick(broker_->Topics()));  // nothing dirty, tombstone still young
  clock_.Advance(kHour);
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  WaitForPass();
  EXPECT_EQ(Contents(*topic).second, records - 1);  // the tombstone is gone too
  EXPECT_EQ(topic->partitions[0]->tombstone_expiry_ms, std::numeric_limits<int64_t>::max());
}

TEST_F(LogCleanerTest, AbandonsThePassWhenRetentionDeletesASegmentMeanwhile) {
  auto topic = Create({{"cleanup.policy", "compact,delete"}});
  Fill(*topic, 3, 4);
  log::PartitionLog& log = *topic->partitions[0]->log;
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  // Retention runs on the broker's thread before the pass completes there.
  log::LogConfig config = log.config();
  config.retention_bytes = log.size_bytes() - log.SealedSegments()[0].size_bytes;
  ASSERT_TRUE(log.SetConfig(config).ok());
  ASSERT_EQ(log.ApplyRetention().value_or(0), 1);
  const auto before = Contents(*topic);
  WaitForPass();
  EXPECT_EQ(metrics_.cleaner().passes->Value(), 0);
  EXPECT_EQ(metrics_.cleaner().abandoned->Value(), 1);
  EXPECT_EQ(Contents(*topic), before);
  EXPECT_FALSE(HasTemporaryFiles(*topic));
  // The next tick starts over from the log as it is now.
  EXPECT_TRUE(cleaner_->Tick(broker_->Topics()));
  WaitForPass();
  EXPECT_EQ(metrics_.cleaner().passes->Value(), 1);
}

TEST_F(LogCleanerTest, AbandonsThePassWhenTheTopicIsDeleted) {
  auto topic = Create({});
  Fill(*topic, 3, 4);
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  ASSERT_TRUE(broker_->DeleteTopic(topic->name).ok());
  WaitForPass();
  EXPECT_EQ(metrics_.cleaner().passes->Value(), 0);
  EXPECT_EQ(metrics_.cleaner().abandoned->Value(), 1);
}

TEST_F(LogCleanerTest, ShutsDownWithAPassInFlight) {
  auto topic = Create({});
  Fill(*topic, 3, 6);
  ASSERT_TRUE(cleaner_->Tick(broker_->Topics()));
  cleaner_.reset();  // cancels, joins; the pass's files are removed now or at the next open
  io_.restart();
  io_.poll();
  broker_.reset();
  auto reopened = Broker::Open(io_, options_, clock_, nullptr);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().ToString();
  auto again = (*reopened)->FindTopic(topic->name);
  ASSERT_NE(again, nullptr);
  EXPECT_FALSE(HasTemporaryFiles(*again));
}

}  // namespace
}  // namespace tarn::kafka
