// Small whole-file helpers for metadata files (topic settings, broker identity, snapshots).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tarn {

// Owns a file descriptor and closes it (a negative one is none).
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The whole file. kNotFound when it does not exist.
Result<std::string> ReadFileToString(const std::filesystem::path& path);

// Replaces `path` with `contents` so that a crash leaves either the old or the new file:
// write a temporary file beside it, fsync it, rename it over `path`, fsync the directory.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// fsyncs a directory, making renames and creations in it durable.
Status SyncDirectory(const std::filesystem::path& dir);

}  // namespace tarn
