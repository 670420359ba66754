#include "router/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "base/metrics.h"
#include "hub/embedded_hub.h"
#include "kafka/broker.h"
#include "kafka/group/group_coordinator.h"
#include "net/run_to_completion.h"
#include "router/channel_delivery.h"
#include "router/rule_store.h"

namespace tarn::router {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Rule MakeRule(const std::string& text) { return RuleFromJson(json::parse(text)).value(); }

std::string OrderEvent(int i, const std::string& key, double total) {
  return json{{"id", "e" + std::to_string(i)}, {"type", "order-placed"}, {"timestamp", i},
              {"partitionKey", key}, {"order", {{"total", total}, {"n", i}}}}
      .dump();
}

// A broker, its group coordinator and an embedded hub over a temporary directory, reopened at
// will (a restart); the router runs on the same io_context.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("router_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    Open();
    ASSERT_TRUE(Run(hub_->EnsureTopic("bus", hub::TopicSpec{.partitions = 3, .configs = {}})).has_value());
  }
  void TearDown() override {
    Close();
    fs::remove_all(dir_);
  }

  void Open() {
    kafka::BrokerOptions options;
    options.data_dir = dir_;
    metrics_ = std::make_unique<MetricsRegistry>();
    broker_ = kafka::Broker::Open(io_, options, clock_, metrics_.get()).value();
    kafka::GroupCoordinatorOptions group_options;
    group_options.timer_tick_ms = 0;
    groups_ = kafka::GroupCoordinator::Open(io_, *broker_, group_options, clock_).value();
    hub_ = std::make_unique<hub::EmbeddedHub>(*broker_, groups_.get(), clock_);
    RouterOptions router_options;
    router_options.poll_wait = milliseconds(20);
    router_options.retry_pause = milliseconds(20);
    router_ = std::make_unique<Router>(
        io_, *hub_,
        [this](const Target& target) -> std::unique_ptr<Delivery> {
          return std::make_unique<ChannelDelivery>(*hub_, std::get<ChannelTarget>(target.spec));
        },
        clock_, *metrics_, router_options);
  }

  void Close() {
    router_->Stop();
    io_.restart();
    io_.run_for(milliseconds(200));  // let the lanes' coroutines end
    router_.reset();
    hub_.reset();
    groups_->Stop();
    groups_.reset();
    ASSERT_TRUE(broker_->Close().ok());
    broker_.reset();
  }

  template <typename T>
  T Run(Awaitable<T> task) {
    return net::RunToCompletion(io_, std::move(task));
  }

  void Publish(std::vector<std::pair<std::string, std::string>> keyed_values) {
    std::vector<hub::OutgoingRecord> records;
    for (auto& [key, value] : keyed_values) {
      hub::OutgoingRecord record;
      record.key = key;
      record.value = value;
      record.headers = {{"ce_type", "order-placed"}};
      records.push_back(std::move(record));
    }
    ASSERT_TRUE(Run(hub_->Append("bus", std::move(records))).has_value());
  }

  // Every record of `topic`, read until there are `count` (or 10 s pass).
  std::vector<hub::StoredRecord> WaitForRecords(const std::string& topic, size_t count) {
    std::vector<hub::StoredRecord> all;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(milliseconds(20));
      Result<int32_t> partitions = Run(hub_->PartitionCount(topic));
      if (!partitions) continue;
      std::map<int32_t, int64_t> from;
      for (int32_t p = 0; p < *partitions; ++p) from[p] = 0;
      all = Run(hub_->Read(topic, from, 100'000, milliseconds(0))).value();
      if (all.size() >= count) break;
    }
    return all;
  }

  fs::path dir_;
  IoContext io_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<kafka::Broker> broker_;
  std::unique_ptr<kafka::GroupCoordinator> groups_;
  std::unique_ptr<hub::EmbeddedHub> hub_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, MatchingEventsReachTheirChannelInKeyOrder) {
  std::map<std::string, Rule> rules;
  rules.emplace("big", MakeRule(R"({"name":"big","pattern":{"type":["order-placed"],
      "order":{"total":[{"numeric":[">",100]}]}},"targets":[{"channel":"big-orders"}]})"));
  router_->SetRules(rules);
  io_.restart();
  io_.run_for(milliseconds(100));  // the lane starts at the end of the bus

  std::vector<std::pair<std::string, std::string>> events;
  for (int i = 0; i < 300; ++i) {
    events.emplace_back("k" + std::to_string(i % 7), OrderEvent(i, "k" + std::to_string(i % 7), i));
  }
  Publish(events);
  std::vector<hub::StoredRecord> routed = WaitForRecords("big-orders", 199);
  ASSERT_EQ(routed.size(), 199u);  // totals 101..299
  std::map<std::string, int> last_n;
  for (const hub::StoredRecord& record : routed) {
    json event = json::parse(*record.value);
    EXPECT_GT(event["order"]["total"].get<double>(), 100);
    int n = event["order"]["n"];
    EXPECT_GT(n, last_n[*record.key]) << "out of order for key " << *record.key;
    last_n[*record.key] = n;
    EXPECT_EQ(record.headers.at(0).name, "ce_type");
  }
  auto lanes = router_->Lanes();
  ASSERT_EQ(lanes.size(), 1u);
  EXPECT_EQ(lanes[0].destination, "channel:big-orders");
  EXPECT_EQ(lanes[0].delivered, 199u);
  EXPECT_THAT(metrics_->RenderPrometheus(), HasSubstr("tarn_router_matched_total{rule=\"big\"} 199"));
}

TEST_F(RouterTest, AFieldTargetSendsOneFieldAndAnEventWithoutItIsAFault) {
  std::map<std::string, Rule> rules;
  rules.emplace("orders", MakeRule(R"({"name":"orders","pattern":{"type":["order-placed"]},
      "targets":[{"id":"only-order","channel":"order-bodies","field":"order"}]})"));
  router_->SetRules(rules);
  io_.restart();
  io_.run_for(milliseconds(100));
  Publish({{"a", OrderEvent(1, "a", 5)},
           {"a", R"({"id":"x","type":"order-placed","timestamp":1,"partitionKey":"a"})"},
           {"a", OrderEvent(3, "a", 7)}});
  std::vector<hub::StoredRecord> bodies = WaitForRecords("order-bodies", 2);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(json::parse(*bodies[0].value), json::parse(R"({"total":5.0,"n":1})"));
  std::vector<hub::StoredRecord> faults = WaitForRecords("faults", 1);
  ASSERT_EQ(faults.size(), 1u);
  json fault = json::parse(*faults[0].value);
  EXPECT_EQ(fault["type"], "fault");
  EXPECT_EQ(fault["err"]["name"], "FieldMissing");
  EXPECT_EQ(fault["event"]["id"], "x");
  EXPECT_EQ(fault["rule"], "orders");
  EXPECT_EQ(fault["target"]["id"], "only-order");
  EXPECT_EQ(fault["target"]["destination"], "channel:order-bodies#order");
  EXPECT_EQ(*faults[0].key, "a");
}

TEST_F(RouterTest, ARestartResumesFromTheCommittedPositionWithoutLossOrRepeats) {
  std::map<std::string, Rule> rules;
  rules.emplace("all", MakeRule(R"({"name":"all","pattern":{"type":[{"prefix":"order-"}]},
      "targets":[{"channel":"copy"}]})"));
  router_->SetRules(rules);
  io_.restart();
  io_.run_for(milliseconds(100));
  Publish({{"a", OrderEvent(1, "a", 1)}, {"b", OrderEvent(2, "b", 2)}});
  ASSERT_EQ(WaitForRecords("copy", 2).size(), 2u);

  Close();
  Open();  // published while the router is down:
  Publish({{"a", OrderEvent(3, "a", 3)}, {"c", OrderEvent(4, "c", 4)}});
  router_->SetRules(rules);
  std::vector<hub::StoredRecord> copied = WaitForRecords("copy", 4);
  io_.restart();
  io_.run_for(milliseconds(200));
  copied = WaitForRecords("copy", 4);
  std::vector<std::string> ids;
  for (const auto& record : copied) ids.push_back(json::parse(*record.value)["id"]);
  std::sort(ids.begin(), ids.end());
  EXPECT_THAT(ids, ElementsAre("e1", "e2", "e3", "e4"));
}

TEST_F(RouterTest, RulesShareADestinationLaneAndRemovingTheLastStopsIt) {
  std::map<std::string, Rule> rules;
  rules.emplace("cheap", MakeRule(R"({"name":"cheap","pattern":{"order":{"total":[{"numeric":["<",10]}]}},
      "targets":[{"channel":"watch"}]})"));
  rules.emplace("dear", MakeRule(R"({"name":"dear","pattern":{"order":{"total":[{"numeric":[">",1000]}]}},
      "targets":[{"channel":"watch"}]})"));
  rules.emplace("off", MakeRule(R"({"name":"off","enabled":false,"pattern":{"type":["order-placed"]},
      "targets":[{"channel":"never"}]})"));
  router_->SetRules(rules);
  ASSERT_EQ(router_->Lanes().size(), 1u);
  EXPECT_THAT(router_->Lanes()[0].rules, ElementsAre("cheap", "dear"));
  EXPECT_THAT(router_->Test(json::parse(OrderEvent(1, "a", 5000))), ElementsAre("dear"));
  EXPECT_TRUE(router_->Test(json::parse(OrderEvent(1, "a", 50))).empty());
  io_.restart();
  io_.run_for(milliseconds(100));
  Publish({{"a", OrderEvent(1, "a", 5)}, {"a", OrderEvent(2, "a", 50)}, {"a", OrderEvent(3, "a", 5000)}});
  EXPECT_EQ(WaitForRecords("watch", 2).size(), 2u);
  EXPECT_EQ(Run(hub_->PartitionCount("never")).error().code(), StatusCode::kNotFound);

  router_->SetRules({});
  EXPECT_TRUE(router_->Lanes().empty());
}

TEST(RuleTest, ParsesValidatesAndRoundTrips) {
  auto rule = RuleFromJson(json::parse(R"({"name":"r1","description":"d","pattern":{"type":["a-b"]},
      "targets":[{"id":"c","channel":"ch","field":"order"},
                 {"webhook":{"url":"http://h:1/x","batch-size":5,"max-age-ms":1000}},
                 {"bridge":"other:9092"}]})"));
  ASSERT_TRUE(rule.has_value()) << rule.error().ToString();
  EXPECT_EQ(rule->targets[1].id, "webhook:http://h:1/x");
  EXPECT_EQ(rule->targets[2].Destination(), "bridge:other:9092/bus");
  auto again = RuleFromJson(RuleToJson(*rule));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(RuleToJson(*again), RuleToJson(*rule));

  struct Case {
    const char* json;
    const char* says;
  };
  for (const Case& bad : std::initializer_list<Case>{
           {R"({"pattern":{"type":["a-b"]},"targets":[{"channel":"c"}]})", "name"},
           {R"({"name":"has space","pattern":{"type":["a-b"]},"targets":[{"channel":"c"}]})", "name"},
           {R"({"name":"r","pattern":{"a":"notalist"},"targets":[{"channel":"c"}]})", "pattern"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[]})", "targets"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[{"channel":"c","webhook":"http://x"}]})", "exactly one"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[{"channel":"bad/topic"}]})", "channel"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[{"webhook":"ftp://x"}]})", "http://"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[{"bridge":"nohost"}]})", "HOST:PORT"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[{"id":"x","channel":"a"},{"id":"x","channel":"b"}]})", "repeated"},
           {R"({"name":"r","pattern":{"type":["a-b"]},"targets":[{"channel":"c"}],"colour":"red"})", "unknown key"},
       }) {
    auto refused = RuleFromJson(json::parse(bad.json));
    ASSERT_FALSE(refused.has_value()) << bad.json;
    EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.error().message(), HasSubstr(bad.says)) << bad.json;
  }
}

TEST_F(RouterTest, TheRuleStoreKeepsRulesInItsTopicAcrossRestarts) {
  {
    RuleStore store(io_, *hub_);
    ASSERT_TRUE(Run(store.Load()).ok());
    int changes = 0;
    store.OnChange([&] { ++changes; });
    EXPECT_TRUE(Run(store.Put(MakeRule(R"({"name":"a","pattern":{"type":["a-b"]},"targets":[{"channel":"x"}]})"))).value());
    EXPECT_TRUE(Run(store.Put(MakeRule(R"({"name":"b","pattern":{"type":["a-b"]},"targets":[{"channel":"y"}]})"))).value());
    EXPECT_FALSE(Run(store.Put(MakeRule(R"({"name":"a","pattern":{"type":["z-y"]},"targets":[{"channel":"x"}]})"))).value());
    ASSERT_TRUE(Run(store.Delete("b")).ok());
    EXPECT_EQ(Run(store.Delete("b")).code(), StatusCode::kNotFound);
    EXPECT_EQ(changes, 4);
    std::vector<Rule> many;
    for (int i = 0; i < 5000; ++i) {
      many.push_back(MakeRule(R"({"name":"many-)" + std::to_string(i) +
                              R"(","pattern":{"type":["a-b"]},"targets":[{"channel":"x"}]})"));
    }
    ASSERT_TRUE(Run(store.PutAll(std::move(many))).ok());
    EXPECT_EQ(changes, 5);
    EXPECT_EQ(store.rules().size(), 5001u);
  }
  Close();
  Open();
  RuleStore store(io_, *hub_);
  ASSERT_TRUE(Run(store.Load()).ok());
  ASSERT_EQ(store.rules().size(), 5001u);
  EXPECT_EQ(store.Find("a")->pattern_json, json::parse(R"({"type":["z-y"]})"));
}

}  // namespace
}  // namespace tarn::router
