// LatencyHistogram: a log-linear histogram of durations in nanoseconds, HDR-style.
#pragma once

#include <array>
#include <cstdint>

namespace tarn::bench {

// Each power of two is split into 64 linear sub-buckets, so a reported percentile is within
// 1/64 (1.6 %) of the true value; min, max and mean are exact. Memory is fixed (~19 KiB) however
// many values are recorded. Values below 0 count as 0; values past ~18 minutes are clamped.
// Not thread-safe: one writer, or a lock held by the caller. Merge per-thread copies at the end.
class LatencyHistogram {
 public:
  void Record(int64_t ns);
  void Merge(const LatencyHistogram& other);
  void Clear() { *this = LatencyHistogram(); }

  int64_t count() const { return count_; }
  int64_t min_ns() const { return count_ ? min_ns_ : 0; }
  int64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_ns_) / count_ : 0.0; }
  // The smallest recorded value v such that at least `percentile` % of values are <= v, as the
  // upper edge of v's bucket (never above max). 0 when empty.
  int64_t PercentileNs(double percentile) const;

 private:
  static constexpr int kSubBucketBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;  // 64
  static constexpr int kMaxExponent = 40;                  // 2^40 ns ~ 18 minutes
  static constexpr int kBuckets = kSubBuckets * (kMaxExponent - kSubBucketBits + 2);

  static int BucketOf(int64_t ns);
  static int64_t UpperEdgeOf(int bucket);

  std::array<int64_t, kBuckets> counts_{};
  int64_t count_ = 0;
  int64_t sum_ns_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
};

}  // namespace tarn::bench
