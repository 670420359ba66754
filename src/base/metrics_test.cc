#include "base/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace tarn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, RendersEachTypeInTheTextFormat) {
  MetricsRegistry registry;
  registry.AddCounter("tarn_requests_total", "Requests served.").Increment(3);
  registry.AddGauge("tarn_temperature", "Degrees.").Set(-1.5);
  Histogram& latency = registry.AddHistogram("tarn_latency_seconds", "Latency.", {0.1, 1});
  latency.Observe(0.05);
  latency.Observe(0.1);  // a bound is inclusive
  latency.Observe(2.0);

  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP tarn_requests_total Requests served.\n"
            "# TYPE tarn_requests_total counter\n"
            "tarn_requests_total 3\n"
            "# HELP tarn_temperature Degrees.\n"
            "# TYPE tarn_temperature gauge\n"
            "tarn_temperature -1.5\n"
            "# HELP tarn_latency_seconds Latency.\n"
            "# TYPE tarn_latency_seconds histogram\n"
            "tarn_latency_seconds_bucket{le=\"0.1\"} 2\n"
            "tarn_latency_seconds_bucket{le=\"1\"} 2\n"
            "tarn_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "tarn_latency_seconds_sum 2.15\n"
            "tarn_latency_seconds_count 3\n");
}

TEST(MetricsTest, LabelledChildrenRenderInLabelOrderWithEscapedValues) {
  MetricsRegistry registry;
  CounterFamily& bytes = registry.AddCounterFamily("tarn_bytes_total", "Bytes \\ in.\nPer topic.",
                                                   {"topic", "partition"});
  bytes.With({"b", "0"})->Increment(7);
  bytes.With({"a", "1"})->Increment(5);
  bytes.With({"q\"u\\o\nte", "0"})->Increment();

  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP tarn_bytes_total Bytes \\\\ in.\\nPer topic.\n"
            "# TYPE tarn_bytes_total counter\n"
            "tarn_bytes_total{topic=\"a\",partition=\"1\"} 5\n"
            "tarn_bytes_total{topic=\"b\",partition=\"0\"} 7\n"
            "tarn_bytes_total{topic=\"q\\\"u\\\\o\\nte\",partition=\"0\"} 1\n");
}

TEST(MetricsTest, HistogramChildrenPutLeAfterTheirLabels) {
  MetricsRegistry registry;
  HistogramFamily& family =
      registry.AddHistogramFamily("tarn_produce_seconds", "Produce latency.", {"api"}, {0.5});
  family.With({"produce"})->Observe(std::chrono::milliseconds(250));

  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("tarn_produce_seconds_bucket{api=\"produce\",le=\"0.5\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tarn_produce_seconds_bucket{api=\"produce\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tarn_produce_seconds_sum{api=\"produce\"} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("tarn_produce_seconds_count{api=\"produce\"} 1\n"));
}

TEST(MetricsTest, WithReturnsTheSameChildForTheSameValues) {
  MetricsRegistry registry;
  GaugeFamily& family = registry.AddGaugeFamily("tarn_lag", "Lag.", {"group"});
  std::shared_ptr<Gauge> a = family.With({"g1"});
  EXPECT_EQ(family.With({"g1"}), a);
  EXPECT_NE(family.With({"g2"}), a);
  a->Add(2);
  a->Add(-0.5);
  EXPECT_EQ(family.With({"g1"})->Value(), 1.5);
}

TEST(MetricsTest, RemovedChildStopsRenderingButStaysUsable) {
  MetricsRegistry registry;
  CounterFamily& family =
      registry.AddCounterFamily("tarn_records_total", "Records.", {"topic", "partition"});
  std::shared_ptr<Counter> kept = family.With({"orders", "0"});
  family.With({"orders", "1"})->Increment();
  family.With({"payments", "0"})->Increment();

  EXPECT_TRUE(family.Remove({"orders", "0"}));
  EXPECT_FALSE(family.Remove({"orders", "0"}));
  kept->Increment();  // a cached pointer outlives removal
  EXPECT_EQ(kept->Value(), 1);

  EXPECT_EQ(family.RemoveMatching("topic", "orders"), 1u);
  EXPECT_EQ(family.RemoveMatching("no_such_label", "orders"), 0u);
  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, Not(HasSubstr("orders")));
  EXPECT_THAT(text, HasSubstr("tarn_records_total{topic=\"payments\",partition=\"0\"} 1\n"));

  // Asking again makes a fresh child.
  EXPECT_EQ(family.With({"orders", "0"})->Value(), 0);
}

TEST(MetricsTest, CallbackGaugesAreReadAtRenderTime) {
  MetricsRegistry registry;
  std::atomic<int> connections = 2;
  registry.AddCallbackGauge("tarn_connections", "Open connections.",
                            [&] { return static_cast<double>(connections.load()); });
  GaugeFamily& sizes = registry.AddGaugeFamily("tarn_log_bytes", "Log size.", {"topic"});
  sizes.WithCallback({"orders"}, [] { return 4096.0; });

  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("tarn_connections 2\n"));
  connections = 5;
  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("tarn_connections 5\n"));
  EXPECT_THAT(text, HasSubstr("tarn_log_bytes{topic=\"orders\"} 4096\n"));
}

TEST(MetricsTest, CallbackMayUseTheRegistry) {
  // Rendering holds no lock while it runs callbacks, so a callback may register or look up.
  MetricsRegistry registry;
  GaugeFamily& family = registry.AddGaugeFamily("tarn_inner", "Inner.", {"k"});
  registry.AddCallbackGauge("tarn_outer", "Outer.", [&] { return family.With({"x"})->Value(); });
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("tarn_outer 0\n"));
}

TEST(MetricsTest, CounterKeepsIntegersExactAndAddsFractions) {
  MetricsRegistry registry;
  Counter& big = registry.AddCounter("tarn_big_total", "Big.");
  big.Increment(uint64_t{1} << 60);
  big.Increment();
  Counter& seconds = registry.AddCounter("tarn_seconds_total", "Seconds.");
  seconds.Add(0.25);
  seconds.Add(-1);  // ignored: counters only go up
  seconds.Increment();

  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("tarn_big_total 1152921504606846977\n"));
  EXPECT_THAT(text, HasSubstr("tarn_seconds_total 1.25\n"));
}

TEST(MetricsTest, SpecialValuesUsePrometheusSpelling) {
  MetricsRegistry registry;
  registry.AddGauge("tarn_up", "Up.").Set(std::numeric_limits<double>::infinity());
  registry.AddGauge("tarn_down", "Down.").Set(-std::numeric_limits<double>::infinity());
  registry.AddGauge("tarn_unknown", "Unknown.").Set(std::nan(""));
  registry.AddGauge("tarn_tiny", "Tiny.").Set(0.00005);

  std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("tarn_up +Inf\n"));
  EXPECT_THAT(text, HasSubstr("tarn_down -Inf\n"));
  EXPECT_THAT(text, HasSubstr("tarn_unknown NaN\n"));
  EXPECT_THAT(text, HasSubstr("tarn_tiny 5e-05\n"));
}

TEST(MetricsTest, LatencyBucketsSpan50MicrosecondsTo10Seconds) {
  const std::vector<double>& buckets = LatencyBuckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_EQ(buckets.front(), 0.00005);
  EXPECT_EQ(buckets.back(), 10.0);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));

  Histogram histogram(buckets);
  histogram.Observe(std::chrono::microseconds(50));
  histogram.Observe(std::chrono::seconds(30));
  histogram.Observe(std::nan(""));  // dropped
  HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.count, 2u);
  EXPECT_EQ(snapshot.cumulative_counts.front(), 1u);
  EXPECT_EQ(snapshot.cumulative_counts[buckets.size() - 1], 1u);
  EXPECT_EQ(snapshot.cumulative_counts.back(), 2u);
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  Counter& counter = registry.AddCounter("tarn_ops_total", "Ops.");
  Gauge& gauge = registry.AddGauge("tarn_level", "Level.");
  Histogram& histogram = registry.AddHistogram("tarn_op_seconds", "Op latency.");
  CounterFamily& family = registry.AddCounterFamily("tarn_by_thread_total", "Ops.", {"thread"});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::shared_ptr<Counter> mine = family.With({std::to_string(t % 2)});
      for (int i = 0; i < kPerThread; ++i) {
        counter.Increment();
        gauge.Add(1);
        histogram.Observe(0.001);
        mine->Increment();
        if (i % 1000 == 0) (void)registry.RenderPrometheus();  // renders race with updates
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(counter.Value(), kThreads * kPerThread);
  EXPECT_EQ(gauge.Value(), kThreads * kPerThread);
  EXPECT_EQ(histogram.Snapshot().count, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(family.With({"0"})->Value() + family.With({"1"})->Value(), kThreads * kPerThread);
}

TEST(MetricsDeathTest, WiringBugsFailAtRegistration) {
  MetricsRegistry registry;
  registry.AddCounter("tarn_once_total", "Once.");
  EXPECT_DEATH(registry.AddCounter("tarn_once_total", "Twice."), "tarn_once_total");
  EXPECT_DEATH(registry.AddCounter("bad-name", "Bad."), "bad-name");
  EXPECT_DEATH(registry.AddHistogramFamily("tarn_h", "H.", {"le"}), "le");
  EXPECT_DEATH(registry.AddHistogram("tarn_h", "H.", {1, 1}), "increasing");
  CounterFamily& family = registry.AddCounterFamily("tarn_labelled_total", "L.", {"topic"});
  EXPECT_DEATH(family.With({"a", "b"}), "tarn_labelled_total");
}

}  // namespace
}  // namespace tarn
