// Replacing a run of sealed segments with rewritten ones that keep the original offsets (log
// compaction), so that a crash at any point leaves either the old segments or the new ones.
// Files, suffixes and the swap protocol: docs/formats/log.md ("Segment replacement").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "log/log_file.h"

namespace tarn::log {

class Segment;

// A sealed segment as a reader on another thread sees it. Its batches stay readable through
// `file` even after the log deletes or replaces the segment.
struct SealedSegment {
  Offset base_offset;
  Offset end_offset;  // the next segment's base offset: the segment holds the offsets below it
  int64_t size_bytes = 0;
  int64_t max_timestamp = 0;  // the largest batch max_timestamp; INT64_MIN when empty
  std::shared_ptr<LogFile> file;
};

// New segments for a run of consecutive sealed segments of one log, covering the same offsets
// [replaced().front().base_offset, replaced().back().end_offset). Written on any thread (every
// call blocks on I/O) under temporary names, then handed to the log's owner thread, where
// PartitionLog::ReplaceSegments swaps them in. The log is untouched until then; Abandon (or
// destruction before the swap) removes the temporary files. Movable; not thread-safe.
class SegmentRewrite {
 public:
  // Starts a rewrite of `replaced` (consecutive, oldest first) in the log directory `dir`.
  // kInvalidArgument when `replaced` is empty or not consecutive.
  static Result<SegmentRewrite> Begin(const std::filesystem::path& dir,
                                      std::vector<SealedSegment> replaced,
                                      int32_t index_interval_bytes);
  ~SegmentRewrite();
  SegmentRewrite(SegmentRewrite&& other) noexcept;
  SegmentRewrite& operator=(SegmentRewrite&& other) noexcept;
  SegmentRewrite(const SegmentRewrite&) = delete;
  SegmentRewrite& operator=(const SegmentRewrite&) = delete;

  // Starts the next new segment. The first starts at the run's first base offset (the log's
  // start does not move); each later one where the previous one's batches end.
  // kInvalidArgument otherwise.
  Status StartSegment(Offset base_offset);
  // Appends one whole batch, base offset already in place, to the current new segment. Its
  // offsets must come after the previous batch's (gaps are the point) and stay below the run's
  // end. kCorruption for a batch that does not verify, kInvalidArgument for misplaced offsets.
  Status Append(ByteView batch);
  // Syncs every new segment and its indexes and writes the swap manifest. The new segments
  // must cover the run exactly: each ends where the next starts, the last at the run's end,
  // none is empty (kInvalidArgument otherwise).
  Status Finish();
  // Removes every temporary file. Errors are logged: the next Open removes leftovers too.
  void Abandon();

  const std::vector<SealedSegment>& replaced() const { return replaced_; }
  int64_t bytes_written() const { return bytes_written_; }
  size_t segment_count() const { return segments_.size(); }

 private:
  friend class PartitionLog;

  SegmentRewrite(std::filesystem::path dir, std::vector<SealedSegment> replaced,
                 int32_t index_interval_bytes, std::shared_ptr<LogFile> dir_file);
  // The swap itself, on the log's owner thread after Finish: renames the manifest into place
  // (the commit point) and completes the swap as recovery would. Returns the new segments'
  // base offsets.
  Result<std::vector<Offset>> Commit();

  std::filesystem::path dir_;
  std::vector<SealedSegment> replaced_;
  int32_t index_interval_bytes_ = 0;
  std::shared_ptr<LogFile> dir_file_;
  std::vector<std::unique_ptr<Segment>> segments_;
  int64_t bytes_written_ = 0;
  bool finished_ = false;
  bool done_ = false;  // committed or abandoned: nothing left to remove
};

// Called by PartitionLog::Open before it lists the segments of `dir`: completes every swap
// whose manifest was committed (a crash during ReplaceSegments) and removes the temporary files
// of every other (a crash during a rewrite). kCorruption when a committed manifest is damaged.
Status RecoverSegmentSwaps(const std::filesystem::path& dir);

}  // namespace tarn::log
