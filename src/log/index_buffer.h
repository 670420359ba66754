// The bytes of one index file (docs/formats/log.md): they grow in memory while their segment is
// active, and are written to disk and mapped read-only once it is sealed.
#pragma once

#include <filesystem>

#include "base/bytes.h"
#include "base/result.h"
#include "log/log_file.h"

namespace tarn::log {

// Owned by one OffsetIndex or TimeIndex; not thread-safe. Movable.
class IndexBuffer {
 public:
  IndexBuffer() = default;
  // Maps an existing index file of `entry_size`-byte entries. kNotFound when it does not exist;
  // kCorruption when its size is not a whole number of entries.
  static Result<IndexBuffer> Map(const std::filesystem::path& path, size_t entry_size);

  // Adds bytes at the end. Only while the buffer is in memory (not mapped).
  void Append(ByteView entry);
  // Writes the bytes to `path` (replacing the file), fdatasyncs it, and from then on reads them
  // through a mapping of that file instead of memory.
  Status Persist(const std::filesystem::path& path);
  // Drops every byte and any mapping; the buffer is in memory and empty again.
  void Clear();

  ByteView bytes() const { return mapped_ ? mapping_.bytes() : ByteView(owned_); }

 private:
  Bytes owned_;
  MappedFile mapping_;
  bool mapped_ = false;
};

}  // namespace tarn::log
