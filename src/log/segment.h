// One segment of a partition's log: the record batches from base_offset() to next_offset() in
// <base>.log, with a sparse offset index (<base>.index) and time index (<base>.timeindex).
// File names and byte formats: docs/formats/log.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "log/batch_header.h"
#include "log/log_file.h"
#include "log/offset_index.h"
#include "log/time_index.h"

namespace tarn::log {

// The last segment of a log is active: it is appended to and its indexes live in memory. Sealing
// makes it immutable: the .log file is fdatasync'd and both indexes are written, synced and
// mapped. So after a crash only the last segment can have a torn tail.
// Owned by PartitionLog, whose thread calls every method. The .log file is shared with sync jobs
// on other threads through file(), which only call LogFile::Sync.
class Segment {
 public:
  // The position where a batch starts, and its header.
  struct BatchLocation {
    int64_t position = 0;
    BatchHeader header;
  };
  // Whole batches read, and the offset after the last of them (the start offset when none).
  struct Batches {
    Bytes bytes;
    Offset end;
  };

  static std::filesystem::path LogPath(const std::filesystem::path& dir, Offset base_offset);
  static std::filesystem::path OffsetIndexPath(const std::filesystem::path& dir,
                                               Offset base_offset);
  static std::filesystem::path TimeIndexPath(const std::filesystem::path& dir, Offset base_offset);
  // The base offset named by a segment file name ("00000000000000000042.log" -> 42), or nullopt
  // when `file_name` is not 20 digits followed by `extension`.
  static std::optional<Offset> ParseFileName(std::string_view file_name,
                                             std::string_view extension);

  // A new, empty active segment. An existing file of the same name is emptied. With a
  // `suffix`, every file name of the segment ends with it (".cleaned": a rewritten segment not
  // yet swapped in, see SegmentRewrite).
  static Result<std::unique_ptr<Segment>> Create(const std::filesystem::path& dir,
                                                 Offset base_offset, int32_t index_interval_bytes,
                                                 std::string_view suffix = {});
  // Opens the last segment of a log after a restart: verifies every batch (length, magic, CRC,
  // offsets contiguous from the base), cuts the file at the first bad one (a torn tail: logged,
  // truncated, synced) and rebuilds the indexes in memory. Errors only for I/O failures.
  static Result<std::unique_ptr<Segment>> Recover(const std::filesystem::path& dir,
                                                  Offset base_offset, int32_t index_interval_bytes,
                                                  int64_t now_ms);
  // Opens a sealed segment, which must end exactly at `end_offset` (the next segment's base).
  // Its batches may leave gaps in the offsets (a compacted segment), but never go backwards.
  // Trusts the index files after cheap checks (sizes, last entries, and the batches after the
  // last offset-index entry), otherwise rebuilds them from a full scan. kCorruption naming the
  // file when its batches are damaged or do not end at `end_offset`.
  static Result<std::unique_ptr<Segment>> OpenSealed(const std::filesystem::path& dir,
                                                     Offset base_offset, Offset end_offset,
                                                     int32_t index_interval_bytes);

  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // Appends one verified batch whose offsets start at next_offset() (or later, leaving a gap,
  // only when rewriting a segment for compaction), with one pwrite. On a failed
  // write the file is cut back to its previous size; if even that fails, so does every later call.
  Status Append(ByteView batch, const BatchHeader& header, int64_t now_ms);
  // Makes the segment immutable (see the class comment). Blocks on fdatasync. Idempotent.
  Status Seal();
  // Removes the segment's files (the .log first; a failure to remove an index is only logged,
  // as Open removes indexes without a .log). The segment must not be used afterwards.
  Status Delete();

  // Where the batch containing `offset` (base_offset() <= offset < next_offset()) starts; when
  // `offset` falls in a gap, the first batch after it.
  Result<BatchLocation> Locate(Offset offset) const;
  // Whole batches from the one containing `from` (or the first after it), stopping before the batch containing `end`
  // (<= next_offset()), with at most `max_bytes` in all; at least one batch when
  // `at_least_one` and there is one. One pread after the index lookup.
  Result<Batches> Read(Offset from, Offset end, int64_t max_bytes, bool at_least_one) const;
  // Base offset of the first batch whose max_timestamp >= timestamp_ms, nullopt if none here.
  Result<std::optional<Offset>> FindBatchByTimestamp(int64_t timestamp_ms) const;
  // Calls `fn` for every batch header from the one containing `from` to the end.
  Status ScanBatchHeaders(Offset from, const std::function<void(const BatchHeader&)>& fn) const;

  Offset base_offset() const { return base_offset_; }
  Offset next_offset() const { return next_offset_; }
  bool empty() const { return size_ == 0; }
  int64_t size_bytes() const { return size_; }
  // The largest batch max_timestamp in the segment; INT64_MIN when it is empty.
  int64_t max_timestamp() const { return max_timestamp_; }
  // When the segment's age for segment_ms starts: the clock at its first append (after a
  // restart, its first batch's timestamp when that is not in the future). nullopt when empty.
  std::optional<int64_t> roll_start_ms() const { return roll_start_ms_; }
  bool sealed() const { return sealed_; }
  const std::shared_ptr<LogFile>& file() const { return file_; }

  // Whether the directory entry of the .log file is known to be on disk (the directory was
  // synced after the file was created).
  bool dir_entry_durable() const { return dir_entry_durable_; }
  void set_dir_entry_durable() { dir_entry_durable_ = true; }

 private:
  Segment(std::filesystem::path dir, Offset base_offset, std::shared_ptr<LogFile> file,
          int32_t index_interval_bytes, std::string_view suffix = {});

  // Scans the whole file, verifying every batch, and rebuilds the indexes in memory. Returns
  // kCorruption at the first bad batch; the segment then holds everything before it. Offsets
  // must be contiguous unless `allow_gaps` (a sealed segment may have been compacted).
  Status Rebuild(int64_t file_size, bool allow_gaps);
  // Locate, scanning from `position`. With `exact`, the batch there must have base offset
  // `batch_offset` (an index entry); otherwise any base offset from `batch_offset` on will do.
  Result<BatchLocation> LocateFrom(int64_t position, Offset batch_offset, Offset offset,
                                   bool exact) const;
  // The trusted-index checks of OpenSealed.
  Status CheckSealedIndexes(int64_t file_size, Offset end_offset);
  // Index bookkeeping for a batch appended (or found at recovery) at `position`.
  void Track(const BatchHeader& header, int64_t position);
  Status PersistIndexes();

  const std::filesystem::path dir_;
  const Offset base_offset_;
  const std::string suffix_;  // after every file name: "" or SegmentRewrite's temporary suffix
  const std::shared_ptr<LogFile> file_;
  const int32_t index_interval_bytes_;
  Offset next_offset_;
  int64_t size_ = 0;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  int64_t bytes_since_index_entry_ = 0;
  int64_t max_timestamp_;
  uint32_t last_batch_relative_offset_ = 0;
  std::optional<int64_t> roll_start_ms_;
  bool sealed_ = false;
  bool dir_entry_durable_ = false;
  Status failure_;  // sticky: a failed write could not be undone
};

}  // namespace tarn::log
