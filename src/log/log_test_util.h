// Helpers for the log's tests and fuzzer: valid record batches and self-cleaning directories.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "base/bytes.h"
#include "log/batch_header.h"

namespace tarn::log::testing {

struct BatchSpec {
  int32_t records = 1;
  size_t payload_bytes = 100;  // opaque record bytes after the header
  int64_t base_timestamp = 1'700'000'000'000;
  int64_t max_timestamp = 1'700'000'000'000;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  uint8_t fill = 0x5a;  // payload bytes are fill, fill + 1, ...
};

// A magic-2 record batch with a correct length and CRC and base offset 0. The records are
// opaque bytes: the log never looks inside them.
inline Bytes MakeBatch(const BatchSpec& spec = {}) {
  Bytes b(BatchHeader::kSize + spec.payload_bytes);
  for (size_t i = 0; i < spec.payload_bytes; ++i) {
    b[BatchHeader::kSize + i] = static_cast<uint8_t>(spec.fill + i);
  }
  BatchHeader h;
  h.batch_length = static_cast<int32_t>(b.size() - BatchHeader::kLengthFieldEnd);
  h.last_offset_delta = spec.records - 1;
  h.base_timestamp = spec.base_timestamp;
  h.max_timestamp = spec.max_timestamp;
  h.producer_id = spec.producer_id;
  h.producer_epoch = spec.producer_epoch;
  h.base_sequence = spec.base_sequence;
  h.records_count = spec.records;
  h.WriteTo(b);
  return b;
}

// Replaces `to` with a flat copy of the files in `from` (a log directory as a crash left it).
inline void CopyDir(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::remove_all(to);
  std::filesystem::create_directories(to);
  for (const auto& entry : std::filesystem::directory_iterator(from)) {
    std::filesystem::copy_file(entry.path(), to / entry.path().filename());
  }
}

// A fresh directory under `parent` (the system temp directory by default), removed with
// everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& parent = std::filesystem::temp_directory_path()) {
    static std::atomic<int> counter{0};
    path_ = parent / ("tarn-log-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                      "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace tarn::log::testing
