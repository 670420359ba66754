// The fixed 61-byte header of a Kafka record batch (magic 2), the unit the log stores.
// Byte layout: docs/formats/log.md. The log keeps each batch exactly as the producer sent it,
// except baseOffset and partitionLeaderEpoch, which lie outside the CRC and are assigned here.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"

namespace tarn::log {

struct BatchHeader {
  static constexpr size_t kSize = 61;
  static constexpr size_t kLengthFieldEnd = 12;   // baseOffset + batchLength
  static constexpr size_t kCrcOffset = 17;
  static constexpr size_t kCrcCoverageStart = 21;  // attributes .. end of batch
  static constexpr int8_t kMagic = 2;

  int64_t base_offset = 0;
  int32_t batch_length = 0;  // bytes after this field
  int32_t partition_leader_epoch = 0;
  int8_t magic = kMagic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  // Reads the header from the first kSize bytes. Checks only what the header alone can show:
  // enough bytes, magic 2, a batch length that covers the header. kCorruption otherwise.
  static Result<BatchHeader> Parse(ByteView bytes);

  // Checks that `batch` (exactly one whole batch) has this header's length and CRC.
  static Status Verify(ByteView batch);

  // Writes every field of this header into the first kSize bytes of `batch`, then the CRC of
  // everything from kCrcCoverageStart to the end of `batch` (so the records must be in place,
  // and `crc` is ignored). The one encoder of the header: Parse is its inverse.
  void WriteTo(MutableByteView batch) const;

  // Writes base offset and partition leader epoch into a batch in place (both outside the CRC).
  static void AssignOffset(MutableByteView batch, Offset base_offset, int32_t leader_epoch = 0);

  size_t total_size() const { return kLengthFieldEnd + static_cast<size_t>(batch_length); }
  Offset first_offset() const { return Offset(base_offset); }
  Offset last_offset() const { return Offset(base_offset + last_offset_delta); }
  int compression() const { return attributes & 0x7; }
  bool is_transactional() const { return (attributes & 0x10) != 0; }
  bool is_control() const { return (attributes & 0x20) != 0; }
  bool has_log_append_time() const { return (attributes & 0x08) != 0; }
};

}  // namespace tarn::log
