#include "kafka/record_batch.h"

#include <algorithm>
#include <string>
#include <utility>

#include "kafka/varint.h"

namespace tarn::kafka {
namespace {

using log::BatchHeader;

// The smallest record: a one-byte varint for each of length, timestampDelta, offsetDelta,
// key length, value length and header count, and the attributes byte.
constexpr size_t kMinRecordSize = 7;
// The fields ValidateProducedBatch reads before the whole header is known to be there.
constexpr size_t kBatchLengthOffset = 8;
constexpr size_t kMagicOffset = 16;

// Adds without overflow checks: offsets and timestamps of a hostile batch may wrap, never trap.
int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Parses a batch's records section (decompressed). For each record it calls
// on_header(const RecordHeader&) per header, then on_record(int32_t index, Record&&,
// int32_t offset_delta, int32_t header_count); the record's `headers` is left empty for the
// caller to fill.
template <typename OnHeader, typename OnRecord>
Status ParseRecords(ByteView section, const BatchHeader& h, OnHeader&& on_header,
                    OnRecord&& on_record) {
  VarintReader in(section);
  for (int32_t i = 0; i < h.records_count; ++i) {
    auto fail = [&](const std::string& what) {
      return Status::Corruption("record " + std::to_string(i) + " of " +
                                std::to_string(h.records_count) + ": " + what);
    };
    if (in.remaining() == 0) return fail("missing, the records end before it");
    std::optional<int32_t> length = in.ReadVarint();
    if (!length) return fail("bad length varint");
    if (*length < 0 || static_cast<size_t>(*length) > in.remaining()) {
      return fail("length " + std::to_string(*length) + " overruns the " +
                  std::to_string(in.remaining()) + " bytes left");
    }
    VarintReader body(*in.ReadBytes(static_cast<size_t>(*length)));

    // A null-able length-prefixed field: -1 is null, other negatives are corrupt.
    auto read_field = [&](const char* name) -> Result<std::optional<ByteView>> {
      std::optional<int32_t> n = body.ReadVarint();
      if (!n) return Error(fail(std::string("bad ") + name + " length varint"));
      if (*n == -1) return std::optional<ByteView>();
      if (*n < -1) return Error(fail(std::string("negative ") + name + " length"));
      std::optional<ByteView> bytes = body.ReadBytes(static_cast<size_t>(*n));
      if (!bytes) {
        return Error(
            fail(std::string(name) + " of " + std::to_string(*n) + " bytes overruns the record"));
      }
      return bytes;
    };

    Record record;
    std::optional<uint8_t> attributes = body.ReadByte();
    if (!attributes) return fail("no attributes");
    record.attributes = static_cast<int8_t>(*attributes);
    std::optional<int64_t> timestamp_delta = body.ReadVarlong();
    if (!timestamp_delta) return fail("bad timestampDelta varlong");
    record.timestamp =
        h.has_log_append_time() ? h.max_timestamp : WrappingAdd(h.base_timestamp, *timestamp_delta);
    std::optional<int32_t> offset_delta = body.ReadVarint();
    if (!offset_delta) return fail("bad offsetDelta varint");
    record.offset = Offset(WrappingAdd(h.base_offset, *offset_delta));
    TARN_ASSIGN_OR_RETURN(record.key, read_field("key"));
    TARN_ASSIGN_OR_RETURN(record.value, read_field("value"));

    std::optional<int32_t> header_count = body.ReadVarint();
    if (!header_count) return fail("bad header count varint");
    // Each header takes at least two bytes: its key and value lengths.
    if (*header_count < 0 || static_cast<size_t>(*header_count) > body.remaining() / 2) {
      return fail("header count " + std::to_string(*header_count) + " does not fit in the " +
                  std::to_string(body.remaining()) + " bytes left");
    }
    for (int32_t j = 0; j < *header_count; ++j) {
      RecordHeader header;
      std::optional<int32_t> key_length = body.ReadVarint();
      if (!key_length) return fail("header " + std::to_string(j) + ": bad key length varint");
      if (*key_length < 0) return fail("header " + std::to_string(j) + ": null or negative key");
      std::optional<ByteView> key = body.ReadBytes(static_cast<size_t>(*key_length));
      if (!key) return fail("header " + std::to_string(j) + ": key overruns the record");
      header.key = AsString(*key);
      TARN_ASSIGN_OR_RETURN(header.value, read_field("header value"));
      on_header(header);
    }
    if (body.remaining() != 0) {
      return fail(std::to_string(body.remaining()) + " bytes left over inside its length " +
                  std::to_string(*length));
    }
    on_record(i, std::move(record), *offset_delta, *header_count);
  }
  if (in.remaining() != 0) {
    return Status::Corruption(std::to_string(in.remaining()) + " bytes follow the last of " +
                              std::to_string(h.records_count) + " records");
  }
  return Status::Ok();
}

// The records section (every byte after recordsCount) of a batch whose header and CRC have
// been checked, decompressed; nullopt for an uncompressed batch, whose section is read in place.
Result<std::optional<Bytes>> DecompressRecords(ByteView batch, const BatchHeader& h,
                                               size_t max_decompressed) {
  std::optional<Compression> codec = CompressionFromCodec(h.compression());
  if (!codec) {
    return Error(
        Status::Corruption("unknown compression codec " + std::to_string(h.compression())));
  }
  if (*codec == Compression::kNone) return std::optional<Bytes>();
  TARN_ASSIGN_OR_RETURN(Bytes records,
                        Decompress(*codec, batch.subspan(BatchHeader::kSize), max_decompressed));
  return std::optional<Bytes>(std::move(records));
}

}  // namespace

Result<DecodedBatch> DecodeBatch(ByteView batch, size_t max_decompressed) {
  TARN_TRY(BatchHeader::Verify(batch));
  DecodedBatch out;
  TARN_ASSIGN_OR_RETURN(out.header_, BatchHeader::Parse(batch));
  const BatchHeader& h = out.header_;
  Result<std::optional<Bytes>> decompressed = DecompressRecords(batch, h, max_decompressed);
  if (!decompressed) return Error(decompressed.error().WithContext("record batch"));
  ByteView section = batch.subspan(BatchHeader::kSize);
  if (decompressed->has_value()) {
    out.decompressed_ = std::move(**decompressed);
    section = out.decompressed_;
  }

  // recordsCount is untrusted: reserve no more than the section could hold.
  size_t capacity = std::min(static_cast<size_t>(h.records_count), section.size() / kMinRecordSize);
  out.records_.reserve(capacity);
  std::vector<int32_t> header_counts;
  header_counts.reserve(capacity);
  Status parsed = ParseRecords(
      section, h, [&](const RecordHeader& header) { out.headers_.push_back(header); },
      [&](int32_t, Record&& record, int32_t, int32_t header_count) {
        out.records_.push_back(std::move(record));
        header_counts.push_back(header_count);
      });
  if (!parsed.ok()) return Error(parsed.WithContext("record batch"));
  // Headers are stored in record order, so each record's are the next run of them. The
  // vector is complete now and will not move again.
  const RecordHeader* next = out.headers_.data();
  for (size_t i = 0; i < out.records_.size(); ++i) {
    out.records_[i].headers = {next, static_cast<size_t>(header_counts[i])};
    next += header_counts[i];
  }
  return out;
}

Result<std::vector<DecodedBatch>> DecodeBatches(ByteView batches, size_t max_decompressed) {
  std::vector<DecodedBatch> out;
  size_t pos = 0;
  while (batches.size() - pos >= BatchHeader::kSize) {
    ByteView rest = batches.subspan(pos);
    Result<BatchHeader> h = BatchHeader::Parse(rest);
    if (!h) return Error(h.error().WithContext("batch at byte " + std::to_string(pos)));
    if (h->total_size() > rest.size()) break;  // a partial batch at the end
    Result<DecodedBatch> batch = DecodeBatch(rest.first(h->total_size()), max_decompressed);
    if (!batch) return Error(batch.error().WithContext("batch at byte " + std::to_string(pos)));
    out.push_back(std::move(*batch));
    pos += h->total_size();
  }
  return out;
}

std::optional<TimestampedOffset> FirstRecordAtOrAfter(const DecodedBatch& batch, int64_t timestamp,
                                                      Offset min_offset) {
  for (const Record& record : batch.records()) {
    if (record.timestamp >= timestamp && record.offset >= min_offset) {
      return TimestampedOffset{record.offset, record.timestamp};
    }
  }
  return std::nullopt;
}

std::expected<log::BatchHeader, BatchRejection> ValidateProducedBatch(
    ByteView records, const ProduceValidation& options) {
  auto reject = [](ProduceError error, Status status) {
    return std::unexpected<BatchRejection>(BatchRejection{error, std::move(status)});
  };
  auto corrupt = [&](std::string why) {
    return reject(ProduceError::kCorruptMessage, Status::Corruption(std::move(why)));
  };
  auto invalid = [&](std::string why) {
    return reject(ProduceError::kInvalidRecord, Status::InvalidArgument(std::move(why)));
  };

  // 1, 2: the length and the magic byte, read before the whole header is known to be there:
  // legacy message sets (magic 0 and 1) keep their magic at the same place but can be shorter.
  if (records.empty()) return invalid("no record batch");
  if (records.size() <= kMagicOffset) {
    return corrupt(std::to_string(records.size()) + " bytes are too few for a record batch");
  }
  int64_t total = static_cast<int64_t>(BatchHeader::kLengthFieldEnd) +
                  LoadBigEndian<int32_t>(records.data() + kBatchLengthOffset);
  if (total <= static_cast<int64_t>(kMagicOffset) || total > static_cast<int64_t>(records.size())) {
    return corrupt("record batch of " + std::to_string(total) + " bytes by its length field, " +
                   std::to_string(records.size()) + " sent");
  }
  auto magic = static_cast<int8_t>(records[kMagicOffset]);
  if (magic != BatchHeader::kMagic) {
    return invalid("record batch magic " + std::to_string(magic) +
                   "; Produce v3 and later take only magic 2");
  }
  if (total < static_cast<int64_t>(BatchHeader::kSize)) {
    return corrupt("record batch of " + std::to_string(total) +
                   " bytes is shorter than its header");
  }
  if (total < static_cast<int64_t>(records.size())) {
    return invalid(std::to_string(records.size() - static_cast<size_t>(total)) +
                   " bytes follow the record batch; a partition takes exactly one batch");
  }
  Result<BatchHeader> parsed = BatchHeader::Parse(records);
  if (!parsed) return corrupt(parsed.error().message());
  const BatchHeader& h = *parsed;

  // 3. CRC.
  if (Status crc = BatchHeader::Verify(records); !crc.ok()) return corrupt(crc.message());

  // 4, 5. Codec.
  std::optional<Compression> codec = CompressionFromCodec(h.compression());
  if (!codec) return corrupt("unknown compression codec " + std::to_string(h.compression()));
  if (*codec == Compression::kZstd && options.produce_version < 7) {
    return reject(ProduceError::kUnsupportedCompressionType,
                  Status::Unsupported("zstd needs Produce v7 or later, the request is v" +
                                      std::to_string(options.produce_version)));
  }

  // 6. Clients write neither transaction markers nor (Tarn has no transactions) transactions.
  if (h.is_control()) return invalid("clients may not write control batches");
  if (h.is_transactional()) return invalid("transactional batches are not supported");

  // 7. Size.
  if (records.size() > static_cast<size_t>(std::max(options.max_message_bytes, 0))) {
    return reject(ProduceError::kMessageTooLarge,
                  Status::ResourceExhausted("record batch of " + std::to_string(records.size()) +
                                            " bytes exceeds max.message.bytes " +
                                            std::to_string(options.max_message_bytes)));
  }

  // 8. Kafka's LogValidator checks of a client's batch.
  if (h.records_count <= 0) return invalid("record batch holds no records");
  if (h.last_offset_delta != h.records_count - 1) {
    return invalid("lastOffsetDelta " + std::to_string(h.last_offset_delta) +
                   " disagrees with recordsCount " + std::to_string(h.records_count));
  }
  if (h.producer_id >= 0 && h.base_sequence < 0) {
    return invalid("producer id " + std::to_string(h.producer_id) + " with base sequence " +
                   std::to_string(h.base_sequence));
  }
  if (!options.verify_records) return h;

  // 9. Every record.
  Result<std::optional<Bytes>> decompressed =
      DecompressRecords(records, h, options.max_decompressed_bytes);
  if (!decompressed) {
    if (decompressed.error().code() == StatusCode::kResourceExhausted) {
      return reject(ProduceError::kMessageTooLarge, decompressed.error());
    }
    return corrupt(decompressed.error().message());
  }
  ByteView section =
      decompressed->has_value() ? ByteView(**decompressed) : records.subspan(BatchHeader::kSize);
  int32_t misplaced = -1;  // the first record whose offsetDelta is not its index
  int32_t keyless = -1;    // the first record without a key
  Status status = ParseRecords(
      section, h, [](const RecordHeader&) {},
      [&](int32_t index, Record&& record, int32_t offset_delta, int32_t) {
        if (misplaced < 0 && offset_delta != index) misplaced = index;
        if (keyless < 0 && !record.key.has_value()) keyless = index;
      });
  if (!status.ok()) return corrupt(status.message());
  if (misplaced >= 0) {
    return invalid("record " + std::to_string(misplaced) + " has offsetDelta other than " +
                   std::to_string(misplaced));
  }
  if (options.require_keys && keyless >= 0) {
    return invalid("record " + std::to_string(keyless) +
                   " has no key; a compacted topic needs a key on every record");
  }
  return h;
}

}  // namespace tarn::kafka
