// Builds one Kafka record batch (magic 2) as a producer would: base offset 0, leader epoch 0,
// CreateTime timestamps (the first record's is the base), offset deltas 0, 1, 2, ...
// Used by tests, fuzz seeds and the broker's own writers (the log assigns the real offset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "kafka/compression.h"
#include "kafka/record_batch.h"
#include "log/batch_header.h"

namespace tarn::kafka {

// Records are encoded as they are added; Build() compresses them and writes header and CRC.
// A value type owned by its user; not thread-safe.
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(Compression compression = Compression::kNone);
  // A builder that rewrites a stored batch with some of its records (log compaction). Build()
  // keeps the original's base offset, lastOffsetDelta, attributes (codec, timestamp type), base
  // timestamp and producer fields; records added with AddRecord keep their offsets and
  // timestamps. maxTimestamp becomes the largest record timestamp (the original's for
  // LogAppendTime, or when no record is left). With no record the batch is empty, as Kafka
  // keeps one for an idempotent producer's state: no records section, no compression.
  static RecordBatchBuilder ForRewrite(const log::BatchHeader& original);

  // An idempotent producer's batch; without this call the three fields are -1.
  void SetProducer(ProducerId producer_id, ProducerEpoch epoch, int32_t base_sequence);
  // Attribute bits 4 (transactional) and 5 (control). Clients may set neither (the broker
  // refuses such batches); they exist for the broker's own markers and for tests.
  void SetTransactional(bool transactional);
  void SetControl(bool control);

  // Appends a record. nullopt key or value is null; header values may be null too.
  void Add(std::optional<ByteView> key, std::optional<ByteView> value, int64_t timestamp,
           std::span<const RecordHeader> headers = {});

  // Appends a record decoded from the batch being rewritten (ForRewrite only), keeping its
  // offset and timestamp.
  void AddRecord(const Record& record);

  int32_t record_count() const { return header_.records_count; }
  // The encoded records so far, before compression: a guide for when to cut a batch.
  size_t records_bytes() const { return records_.size(); }

  // The whole batch, CRC included. kFailedPrecondition without records (unless rewriting);
  // kResourceExhausted when the batch would exceed the int32 batchLength.
  Result<Bytes> Build() const;

 private:
  Compression compression_;
  // The header as it will be written, but for batchLength and CRC, which Build() fills in.
  log::BatchHeader header_;
  void Encode(std::optional<ByteView> key, std::optional<ByteView> value, int64_t timestamp_delta,
              int32_t offset_delta, std::span<const RecordHeader> headers);

  Bytes records_;  // the uncompressed records section
  bool rewrite_ = false;
  int64_t original_max_timestamp_ = -1;  // when rewriting
};

}  // namespace tarn::kafka
