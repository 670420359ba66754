#include "log/segment.h"

#include <gtest/gtest.h>

#include <fstream>

#include "log/log_test_util.h"

namespace tarn::log {
namespace {

using testing::BatchSpec;
using testing::MakeBatch;
using testing::TempDir;

TEST(SegmentNamesTest, TwentyDigitBaseOffsets) {
  EXPECT_EQ(Segment::LogPath("/d", Offset(42)), "/d/00000000000000000042.log");
  EXPECT_EQ(Segment::OffsetIndexPath("/d", Offset(0)), "/d/00000000000000000000.index");
  EXPECT_EQ(Segment::TimeIndexPath("/d", Offset(7)), "/d/00000000000000000007.timeindex");
  EXPECT_EQ(Segment::ParseFileName("00000000000000000042.log", ".log"), Offset(42));
  EXPECT_EQ(Segment::ParseFileName("09223372036854775807.index", ".index"), Offset(INT64_MAX));
  EXPECT_EQ(Segment::ParseFileName("99999999999999999999.log", ".log"), std::nullopt);
  EXPECT_EQ(Segment::ParseFileName("0000000000000000042.log", ".log"), std::nullopt);
  EXPECT_EQ(Segment::ParseFileName("0000000000000000004x.log", ".log"), std::nullopt);
  EXPECT_EQ(Segment::ParseFileName("00000000000000000042.index", ".log"), std::nullopt);
  EXPECT_EQ(Segment::ParseFileName("00000000000000000042.log.deleted", ".log"), std::nullopt);
}

class SegmentTest : public ::testing::Test {
 protected:
  // An active segment at base 100 holding `count` batches of 2 records, payload 50 (111 bytes).
  std::unique_ptr<Segment> Fill(int count) {
    auto segment = Segment::Create(dir_.path(), Offset(100), /*index_interval_bytes=*/250);
    EXPECT_TRUE(segment.has_value());
    for (int i = 0; i < count; ++i) {
      Bytes batch = MakeBatch({.records = 2, .payload_bytes = 50, .max_timestamp = 1000 + 10 * i});
      BatchHeader::AssignOffset(batch, (*segment)->next_offset());
      auto header = BatchHeader::Parse(batch);
      EXPECT_TRUE((*segment)->Append(batch, *header, /*now_ms=*/5).ok());
    }
    return std::move(*segment);
  }

  void ExpectLocatesEverything(const Segment& segment) {
    for (int64_t offset = 100; offset < segment.next_offset().value(); ++offset) {
      auto location = segment.Locate(Offset(offset));
      ASSERT_TRUE(location.has_value()) << location.error().ToString();
      EXPECT_EQ(location->header.base_offset, offset / 2 * 2);
      EXPECT_EQ(location->position, (offset - 100) / 2 * 111);
    }
  }

  TempDir dir_;
};

TEST_F(SegmentTest, AppendTracksOffsetsSizeAndIndexes) {
  auto segment = Fill(20);
  EXPECT_EQ(segment->next_offset(), Offset(140));
  EXPECT_EQ(segment->size_bytes(), 20 * 111);
  EXPECT_EQ(segment->max_timestamp(), 1190);
  EXPECT_EQ(segment->roll_start_ms(), 5);
  ExpectLocatesEverything(*segment);
  EXPECT_EQ(segment->Locate(Offset(99)).error().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(segment->Locate(Offset(140)).error().code(), StatusCode::kOutOfRange);

  auto read = segment->Read(Offset(103), Offset(140), 3 * 111, /*at_least_one=*/false);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->bytes.size(), 3u * 111);
  EXPECT_EQ(read->end, Offset(108));
}

TEST_F(SegmentTest, SealWritesIndexesThatOpenSealedTrusts) {
  {
    auto segment = Fill(20);
    ASSERT_TRUE(segment->Seal().ok());
    ASSERT_TRUE(segment->Seal().ok());  // idempotent
    EXPECT_TRUE(segment->sealed());
  }
  // Every 3rd batch is indexed (250 bytes apart), plus the final time entry.
  EXPECT_EQ(std::filesystem::file_size(Segment::OffsetIndexPath(dir_.path(), Offset(100))), 6u * 8);
  auto time_index = TimeIndex::Map(Segment::TimeIndexPath(dir_.path(), Offset(100)));
  EXPECT_EQ(time_index->last(), (TimeIndex::Entry{1190, 38}));

  auto segment = Segment::OpenSealed(dir_.path(), Offset(100), Offset(140), 250);
  ASSERT_TRUE(segment.has_value()) << segment.error().ToString();
  EXPECT_TRUE((*segment)->sealed());
  EXPECT_EQ((*segment)->max_timestamp(), 1190);
  ExpectLocatesEverything(**segment);
  EXPECT_EQ((*segment)->FindBatchByTimestamp(1101).value(), Offset(122));
  EXPECT_EQ((*segment)->FindBatchByTimestamp(0).value(), Offset(100));
  EXPECT_EQ((*segment)->FindBatchByTimestamp(1191).value(), std::nullopt);
}

TEST_F(SegmentTest, AWrongEntryInTheMiddleOfTheIndexOnlyCostsAScan) {
  {
    auto segment = Fill(20);
    ASSERT_TRUE(segment->Seal().ok());
  }
  const auto path = Segment::OffsetIndexPath(dir_.path(), Offset(100));
  std::fstream index(path, std::ios::in | std::ios::out | std::ios::binary);
  index.seekp(8 + 4);  // the second entry's position
  index.write("\0\0\0\x07", 4);
  index.close();
  auto segment = Segment::OpenSealed(dir_.path(), Offset(100), Offset(140), 250);
  ASSERT_TRUE(segment.has_value());
  ExpectLocatesEverything(**segment);
}

TEST_F(SegmentTest, OpenSealedChecksWhereTheSegmentEnds) {
  {
    auto segment = Fill(3);
    ASSERT_TRUE(segment->Seal().ok());
  }
  auto wrong_end = Segment::OpenSealed(dir_.path(), Offset(100), Offset(107), 250);
  ASSERT_FALSE(wrong_end.has_value());
  EXPECT_EQ(wrong_end.error().code(), StatusCode::kCorruption);
  EXPECT_NE(wrong_end.error().message().find("00000000000000000100.log"), std::string::npos);
  EXPECT_TRUE(Segment::OpenSealed(dir_.path(), Offset(100), Offset(106), 250).has_value());
}

TEST_F(SegmentTest, RecoverKeepsTheFirstBatchTimeForRolling) {
  { auto segment = Fill(2); }
  auto recovered = Segment::Recover(dir_.path(), Offset(100), 250, /*now_ms=*/50'000);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ((*recovered)->roll_start_ms(), 1000);  // the first batch's max_timestamp
  EXPECT_EQ((*recovered)->next_offset(), Offset(104));
  auto future = Segment::Recover(dir_.path(), Offset(100), 250, /*now_ms=*/500);
  EXPECT_EQ((*future)->roll_start_ms(), 500);  // not in the future
}

TEST_F(SegmentTest, DeleteRemovesAllThreeFiles) {
  auto segment = Fill(5);
  ASSERT_TRUE(segment->Seal().ok());
  ASSERT_TRUE(segment->Delete().ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

}  // namespace
}  // namespace tarn::log
