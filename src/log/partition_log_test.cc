#include "log/partition_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "log/log_test_batches.h"
#include "log/log_test_util.h"
#include "log/segment.h"

namespace tarn::log {
namespace {

using testing::BaseOffsets;
using testing::BatchSpec;
using testing::CopyDir;
using testing::Headers;
using testing::MakeBatch;
using testing::TempDir;
namespace fs = std::filesystem;

Bytes ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, ByteView bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class PartitionLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<PartitionLog> Open(const LogConfig& config) {
    auto log = PartitionLog::Open(dir_.path(), config, clock_);
    EXPECT_TRUE(log.has_value()) << log.error().ToString();
    return log.has_value() ? std::move(*log) : nullptr;
  }
  std::unique_ptr<PartitionLog> Open() { return Open(config_); }

  AppendResult Append(PartitionLog& log, const BatchSpec& spec = {}) {
    Bytes batch = MakeBatch(spec);
    auto result = log.Append(batch);
    EXPECT_TRUE(result.has_value()) << result.error().ToString();
    return result.value_or(AppendResult{});
  }

  Bytes ReadAll(const PartitionLog& log) {
    auto bytes = log.Read(log.log_start_offset(), INT32_MAX);
    EXPECT_TRUE(bytes.has_value()) << bytes.error().ToString();
    return bytes.value_or(Bytes());
  }

  fs::path LogPath(int64_t base) const { return Segment::LogPath(dir_.path(), Offset(base)); }

  TempDir dir_;
  ManualClock clock_;
  LogConfig config_;
};

TEST_F(PartitionLogTest, EmptyDirectoryIsANewLogAtOffsetZero) {
  auto log = Open();
  EXPECT_EQ(log->log_start_offset(), Offset(0));
  EXPECT_EQ(log->next_offset(), Offset(0));
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_TRUE(fs::exists(LogPath(0)));
  auto bytes = log->Read(Offset(0), 1000);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_TRUE(bytes->empty());
}

TEST_F(PartitionLogTest, AppendAssignsOffsetsAndReadReturnsTheBatches) {
  auto log = Open();
  AppendResult a = Append(*log, {.records = 1});
  AppendResult b = Append(*log, {.records = 5, .fill = 1});
  AppendResult c = Append(*log, {.records = 3, .fill = 2});
  EXPECT_EQ(a.base_offset, Offset(0));
  EXPECT_EQ(a.last_offset, Offset(0));
  EXPECT_EQ(b.base_offset, Offset(1));
  EXPECT_EQ(b.last_offset, Offset(5));
  EXPECT_EQ(c.base_offset, Offset(6));
  EXPECT_EQ(c.last_offset, Offset(8));
  EXPECT_EQ(log->next_offset(), Offset(9));

  Bytes all = ReadAll(*log);
  EXPECT_EQ(BaseOffsets(all), (std::vector<int64_t>{0, 1, 6}));
  // Byte for byte what was appended, but for the base offset.
  Bytes expected = MakeBatch({.records = 5, .fill = 1});
  BatchHeader::AssignOffset(expected, Offset(1));
  size_t first_size = MakeBatch({.records = 1}).size();
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), all.begin() + first_size));
  EXPECT_EQ(log->size_bytes(), static_cast<int64_t>(all.size()));
}

TEST_F(PartitionLogTest, AppendRejectsACorruptBatchAndChangesNothing) {
  auto log = Open();
  Append(*log);
  Bytes bad = MakeBatch();
  bad.back() ^= 0xff;
  auto result = log->Append(bad);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), StatusCode::kCorruption);
  Bytes short_batch = MakeBatch();
  short_batch.pop_back();
  EXPECT_EQ(log->Append(short_batch).error().code(), StatusCode::kCorruption);
  EXPECT_EQ(log->next_offset(), Offset(1));
  EXPECT_EQ(BaseOffsets(ReadAll(*log)), (std::vector<int64_t>{0}));
}

TEST_F(PartitionLogTest, ReadFromTheMiddleOfABatchReturnsTheWholeBatch) {
  config_.index_interval_bytes = 1;  // every batch indexed
  auto log = Open();
  for (int i = 0; i < 10; ++i) Append(*log, {.records = 10});
  for (int64_t from = 0; from < 100; ++from) {
    auto bytes = log->Read(Offset(from), 1);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(BaseOffsets(*bytes), (std::vector<int64_t>{from / 10 * 10})) << from;
  }
}

TEST_F(PartitionLogTest, MaxBytesReturnsWholeBatchesAndAtLeastOne) {
  auto log = Open();
  for (int i = 0; i < 5; ++i) Append(*log, {.payload_bytes = 1000});
  const int32_t batch = static_cast<int32_t>(MakeBatch({.payload_bytes = 1000}).size());
  EXPECT_EQ(Headers(log->Read(Offset(0), 1).value()).size(), 1u);
  EXPECT_EQ(Headers(log->Read(Offset(0), 0).value()).size(), 1u);
  EXPECT_EQ(Headers(log->Read(Offset(0), -5).value()).size(), 1u);
  EXPECT_EQ(Headers(log->Read(Offset(0), 2 * batch - 1).value()).size(), 1u);
  EXPECT_EQ(Headers(log->Read(Offset(0), 2 * batch).value()).size(), 2u);
  EXPECT_EQ(Headers(log->Read(Offset(2), 2 * batch + 1).value()).size(), 2u);
  EXPECT_EQ(Headers(log->Read(Offset(4), INT32_MAX).value()).size(), 1u);
}

TEST_F(PartitionLogTest, ReadOutsideTheLogIsOutOfRange) {
  auto log = Open();
  Append(*log, {.records = 3});
  EXPECT_EQ(log->Read(Offset(4), 100).error().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(log->Read(Offset(-1), 100).error().code(), StatusCode::kOutOfRange);
  auto at_end = log->Read(Offset(3), 100);
  ASSERT_TRUE(at_end.has_value());
  EXPECT_TRUE(at_end->empty());
}

TEST_F(PartitionLogTest, ReadStopsBeforeTheEndOffset) {
  auto log = Open();
  Append(*log, {.records = 2});
  Append(*log, {.records = 2});
  Append(*log, {.records = 2});
  EXPECT_EQ(BaseOffsets(log->Read(Offset(0), INT32_MAX, Offset(4)).value()),
            (std::vector<int64_t>{0, 2}));
  // A batch that straddles `end` is not returned.
  EXPECT_EQ(BaseOffsets(log->Read(Offset(0), INT32_MAX, Offset(3)).value()),
            (std::vector<int64_t>{0}));
  EXPECT_TRUE(log->Read(Offset(0), INT32_MAX, Offset(1)).value().empty());
  EXPECT_TRUE(log->Read(Offset(4), INT32_MAX, Offset(4)).value().empty());
}

TEST_F(PartitionLogTest, RollsBySizeAndReadsAcrossSegments) {
  const int64_t batch = static_cast<int64_t>(MakeBatch().size());
  config_.segment_bytes = 3 * batch;
  auto log = Open();
  for (int i = 0; i < 10; ++i) Append(*log);
  EXPECT_EQ(log->segment_count(), 4u);  // 3 + 3 + 3 + 1
  EXPECT_TRUE(fs::exists(LogPath(3)));
  EXPECT_TRUE(fs::exists(LogPath(6)));
  EXPECT_TRUE(fs::exists(LogPath(9)));
  EXPECT_TRUE(fs::exists(Segment::OffsetIndexPath(dir_.path(), Offset(0))));
  EXPECT_EQ(fs::file_size(LogPath(0)), static_cast<uintmax_t>(3 * batch));
  EXPECT_EQ(BaseOffsets(ReadAll(*log)), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(BaseOffsets(log->Read(Offset(2), static_cast<int32_t>(3 * batch)).value()),
            (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(log->size_bytes(), 10 * batch);
}

TEST_F(PartitionLogTest, ABatchLargerThanASegmentGetsASegmentOfItsOwn) {
  config_.segment_bytes = 100;
  auto log = Open();
  Append(*log, {.payload_bytes = 500});
  Append(*log, {.payload_bytes = 500});
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(Headers(ReadAll(*log)).size(), 2u);
}

TEST_F(PartitionLogTest, RollsByAge) {
  config_.segment_ms = 60'000;
  auto log = Open();
  Append(*log);
  clock_.Advance(60'000);
  Append(*log);
  EXPECT_EQ(log->segment_count(), 1u);
  clock_.Advance(1);
  Append(*log);
  EXPECT_EQ(log->segment_count(), 2u);
  // The new segment's age starts at its first append, not at the roll.
  clock_.Advance(30'000);
  Append(*log);
  clock_.Advance(29'000);
  Append(*log);
  EXPECT_EQ(log->segment_count(), 2u);
  clock_.Advance(60'000);
  Append(*log);
  EXPECT_EQ(log->segment_count(), 3u);
}

TEST_F(PartitionLogTest, ReopenAfterCloseKeepsEverything) {
  config_.segment_bytes = 2000;
  config_.index_interval_bytes = 300;
  Bytes before;
  {
    auto log = Open();
    for (int i = 0; i < 40; ++i) Append(*log, {.records = 1 + i % 4, .fill = uint8_t(i)});
    before = ReadAll(*log);
    EXPECT_TRUE(log->Close().ok());
    Bytes batch = MakeBatch();
    EXPECT_EQ(log->Append(batch).error().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(log->Read(Offset(0), 10).error().code(), StatusCode::kFailedPrecondition);
  }
  auto log = Open();
  EXPECT_GT(log->segment_count(), 3u);
  EXPECT_EQ(ReadAll(*log), before);
  const Offset next = log->next_offset();
  EXPECT_EQ(Append(*log).base_offset, next);
  for (int64_t from = 0; from < next.value(); ++from) {
    auto bytes = log->Read(Offset(from), 1);
    ASSERT_TRUE(bytes.has_value());
    auto headers = Headers(*bytes);
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_LE(headers[0].base_offset, from);
    EXPECT_GE(headers[0].last_offset().value(), from);
  }
}

TEST_F(PartitionLogTest, ReopenAfterACrashKeepsWhatWasWritten) {
  // A crash of the process (not the machine): the files as they are while the log is open.
  config_.segment_bytes = 1000;
  TempDir copy;
  Bytes before;
  {
    auto log = Open();
    for (int i = 0; i < 30; ++i) Append(*log, {.fill = uint8_t(i)});
    before = ReadAll(*log);
    CopyDir(dir_.path(), copy.path());
  }
  auto log = PartitionLog::Open(copy.path(), config_, clock_);
  ASSERT_TRUE(log.has_value()) << log.error().ToString();
  EXPECT_EQ((*log)->next_offset(), Offset(30));
  EXPECT_EQ(ReadAll(**log), before);
}

// Builds a closed log whose last segment holds batches at offsets 4, 5, 6 (the first segment
// 0..3) and returns the position where its last batch starts.
int64_t BuildTwoSegmentLog(const fs::path& dir, const Clock& clock) {
  const int64_t batch = static_cast<int64_t>(MakeBatch({.payload_bytes = 9}).size());
  LogConfig config;
  config.segment_bytes = 4 * batch;
  auto log = PartitionLog::Open(dir, config, clock);
  for (int i = 0; i < 7; ++i) {
    Bytes b = MakeBatch({.payload_bytes = 9, .fill = uint8_t(i)});
    EXPECT_TRUE((*log)->Append(b).has_value());
  }
  EXPECT_EQ((*log)->segment_count(), 2u);
  EXPECT_TRUE((*log)->Close().ok());
  return 2 * batch;
}

TEST_F(PartitionLogTest, RecoversFromATearAtEveryByteOfTheLastBatch) {
  TempDir pristine;
  const int64_t last_start = BuildTwoSegmentLog(pristine.path(), clock_);
  const fs::path last_segment = Segment::LogPath(pristine.path(), Offset(4));
  const int64_t file_size = static_cast<int64_t>(fs::file_size(last_segment));
  Bytes expected_prefix;
  {
    auto log = PartitionLog::Open(pristine.path(), config_, clock_);
    expected_prefix = (*log)->Read(Offset(0), INT32_MAX, Offset(6)).value();
  }
  for (int64_t cut = last_start; cut < file_size; ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    CopyDir(pristine.path(), dir_.path());
    fs::resize_file(LogPath(4), static_cast<uintmax_t>(cut));
    auto log = Open();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->next_offset(), Offset(6));
    EXPECT_EQ(fs::file_size(LogPath(4)), static_cast<uintmax_t>(last_start));
    EXPECT_EQ(ReadAll(*log), expected_prefix);
    EXPECT_EQ(Append(*log).base_offset, Offset(6));
    EXPECT_EQ(log->next_offset(), Offset(7));
  }
}

TEST_F(PartitionLogTest, RecoversFromATearAnywhereInTheActiveSegment) {
  TempDir pristine;
  BuildTwoSegmentLog(pristine.path(), clock_);
  const int64_t batch = static_cast<int64_t>(MakeBatch({.payload_bytes = 9}).size());
  for (int64_t cut : {int64_t{0}, int64_t{1}, int64_t{60}, batch - 1, batch, batch + 12}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    CopyDir(pristine.path(), dir_.path());
    fs::resize_file(LogPath(4), static_cast<uintmax_t>(cut));
    auto log = Open();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->next_offset(), Offset(4 + cut / batch));
    EXPECT_EQ(Headers(ReadAll(*log)).size(), static_cast<size_t>(4 + cut / batch));
  }
}

TEST_F(PartitionLogTest, RecoversFromADamagedLastBatch) {
  TempDir pristine;
  const int64_t last_start = BuildTwoSegmentLog(pristine.path(), clock_);
  // A payload byte (CRC), the magic, the length running past the end, and the base offset
  // (outside the CRC, caught because offsets must be contiguous).
  for (int64_t at : {last_start + 65, last_start + 16, last_start + 8, last_start + 7}) {
    SCOPED_TRACE("flipped byte " + std::to_string(at));
    CopyDir(pristine.path(), dir_.path());
    Bytes file = ReadFile(LogPath(4));
    file[static_cast<size_t>(at)] ^= 0x40;
    WriteFile(LogPath(4), file);
    auto log = Open();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->next_offset(), Offset(6));
    EXPECT_EQ(Append(*log).base_offset, Offset(6));
  }
}

TEST_F(PartitionLogTest, ADamagedOlderSegmentIsAnErrorNamingTheFile) {
  BuildTwoSegmentLog(dir_.path(), clock_);
  Bytes file = ReadFile(LogPath(0));
  file[file.size() - 3] ^= 0x01;  // in the last batch of the sealed segment
  WriteFile(LogPath(0), file);
  auto log = PartitionLog::Open(dir_.path(), config_, clock_);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code(), StatusCode::kCorruption);
  EXPECT_NE(log.error().message().find(LogPath(0).string()), std::string::npos)
      << log.error().message();
  // Nothing was cut.
  EXPECT_EQ(ReadFile(LogPath(0)), file);
}

TEST_F(PartitionLogTest, AGapBetweenSegmentsIsAnError) {
  BuildTwoSegmentLog(dir_.path(), clock_);
  fs::rename(LogPath(4), LogPath(5));
  auto log = PartitionLog::Open(dir_.path(), config_, clock_);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code(), StatusCode::kCorruption);
}

TEST_F(PartitionLogTest, AnEmptyTrailingSegmentIsFine) {
  BuildTwoSegmentLog(dir_.path(), clock_);
  {
    auto log = Open();
    Append(*log);  // offset 7
  }
  // A roll that created the next file and crashed before writing to it.
  std::ofstream(LogPath(8)).close();
  auto log = Open();
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(log->next_offset(), Offset(8));
  EXPECT_EQ(Append(*log).base_offset, Offset(8));
}

TEST_F(PartitionLogTest, MissingOrDamagedIndexFilesAreRebuilt) {
  config_.segment_bytes = 4000;
  config_.index_interval_bytes = 200;
  Bytes before;
  {
    auto log = Open();
    for (int i = 0; i < 60; ++i) Append(*log, {.max_timestamp = 1000 + i, .fill = uint8_t(i)});
    before = ReadAll(*log);
  }
  const fs::path index0 = Segment::OffsetIndexPath(dir_.path(), Offset(0));
  const fs::path time0 = Segment::TimeIndexPath(dir_.path(), Offset(0));
  const Bytes good_index = ReadFile(index0);
  const Bytes good_time = ReadFile(time0);
  ASSERT_GT(good_index.size(), 16u);
  ASSERT_GT(good_time.size(), 24u);

  auto check = [&](const char* what) {
    SCOPED_TRACE(what);
    auto log = Open();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(ReadAll(*log), before);
    EXPECT_EQ(log->FindBatchByTimestamp(1010).value(), Offset(10));
    EXPECT_EQ(BaseOffsets(log->Read(Offset(17), 1).value()), (std::vector<int64_t>{17}));
    EXPECT_EQ(ReadFile(index0), good_index);
    EXPECT_EQ(ReadFile(time0), good_time);
  };
  fs::remove(index0);
  fs::remove(time0);
  check("both missing");
  fs::resize_file(index0, good_index.size() - 3);
  check("offset index cut mid-entry");
  fs::resize_file(time0, good_time.size() - 12);
  check("time index lost its last entry");
  Bytes garbage = good_index;
  StoreBigEndian<uint32_t>(garbage.data() + garbage.size() - 4, 1u << 30);
  WriteFile(index0, garbage);
  check("offset index points past the end");
  garbage = good_index;
  StoreBigEndian<uint32_t>(garbage.data() + garbage.size() - 8, 3);
  WriteFile(index0, garbage);
  check("offset index disagrees with the batches");
  WriteFile(time0, Bytes(good_time.size(), 0));
  check("time index zeroed");
}

TEST_F(PartitionLogTest, OrphanIndexFilesAreRemoved) {
  { auto log = Open(); }
  const fs::path orphan = Segment::OffsetIndexPath(dir_.path(), Offset(77));
  std::ofstream(orphan).close();
  auto log = Open();
  EXPECT_FALSE(fs::exists(orphan));
}

TEST_F(PartitionLogTest, FindBatchByTimestampAcrossSegments) {
  config_.segment_bytes = 1500;
  config_.index_interval_bytes = 150;
  auto log = Open();
  // Timestamps that mostly rise but sometimes go back, as producers' clocks do.
  std::mt19937 rng(7);
  std::vector<int64_t> max_timestamps;
  for (int i = 0; i < 120; ++i) {
    int64_t ts = 10'000 + i * 10 + static_cast<int64_t>(rng() % 50) - 25;
    max_timestamps.push_back(ts);
    Append(*log,
           {.records = 2, .payload_bytes = 40, .base_timestamp = ts - 5, .max_timestamp = ts});
  }
  ASSERT_GT(log->segment_count(), 5u);
  for (int64_t target = 9'900; target <= 11'300; target += 3) {
    std::optional<Offset> expected;
    for (size_t i = 0; i < max_timestamps.size(); ++i) {
      if (max_timestamps[i] >= target) {
        expected = Offset(static_cast<int64_t>(2 * i));
        break;
      }
    }
    auto found = log->FindBatchByTimestamp(target);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, expected) << target;
  }
  // The same after a reopen, when the sealed segments' indexes come from disk.
  log.reset();
  log = Open();
  EXPECT_EQ(log->FindBatchByTimestamp(9'000).value(), Offset(0));
  EXPECT_EQ(log->FindBatchByTimestamp(20'000).value(), std::nullopt);
  int64_t last = *std::ranges::max_element(max_timestamps);
  EXPECT_TRUE(log->FindBatchByTimestamp(last).value().has_value());
}

TEST_F(PartitionLogTest, RetentionBySizeDeletesTheOldestWholeSegments) {
  const int64_t batch = static_cast<int64_t>(MakeBatch().size());
  config_.segment_bytes = 2 * batch;
  config_.retention_ms = -1;
  auto log = Open();
  for (int i = 0; i < 9; ++i) Append(*log);  // segments 0-1, 2-3, 4-5, 6-7, 8
  ASSERT_EQ(log->segment_count(), 5u);
  EXPECT_EQ(log->ApplyRetention().value(), 0);

  LogConfig config = config_;
  config.retention_bytes = 4 * batch;  // keep at least 4 batches
  ASSERT_TRUE(log->SetConfig(config).ok());
  EXPECT_EQ(log->ApplyRetention().value(), 2);
  EXPECT_EQ(log->log_start_offset(), Offset(4));
  EXPECT_EQ(log->size_bytes(), 5 * batch);
  EXPECT_FALSE(fs::exists(LogPath(0)));
  EXPECT_FALSE(fs::exists(Segment::OffsetIndexPath(dir_.path(), Offset(2))));
  EXPECT_FALSE(fs::exists(Segment::TimeIndexPath(dir_.path(), Offset(2))));
  EXPECT_EQ(log->Read(Offset(3), 100).error().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(BaseOffsets(ReadAll(*log)), (std::vector<int64_t>{4, 5, 6, 7, 8}));

  config.retention_bytes = 0;  // never the active segment
  ASSERT_TRUE(log->SetConfig(config).ok());
  EXPECT_EQ(log->ApplyRetention().value(), 2);
  EXPECT_EQ(log->log_start_offset(), Offset(8));
  EXPECT_EQ(log->segment_count(), 1u);

  log.reset();
  log = Open(config);
  EXPECT_EQ(log->log_start_offset(), Offset(8));
  EXPECT_EQ(log->next_offset(), Offset(9));
}

TEST_F(PartitionLogTest, RetentionByTimeUsesEachSegmentsNewestRecord) {
  const int64_t batch = static_cast<int64_t>(MakeBatch().size());
  config_.segment_bytes = 2 * batch;
  config_.retention_ms = 1000;
  const int64_t now = clock_.NowMs();
  auto log = Open();
  // Segments by newest record: [now-5000, now-3000], [now-2000, now-500], [now-100].
  for (int64_t age : {5000, 3000, 2000, 500, 100}) Append(*log, {.max_timestamp = now - age});
  ASSERT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(log->ApplyRetention().value(), 1);
  EXPECT_EQ(log->log_start_offset(), Offset(2));
  clock_.Advance(10'000);  // everything is old now, but the active segment stays
  EXPECT_EQ(log->ApplyRetention().value(), 1);
  EXPECT_EQ(log->log_start_offset(), Offset(4));
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(Append(*log).base_offset, Offset(5));
}

TEST_F(PartitionLogTest, RetentionByTimeAgesSegmentsWithoutTimestampsByTheirFiles) {
  const int64_t batch = static_cast<int64_t>(MakeBatch().size());
  config_.segment_bytes = batch;
  config_.retention_ms = 60'000;
  clock_.Set(SystemClock().NowMs());
  auto log = Open();
  Append(*log, {.max_timestamp = -1});
  Append(*log, {.max_timestamp = -1});
  EXPECT_EQ(log->ApplyRetention().value(), 0);  // the file was written just now
  clock_.Advance(120'000);
  EXPECT_EQ(log->ApplyRetention().value(), 1);
  EXPECT_EQ(log->log_start_offset(), Offset(1));
}

TEST_F(PartitionLogTest, PendingSyncAndMarkDurable) {
  const int64_t batch = static_cast<int64_t>(MakeBatch().size());
  config_.segment_bytes = 2 * batch;
  auto log = Open();
  SyncPoint nothing = log->PendingSync();
  EXPECT_TRUE(nothing.files.empty());
  EXPECT_EQ(nothing.end, Offset(0));

  Append(*log);
  SyncPoint one = log->PendingSync();
  ASSERT_EQ(one.files.size(), 1u);  // the segment's entry was synced at open
  EXPECT_EQ(one.files[0]->path(), LogPath(0));
  EXPECT_EQ(one.end, Offset(1));
  EXPECT_EQ(log->durable_offset(), Offset(0));

  // The sync runs on another thread while the owner keeps appending.
  std::thread syncer([files = one.files] {
    for (const auto& file : files) EXPECT_TRUE(file->Sync().ok());
  });
  Append(*log);
  Append(*log);  // rolls: segment 2 is new, so its directory entry needs a sync too
  syncer.join();
  log->MarkDurable(one.end);
  EXPECT_EQ(log->durable_offset(), Offset(1));

  SyncPoint two = log->PendingSync();
  EXPECT_EQ(two.end, Offset(3));
  std::vector<fs::path> paths;
  for (const auto& file : two.files) paths.push_back(file->path());
  std::ranges::sort(paths);
  EXPECT_EQ(paths, (std::vector<fs::path>{dir_.path(), LogPath(0), LogPath(2)}));
  std::thread([files = two.files] {
    for (const auto& file : files) EXPECT_TRUE(file->Sync().ok());
  }).join();
  log->MarkDurable(two.end);
  EXPECT_EQ(log->durable_offset(), Offset(3));
  EXPECT_TRUE(log->PendingSync().files.empty());

  Append(*log);
  SyncPoint three = log->PendingSync();
  ASSERT_EQ(three.files.size(), 1u);  // the directory entry of segment 2 is durable now
  EXPECT_EQ(three.files[0]->path(), LogPath(2));
  log->MarkDurable(Offset(100));  // never past the end
  EXPECT_EQ(log->durable_offset(), Offset(4));
  log->MarkDurable(Offset(1));  // never backwards
  EXPECT_EQ(log->durable_offset(), Offset(4));
}

TEST_F(PartitionLogTest, SyncPointFilesOutliveRetentionAndClose) {
  const int64_t batch = static_cast<int64_t>(MakeBatch().size());
  config_.segment_bytes = batch;
  config_.retention_bytes = 0;
  auto log = Open();
  Append(*log);
  SyncPoint point = log->PendingSync();
  Append(*log);
  EXPECT_EQ(log->ApplyRetention().value(), 1);  // deletes segment 0 while a sync holds it
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(log->durable_offset(), Offset(2));
  for (const auto& file : point.files) EXPECT_TRUE(file->Sync().ok());
}

TEST_F(PartitionLogTest, ScanBatchHeaders) {
  config_.segment_bytes = 700;
  auto log = Open();
  for (int i = 0; i < 20; ++i) Append(*log, {.records = 3, .producer_id = 40 + i});
  ASSERT_GT(log->segment_count(), 3u);
  std::vector<int64_t> producers;
  std::vector<int64_t> bases;
  ASSERT_TRUE(log->ScanBatchHeaders(Offset(31),
                                    [&](const BatchHeader& h) {
                                      producers.push_back(h.producer_id);
                                      bases.push_back(h.base_offset);
                                    })
                  .ok());
  ASSERT_EQ(bases.size(), 10u);
  EXPECT_EQ(bases.front(), 30);
  EXPECT_EQ(bases.back(), 57);
  EXPECT_EQ(producers.front(), 50);
  int calls = 0;
  EXPECT_TRUE(log->ScanBatchHeaders(Offset(60), [&](const BatchHeader&) { ++calls; }).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(log->ScanBatchHeaders(Offset(61), [&](const BatchHeader&) {}).code(),
            StatusCode::kOutOfRange);
}

TEST_F(PartitionLogTest, RejectsABadConfig) {
  LogConfig bad;
  bad.segment_bytes = int64_t{1} << 32;
  auto opened = PartitionLog::Open(dir_.path(), bad, clock_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), StatusCode::kInvalidArgument);
  auto log = Open();
  bad = LogConfig();
  bad.retention_ms = -2;
  EXPECT_EQ(log->SetConfig(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log->config().retention_ms, LogConfig().retention_ms);
}

}  // namespace
}  // namespace tarn::log
