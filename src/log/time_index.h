// A segment's sparse time index: (timestamp, relative offset) pairs where the timestamp is the
// largest batch max_timestamp seen up to and including the batch at that offset, so timestamps
// never decrease along the index. Format: docs/formats/log.md.
#pragma once

#include <cstdint>
#include <optional>

#include "log/sparse_index.h"

namespace tarn::log {

struct TimeIndexEntry {
  static constexpr size_t kSize = 12;  // i64 timestamp, u32 relative offset, big-endian

  int64_t timestamp = 0;         // largest max_timestamp of the batches up to this one
  uint32_t relative_offset = 0;  // base offset of this batch minus the segment's base offset

  static TimeIndexEntry Decode(const uint8_t* p) {
    return {LoadBigEndian<int64_t>(p), LoadBigEndian<uint32_t>(p + 8)};
  }
  void Encode(uint8_t* p) const {
    StoreBigEndian<int64_t>(p, timestamp);
    StoreBigEndian<uint32_t>(p + 8, relative_offset);
  }
  bool operator==(const TimeIndexEntry&) const = default;
};

// When a segment is sealed its last entry holds the segment's largest timestamp and the
// relative offset of its last batch. Owned by one Segment; not thread-safe.
class TimeIndex : public SparseIndex<TimeIndex, TimeIndexEntry> {
 public:
  // The last entry whose timestamp is < `timestamp_ms`: every batch up to and including its
  // offset is older than `timestamp_ms`. nullopt when there is none.
  std::optional<Entry> LastBefore(int64_t timestamp_ms) const {
    return LastWhere([&](const Entry& e) { return e.timestamp < timestamp_ms; });
  }
};

}  // namespace tarn::log
