// What the offset index and the time index share: fixed-size big-endian entries, appended in
// order, searched by binary search. Formats: docs/formats/log.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ranges>

#include "log/index_buffer.h"

namespace tarn::log {

// The base of an index class `Derived` whose entries are `EntryT`, which provides
// `static constexpr size_t kSize`, `static EntryT Decode(const uint8_t*)` and
// `void Encode(uint8_t*) const`. Owned by one Segment; not thread-safe.
template <typename Derived, typename EntryT>
class SparseIndex {
 public:
  using Entry = EntryT;
  static constexpr size_t kEntrySize = Entry::kSize;

  // Maps an index file of a sealed segment. kNotFound when missing; kCorruption when its size is
  // not a whole number of entries.
  static Result<Derived> Map(const std::filesystem::path& path) {
    Derived index;
    TARN_ASSIGN_OR_RETURN(index.buffer_, IndexBuffer::Map(path, kEntrySize));
    return index;
  }

  void Append(const Entry& entry) {
    uint8_t bytes[kEntrySize];
    entry.Encode(bytes);
    buffer_.Append(bytes);
  }
  size_t entry_count() const { return buffer_.bytes().size() / kEntrySize; }
  Entry entry(size_t i) const { return Entry::Decode(buffer_.bytes().data() + i * kEntrySize); }
  std::optional<Entry> last() const {
    if (entry_count() == 0) return std::nullopt;
    return entry(entry_count() - 1);
  }

  // Writes the index to `path`, fdatasyncs it, and maps it from then on.
  Status Persist(const std::filesystem::path& path) { return buffer_.Persist(path); }
  void Clear() { buffer_.Clear(); }

 protected:
  // The last entry for which `before` holds, `before` being true for a prefix of the entries.
  template <typename Predicate>
  std::optional<Entry> LastWhere(Predicate before) const {
    auto indexes = std::views::iota(size_t{0}, entry_count());
    auto it = std::ranges::partition_point(indexes, [&](size_t i) { return before(entry(i)); });
    if (it == indexes.begin()) return std::nullopt;
    return entry(*(it - 1));
  }

 private:
  IndexBuffer buffer_;
};

}  // namespace tarn::log
