#include "hub/partitioner.h"

#include <gtest/gtest.h>

namespace tarn::hub {
namespace {

// The values Apache Kafka's own tests expect of its murmur2, as signed 32-bit integers.
TEST(Murmur2, MatchesKafkasJavaClient) {
  EXPECT_EQ(static_cast<int32_t>(Murmur2("21")), -973932308);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("foobar")), -790332482);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")),
            -58897971);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("abc")), 479470107);
}

TEST(PartitionForKey, StaysInRangeAndIsStable) {
  for (int n = 1; n <= 17; ++n) {
    for (int i = 0; i < 200; ++i) {
      std::string key = "key-" + std::to_string(i);
      int32_t p = PartitionForKey(key, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
      EXPECT_EQ(p, PartitionForKey(key, n));
    }
  }
  EXPECT_EQ(PartitionForKey("", 1), 0);
}

}  // namespace
}  // namespace tarn::hub
