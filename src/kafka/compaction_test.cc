#include "kafka/compaction.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "kafka/producer_state.h"
#include "kafka/record_batch.h"
#include "kafka/record_batch_builder.h"
#include "log/partition_log.h"

namespace tarn::kafka {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kTime = 1'700'000'000'000;
constexpr int64_t kHour = 3600 * 1000;

using Headers = std::vector<std::pair<std::string, std::optional<std::string>>>;

// One record as a test writes and reads it.
struct Rec {
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  int64_t timestamp = kTime;
  Headers headers;
  int64_t offset = -1;  // as read back
  bool operator==(const Rec&) const = default;
};

std::optional<ByteView> View(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return AsBytes(*s);
}
std::optional<std::string> Text(std::optional<ByteView> b) {
  if (!b) return std::nullopt;
  return std::string(AsString(*b));
}

class CompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("compaction_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    config_.segment_bytes = 1024;
    config_.retention_ms = -1;
    config_.index_interval_bytes = 256;
    auto log = log::PartitionLog::Open(dir_, config_, clock_);
    ASSERT_TRUE(log.has_value()) << log.error().ToString();
    log_ = std::move(*log);
    options_.segment_bytes = 1 << 20;
    options_.index_interval_bytes = 256;
  }
  void TearDown() override {
    log_.reset();
    fs::remove_all(dir_);
  }

  // Appends one batch of `records`; returns the offset of its first record.
  int64_t Append(const std::vector<Rec>& records, Compression codec = Compression::kNone,
                 int64_t producer_id = -1, int32_t sequence = -1) {
    RecordBatchBuilder builder(codec);
    if (producer_id >= 0) builder.SetProducer(ProducerId(producer_id), ProducerEpoch(0), sequence);
    for (const Rec& r : records) {
      std::vector<RecordHeader> headers;
      for (const auto& [k, v] : r.headers) headers.push_back({k, View(v)});
      builder.Add(View(r.key), View(r.value), r.timestamp, headers);
    }
    Bytes batch = builder.Build().value();
    auto appended = log_->Append(batch);
    EXPECT_TRUE(appended.has_value()) << appended.error().ToString();
    log_->MarkDurable(log_->next_offset());
    return appended.has_value() ? appended->base_offset.value() : -1;
  }

  // Every record of the log, in order, with its offset.
  std::vector<Rec> ReadAll() const {
    std::vector<Rec> out;
    auto bytes = log_->Read(log_->log_start_offset(), std::numeric_limits<int32_t>::max());
    EXPECT_TRUE(bytes.has_value()) << bytes.error().ToString();
    auto batches = DecodeBatches(*bytes, 1 << 30);
    EXPECT_TRUE(batches.has_value()) << batches.error().ToString();
    for (const DecodedBatch& batch : *batches) {
      for (const Record& r : batch.records()) {
        Rec rec{Text(r.key), Text(r.value), r.timestamp, {}, r.offset.value()};
        for (const RecordHeader& h : r.headers) rec.headers.emplace_back(h.key, Text(h.value));
        out.push_back(rec);
      }
    }
    return out;
  }

  Bytes ReadBytes() const {
    return log_->Read(log_->log_start_offset(), std::numeric_limits<int32_t>::max()).value();
  }

  // Compacts every sealed segment and swaps the result in.
  CompactionStats Compact() {
    options_.now_ms = clock_.NowMs();
    auto compaction = CompactSegments(dir_, log_->SealedSegments(), options_);
    EXPECT_TRUE(compaction.has_value()) << compaction.error().ToString();
    if (!compaction.has_value()) return {};
    Status replaced = log_->ReplaceSegments(compaction->rewrite);
    EXPECT_TRUE(replaced.ok()) << replaced.ToString();
    return compaction->stats;
  }

  // What compaction should leave of `written` (each with its offset) when every record below
  // `cleanable_end` was cleanable: the latest record per key there, everything after it.
  static std::vector<Rec> Expected(const std::vector<Rec>& written, int64_t cleanable_end,
                                   bool drop_tombstones) {
    std::map<std::string, int64_t> latest;
    for (const Rec& r : written) {
      if (r.offset < cleanable_end && r.key) latest[*r.key] = r.offset;
    }
    std::vector<Rec> out;
    for (const Rec& r : written) {
      bool keep = r.offset >= cleanable_end || !r.key ||
                  (latest[*r.key] == r.offset && (r.value || !drop_tombstones));
      if (keep) out.push_back(r);
    }
    return out;
  }

  // Writes `batches` batches of `per_batch` records over `keys` keys, values "v<offset>".
  std::vector<Rec> WriteMany(int batches, int per_batch, int keys,
                             Compression codec = Compression::kNone) {
    std::vector<Rec> written;
    for (int b = 0; b < batches; ++b) {
      std::vector<Rec> batch;
      int64_t next = log_->next_offset().value();
      for (int i = 0; i < per_batch; ++i) {
        int64_t offset = next + i;
        batch.push_back(Rec{"key-" + std::to_string(offset % keys),
                            "v" + std::to_string(offset),
                            kTime + offset,
                            {{"h", "x" + std::to_string(offset)}},
                            offset});
      }
      Append(batch, codec);
      written.insert(written.end(), batch.begin(), batch.end());
    }
    return written;
  }

  // The base offset of the active segment: everything below it is cleanable.
  int64_t ActiveBase() const {
    auto sealed = log_->SealedSegments();
    return sealed.empty() ? log_->log_start_offset().value() : sealed.back().end_offset.value();
  }

  fs::path dir_;
  ManualClock clock_{kTime + kHour};
  log::LogConfig config_;
  CompactionOptions options_;
  std::unique_ptr<log::PartitionLog> log_;
};

TEST_F(CompactionTest, KeepsTheLatestRecordPerKeyWithItsOffsetHeadersAndTimestamp) {
  std::vector<Rec> written = WriteMany(40, 3, 5);
  ASSERT_GT(log_->segment_count(), 4u);
  const int64_t active = ActiveBase();
  const Offset next = log_->next_offset();
  CompactionStats stats = Compact();

  std::vector<Rec> expected = Expected(written, active, true);
  EXPECT_EQ(ReadAll(), expected);
  EXPECT_EQ(log_->log_start_offset(), Offset(0));
  EXPECT_EQ(log_->next_offset(), next);
  EXPECT_EQ(stats.records_read, active);
  EXPECT_EQ(stats.records_removed, static_cast<int64_t>(written.size() - expected.size()));
  EXPECT_GT(stats.bytes_read, stats.bytes_written);
  // The cleaned segments merged into one; the active one is still there.
  EXPECT_EQ(log_->segment_count(), 2u);
  // Appends go on after the gaps.
  EXPECT_EQ(Append({{"key-0", "after"}}), next.value());
}

TEST_F(CompactionTest, LeavesTheActiveSegmentAlone) {
  std::vector<Rec> written = WriteMany(40, 3, 2);
  const int64_t active = ActiveBase();
  auto tail_before = log_->Read(Offset(active), std::numeric_limits<int32_t>::max()).value();
  Compact();
  auto tail_after = log_->Read(Offset(active), std::numeric_limits<int32_t>::max()).value();
  EXPECT_EQ(tail_after, tail_before);
  // Superseded values of the active segment are all still there.
  std::vector<Rec> all = ReadAll();
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [&](const Rec& r) { return r.offset >= active; }),
            static_cast<int64_t>(written.size()) - active);
}

TEST_F(CompactionTest, GroupsSegmentsUpToSegmentBytes) {
  WriteMany(40, 3, 1000);  // every key distinct: nothing to remove
  const size_t segments = log_->segment_count();
  const Bytes before = ReadBytes();
  options_.segment_bytes = config_.segment_bytes;
  CompactionStats stats = Compact();
  EXPECT_EQ(stats.records_removed, 0);
  EXPECT_EQ(log_->segment_count(), segments);  // none fits beside another
  EXPECT_EQ(ReadBytes(), before);
}

class CompactionCodecTest : public CompactionTest,
                            public ::testing::WithParamInterface<Compression> {};

TEST_P(CompactionCodecTest, RewritesCompressedBatchesWithTheirCodec) {
  std::vector<Rec> written = WriteMany(30, 6, 4, GetParam());
  const int64_t active = ActiveBase();
  Compact();
  EXPECT_EQ(ReadAll(), Expected(written, active, true));
  auto batches = DecodeBatches(ReadBytes(), 1 << 30).value();
  for (const DecodedBatch& batch : batches) {
    if (batch.header().records_count > 0) EXPECT_EQ(batch.compression(), GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(EveryCodec, CompactionCodecTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kSnappy, Compression::kLz4,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST_F(CompactionTest, DropsTombstonesOnlyAfterDeleteRetention) {
  options_.delete_retention_ms = kHour;
  // Values for a, b, c, then tombstones for a and b written at the clock's time.
  const int64_t now = clock_.NowMs();
  std::vector<Rec> written;
  for (int i = 0; i < 30; ++i) {
    std::string key = std::string(1, static_cast<char>('a' + i % 3));
    written.push_back({key,
                       "v" + std::to_string(i),
                       now - 2 * kHour,
                       {},
                       Append({{key, "v" + std::to_string(i), now - 2 * kHour}})});
  }
  written.push_back({"a", std::nullopt, now, {}, Append({{"a", std::nullopt, now}})});
  written.push_back({"b",
                     std::nullopt,
                     now - 30 * 60 * 1000,
                     {},
                     Append({{"b", std::nullopt, now - 30 * 60 * 1000}})});
  const int64_t last_tombstone = written.back().offset;
  while (ActiveBase() <= last_tombstone) {
    written.push_back({"filler", "f", now, {}, Append({{"filler", "f", now}})});
  }
  const int64_t active = ActiveBase();

  CompactionStats first = Compact();
  EXPECT_EQ(ReadAll(), Expected(written, active, false));  // both tombstones kept
  EXPECT_EQ(first.next_tombstone_expiry_ms, now - 30 * 60 * 1000 + kHour);

  // Half an hour later b's tombstone is an hour old: it goes, a's stays.
  clock_.Advance(30 * 60 * 1000);
  CompactionStats second = Compact();
  std::vector<Rec> expected = Expected(written, active, false);
  std::erase_if(expected, [](const Rec& r) { return r.key == "b"; });
  EXPECT_EQ(ReadAll(), expected);
  EXPECT_EQ(second.records_removed, 1);
  EXPECT_EQ(second.next_tombstone_expiry_ms, now + kHour);

  clock_.Advance(30 * 60 * 1000);
  Compact();
  EXPECT_EQ(ReadAll(), Expected(written, active, true));
}

TEST_F(CompactionTest, CleaningTwiceChangesNothing) {
  options_.delete_retention_ms = kHour;
  std::vector<Rec> written = WriteMany(40, 3, 6, Compression::kLz4);
  Append({{"key-1", std::nullopt, clock_.NowMs()}});
  WriteMany(10, 3, 40);
  Compact();
  const Bytes once = ReadBytes();
  CompactionStats again = Compact();
  EXPECT_EQ(again.records_removed, 0);
  EXPECT_EQ(ReadBytes(), once);
  // And the result survives a restart.
  ASSERT_TRUE(log_->Close().ok());
  log_.reset();
  auto log = log::PartitionLog::Open(dir_, config_, clock_);
  ASSERT_TRUE(log.has_value()) << log.error().ToString();
  log_ = std::move(*log);
  EXPECT_EQ(ReadBytes(), once);
}

TEST_F(CompactionTest, KeepsEachProducersLastBatchSoItsStateRebuilds) {
  // Producer 7 writes the same key over and over; producer 8 once, early.
  Append({{"p8", "only"}}, Compression::kNone, 8, 0);
  int32_t sequence = 0;
  for (int i = 0; i < 60; ++i) {
    Append({{"same", "v" + std::to_string(i)}}, Compression::kNone, 7, sequence++);
  }
  // A write without a producer supersedes producer 7's last record: its batch is left empty.
  Append({{"same", "overwritten"}});
  const int64_t last = log_->next_offset().value();
  while (ActiveBase() <= last) Append({{"filler", "f"}});
  auto state = [&] {
    ProducerStateTable table;
    EXPECT_TRUE(log_->ScanBatchHeaders(log_->log_start_offset(),
                                       [&](const log::BatchHeader& h) { table.Record(h); })
                    .ok());
    return table;
  };
  const std::string before = state().Serialize();
  Compact();
  ProducerStateTable after = state();
  // The window of recent batches is shorter, but epoch and last sequence are intact.
  log::BatchHeader next;
  next.producer_id = 7;
  next.producer_epoch = 0;
  next.base_sequence = sequence;
  EXPECT_EQ(after.Validate(next).verdict, ProducerStateTable::Verdict::kAppend);
  next.base_sequence = sequence + 1;
  EXPECT_EQ(after.Validate(next).verdict, ProducerStateTable::Verdict::kOutOfOrder);
  next.base_sequence = sequence - 1;  // a retry of the last batch
  EXPECT_EQ(after.Validate(next).verdict, ProducerStateTable::Verdict::kDuplicate);
  next.producer_id = 8;
  next.base_sequence = 1;
  EXPECT_EQ(after.Validate(next).verdict, ProducerStateTable::Verdict::kAppend);
  EXPECT_EQ(after.producer_count(), 2u);
  EXPECT_NE(after.Serialize(), before);
  auto batches = DecodeBatches(ReadBytes(), 1 << 30).value();
  EXPECT_EQ(std::count_if(batches.begin(), batches.end(),
                          [](const DecodedBatch& b) {
                            return b.header().producer_id == 7 && b.records().empty();
                          }),
            1);
}

TEST_F(CompactionTest, StopsWhenCancelled) {
  WriteMany(40, 3, 5);
  std::atomic<bool> cancel{true};
  options_.cancel = &cancel;
  auto compaction = CompactSegments(dir_, log_->SealedSegments(), options_);
  ASSERT_FALSE(compaction.has_value());
  EXPECT_EQ(compaction.error().code(), StatusCode::kUnavailable);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(entry.path().string().ends_with(".cleaned")) << entry.path();
  }
}

}  // namespace
}  // namespace tarn::kafka
