#include "kafka/producer_state.h"

#include <gtest/gtest.h>

namespace tarn::kafka {
namespace {

log::BatchHeader Batch(int64_t pid, int16_t epoch, int32_t seq, int32_t count, int64_t offset) {
  log::BatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  h.last_offset_delta = count - 1;
  h.records_count = count;
  h.base_offset = offset;
  return h;
}

using V = ProducerStateTable::Verdict;

TEST(ProducerStateTest, InOrderBatchesAppendAndRetriesAreDuplicates) {
  ProducerStateTable t;
  EXPECT_EQ(t.Validate(Batch(7, 0, 0, 3, 0)).verdict, V::kAppend);
  t.Record(Batch(7, 0, 0, 3, 0));
  t.Record(Batch(7, 0, 3, 2, 3));
  auto retry = t.Validate(Batch(7, 0, 0, 3, -1));
  EXPECT_EQ(retry.verdict, V::kDuplicate);
  EXPECT_EQ(retry.duplicate_of, Offset(0));
  EXPECT_EQ(t.Validate(Batch(7, 0, 3, 2, -1)).duplicate_of, Offset(3));
  EXPECT_EQ(t.Validate(Batch(7, 0, 5, 1, -1)).verdict, V::kAppend);
}

TEST(ProducerStateTest, GapIsOutOfOrderAndOldEpochIsFenced) {
  ProducerStateTable t;
  t.Record(Batch(1, 2, 0, 1, 0));
  EXPECT_EQ(t.Validate(Batch(1, 2, 5, 1, 0)).verdict, V::kOutOfOrder);
  EXPECT_EQ(t.Validate(Batch(1, 1, 1, 1, 0)).verdict, V::kInvalidEpoch);
  EXPECT_EQ(t.Validate(Batch(1, 3, 4, 1, 0)).verdict, V::kOutOfOrder);
  EXPECT_EQ(t.Validate(Batch(1, 3, 0, 1, 0)).verdict, V::kAppend);
}

TEST(ProducerStateTest, OnlyTheLastFiveBatchesAreRemembered) {
  ProducerStateTable t;
  for (int i = 0; i < 7; ++i) t.Record(Batch(1, 0, i, 1, i));
  EXPECT_EQ(t.Validate(Batch(1, 0, 6, 1, 0)).verdict, V::kDuplicate);
  EXPECT_EQ(t.Validate(Batch(1, 0, 2, 1, 0)).verdict, V::kDuplicate);
  EXPECT_EQ(t.Validate(Batch(1, 0, 1, 1, 0)).verdict, V::kOutOfOrder);
}

TEST(ProducerStateTest, SequenceWrapsAtInt32Max) {
  ProducerStateTable t;
  t.Record(Batch(1, 0, 2147483646, 2, 0));  // 2147483646, 2147483647
  EXPECT_EQ(t.Validate(Batch(1, 0, 0, 1, 0)).verdict, V::kAppend);
}

TEST(ProducerStateTest, NoProducerIdAlwaysAppends) {
  ProducerStateTable t;
  EXPECT_EQ(t.Validate(Batch(-1, -1, -1, 1, 0)).verdict, V::kAppend);
  t.Record(Batch(-1, -1, -1, 1, 0));
  EXPECT_EQ(t.producer_count(), 0u);
}

TEST(ProducerStateTest, SerializeRoundTrip) {
  ProducerStateTable t;
  for (int i = 0; i < 7; ++i) t.Record(Batch(9, 4, i * 2, 2, i * 2));
  t.Record(Batch(3, 0, 0, 1, 100));
  auto back = ProducerStateTable::Deserialize(t.Serialize());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->Serialize(), t.Serialize());
  EXPECT_EQ(back->Validate(Batch(9, 4, 12, 2, 0)).duplicate_of, Offset(12));
  EXPECT_FALSE(ProducerStateTable::Deserialize("x y z\n").has_value());
}

}  // namespace
}  // namespace tarn::kafka
