// Walks the record batches stored in a region of a segment file, through a read buffer, either
// reading headers only (skipping payloads) or reading and verifying whole batches.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "log/batch_header.h"
#include "log/log_file.h"

namespace tarn::log {

struct ScannedBatch {
  int64_t position = 0;  // of the batch's first byte in the file
  BatchHeader header;
  ByteView bytes;  // the whole batch in kVerify mode (valid until the next call), else empty
};

// A short-lived cursor over [start, end) of one file; the file must outlive it. Not thread-safe.
class BatchScanner {
 public:
  enum class Mode {
    kHeaders,  // parse each header, read no payload
    kVerify,   // read each whole batch and check its length and CRC (BatchHeader::Verify)
  };
  static constexpr size_t kDefaultBufferBytes = 64 * 1024;

  BatchScanner(const LogFile& file, int64_t start, int64_t end, Mode mode,
               size_t buffer_bytes = kDefaultBufferBytes);

  // The next batch, or nullopt exactly at `end`. kCorruption (naming file and position) when the
  // bytes there are not a batch: a header cut short, a length running past `end`, a wrong magic,
  // a CRC mismatch. kIoError when reading fails. After an error, position() is the bad batch's.
  Result<std::optional<ScannedBatch>> Next();

  // Where the next batch starts: after the last good batch.
  int64_t position() const { return position_; }

 private:
  // Makes [position, position + length) available in buffer_, reading when it is not already.
  Status Fill(int64_t position, size_t length);
  Status Corrupt(const std::string& what) const;

  const LogFile& file_;
  const int64_t end_;
  const Mode mode_;
  const size_t buffer_bytes_;
  int64_t position_;
  Bytes buffer_;
  int64_t buffer_start_ = 0;  // file position of buffer_[0]
  size_t buffer_length_ = 0;  // valid bytes in buffer_
};

}  // namespace tarn::log
