#include "kafka/record_batch_builder.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "base/check.h"
#include "kafka/varint.h"
#include "kafka/wire.h"
#include "log/batch_header.h"

namespace tarn::kafka {
namespace {

int32_t CheckedLength(size_t n) {
  TARN_CHECK_MSG(n <= INT32_MAX, "a record field longer than 2 GiB");
  return static_cast<int32_t>(n);
}

// Batch attribute bits (log::BatchHeader reads them the same way).
constexpr int16_t kTransactionalBit = 0x10;
constexpr int16_t kControlBit = 0x20;

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

RecordBatchBuilder::RecordBatchBuilder(Compression compression) : compression_(compression) {
  header_.attributes = static_cast<int16_t>(compression);
  header_.last_offset_delta = -1;
}

void RecordBatchBuilder::SetProducer(ProducerId producer_id, ProducerEpoch epoch,
                                     int32_t base_sequence) {
  header_.producer_id = producer_id.value();
  header_.producer_epoch = epoch.value();
  header_.base_sequence = base_sequence;
}

void RecordBatchBuilder::SetTransactional(bool transactional) {
  header_.attributes =
      static_cast<int16_t>(transactional ? header_.attributes | kTransactionalBit
                                         : header_.attributes & ~kTransactionalBit);
}

void RecordBatchBuilder::SetControl(bool control) {
  header_.attributes = static_cast<int16_t>(control ? header_.attributes | kControlBit
                                                    : header_.attributes & ~kControlBit);
}

RecordBatchBuilder RecordBatchBuilder::ForRewrite(const log::BatchHeader& original) {
  RecordBatchBuilder builder(static_cast<Compression>(original.compression()));
  builder.header_ = original;
  builder.header_.records_count = 0;
  builder.rewrite_ = true;
  builder.original_max_timestamp_ = original.max_timestamp;
  return builder;
}

void RecordBatchBuilder::Add(std::optional<ByteView> key, std::optional<ByteView> value,
                             int64_t timestamp, std::span<const RecordHeader> headers) {
  TARN_CHECK_MSG(!rewrite_, "Add on a rewriting builder; use AddRecord");
  if (header_.records_count == 0) header_.base_timestamp = header_.max_timestamp = timestamp;
  header_.max_timestamp = std::max(header_.max_timestamp, timestamp);
  const auto timestamp_delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp) -
                                                    static_cast<uint64_t>(header_.base_timestamp));
  Encode(key, value, timestamp_delta, header_.records_count, headers);
  header_.last_offset_delta = header_.records_count - 1;
}

void RecordBatchBuilder::AddRecord(const Record& record) {
  TARN_CHECK_MSG(rewrite_, "AddRecord needs a builder made by ForRewrite");
  const int64_t offset_delta = record.offset - Offset(header_.base_offset);
  TARN_CHECK_MSG(offset_delta >= 0 && offset_delta <= header_.last_offset_delta,
                 "a record outside the batch being rewritten");
  if (header_.records_count == 0 || record.timestamp > header_.max_timestamp) {
    header_.max_timestamp = record.timestamp;
  }
  const auto timestamp_delta = static_cast<int64_t>(static_cast<uint64_t>(record.timestamp) -
                                                    static_cast<uint64_t>(header_.base_timestamp));
  Encode(record.key, record.value, timestamp_delta, static_cast<int32_t>(offset_delta),
         record.headers);
}

void RecordBatchBuilder::Encode(std::optional<ByteView> key, std::optional<ByteView> value,
                                int64_t timestamp_delta, int32_t offset_delta,
                                std::span<const RecordHeader> headers) {
  TARN_CHECK_MSG(header_.records_count < INT32_MAX, "too many records for one batch");
  size_t body = 1 + VarlongSize(timestamp_delta) + VarlongSize(offset_delta) + FieldSize(key) +
                FieldSize(value) + VarlongSize(CheckedLength(headers.size()));
  for (const RecordHeader& header : headers) {
    body += FieldSize(AsBytes(header.key)) + FieldSize(header.value);
  }
  WireWriter out(records_);
  out.WriteVarint(CheckedLength(body));
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
  ++header_.records_count;
}

Result<Bytes> RecordBatchBuilder::Build() const {
  using log::BatchHeader;
  if (header_.records_count == 0 && !rewrite_) {
    return Error(Status::FailedPrecondition("a record batch needs a record"));
  }
  BatchHeader h = header_;
  Compression compression = compression_;
  if (rewrite_) {
    if (h.records_count == 0) {
      compression = Compression::kNone;
      h.attributes = static_cast<int16_t>(h.attributes & ~0x7);
    }
    if (h.records_count == 0 || h.has_log_append_time()) h.max_timestamp = original_max_timestamp_;
  }
  Bytes compressed;
  ByteView section = records_;
  if (compression != Compression::kNone) {
    TARN_ASSIGN_OR_RETURN(compressed, Compress(compression, records_));
    section = compressed;
  }
  const size_t total = BatchHeader::kSize + section.size();
  if (total - BatchHeader::kLengthFieldEnd > INT32_MAX) {
    return Error(Status::ResourceExhausted("record batch of " + std::to_string(total) +
                                           " bytes exceeds the int32 batchLength"));
  }
  Bytes batch(total);
  if (!section.empty()) std::memcpy(batch.data() + BatchHeader::kSize, section.data(), section.size());
  h.batch_length = static_cast<int32_t>(total - BatchHeader::kLengthFieldEnd);
  h.WriteTo(batch);
  return batch;
}

}  // namespace tarn::kafka
