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

// Refuses a record whose value starts with "bad", saying which value it was.
class ValidationTest : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    SetValidator();
  }
  void SetValidator() {
    broker_->SetRecordValidator([this](std::string_view topic, const Record& record) {
      ++calls_;
      EXPECT_EQ(topic, "checked");
      std::string value = record.value ? std::string(AsString(*record.value)) : "null";
      if (refuse_all_ || value.starts_with("bad") || value == "null") {
        return Status::InvalidArgument("value " + value + " breaks the rules");
      }
      return Status::Ok();
    });
  }
  std::shared_ptr<Topic> Checked(std::map<std::string, std::string> configs = {}) {
    configs["tarn.validation"] = "true";
    return broker_->CreateTopic("checked", 1, configs).value();
  }
  // Appends without waiting for the disk (a refused batch is never written).
  AppendOutcome Try(const std::shared_ptr<Topic>& topic, Bytes batch) {
    return broker_->Append(topic, *topic->partitions[0], batch);
  }

  int calls_ = 0;
  bool refuse_all_ = false;
};

TEST_F(ValidationTest, ABatchWithAFailingRecordIsRefusedWhole) {
  auto topic = Checked();
  Partition& p = *topic->partitions[0];
  AppendOutcome refused = Try(topic, Batch({"ok", "bad-1", "ok", "bad-2"}));
  EXPECT_EQ(refused.error, static_cast<int16_t>(ErrorCode::kInvalidRecord));
  EXPECT_EQ(refused.record_errors, (std::vector<RecordError>{{1, "value bad-1 breaks the rules"},
                                                             {3, "value bad-2 breaks the rules"}}));
  EXPECT_EQ(refused.message,
            "tarn.validation refused 2 of 4 records; the first, record 1: value bad-1 breaks the "
            "rules");
  EXPECT_EQ(calls_, 4);
  EXPECT_EQ(p.log->next_offset(), Offset(0));  // nothing written

  AppendOutcome one = Try(topic, Batch({"bad"}));
  EXPECT_EQ(one.message, "tarn.validation refused record 0 of 1: value bad breaks the rules");

  EXPECT_EQ(AppendDurably(topic, 0, Batch({"ok", "fine"})).base_offset, Offset(0));
  EXPECT_EQ(broker_->HighWatermark(p), Offset(2));
  EXPECT_NE(
      metrics_->RenderPrometheus().find("tarn_topic_records_refused_total{topic=\"checked\"} 3"),
      std::string::npos)
      << metrics_->RenderPrometheus();
}

TEST_F(ValidationTest, CompressedBatchesAreCheckedRecordByRecord) {
  auto topic = Checked();
  for (Compression c :
       {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) {
    AppendOutcome refused = Try(topic, Batch({"ok", "bad"}, 1000, -1, -1, c));
    ASSERT_EQ(refused.record_errors.size(), 1u) << CompressionName(c);
    EXPECT_EQ(refused.record_errors[0].batch_index, 1);
    EXPECT_EQ(AppendDurably(topic, 0, Batch({"ok"}, 1000, -1, -1, c)).error, 0);
  }
  EXPECT_EQ(broker_->HighWatermark(*topic->partitions[0]), Offset(4));
}

TEST_F(ValidationTest, TopicsWithoutTheSettingAreNotChecked) {
  auto plain = broker_->CreateTopic("plain", 1, {}).value();
  EXPECT_EQ(plain->settings.effective.Get("tarn.validation"), "false");
  EXPECT_EQ(AppendDurably(plain, 0, Batch({"bad"})).error, 0);
  auto off = broker_->CreateTopic("off", 1, {{"tarn.validation", "false"}}).value();
  EXPECT_EQ(AppendDurably(off, 0, Batch({"bad"})).error, 0);
  EXPECT_EQ(calls_, 0);
}

TEST_F(ValidationTest, WithoutAValidatorEveryRecordPasses) {
  broker_->SetRecordValidator(nullptr);
  auto topic = Checked();
  EXPECT_EQ(AppendDurably(topic, 0, Batch({"bad"})).error, 0);
}

TEST_F(ValidationTest, ARefusedBatchDoesNotMoveTheProducersSequence) {
  auto topic = Checked();
  EXPECT_EQ(AppendDurably(topic, 0, Batch({"a"}, 1000, 7, 0)).base_offset, Offset(0));
  AppendOutcome refused = Try(topic, Batch({"b", "bad"}, 1000, 7, 1));
  EXPECT_EQ(refused.error, static_cast<int16_t>(ErrorCode::kInvalidRecord));
  // The same sequence, now valid, is the next one expected; a retry of the first batch is
  // answered from the producer's state without being checked again, even when the rules have
  // changed meanwhile.
  EXPECT_EQ(AppendDurably(topic, 0, Batch({"b", "c"}, 1000, 7, 1)).base_offset, Offset(1));
  refuse_all_ = true;
  int calls = calls_;
  AppendOutcome retry = Try(topic, Batch({"a"}, 1000, 7, 0));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.base_offset, Offset(0));
  EXPECT_EQ(calls_, calls);
  // A batch out of sequence is refused for that before its records are looked at.
  AppendOutcome gap = Try(topic, Batch({"bad"}, 1000, 7, 9));
  EXPECT_EQ(gap.error, static_cast<int16_t>(ErrorCode::kOutOfOrderSequenceNumber));
  EXPECT_EQ(calls_, calls);
}

TEST_F(ValidationTest, TombstonesOfACompactedTopicAreNotChecked) {
  auto topic = Checked({{"cleanup.policy", "compact"}});
  RecordBatchBuilder builder;
  builder.Add(AsBytes("k"), std::nullopt, 1000);
  EXPECT_EQ(AppendDurably(topic, 0, builder.Build().value()).error, 0);
  EXPECT_EQ(calls_, 0);

  ASSERT_TRUE(broker_->DeleteTopic("checked").ok());
  topic = Checked();  // delete policy: a null value is a record like any other
  AppendOutcome refused = Try(topic, builder.Build().value());
  EXPECT_EQ(refused.error, static_cast<int16_t>(ErrorCode::kInvalidRecord));
  EXPECT_EQ(calls_, 1);
}

TEST_F(ValidationTest, AtMostAHundredFailingRecordsAreNamed) {
  auto topic = Checked();
  std::vector<std::string> values(150, "bad");
  values[0] = "ok";
  AppendOutcome refused = Try(topic, Batch(values));
  ASSERT_EQ(refused.record_errors.size(), 100u);
  EXPECT_EQ(refused.record_errors.front().batch_index, 1);
  EXPECT_EQ(refused.record_errors.back().batch_index, 100);
  EXPECT_EQ(calls_, 101);
  EXPECT_TRUE(refused.message.starts_with("tarn.validation refused at least 100 of 150 records"))
      << refused.message;
}

TEST_F(ValidationTest, TheSettingSurvivesARestart) {
  Checked();
  Reopen();
  SetValidator();
  auto topic = broker_->FindTopic("checked");
  ASSERT_TRUE(topic);
  EXPECT_TRUE(topic->settings.effective.validation);
  EXPECT_EQ(topic->settings.overrides.at("tarn.validation"), "true");
  EXPECT_EQ(Try(topic, Batch({"bad"})).error, static_cast<int16_t>(ErrorCode::kInvalidRecord));
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
