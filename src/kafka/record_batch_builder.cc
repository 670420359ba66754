#include "kafka/record_batch_builder.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "base/check.h"
#include "base/crc32c.h"
#include "kafka/varint.h"
#include "kafka/wire.h"
#include "log/batch_header.h"

namespace tarn::kafka {
namespace {

int32_t CheckedLength(size_t n) {
  TARN_CHECK_MSG(n <= INT32_MAX, "a record field longer than 2 GiB");
  return static_cast<int32_t>(n);
}

// The encoded size of a length-prefixed field that may be null.
size_t FieldSize(const std::optional<ByteView>& field) {
  if (!field) return VarlongSize(-1);
  return VarlongSize(CheckedLength(field->size())) + field->size();
}

// A record's key, value or header field: a varint length, -1 for null, then the bytes.
void WriteField(WireWriter& out, const std::optional<ByteView>& field) {
  if (!field) {
    out.WriteVarint(-1);
    return;
  }
  out.WriteVarint(CheckedLength(field->size()));
  out.WriteRaw(*field);
}

}  // namespace

void RecordBatchBuilder::SetProducer(ProducerId producer_id, ProducerEpoch epoch,
                                     int32_t base_sequence) {
  producer_id_ = producer_id.value();
  producer_epoch_ = epoch.value();
  base_sequence_ = base_sequence;
}

void RecordBatchBuilder::Add(std::optional<ByteView> key, std::optional<ByteView> value,
                             int64_t timestamp, std::span<const RecordHeader> headers) {
  TARN_CHECK_MSG(record_count_ < INT32_MAX, "too many records for one batch");
  if (record_count_ == 0) base_timestamp_ = max_timestamp_ = timestamp;
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  const auto timestamp_delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp) -
                                                    static_cast<uint64_t>(base_timestamp_));
  const int32_t offset_delta = record_count_;

  size_t body = 1 + VarlongSize(timestamp_delta) + VarlongSize(offset_delta) + FieldSize(key) +
                FieldSize(value) + VarlongSize(CheckedLength(headers.size()));
  for (const RecordHeader& header : headers) {
    body += FieldSize(AsBytes(header.key)) + FieldSize(header.value);
  }
  records_.reserve(records_.size() + VarlongSize(CheckedLength(body)) + body);
  WireWriter out(records_);
  out.WriteVarint(static_cast<int32_t>(body));
  out.WriteInt8(0);  // attributes
  out.WriteVarlong(timestamp_delta);
  out.WriteVarint(offset_delta);
  WriteField(out, key);
  WriteField(out, value);
  out.WriteVarint(static_cast<int32_t>(headers.size()));
  for (const RecordHeader& header : headers) {
    WriteField(out, AsBytes(header.key));
    WriteField(out, header.value);
  }
  ++record_count_;
}

Result<Bytes> RecordBatchBuilder::Build() const {
  using log::BatchHeader;
  if (record_count_ == 0) return Error(Status::FailedPrecondition("a record batch needs a record"));
  Bytes compressed;
  ByteView section = records_;
  if (compression_ != Compression::kNone) {
    TARN_ASSIGN_OR_RETURN(compressed, Compress(compression_, records_));
    section = compressed;
  }
  const size_t total = BatchHeader::kSize + section.size();
  if (total - BatchHeader::kLengthFieldEnd > INT32_MAX) {
    return Error(Status::ResourceExhausted("record batch of " + std::to_string(total) +
                                           " bytes exceeds the int32 batchLength"));
  }
  int16_t attributes = static_cast<int16_t>(compression_);
  if (transactional_) attributes |= 0x10;
  if (control_) attributes |= 0x20;

  // Field offsets: Kafka's DefaultRecordBatch, as log::BatchHeader reads them.
  Bytes batch(total);
  uint8_t* p = batch.data();
  StoreBigEndian<int64_t>(p, 0);  // baseOffset
  StoreBigEndian<int32_t>(p + 8, static_cast<int32_t>(total - BatchHeader::kLengthFieldEnd));
  StoreBigEndian<int32_t>(p + 12, 0);  // partitionLeaderEpoch
  p[16] = static_cast<uint8_t>(BatchHeader::kMagic);
  StoreBigEndian<int16_t>(p + 21, attributes);
  StoreBigEndian<int32_t>(p + 23, record_count_ - 1);  // lastOffsetDelta
  StoreBigEndian<int64_t>(p + 27, base_timestamp_);
  StoreBigEndian<int64_t>(p + 35, max_timestamp_);
  StoreBigEndian<int64_t>(p + 43, producer_id_);
  StoreBigEndian<int16_t>(p + 51, producer_epoch_);
  StoreBigEndian<int32_t>(p + 53, base_sequence_);
  StoreBigEndian<int32_t>(p + 57, record_count_);
  std::memcpy(p + BatchHeader::kSize, section.data(), section.size());
  StoreBigEndian<uint32_t>(p + BatchHeader::kCrcOffset,
                           Crc32c(ByteView(batch).subspan(BatchHeader::kCrcCoverageStart)));
  return batch;
}

}  // namespace tarn::kafka
