// The records inside Kafka record batches (magic 2): decoding a batch into records, the checks
// a batch in a Produce request must pass, and the exact-timestamp search of ListOffsets.
// The 61-byte header is log::BatchHeader's (log/batch_header.h); the record layout is Kafka's
// DefaultRecord: length, attributes, timestampDelta, offsetDelta, key, value, headers, with
// zigzag varints (kafka/varint.h). Codecs: kafka/compression.h. Building: record_batch_builder.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/compression.h"
#include "log/batch_header.h"

namespace tarn::kafka {

struct RecordHeader {
  std::string_view key;           // never null in Kafka
  std::optional<ByteView> value;  // nullopt: a null value
};

// One record, its offset and timestamp made absolute: offset = baseOffset + offsetDelta;
// timestamp = baseTimestamp + timestampDelta, or maxTimestamp for a LogAppendTime batch.
struct Record {
  int8_t attributes = 0;  // Kafka defines no record attribute yet
  int64_t timestamp = 0;
  Offset offset;
  std::optional<ByteView> key;    // nullopt: a null key
  std::optional<ByteView> value;  // nullopt: a null value (a tombstone)
  std::span<const RecordHeader> headers;
};

// A batch with every record parsed. The records' views point into the batch's own
// decompressed buffer, or, for an uncompressed batch, into the bytes given to DecodeBatch,
// which must then outlive it. Move-only: a move keeps every view valid, a copy would not.
// Immutable once decoded, so readers may share it across threads.
class DecodedBatch {
 public:
  DecodedBatch(DecodedBatch&&) = default;
  DecodedBatch& operator=(DecodedBatch&&) = default;
  DecodedBatch(const DecodedBatch&) = delete;
  DecodedBatch& operator=(const DecodedBatch&) = delete;

  const log::BatchHeader& header() const { return header_; }
  Compression compression() const { return static_cast<Compression>(header_.compression()); }
  const std::vector<Record>& records() const { return records_; }

 private:
  friend Result<DecodedBatch> DecodeBatch(ByteView batch, size_t max_decompressed);
  DecodedBatch() = default;

  log::BatchHeader header_;
  Bytes decompressed_;                 // the records section of a compressed batch
  std::vector<RecordHeader> headers_;  // every record's headers, in order
  std::vector<Record> records_;
};

// Decodes exactly one whole batch: header, length and CRC (log::BatchHeader::Verify), the
// records section decompressed into at most `max_decompressed` bytes, then every record.
// kCorruption names what is wrong and, for a record, which one and which field; the record
// count must match recordsCount and each record must fill its length exactly.
// kResourceExhausted when the records decompress to more than `max_decompressed` bytes.
Result<DecodedBatch> DecodeBatch(ByteView batch, size_t max_decompressed);

// Decodes a concatenation of whole batches, as the log and Fetch return them. A partial batch
// at the end (a fetch cut at max_bytes) is skipped, as clients skip it; any other error is
// the first batch's that fails.
Result<std::vector<DecodedBatch>> DecodeBatches(ByteView batches, size_t max_decompressed);

// The first record, in offset order, whose timestamp is >= `timestamp` and whose offset is
// >= `min_offset` (the log start may fall inside a batch): ListOffsets by timestamp.
// nullopt when no record qualifies. A caller can skip a batch whose header max_timestamp is
// below `timestamp` without decoding it.
struct TimestampedOffset {
  Offset offset;
  int64_t timestamp = 0;
  bool operator==(const TimestampedOffset&) const = default;
};
std::optional<TimestampedOffset> FirstRecordAtOrAfter(const DecodedBatch& batch, int64_t timestamp,
                                                      Offset min_offset = Offset(0));

// ---- Produce-side validation ------------------------------------------------------------
//
// Why an enum and not a Status: the same failure (a bad length, a zstd batch) maps to
// different Kafka errors depending on the check that caught it, and only this code knows
// which check that was. So validation returns the exact Kafka error code next to a Status
// that explains it; the Produce handler copies the code into the partition response and the
// Status message into error_message, with no mapping table of its own.

// The Kafka error codes (Errors.java numbers) a refused batch gets.
enum class ProduceError : int16_t {
  kCorruptMessage = 2,               // bad length or CRC, unknown codec, undecodable records
  kMessageTooLarge = 10,             // larger than max.message.bytes, or decompresses too far
  kUnsupportedCompressionType = 76,  // zstd in Produce below v7
  kInvalidRecord = 87,               // not one magic-2 batch, control/transactional, bad counts
};

struct BatchRejection {
  ProduceError error;
  Status status;  // what exactly is wrong, for the log and the response's error_message
};

struct ProduceValidation {
  int16_t produce_version = 0;          // of the request; zstd needs 7 or later
  int32_t max_message_bytes = 1048588;  // the topic's max.message.bytes
  // Decompress the batch and parse every record (Kafka always does). Off, only the header,
  // the CRC and the counts are checked: faster, but a producer can then store records that
  // consumers fail to parse.
  bool verify_records = true;
  size_t max_decompressed_bytes = size_t{64} << 20;  // refused as kMessageTooLarge beyond
  // A compacted topic's batch: every record needs a key (checked with verify_records).
  bool require_keys = false;
};

// Checks `records`, one partition's records field of a Produce request (v3 or later), in the
// order of franz-go's kfake (a compact model of Kafka's ProduceRequest.validateRecords and
// LogValidator; Kafka itself tests the size before the CRC), then Kafka's own count checks:
//   1. batchLength covers the header and matches the bytes sent      else kCorruptMessage
//      (no bytes at all, or bytes after the batch: kInvalidRecord, as a partition takes
//      exactly one batch per request from v3);
//   2. magic 2                                                       else kInvalidRecord
//   3. CRC-32C                                                       else kCorruptMessage
//   4. codec 0-4                                                     else kCorruptMessage
//   5. zstd only with produce_version >= 7              else kUnsupportedCompressionType
//   6. neither control nor transactional                             else kInvalidRecord
//   7. size <= max_message_bytes                                     else kMessageTooLarge
//   8. recordsCount > 0 == lastOffsetDelta + 1, and a producer id comes with a sequence
//      >= 0                                                          else kInvalidRecord
//   9. with verify_records: the records decompress within max_decompressed_bytes (else
//      kMessageTooLarge) and parse (else kCorruptMessage), with offset deltas 0, 1, 2, ...
//      (else kInvalidRecord: Kafka would rewrite such a batch, Tarn stores batches as sent),
//      and with require_keys, each with a key (else kInvalidRecord, as Kafka refuses records
//      without a key on a compacted topic).
// A baseOffset other than 0 is accepted; the log overwrites it. Returns the parsed header.
std::expected<log::BatchHeader, BatchRejection> ValidateProducedBatch(
    ByteView records, const ProduceValidation& options);

}  // namespace tarn::kafka
