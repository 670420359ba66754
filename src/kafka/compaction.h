// One log-compaction pass over the sealed segments of a partition: for every key only the
// record with the highest offset survives, and tombstones (null values) go once they are older
// than delete.retention.ms. Scheduling (which partition, when, on which thread) is
// kafka/log_cleaner.h's; the segment swap is log::SegmentRewrite's (docs/formats/log.md).
//
// What a rewritten batch keeps: its base offset and lastOffsetDelta (so the records keep their
// offsets and a compacted log has gaps), attributes and codec (records are recompressed with
// it), base timestamp, producer id, epoch and base sequence; each kept record keeps its
// timestamp, key, value and headers. A batch left with no record is dropped, unless it is the
// last batch of its producer in the pass (so the producer-state rebuild after a crash still
// finds the producer's epoch and last sequence, as Kafka keeps it) or the last batch of a new
// segment (so each segment still ends where the next starts); such a batch is kept empty.
// Records without a key (a topic made compacted after they were written) are kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <vector>

#include "base/result.h"
#include "log/segment_rewrite.h"

namespace tarn::kafka {

struct CompactionOptions {
  int64_t now_ms = 0;
  // A tombstone is removed once its timestamp (the batch's for LogAppendTime) is at least this
  // long ago; until then it is kept, so consumers catching up see the delete.
  int64_t delete_retention_ms = 24LL * 3600 * 1000;
  // The new segments merge consecutive old ones while their sizes before cleaning add up to at
  // most this (Kafka's grouping), so a compacted log does not keep ever more small segments.
  int64_t segment_bytes = int64_t{1} << 30;
  int32_t index_interval_bytes = 4096;
  // Read between batches: when it becomes true the pass stops with kUnavailable.
  const std::atomic<bool>* cancel = nullptr;
};

struct CompactionStats {
  int64_t bytes_read = 0;     // size of the segments cleaned
  int64_t bytes_written = 0;  // size of the segments that replace them
  int64_t records_read = 0;
  int64_t records_removed = 0;
  // When the earliest tombstone kept by this pass may be removed, for scheduling the next pass;
  // INT64_MAX when none was kept.
  int64_t next_tombstone_expiry_ms = std::numeric_limits<int64_t>::max();
};

struct Compaction {
  log::SegmentRewrite rewrite;  // finished: ready for PartitionLog::ReplaceSegments
  CompactionStats stats;
};

// Compacts `segments`: consecutive sealed segments of the log in directory `dir`, oldest first,
// starting with the log's first segment (a tombstone is removed only when nothing older can
// hide behind it), as PartitionLog::SealedSegments gives them. Blocks on I/O and CPU; runs on
// any thread, reading only the segments' files. kCorruption when a batch fails its checks.
Result<Compaction> CompactSegments(const std::filesystem::path& dir,
                                   std::vector<log::SealedSegment> segments,
                                   const CompactionOptions& options);

}  // namespace tarn::kafka
