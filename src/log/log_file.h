// Files under the log: an owned file descriptor with positioned reads and writes, and a
// read-only memory mapping for immutable index files. Every failure is a Status naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "base/bytes.h"
#include "base/result.h"

namespace tarn::log {

// An open file (or directory) and its descriptor, closed when the last owner lets go.
// Segments own their file through a shared_ptr so a group-commit job on another thread can keep
// it open while the log moves on (rolls, retention deletes the path).
// Thread-safety: Sync may run on any thread at any time. WriteAt and Truncate are called by the
// one owner thread. ReadAt and Size are safe on any thread (a compaction reads sealed segments,
// which nobody writes, on its own thread).
class LogFile {
 public:
  // Opens `path` read-write; creates it when `create` is true (and truncates it if `truncate`).
  // kNotFound when the file is missing and `create` is false.
  static Result<std::shared_ptr<LogFile>> Open(const std::filesystem::path& path, bool create,
                                               bool truncate = false);
  // Opens a directory so that Sync makes its entries (created and removed files) durable.
  static Result<std::shared_ptr<LogFile>> OpenDirectory(const std::filesystem::path& path);

  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Writes all of `data` at `position` (retrying short writes and EINTR).
  Status WriteAt(ByteView data, int64_t position);
  // Reads up to out.size() bytes at `position`; fewer only at end of file. Returns the count.
  Result<size_t> ReadAt(MutableByteView out, int64_t position) const;
  // Reads exactly out.size() bytes; kCorruption when the file ends first.
  Status ReadExactlyAt(MutableByteView out, int64_t position) const;
  Status Truncate(int64_t size);
  // fdatasync (fsync for a directory): everything written before the call is on disk after it.
  Status Sync();
  Result<int64_t> Size() const;
  // The file's last modification time, in milliseconds since the epoch.
  Result<int64_t> ModifiedTimeMs() const;

  const std::filesystem::path& path() const { return path_; }

 private:
  LogFile(std::filesystem::path path, int fd, bool is_directory)
      : path_(std::move(path)), fd_(fd), is_directory_(is_directory) {}

  const std::filesystem::path path_;
  const int fd_;
  const bool is_directory_;
};

// A whole file mapped read-only, unmapped on destruction. An empty file maps to an empty view.
// Only for files nobody truncates while mapped (sealed index files). Movable, not copyable.
class MappedFile {
 public:
  MappedFile() = default;
  // kNotFound when the file does not exist.
  static Result<MappedFile> Open(const std::filesystem::path& path);

  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  ByteView bytes() const { return {data_, size_}; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  void Unmap();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tarn::log
