#include "hub/kafka_hub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "base/clock.h"
#include "hub/partitioner.h"
#include "kafka/broker.h"
#include "kafka/group/group_coordinator.h"
#include "kafka/session.h"
#include "net/asio.h"
#include "net/frame_server.h"
#include "net/run_to_completion.h"

namespace tarn::hub {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

OutgoingRecord Keyed(std::string key, std::string value) {
  OutgoingRecord record;
  record.key = std::move(key);
  record.value = std::move(value);
  return record;
}

OutgoingRecord Keyless(std::string value) {
  OutgoingRecord record;
  record.value = std::move(value);
  return record;
}

// No broker at all: what the hub says, and how soon.
class KafkaHubWithoutBrokerTest : public ::testing::Test {
 protected:
  template <typename T>
  T Run(Awaitable<T> task) {
    return net::RunToCompletion(io_, std::move(task));
  }
  IoContext io_;
};

TEST_F(KafkaHubWithoutBrokerTest, MalformedBrokerListIsInvalidArgument) {
  for (const char* brokers : {"", "nohost", "a:1,", "a:0", "[::1"}) {
    Result<std::unique_ptr<KafkaHub>> hub =
        KafkaHub::Create(io_, KafkaHubOptions{.brokers = brokers});
    ASSERT_FALSE(hub.has_value()) << brokers;
    EXPECT_EQ(hub.error().code(), StatusCode::kInvalidArgument) << brokers;
  }
}

// Nothing listens on port 1: every call fails within the time-out, with librdkafka's reason, and
// the io_context's thread stays free meanwhile (a timer on it fires on time).
TEST_F(KafkaHubWithoutBrokerTest, UnreachableBrokerFailsWithinTheTimeOutWithoutBlockingTheLoop) {
  const milliseconds timeout(1500);
  auto hub = KafkaHub::Create(io_, KafkaHubOptions{.brokers = "127.0.0.1:1", .timeout = timeout});
  ASSERT_TRUE(hub.has_value()) << hub.error().ToString();

  auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point ticked;
  asio::steady_timer tick(io_, milliseconds(200));
  tick.async_wait(
      [&](const boost::system::error_code&) { ticked = std::chrono::steady_clock::now(); });
  Result<int32_t> count = Run((*hub)->PartitionCount("orders"));
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(count.has_value());
  EXPECT_THAT(count.error().code(), AnyOf(StatusCode::kUnavailable, StatusCode::kTimeout));
  EXPECT_THAT(count.error().message(), HasSubstr("127.0.0.1:1"));
  EXPECT_LT(elapsed, timeout + milliseconds(3000));
  ASSERT_NE(ticked, std::chrono::steady_clock::time_point());
  EXPECT_LT(ticked - started, milliseconds(1000));

  Result<std::vector<RecordPosition>> appended = Run((*hub)->Append("orders", {Keyed("k", "v")}));
  ASSERT_FALSE(appended.has_value());
  EXPECT_THAT(appended.error().code(), AnyOf(StatusCode::kUnavailable, StatusCode::kTimeout));
  Result<int32_t> ensured = Run((*hub)->EnsureTopic("orders", {}));
  ASSERT_FALSE(ensured.has_value());
  EXPECT_THAT(ensured.error().code(), AnyOf(StatusCode::kUnavailable, StatusCode::kTimeout));
  Result<std::vector<StoredRecord>> read =
      Run((*hub)->Read("orders", {{0, 0}}, 10, milliseconds(0)));
  ASSERT_FALSE(read.has_value());
  EXPECT_THAT(read.error().code(), AnyOf(StatusCode::kUnavailable, StatusCode::kTimeout));
}

TEST_F(KafkaHubWithoutBrokerTest, EmptyCallsNeedNoBroker) {
  auto hub = KafkaHub::Create(io_, KafkaHubOptions{.brokers = "127.0.0.1:1"}).value();
  EXPECT_TRUE(Run(hub->Append("orders", {})).value().empty());
  EXPECT_TRUE(Run(hub->Read("orders", {}, 10, milliseconds(0))).value().empty());
}

// A real Kafka listener in this process: the embedded broker behind net::FrameServer, on the same
// io_context as the hub. The hub's calls complete only if it never blocks that thread.
class KafkaHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kafka_hub_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    server_ = std::make_unique<net::FrameServer>(
        io_, net::FrameServerOptions{}, [this](const net::ConnectionInfo& info) {
          return kafka::MakeSession(*broker_, *groups_, info);
        });
    Result<uint16_t> port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.has_value()) << port.error().ToString();
    port_ = *port;
    kafka::BrokerOptions options;
    options.data_dir = dir_;
    options.advertised_port = *port;
    options.default_partitions = 3;
    options.auto_create_topics = false;
    broker_ = kafka::Broker::Open(io_, options, SystemClock(), nullptr).value();
    groups_ = kafka::GroupCoordinator::Open(io_, *broker_, kafka::GroupCoordinatorOptions{},
                                            SystemClock())
                  .value();
    hub_ = KafkaHub::Create(io_, KafkaHubOptions{.brokers = "127.0.0.1:" + std::to_string(*port),
                                                 .timeout = milliseconds(10000)})
               .value();
  }
  void TearDown() override {
    // The listener goes first, so that closing the clients waits for no answer.
    server_->Stop();
    io_.restart();
    io_.poll();
    hub_.reset();
    groups_->Stop();
    EXPECT_TRUE(broker_->Close().ok());
    groups_.reset();
    broker_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  template <typename T>
  T Run(Awaitable<T> task) {
    return net::RunToCompletion(io_, std::move(task));
  }

  std::vector<StoredRecord> ReadAll(const std::string& topic, int32_t partition, int64_t from) {
    return Run(hub_->Read(topic, {{partition, from}}, 1000, milliseconds(0))).value();
  }

  fs::path dir_;
  IoContext io_;
  std::unique_ptr<net::FrameServer> server_;
  uint16_t port_ = 0;
  std::unique_ptr<kafka::Broker> broker_;
  std::unique_ptr<kafka::GroupCoordinator> groups_;
  std::unique_ptr<KafkaHub> hub_;
};

TEST_F(KafkaHubTest, EnsureTopicCreatesOnceAndPartitionCountAgrees) {
  EXPECT_EQ(Run(hub_->PartitionCount("bus")).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(Run(hub_->EnsureTopic("bus", TopicSpec{.partitions = 4, .configs = {}})).value(), 4);
  EXPECT_EQ(Run(hub_->EnsureTopic("bus", TopicSpec{.partitions = 2, .configs = {}})).value(), 4);
  EXPECT_EQ(Run(hub_->PartitionCount("bus")).value(), 4);
  EXPECT_EQ(Run(hub_->EnsureTopic("defaulted", {})).value(), 3);

  ASSERT_EQ(
      Run(hub_->EnsureTopic("compacted",
                            TopicSpec{.partitions = 1, .configs = {{"cleanup.policy", "compact"}}}))
          .value(),
      1);
  EXPECT_EQ(broker_->FindTopic("compacted")->settings.effective.cleanup_policy, "compact");
  Result<int32_t> refused =
      Run(hub_->EnsureTopic("bad", TopicSpec{.partitions = 1, .configs = {{"no.such", "1"}}}));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(KafkaHubTest, KeyedRecordsGoWhereTheJavaClientPutsThemAndReadBackWhole) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("orders", TopicSpec{.partitions = 3, .configs = {}})));
  OutgoingRecord with_headers = Keyed("order-1", "created");
  with_headers.headers = {{"source", "shop"}, {"trace", ""}};
  with_headers.timestamp_ms = 1'700'000'000'123;
  OutgoingRecord tombstone;
  tombstone.key = "order-2";
  std::vector<OutgoingRecord> records = {with_headers, Keyed("order-2", ""), tombstone,
                                         Keyed("order-1", "paid")};
  std::vector<RecordPosition> positions = Run(hub_->Append("orders", records)).value();
  ASSERT_EQ(positions.size(), 4u);
  const int32_t p1 = PartitionForKey("order-1", 3);
  const int32_t p2 = PartitionForKey("order-2", 3);
  EXPECT_EQ(positions[0], (RecordPosition{p1, 0}));
  EXPECT_EQ(positions[3], (RecordPosition{p1, 1}));
  EXPECT_EQ(positions[1].partition, p2);
  EXPECT_EQ(positions[2].partition, p2);
  EXPECT_EQ(positions[2].offset, positions[1].offset + 1);

  std::vector<StoredRecord> read = ReadAll("orders", p1, 0);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].key, "order-1");
  EXPECT_EQ(read[0].value, "created");
  EXPECT_EQ(read[0].timestamp_ms, 1'700'000'000'123);
  EXPECT_THAT(read[0].headers,
              ElementsAre(RecordHeader{"source", "shop"}, RecordHeader{"trace", ""}));
  EXPECT_EQ(read[1].value, "paid");
  EXPECT_EQ(read[1].offset, 1);
  EXPECT_GT(read[1].timestamp_ms, 1'700'000'000'123);  // the time of the append

  read = ReadAll("orders", p2, positions[1].offset);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].value, "");  // empty, not absent
  EXPECT_EQ(read[1].value, std::nullopt);
  EXPECT_EQ(read[1].partition, p2);
}

TEST_F(KafkaHubTest, KeylessRecordsOfOneCallShareAPartitionAndCallsTakeTurns) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("events", TopicSpec{.partitions = 3, .configs = {}})));
  std::vector<int32_t> partitions;
  for (int call = 0; call < 3; ++call) {
    std::vector<RecordPosition> positions =
        Run(hub_->Append("events", {Keyless("a"), Keyless("b")})).value();
    ASSERT_EQ(positions.size(), 2u);
    EXPECT_EQ(positions[0].partition, positions[1].partition);
    EXPECT_EQ(positions[1].offset, positions[0].offset + 1);
    partitions.push_back(positions[0].partition);
  }
  std::sort(partitions.begin(), partitions.end());
  EXPECT_THAT(partitions, ElementsAre(0, 1, 2));
}

TEST_F(KafkaHubTest, ReadsInALoopContinueWhereTheLastEndedAndMayGoBack) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("log", TopicSpec{.partitions = 1, .configs = {}})));
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 50; ++i) records.push_back(Keyed("k", std::to_string(i)));
  ASSERT_TRUE(Run(hub_->Append("log", records)));

  int64_t next = 0;
  std::vector<std::string> values;
  while (next < 50) {
    std::vector<StoredRecord> read =
        Run(hub_->Read("log", {{0, next}}, 7, milliseconds(0))).value();
    ASSERT_FALSE(read.empty()) << "at " << next;
    ASSERT_LE(read.size(), 7u);
    for (const StoredRecord& record : read) {
      ASSERT_EQ(record.offset, next);
      values.push_back(*record.value);
      ++next;
    }
  }
  EXPECT_EQ(values.front(), "0");
  EXPECT_EQ(values.back(), "49");
  // Back to an earlier offset: the reader re-seeks.
  std::vector<StoredRecord> again = Run(hub_->Read("log", {{0, 10}}, 2, milliseconds(0))).value();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].offset, 10);
  EXPECT_EQ(again[1].value, "11");
}

TEST_F(KafkaHubTest, IdleReadersAreClosedAndReplacedOnDemand) {
  hub_.reset();
  hub_ = KafkaHub::Create(io_, KafkaHubOptions{.brokers = "127.0.0.1:" + std::to_string(port_),
                                               .reader_idle_timeout = milliseconds(50)})
             .value();
  ASSERT_TRUE(Run(hub_->EnsureTopic("idle", TopicSpec{.partitions = 1, .configs = {}})));
  ASSERT_TRUE(Run(hub_->Append("idle", {Keyed("k", "1"), Keyed("k", "2")})));
  EXPECT_EQ(ReadAll("idle", 0, 0).size(), 2u);
  io_.restart();
  io_.run_for(milliseconds(300));  // the sweep closes the reader
  std::vector<StoredRecord> again = ReadAll("idle", 0, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].value, "2");
}

TEST_F(KafkaHubTest, ReadAtTheEndWaitsForAnAppendOrTheDeadline) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("tail", TopicSpec{.partitions = 1, .configs = {}})));
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(Run(hub_->Read("tail", {{0, 0}}, 10, milliseconds(300))).value().empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(300));

  // A long poll, then an append from another coroutine: the poll answers with it.
  std::optional<Result<std::vector<StoredRecord>>> polled;
  asio::co_spawn(
      io_, hub_->Read("tail", {{0, 0}}, 10, milliseconds(20000)),
      [&](std::exception_ptr, Result<std::vector<StoredRecord>> r) { polled = std::move(r); });
  started = std::chrono::steady_clock::now();
  ASSERT_TRUE(Run(hub_->Append("tail", {Keyed("k", "woke")})));
  while (!polled) io_.run_one();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(10000));
  ASSERT_TRUE(polled->has_value()) << polled->error().ToString();
  ASSERT_EQ((*polled)->size(), 1u);
  EXPECT_EQ((*polled)->front().value, "woke");
}

TEST_F(KafkaHubTest, PositionsOutsideTheLogAreRefusedByName) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("small", TopicSpec{.partitions = 2, .configs = {}})));
  ASSERT_TRUE(Run(hub_->Append("small", {Keyed("k", "v")})));
  const int32_t p = PartitionForKey("k", 2);

  Result<std::vector<StoredRecord>> read = Run(hub_->Read("small", {{p, 5}}, 10, milliseconds(0)));
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), StatusCode::kOutOfRange);
  EXPECT_THAT(read.error().message(), HasSubstr("small/" + std::to_string(p)));
  read = Run(hub_->Read("small", {{2, 0}}, 10, milliseconds(0)));
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), StatusCode::kNotFound);
  read = Run(hub_->Read("nothere", {{0, 0}}, 10, milliseconds(0)));
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), StatusCode::kNotFound);
  // At the end is inside: nothing yet.
  EXPECT_TRUE(Run(hub_->Read("small", {{p, 1}}, 10, milliseconds(0))).value().empty());
}

TEST_F(KafkaHubTest, BoundsFollowAppends) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("counted", TopicSpec{.partitions = 2, .configs = {}})));
  ASSERT_TRUE(Run(hub_->Append("counted", {Keyed("a", "1"), Keyed("a", "2")})));
  const int32_t p = PartitionForKey("a", 2);
  std::map<int32_t, PartitionBounds> bounds = Run(hub_->Bounds("counted")).value();
  ASSERT_EQ(bounds.size(), 2u);
  EXPECT_EQ(bounds[p], (PartitionBounds{0, 2}));
  EXPECT_EQ(bounds[1 - p], (PartitionBounds{0, 0}));
  EXPECT_EQ(Run(hub_->Bounds("nothere")).error().code(), StatusCode::kNotFound);
}

TEST_F(KafkaHubTest, RecordsTheTopicRefusesAreInvalidArgument) {
  ASSERT_TRUE(Run(hub_->EnsureTopic(
      "tiny", TopicSpec{.partitions = 1, .configs = {{"max.message.bytes", "1024"}}})));
  Result<std::vector<RecordPosition>> refused =
      Run(hub_->Append("tiny", {Keyed("k", std::string(4000, 'x'))}));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.error().message(), HasSubstr("tiny/0"));
  // The reason is librdkafka's text for the code; never the record's bytes.
  EXPECT_THAT(refused.error().message(), HasSubstr("Message size too large"));
  EXPECT_THAT(refused.error().message(), ::testing::Not(HasSubstr("xxxx")));
  // librdkafka's own limit (message.max.bytes) refuses before sending.
  refused = Run(hub_->Append("tiny", {Keyed("k", std::string(2'000'000, 'x'))}));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  // The producer carries on.
  EXPECT_TRUE(Run(hub_->Append("tiny", {Keyed("k", "small")})).has_value());
}

TEST_F(KafkaHubTest, GroupOffsetsCommitAndReadBack) {
  ASSERT_TRUE(Run(hub_->EnsureTopic("lanes", TopicSpec{.partitions = 2, .configs = {}})));
  ASSERT_TRUE(Run(hub_->Append("lanes", {Keyless("a"), Keyless("b"), Keyless("c")})));
  EXPECT_TRUE(Run(hub_->CommittedOffsets("router", "lanes")).value().empty());
  ASSERT_TRUE(Run(hub_->CommitOffsets("router", "lanes", {{0, 2}, {1, 0}})).ok());
  EXPECT_EQ(Run(hub_->CommittedOffsets("router", "lanes")).value(),
            (std::map<int32_t, int64_t>{{0, 2}, {1, 0}}));
  ASSERT_TRUE(Run(hub_->CommitOffsets("router", "lanes", {{0, 3}})).ok());
  EXPECT_EQ(Run(hub_->CommittedOffsets("router", "lanes")).value(),
            (std::map<int32_t, int64_t>{{0, 3}, {1, 0}}));
  EXPECT_TRUE(Run(hub_->CommittedOffsets("other", "lanes")).value().empty());
  EXPECT_EQ(Run(hub_->CommittedOffsets("router", "nothere")).error().code(), StatusCode::kNotFound);
}

TEST_F(KafkaHubTest, AppendToAnUnknownTopicIsNotFound) {
  Result<std::vector<RecordPosition>> appended = Run(hub_->Append("nothere", {Keyed("k", "v")}));
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tarn::hub
