#include "kafka/broker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "base/metrics.h"
#include "kafka/error_code.h"
#include "kafka/record_batch_builder.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

namespace fs = std::filesystem;

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("broker_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    options_.data_dir = dir_;
    Reopen();
  }
  void TearDown() override {
    broker_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    broker_.reset();
    metrics_ = std::make_unique<MetricsRegistry>();  // metric names are registered once each
    auto broker = Broker::Open(io_, options_, clock_, metrics_.get());
    ASSERT_TRUE(broker.has_value()) << broker.error().ToString();
    broker_ = std::move(*broker);
  }

  static Bytes Batch(std::vector<std::string> values, int64_t ts = 1000, int64_t pid = -1,
                     int32_t seq = -1, Compression c = Compression::kNone) {
    RecordBatchBuilder builder(c);
    if (pid >= 0) builder.SetProducer(ProducerId(pid), ProducerEpoch(0), seq);
    for (size_t i = 0; i < values.size(); ++i) {
      builder.Add(std::nullopt, AsBytes(values[i]), ts + static_cast<int64_t>(i));
    }
    return builder.Build().value();
  }

  // Appends and runs the event loop until the append is durable.
  AppendOutcome AppendDurably(const std::shared_ptr<Topic>& topic, int partition, Bytes batch) {
    AppendOutcome out = broker_->Append(topic, *topic->partitions[partition], batch);
    if (out.error != 0) return out;
    Status durable = Status::Internal("not run");
    asio::co_spawn(io_, broker_->WaitDurable(topic, *topic->partitions[partition], out.last_offset + 1),
                   [&](std::exception_ptr, Status s) { durable = s; });
    io_.restart();
    while (durable.code() == StatusCode::kInternal) io_.run_one();
    EXPECT_TRUE(durable.ok()) << durable.ToString();
    return out;
  }

  fs::path dir_;
  IoContext io_;
  ManualClock clock_;
  BrokerOptions options_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, EachGroupCommitIsCountedAndTimed) {
  auto topic = broker_->CreateTopic("timed", 1, {}).value();
  AppendDurably(topic, 0, Batch({"a"}));
  AppendDurably(topic, 0, Batch({"b"}));
  std::string text = metrics_->RenderPrometheus();
  EXPECT_NE(text.find("tarn_log_sync_round_seconds_count 2"), std::string::npos) << text;
  EXPECT_NE(text.find("tarn_log_fsyncs_total "), std::string::npos);
}

TEST_F(BrokerTest, ValidatedTopicsRefuseABatchWithABadRecordAndWriteNothingOfIt) {
  broker_->SetRecordValidator([](std::string_view topic, const Record& record) {
    if (record.value && AsString(*record.value).find("bad") != std::string_view::npos) {
      return Status::InvalidArgument("contains bad");
    }
    return Status::Ok();
  });
  auto checked = broker_->CreateTopic("checked", 1, {{"tarn.validation", "true"}}).value();
  auto open = broker_->CreateTopic("open", 1, {}).value();

  Bytes mixed = Batch({"fine", "bad-1", "fine", "bad-2"}, 1000, 7, 0);
  AppendOutcome refused = broker_->Append(checked, *checked->partitions[0], mixed);
  EXPECT_EQ(refused.error, static_cast<int16_t>(ErrorCode::kInvalidRecord));
  EXPECT_NE(refused.message.find("refused 2 of 4 records"), std::string::npos) << refused.message;
  ASSERT_EQ(refused.record_errors.size(), 2u);
  EXPECT_EQ(refused.record_errors[0], (RecordError{1, "contains bad"}));
  EXPECT_EQ(refused.record_errors[1].batch_index, 3);
  EXPECT_EQ(checked->partitions[0]->log->next_offset(), Offset(0));

  // The idempotent producer's sequence did not move: the corrected batch with the same
  // sequence is taken.
  AppendOutcome taken = AppendDurably(checked, 0, Batch({"fine", "fine"}, 1000, 7, 0));
  EXPECT_EQ(taken.error, 0);
  EXPECT_EQ(taken.base_offset, Offset(0));
  EXPECT_EQ(AppendDurably(open, 0, Batch({"bad"})).error, 0);
}

TEST_F(BrokerTest, CreateAppendReadAndReopen) {
  auto topic = broker_->CreateTopic("orders", 2, {{"retention.ms", "-1"}});
  ASSERT_TRUE(topic.has_value()) << topic.error().ToString();
  EXPECT_EQ(AppendDurably(*topic, 1, Batch({"a", "b"})).base_offset, Offset(0));
  EXPECT_EQ(AppendDurably(*topic, 1, Batch({"c"})).base_offset, Offset(2));
  Partition& p = *(*topic)->partitions[1];
  EXPECT_EQ(broker_->HighWatermark(p), Offset(3));
  auto data = broker_->Read(p, Offset(2), 1 << 20);
  ASSERT_TRUE(data.has_value());
  auto batches = DecodeBatches(*data, 1 << 20);
  ASSERT_TRUE(batches.has_value());
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_EQ(AsString(*(*batches)[0].records()[0].value), "c");
  EXPECT_EQ(broker_->Read(p, Offset(4), 100).error().code(), StatusCode::kOutOfRange);

  Reopen();
  auto again = broker_->FindTopic("orders");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->partitions.size(), 2u);
  EXPECT_EQ(again->settings.overrides.at("retention.ms"), "-1");
  EXPECT_EQ(broker_->HighWatermark(*again->partitions[1]), Offset(3));
}

TEST_F(BrokerTest, TopicNamesAndDuplicatesAreRefused) {
  EXPECT_EQ(broker_->CreateTopic("bad name", 1, {}).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic("..", 1, {}).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic(std::string(250, 'a'), 1, {}).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic("t", 0, {}).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic("t", 1, {{"no.such", "1"}}).error().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(broker_->CreateTopic("t", 1, {}).has_value());
  EXPECT_EQ(broker_->CreateTopic("t", 1, {}).error().code(), StatusCode::kAlreadyExists);
}

TEST_F(BrokerTest, IdempotentRetryIsAnsweredWithTheOriginalOffset) {
  auto topic = broker_->CreateTopic("t", 1, {}).value();
  EXPECT_EQ(AppendDurably(topic, 0, Batch({"x"}, 1000, 7, 0)).base_offset, Offset(0));
  EXPECT_EQ(AppendDurably(topic, 0, Batch({"y", "z"}, 1000, 7, 1)).base_offset, Offset(1));
  AppendOutcome retry = AppendDurably(topic, 0, Batch({"x"}, 1000, 7, 0));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, Offset(0));
  Bytes out_of_order = Batch({"q"}, 1000, 7, 9);
  AppendOutcome gap = broker_->Append(topic, *topic->partitions[0], out_of_order);
  EXPECT_EQ(gap.error, static_cast<int16_t>(ErrorCode::kOutOfOrderSequenceNumber));
  EXPECT_EQ(broker_->HighWatermark(*topic->partitions[0]), Offset(3));

  // The window survives a restart.
  Reopen();
  topic = broker_->FindTopic("t");
  retry = AppendDurably(topic, 0, Batch({"y", "z"}, 1000, 7, 1));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, Offset(1));
  EXPECT_EQ(AppendDurably(topic, 0, Batch({"w"}, 1000, 7, 3)).base_offset, Offset(3));
}

TEST_F(BrokerTest, OffsetForTimestampFindsTheFirstRecordAtOrAfter) {
  auto topic = broker_->CreateTopic("t", 1, {}).value();
  AppendDurably(topic, 0, Batch({"a", "b", "c"}, 1000));
  AppendDurably(topic, 0, Batch({"d", "e"}, 2000, -1, -1, Compression::kZstd));
  Partition& p = *topic->partitions[0];
  auto hit = broker_->OffsetForTimestamp(p, 1001).value();
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->offset, Offset(1));
  EXPECT_EQ(hit->timestamp, 1001);
  hit = broker_->OffsetForTimestamp(p, 1500).value();
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->offset, Offset(3));
  EXPECT_FALSE(broker_->OffsetForTimestamp(p, 5000).value().has_value());
}

TEST_F(BrokerTest, LogAppendTimeReplacesTheProducersTimestamp) {
  auto topic = broker_->CreateTopic("t", 1, {{"message.timestamp.type", "LogAppendTime"}}).value();
  clock_.Set(123456);
  AppendOutcome out = AppendDurably(topic, 0, Batch({"a"}, 1000));
  EXPECT_EQ(out.log_append_time, 123456);
  auto data = broker_->Read(*topic->partitions[0], Offset(0), 1 << 20).value();
  auto batches = DecodeBatches(data, 1 << 20).value();
  EXPECT_EQ(batches[0].records()[0].timestamp, 123456);
}

TEST_F(BrokerTest, DeleteRemovesDataAndName) {
  auto topic = broker_->CreateTopic("gone", 1, {}).value();
  AppendDurably(topic, 0, Batch({"a"}));
  ASSERT_TRUE(broker_->DeleteTopic("gone").ok());
  EXPECT_FALSE(broker_->FindTopic("gone"));
  EXPECT_FALSE(fs::exists(dir_ / "topics" / "gone"));
  EXPECT_EQ(broker_->DeleteTopic("gone").code(), StatusCode::kNotFound);
  Reopen();
  EXPECT_FALSE(broker_->FindTopic("gone"));
  auto fresh = broker_->CreateTopic("gone", 1, {}).value();
  EXPECT_EQ(broker_->HighWatermark(*fresh->partitions[0]), Offset(0));
}

TEST_F(BrokerTest, ProducerIdsAreNeverReused) {
  int64_t first = broker_->AllocateProducerId().value();
  int64_t second = broker_->AllocateProducerId().value();
  EXPECT_GT(second, first);
  Reopen();
  EXPECT_GT(broker_->AllocateProducerId().value(), second);
}

TEST_F(BrokerTest, AutoCreationFollowsTheOption) {
  EXPECT_TRUE(broker_->FindOrCreateTopic("auto").has_value());
  options_.auto_create_topics = false;
  Reopen();
  EXPECT_TRUE(broker_->FindOrCreateTopic("auto").has_value());
  EXPECT_EQ(broker_->FindOrCreateTopic("other").error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tarn::kafka
