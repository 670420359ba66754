// One partition's durable log: an append-only sequence of Kafka record batches, stored as a
// directory of segments. Files, formats and recovery rules: docs/formats/log.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "log/batch_header.h"
#include "log/log_file.h"
#include "log/segment_rewrite.h"

namespace tarn::log {

class Segment;

struct LogConfig {
  // Roll the active segment when the next batch would take it past this (at most 2 GiB - 1).
  int64_t segment_bytes = 1 << 30;
  // Roll the active segment when its first batch was appended longer ago than this.
  int64_t segment_ms = 7 * 24 * 3600 * 1000LL;
  // -1: unlimited. Otherwise delete the oldest segments while the log stays at least this big
  // without them (Kafka's rule: retention never takes the log below retention_bytes).
  int64_t retention_bytes = -1;
  // -1: forever. Otherwise delete segments whose newest record is older than this.
  int64_t retention_ms = 7 * 24 * 3600 * 1000LL;
  // One sparse index entry per this many bytes appended.
  int32_t index_interval_bytes = 4096;

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

// What a group commit must make durable: fdatasync every file (on any thread, in any order),
// then everything below `end` is on disk. Empty `files` when there is nothing to sync.
struct SyncPoint {
  std::vector<std::shared_ptr<LogFile>> files;
  Offset end;
};

struct AppendResult {
  Offset base_offset;
  Offset last_offset;
};

// The log of one partition, owned by the broker's partition. Offsets grow from
// log_start_offset() to next_offset(), contiguous but for gaps that compaction leaves in sealed
// segments (ReplaceSegments); batches are stored exactly as appended, with their base offset
// (and a partition leader epoch of 0) written in, unless a compaction rewrote them.
// Thread-safety: one owner thread (the broker's event loop) calls every method. Only the files
// handed out in a SyncPoint are used elsewhere, and only through LogFile::Sync.
class PartitionLog {
 public:
  // Opens the log in `dir` (created when missing; an empty directory is a new log starting at
  // offset 0), recovering after a crash: a segment swap is completed or rolled back, a torn
  // tail of the last segment is cut off, missing or damaged indexes are rebuilt, and everything
  // recovered is synced before this returns.
  // kCorruption naming the file when an older segment is damaged (nothing is dropped silently);
  // kInvalidArgument for a bad config. `clock` must outlive the log.
  static Result<std::unique_ptr<PartitionLog>> Open(const std::filesystem::path& dir,
                                                    const LogConfig& config, const Clock& clock);
  ~PartitionLog();  // closes the log if Close was not called (errors are logged)
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  // Verifies one record batch (length, magic, CRC: kCorruption), gives it the next offsets and
  // appends it to the active segment, rolling first when the config says so (a roll blocks on
  // fdatasync of the old segment). The write reaches the page cache, not the disk.
  Result<AppendResult> Append(MutableByteView batch);

  // Whole batches from the one containing `from` (or, when `from` falls in a gap left by
  // compaction, the first batch after it), in order, up to `max_bytes` in all but always
  // at least one batch when there is one; only batches wholly below `end` (default: the whole
  // log; pass durable_offset() to hide what is not yet on disk). Empty when from == next_offset().
  // kOutOfRange when from < log_start_offset() or from > next_offset().
  Result<Bytes> Read(Offset from, int32_t max_bytes,
                     std::optional<Offset> end = std::nullopt) const;
  // Base offset of the first batch whose max_timestamp >= timestamp_ms, nullopt if none.
  Result<std::optional<Offset>> FindBatchByTimestamp(int64_t timestamp_ms) const;
  // Every batch header from the batch containing `from` (or the first after it) to the end, in
  // order, reading headers only. kOutOfRange as for Read.
  Status ScanBatchHeaders(Offset from, const std::function<void(const BatchHeader&)>& fn) const;

  // Group commit: the files holding appended-but-unsynced data (and the directory when a segment
  // file is new), and the offset they cover.
  SyncPoint PendingSync();
  // Records that everything below `end` is on disk: the caller synced every file of a SyncPoint
  // whose end was >= `end`. Never moves durable_offset() backwards or past next_offset().
  void MarkDurable(Offset end);

  // Deletes whole segments (never the active one) by retention_ms and retention_bytes, oldest
  // first, advancing log_start_offset(). Returns how many it deleted.
  Result<int> ApplyRetention();
  // Every segment but the active one, oldest first, for a compaction on another thread (which
  // reads them through their files). Empty when the log is closed.
  std::vector<SealedSegment> SealedSegments() const;
  // Swaps in a finished rewrite of some sealed segments (SegmentRewrite): renames and directory
  // syncs only, a few milliseconds. kFailedPrecondition, and no change, when those segments are
  // no longer all in the log as they were (retention deleted one, the log closed): the caller
  // abandons the rewrite. kIoError when the swap failed after its commit point: the log must
  // not be used further, and the next Open completes the swap.
  Status ReplaceSegments(SegmentRewrite& rewrite);
  // kInvalidArgument (and no change) for a bad config. Takes effect from the next append.
  Status SetConfig(const LogConfig& config);

  // Seals the active segment and syncs everything (durable_offset() becomes next_offset()).
  // Every later call but the accessors fails with kFailedPrecondition.
  Status Close();

  Offset log_start_offset() const { return log_start_offset_; }
  Offset next_offset() const { return next_offset_; }  // the high watermark
  Offset durable_offset() const { return durable_offset_; }
  int64_t size_bytes() const { return size_bytes_; }
  size_t segment_count() const { return segments_.size(); }
  const LogConfig& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  PartitionLog(std::filesystem::path dir, const LogConfig& config, const Clock& clock,
               std::shared_ptr<LogFile> dir_file);

  Status Recover();
  Status CheckOpen() const;
  bool ShouldRoll(const BatchHeader& header, int64_t now_ms) const;
  Status Roll();
  // The index in segments_ of the segment holding `offset` (log_start <= offset < next).
  size_t SegmentIndexFor(Offset offset) const;
  // kOutOfRange unless log_start_offset() <= from <= next_offset().
  Status CheckReadable(Offset from) const;
  Segment& active() const { return *segments_.back(); }

  const std::filesystem::path dir_;
  LogConfig config_;
  const Clock& clock_;
  const std::shared_ptr<LogFile> dir_file_;
  std::vector<std::unique_ptr<Segment>> segments_;  // by base offset; the last one is active
  Offset log_start_offset_;
  Offset next_offset_;
  Offset durable_offset_;
  int64_t size_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace tarn::log
