// Helpers for the log's tests and fuzzer: valid record batches and self-cleaning directories.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "base/bytes.h"
#include "base/crc32c.h"
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
  uint8_t* p = b.data();
  StoreBigEndian<int64_t>(p, 0);
  StoreBigEndian<int32_t>(p + 8, static_cast<int32_t>(b.size() - BatchHeader::kLengthFieldEnd));
  StoreBigEndian<int32_t>(p + 12, 0);
  p[16] = static_cast<uint8_t>(BatchHeader::kMagic);
  StoreBigEndian<int16_t>(p + 21, 0);
  StoreBigEndian<int32_t>(p + 23, spec.records - 1);
  StoreBigEndian<int64_t>(p + 27, spec.base_timestamp);
  StoreBigEndian<int64_t>(p + 35, spec.max_timestamp);
  StoreBigEndian<int64_t>(p + 43, spec.producer_id);
  StoreBigEndian<int16_t>(p + 51, spec.producer_epoch);
  StoreBigEndian<int32_t>(p + 53, spec.base_sequence);
  StoreBigEndian<int32_t>(p + 57, spec.records);
  for (size_t i = 0; i < spec.payload_bytes; ++i) {
    p[BatchHeader::kSize + i] = static_cast<uint8_t>(spec.fill + i);
  }
  StoreBigEndian<uint32_t>(p + BatchHeader::kCrcOffset,
                           Crc32c(ByteView(b).subspan(BatchHeader::kCrcCoverageStart)));
  return b;
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
