#include "hub/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tarn::bench {

// Buckets 0..63 hold the values 0..63 exactly. Above, a value with its highest bit at position
// e (e >= 6) lands in row e - 5, sub-bucket (v >> (e - 6)) - 64: 64 equal slices of [2^e, 2^e+1).
int LatencyHistogram::BucketOf(int64_t ns) {
  constexpr int64_t kMax = (int64_t{1} << (kMaxExponent + 1)) - 1;
  uint64_t v = static_cast<uint64_t>(std::clamp<int64_t>(ns, 0, kMax));
  if (v < kSubBuckets) return static_cast<int>(v);
  int exponent = std::bit_width(v) - 1;
  int shift = exponent - kSubBucketBits;
  int sub = static_cast<int>(v >> shift) - kSubBuckets;
  return kSubBuckets * (shift + 1) + sub;
}

int64_t LatencyHistogram::UpperEdgeOf(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  int shift = bucket / kSubBuckets - 1;
  int64_t sub = bucket % kSubBuckets + kSubBuckets;
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(int64_t ns) {
  ns = std::max<int64_t>(ns, 0);
  ++counts_[BucketOf(ns)];
  if (count_ == 0 || ns < min_ns_) min_ns_ = ns;
  max_ns_ = std::max(max_ns_, ns);
  sum_ns_ += ns;
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ns_ = count_ ? std::min(min_ns_, other.min_ns_) : other.min_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
  sum_ns_ += other.sum_ns_;
  count_ += other.count_;
}

int64_t LatencyHistogram::PercentileNs(double percentile) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<int64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperEdgeOf(i), max_ns_);
  }
  return max_ns_;
}

}  // namespace tarn::bench
