#include "hub/latency_histogram.h"

#include <gtest/gtest.h>

namespace tarn::bench {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.PercentileNs(50), 0);
  EXPECT_EQ(h.max_ns(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 50; ++v) h.Record(v);
  EXPECT_EQ(h.PercentileNs(50), 25);
  EXPECT_EQ(h.PercentileNs(100), 50);
  EXPECT_EQ(h.min_ns(), 1);
  EXPECT_DOUBLE_EQ(h.mean_ns(), 25.5);
}

TEST(LatencyHistogramTest, PercentilesWithinBucketPrecision) {
  LatencyHistogram h;
  // 1..100000 us in ns: p50 is 50 ms, p99 99 ms, p99.9 99.9 ms.
  for (int64_t us = 1; us <= 100'000; ++us) h.Record(us * 1000);
  for (double p : {50.0, 99.0, 99.9}) {
    double expected = p / 100 * 100'000 * 1000;
    EXPECT_NEAR(static_cast<double>(h.PercentileNs(p)), expected, expected / 64) << p;
    EXPECT_GE(static_cast<double>(h.PercentileNs(p)), expected) << p;
  }
  EXPECT_EQ(h.PercentileNs(100), 100'000'000);
  EXPECT_EQ(h.max_ns(), 100'000'000);
}

TEST(LatencyHistogramTest, ClampsOutOfRangeValues) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(int64_t{1} << 50);
  EXPECT_EQ(h.count(), 2);
  EXPECT_EQ(h.min_ns(), 0);
  EXPECT_EQ(h.PercentileNs(50), 0);
  EXPECT_EQ(h.max_ns(), int64_t{1} << 50);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  LatencyHistogram a, b, all;
  for (int64_t v = 0; v < 10'000; ++v) {
    (v % 3 ? a : b).Record(v * 997);
    all.Record(v * 997);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min_ns(), all.min_ns());
  EXPECT_EQ(a.max_ns(), all.max_ns());
  for (double p : {1.0, 50.0, 99.0, 99.99}) EXPECT_EQ(a.PercentileNs(p), all.PercentileNs(p));
}

}  // namespace
}  // namespace tarn::bench
