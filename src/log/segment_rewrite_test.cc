#include "log/segment_rewrite.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "base/clock.h"
#include "log/batch_scanner.h"
#include "log/log_test_batches.h"
#include "log/log_test_util.h"
#include "log/partition_log.h"
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

constexpr int64_t kBaseTimestamp = 1'700'000'000'000;

std::vector<std::string> FileNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::ranges::sort(names);
  return names;
}

// A log of one-record batches (offset i has timestamp kBaseTimestamp + i) rolled into several
// sealed segments, and a rewrite of its first sealed segments that keeps only the batches at
// even offsets, plus the last batch of every new segment (so each ends where it must).
class SegmentRewriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.segment_bytes = 1000;  // six 161-byte batches per segment
    config_.index_interval_bytes = 300;
    config_.retention_ms = -1;
  }

  std::unique_ptr<PartitionLog> Open(const fs::path& dir) {
    auto log = PartitionLog::Open(dir, config_, clock_);
    EXPECT_TRUE(log.has_value()) << log.error().ToString();
    return log.has_value() ? std::move(*log) : nullptr;
  }

  void Fill(PartitionLog& log, int batches) {
    for (int i = 0; i < batches; ++i) {
      int64_t ts = kBaseTimestamp + log.next_offset().value();
      Bytes batch = MakeBatch(
          BatchSpec{.base_timestamp = ts, .max_timestamp = ts, .fill = static_cast<uint8_t>(i)});
      ASSERT_TRUE(log.Append(batch).has_value());
    }
    log.MarkDurable(log.next_offset());
  }

  static Bytes ReadAll(const PartitionLog& log) {
    auto bytes = log.Read(log.log_start_offset(), std::numeric_limits<int32_t>::max());
    EXPECT_TRUE(bytes.has_value()) << bytes.error().ToString();
    return bytes.value_or(Bytes{});
  }

  // Rewrites `run` into new segments, one per `group` old ones, keeping batches for which
  // `keep(base offset)` holds and the last batch of each new segment.
  static SegmentRewrite Rewrite(const fs::path& dir, std::vector<SealedSegment> run, size_t group,
                                const std::function<bool(int64_t)>& keep) {
    auto rewrite = SegmentRewrite::Begin(dir, run, 300);
    EXPECT_TRUE(rewrite.has_value()) << rewrite.error().ToString();
    for (size_t first = 0; first < run.size(); first += group) {
      size_t last = std::min(run.size(), first + group) - 1;
      EXPECT_TRUE(rewrite->StartSegment(run[first].base_offset).ok());
      for (size_t i = first; i <= last; ++i) {
        BatchScanner scanner(*run[i].file, 0, run[i].size_bytes, BatchScanner::Mode::kVerify);
        for (;;) {
          auto batch = scanner.Next();
          EXPECT_TRUE(batch.has_value());
          if (!batch.has_value() || !batch->has_value()) break;
          const BatchHeader& h = (*batch)->header;
          bool ends_group = i == last && h.last_offset() + 1 == run[last].end_offset;
          if (keep(h.base_offset) || ends_group) {
            Status appended = rewrite->Append((*batch)->bytes);
            EXPECT_TRUE(appended.ok()) << appended.ToString();
          }
        }
      }
    }
    Status finished = rewrite->Finish();
    EXPECT_TRUE(finished.ok()) << finished.ToString();
    return std::move(*rewrite);
  }

  static bool Even(int64_t offset) { return offset % 2 == 0; }

  TempDir dir_;
  LogConfig config_;
  ManualClock clock_;
};

TEST_F(SegmentRewriteTest, ReplacesSegmentsKeepingOffsetsAndServesReadsAcrossGaps) {
  auto log = Open(dir_.path());
  Fill(*log, 30);  // segments at 0, 6, 12, 18, 24 (active)
  ASSERT_EQ(log->segment_count(), 5u);
  std::vector<SealedSegment> sealed = log->SealedSegments();
  ASSERT_EQ(sealed.size(), 4u);
  EXPECT_EQ(sealed[1].base_offset, Offset(6));
  EXPECT_EQ(sealed[1].end_offset, Offset(12));
  const int64_t size_before = log->size_bytes();

  // Segments 0, 6, 12 become one; offsets 1, 3, 5, ..., 15 go, 17 stays (it ends the run).
  SegmentRewrite rewrite =
      Rewrite(dir_.path(), {sealed[0], sealed[1], sealed[2]}, 3, [](int64_t o) { return Even(o); });
  ASSERT_TRUE(log->ReplaceSegments(rewrite).ok());

  auto check = [&](const PartitionLog& l) {
    EXPECT_EQ(l.log_start_offset(), Offset(0));
    EXPECT_EQ(l.next_offset(), Offset(30));
    EXPECT_EQ(l.segment_count(), 3u);
    std::vector<int64_t> expected = {0, 2, 4, 6, 8, 10, 12, 14, 16, 17};
    for (int64_t o = 18; o < 30; ++o) expected.push_back(o);
    EXPECT_EQ(BaseOffsets(ReadAll(l)), expected);
    // A read from inside a gap starts at the next batch.
    auto from_gap = l.Read(Offset(7), 1);
    ASSERT_TRUE(from_gap.has_value());
    EXPECT_EQ(BaseOffsets(*from_gap), std::vector<int64_t>{8});
    auto before_end = l.Read(Offset(15), 1);
    ASSERT_TRUE(before_end.has_value());
    EXPECT_EQ(BaseOffsets(*before_end), std::vector<int64_t>{16});
    // Time lookups land on the first kept batch at or after the time.
    auto found = l.FindBatchByTimestamp(kBaseTimestamp + 9);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, std::optional<Offset>(Offset(10)));
    found = l.FindBatchByTimestamp(kBaseTimestamp + 15);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, std::optional<Offset>(Offset(16)));
    std::vector<int64_t> scanned;
    ASSERT_TRUE(l.ScanBatchHeaders(Offset(3), [&](const BatchHeader& h) {
                   scanned.push_back(h.base_offset);
                 }).ok());
    EXPECT_EQ(scanned.front(), 4);
    EXPECT_EQ(scanned.size(), expected.size() - 2);
  };
  check(*log);
  EXPECT_LT(log->size_bytes(), size_before);
  EXPECT_EQ(
      FileNames(dir_.path()),
      (std::vector<std::string>{"00000000000000000000.index", "00000000000000000000.log",
                                "00000000000000000000.timeindex", "00000000000000000018.index",
                                "00000000000000000018.log", "00000000000000000018.timeindex",
                                "00000000000000000024.log"}));

  // Appends go on, and a reopened log (which trusts the new indexes after its checks) agrees.
  Fill(*log, 2);
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  log = Open(dir_.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), Offset(32));
  auto all = BaseOffsets(ReadAll(*log));
  EXPECT_EQ(all.size(), 24u);
  EXPECT_EQ(all.back(), 31);
}

TEST_F(SegmentRewriteTest, ReplacingEachSegmentAloneKeepsTheirBoundaries) {
  auto log = Open(dir_.path());
  Fill(*log, 24);  // segments at 0, 6, 12, 18 (active)
  std::vector<SealedSegment> sealed = log->SealedSegments();
  SegmentRewrite rewrite = Rewrite(dir_.path(), sealed, 1, [](int64_t) { return false; });
  EXPECT_EQ(rewrite.segment_count(), 3u);
  ASSERT_TRUE(log->ReplaceSegments(rewrite).ok());
  EXPECT_EQ(BaseOffsets(ReadAll(*log)), (std::vector<int64_t>{5, 11, 17, 18, 19, 20, 21, 22, 23}));
  EXPECT_EQ(log->log_start_offset(), Offset(0));
  auto first = log->Read(Offset(0), 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(BaseOffsets(*first), std::vector<int64_t>{5});
  // Retention still deletes whole segments, oldest first.
  LogConfig config = config_;
  config.retention_bytes = 0;
  ASSERT_TRUE(log->SetConfig(config).ok());
  auto deleted = log->ApplyRetention();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, 3);
  EXPECT_EQ(log->log_start_offset(), Offset(18));
}

TEST_F(SegmentRewriteTest, SwapIsRefusedWhenTheSegmentsChanged) {
  auto log = Open(dir_.path());
  Fill(*log, 24);
  std::vector<SealedSegment> sealed = log->SealedSegments();
  const Bytes before = ReadAll(*log);
  {
    SegmentRewrite rewrite = Rewrite(dir_.path(), {sealed[0], sealed[1]}, 2, Even);
    // Retention deletes the first segment meanwhile.
    LogConfig config = config_;
    config.retention_bytes = log->size_bytes() - sealed[0].size_bytes;
    ASSERT_TRUE(log->SetConfig(config).ok());
    ASSERT_EQ(log->ApplyRetention().value_or(-1), 1);
    EXPECT_EQ(log->ReplaceSegments(rewrite).code(), StatusCode::kFailedPrecondition);
    rewrite.Abandon();
  }
  EXPECT_EQ(ReadAll(*log), Bytes(before.begin() + static_cast<std::ptrdiff_t>(sealed[0].size_bytes),
                                 before.end()));
  for (const auto& name : FileNames(dir_.path())) {
    EXPECT_FALSE(name.ends_with(".cleaned")) << name;
  }
  // A rewrite dropped without Abandon cleans up after itself too, and a closed log refuses.
  {
    std::vector<SealedSegment> now = log->SealedSegments();
    SegmentRewrite rewrite = Rewrite(dir_.path(), {now[0]}, 1, Even);
    ASSERT_TRUE(log->Close().ok());
    EXPECT_EQ(log->ReplaceSegments(rewrite).code(), StatusCode::kFailedPrecondition);
  }
  for (const auto& name : FileNames(dir_.path())) {
    EXPECT_FALSE(name.ends_with(".cleaned")) << name;
  }
}

TEST_F(SegmentRewriteTest, RefusesRewritesThatDoNotCoverTheRun) {
  auto log = Open(dir_.path());
  Fill(*log, 24);
  std::vector<SealedSegment> sealed = log->SealedSegments();
  EXPECT_EQ(SegmentRewrite::Begin(dir_.path(), {}, 300).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SegmentRewrite::Begin(dir_.path(), {sealed[0], sealed[2]}, 300).error().code(),
            StatusCode::kInvalidArgument);
  auto rewrite = SegmentRewrite::Begin(dir_.path(), {sealed[0], sealed[1]}, 300);
  ASSERT_TRUE(rewrite.has_value());
  EXPECT_EQ(rewrite->StartSegment(Offset(1)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(rewrite->StartSegment(Offset(0)).ok());
  Bytes batch = MakeBatch();
  BatchHeader::AssignOffset(batch, Offset(3));
  ASSERT_TRUE(rewrite->Append(batch).ok());
  EXPECT_EQ(rewrite->Append(batch).code(), StatusCode::kInvalidArgument);  // backwards
  BatchHeader::AssignOffset(batch, Offset(12));
  EXPECT_EQ(rewrite->Append(batch).code(), StatusCode::kInvalidArgument);  // past the run
  EXPECT_EQ(rewrite->Finish().code(), StatusCode::kInvalidArgument);       // ends at 4, not 12
}

// The swap's steps on disk, in order, for a rewrite of segments 0, 6, 12 (ending at 18) into
// one segment at 0 (docs/formats/log.md). A crash can stop after any of them.
std::vector<std::function<void(const fs::path&)>> SwapSteps() {
  auto rename = [](std::string from, std::string to) {
    return [from, to](const fs::path& dir) { fs::rename(dir / from, dir / to); };
  };
  auto remove = [](std::string name) {
    return [name](const fs::path& dir) { fs::remove(dir / name); };
  };
  const std::string z = "00000000000000000000";
  std::vector<std::function<void(const fs::path&)>> steps = {
      rename(z + ".swap.cleaned", z + ".swap"),  // the commit point
      rename(z + ".index.cleaned", z + ".index"),
      rename(z + ".timeindex.cleaned", z + ".timeindex"),
      rename(z + ".log.cleaned", z + ".log"),
  };
  for (std::string base : {"00000000000000000006", "00000000000000000012"}) {
    for (std::string ext : {".log", ".index", ".timeindex"}) steps.push_back(remove(base + ext));
  }
  steps.push_back(remove(z + ".swap"));
  return steps;
}

TEST_F(SegmentRewriteTest, RecoveryFinishesOrRollsBackASwapCutAtEveryStep) {
  TempDir scratch;
  const fs::path live = scratch.path() / "live";
  const fs::path finished = scratch.path() / "finished";
  Bytes old_bytes;
  Bytes new_bytes;
  {
    auto log = Open(live);
    Fill(*log, 24);  // segments at 0, 6, 12, 18 (active)
    old_bytes = ReadAll(*log);
    std::vector<SealedSegment> sealed = log->SealedSegments();
    SegmentRewrite rewrite = Rewrite(live, {sealed[0], sealed[1], sealed[2]}, 3, Even);
    // The directory as a crash right after Finish leaves it (the log closes cleanly, as the
    // data of an acknowledged append is on disk either way).
    CopyDir(live, finished);
    ASSERT_TRUE(log->ReplaceSegments(rewrite).ok());
    new_bytes = ReadAll(*log);
  }
  ASSERT_NE(old_bytes, new_bytes);
  EXPECT_EQ(FileNames(finished).size(), 14u);  // 4 segments, 1 active .log, 3 new + manifest

  auto steps = SwapSteps();
  for (size_t cut = 0; cut <= steps.size(); ++cut) {
    SCOPED_TRACE("crash after step " + std::to_string(cut));
    const fs::path dir = scratch.path() / ("cut" + std::to_string(cut));
    CopyDir(finished, dir);
    for (size_t i = 0; i < cut; ++i) steps[i](dir);
    {
      auto log = Open(dir);
      ASSERT_NE(log, nullptr);
      EXPECT_EQ(ReadAll(*log), cut == 0 ? old_bytes : new_bytes);
      EXPECT_EQ(log->segment_count(), cut == 0 ? 4u : 2u);
    }
    for (const auto& name : FileNames(dir)) {
      EXPECT_FALSE(name.ends_with(".cleaned") || name.ends_with(".swap")) << name;
    }
    // Recovery is done for good: a second open changes nothing.
    auto again = Open(dir);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(ReadAll(*again), cut == 0 ? old_bytes : new_bytes);
  }
}

TEST_F(SegmentRewriteTest, RecoveryRemovesAPartlyWrittenRewrite) {
  auto log = Open(dir_.path());
  Fill(*log, 24);
  const Bytes before = ReadAll(*log);
  std::vector<SealedSegment> sealed = log->SealedSegments();
  fs::path leftovers = dir_.path() / "leftovers";
  {
    auto rewrite = SegmentRewrite::Begin(dir_.path(), {sealed[0], sealed[1]}, 300);
    ASSERT_TRUE(rewrite.has_value());
    ASSERT_TRUE(rewrite->StartSegment(Offset(0)).ok());
    Bytes batch = MakeBatch();
    BatchHeader::AssignOffset(batch, Offset(2));
    ASSERT_TRUE(rewrite->Append(batch).ok());
    fs::create_directories(leftovers);
    fs::copy_file(dir_.path() / "00000000000000000000.log.cleaned",
                  leftovers / "00000000000000000000.log.cleaned");
  }
  ASSERT_TRUE(log->Close().ok());
  log.reset();
  fs::copy_file(leftovers / "00000000000000000000.log.cleaned",
                dir_.path() / "00000000000000000000.log.cleaned");
  fs::remove_all(leftovers);
  log = Open(dir_.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(ReadAll(*log), before);
  EXPECT_FALSE(fs::exists(dir_.path() / "00000000000000000000.log.cleaned"));
}

TEST_F(SegmentRewriteTest, ADamagedCommittedManifestFailsTheOpen) {
  {
    auto log = Open(dir_.path());
    Fill(*log, 12);
  }
  std::ofstream(dir_.path() / "00000000000000000000.swap") << "tarn-segment-swap 1\nrange 0 6\n";
  auto log = PartitionLog::Open(dir_.path(), config_, clock_);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tarn::log
