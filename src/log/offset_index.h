// A segment's sparse offset index: (relative offset, file position) pairs that let a read start
// near the batch it wants instead of at the segment's first byte. Format: docs/formats/log.md.
#pragma once

#include <cstdint>
#include <optional>

#include "log/sparse_index.h"

namespace tarn::log {

struct OffsetIndexEntry {
  static constexpr size_t kSize = 8;  // u32 relative offset, u32 position, big-endian

  uint32_t relative_offset = 0;  // batch base offset minus the segment's base offset
  uint32_t position = 0;         // byte position of that batch in the .log file

  static OffsetIndexEntry Decode(const uint8_t* p) {
    return {LoadBigEndian<uint32_t>(p), LoadBigEndian<uint32_t>(p + 4)};
  }
  void Encode(uint8_t* p) const {
    StoreBigEndian<uint32_t>(p, relative_offset);
    StoreBigEndian<uint32_t>(p + 4, position);
  }
  bool operator==(const OffsetIndexEntry&) const = default;
};

// Entries are appended in increasing order of both fields. An entry is a hint: readers check the
// batch header found at its position. Owned by one Segment; not thread-safe.
class OffsetIndex : public SparseIndex<OffsetIndex, OffsetIndexEntry> {
 public:
  // The last entry whose relative offset is <= `relative_offset`, or nullopt when there is none.
  std::optional<Entry> Lookup(uint32_t relative_offset) const {
    return LastWhere([&](const Entry& e) { return e.relative_offset <= relative_offset; });
  }
};

}  // namespace tarn::log
