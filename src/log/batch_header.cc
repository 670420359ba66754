#include "log/batch_header.h"

#include <string>

#include "base/crc32c.h"

namespace tarn::log {

Result<BatchHeader> BatchHeader::Parse(ByteView b) {
  if (b.size() < kSize) {
    return Error(Status::Corruption("record batch header needs 61 bytes, have " +
                                    std::to_string(b.size())));
  }
  BatchHeader h;
  const uint8_t* p = b.data();
  h.base_offset = LoadBigEndian<int64_t>(p);
  h.batch_length = LoadBigEndian<int32_t>(p + 8);
  h.partition_leader_epoch = LoadBigEndian<int32_t>(p + 12);
  h.magic = static_cast<int8_t>(p[16]);
  h.crc = LoadBigEndian<uint32_t>(p + 17);
  h.attributes = LoadBigEndian<int16_t>(p + 21);
  h.last_offset_delta = LoadBigEndian<int32_t>(p + 23);
  h.base_timestamp = LoadBigEndian<int64_t>(p + 27);
  h.max_timestamp = LoadBigEndian<int64_t>(p + 35);
  h.producer_id = LoadBigEndian<int64_t>(p + 43);
  h.producer_epoch = LoadBigEndian<int16_t>(p + 51);
  h.base_sequence = LoadBigEndian<int32_t>(p + 53);
  h.records_count = LoadBigEndian<int32_t>(p + 57);
  if (h.magic != kMagic) {
    return Error(Status::Corruption("record batch magic " + std::to_string(h.magic) +
                                    ", only magic 2 is supported"));
  }
  if (h.batch_length < static_cast<int32_t>(kSize - kLengthFieldEnd)) {
    return Error(Status::Corruption("record batch length " + std::to_string(h.batch_length) +
                                    " is shorter than its header"));
  }
  if (h.last_offset_delta < 0 || h.records_count < 0) {
    return Error(Status::Corruption("record batch has a negative record count"));
  }
  return h;
}

Status BatchHeader::Verify(ByteView batch) {
  TARN_ASSIGN_OR_RETURN(BatchHeader h, Parse(batch));
  if (h.total_size() != batch.size()) {
    return Status::Corruption("record batch length " + std::to_string(h.total_size()) +
                              " does not match its " + std::to_string(batch.size()) + " bytes");
  }
  uint32_t actual = Crc32c(batch.subspan(kCrcCoverageStart));
  if (actual != h.crc) return Status::Corruption("record batch CRC mismatch");
  return Status::Ok();
}

void BatchHeader::WriteTo(MutableByteView batch) const {
  uint8_t* p = batch.data();
  StoreBigEndian<int64_t>(p, base_offset);
  StoreBigEndian<int32_t>(p + 8, batch_length);
  StoreBigEndian<int32_t>(p + 12, partition_leader_epoch);
  p[16] = static_cast<uint8_t>(magic);
  StoreBigEndian<int16_t>(p + 21, attributes);
  StoreBigEndian<int32_t>(p + 23, last_offset_delta);
  StoreBigEndian<int64_t>(p + 27, base_timestamp);
  StoreBigEndian<int64_t>(p + 35, max_timestamp);
  StoreBigEndian<int64_t>(p + 43, producer_id);
  StoreBigEndian<int16_t>(p + 51, producer_epoch);
  StoreBigEndian<int32_t>(p + 53, base_sequence);
  StoreBigEndian<int32_t>(p + 57, records_count);
  StoreBigEndian<uint32_t>(p + kCrcOffset, Crc32c(ByteView(batch).subspan(kCrcCoverageStart)));
}

void BatchHeader::AssignOffset(MutableByteView batch, Offset base_offset, int32_t leader_epoch) {
  StoreBigEndian<int64_t>(batch.data(), base_offset.value());
  StoreBigEndian<int32_t>(batch.data() + 12, leader_epoch);
}

}  // namespace tarn::log
