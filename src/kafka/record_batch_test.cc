#include "kafka/record_batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "base/crc32c.h"
#include "kafka/record_batch_builder.h"

namespace tarn::kafka {
namespace {

using ::testing::HasSubstr;

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};
constexpr size_t kMaxDecompressed = 64 << 20;
constexpr int64_t kTime = 1'700'000'000'000;

// ---- helpers ----------------------------------------------------------------------------

std::optional<ByteView> View(std::string_view s) { return AsBytes(s); }
std::string Str(std::optional<ByteView> b) { return b ? std::string(AsString(*b)) : "<null>"; }

// What a test expects of one decoded record; "<null>" stands for a null key or value.
struct Expected {
  int64_t offset;
  int64_t timestamp;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

void ExpectRecord(const Record& r, const Expected& e) {
  EXPECT_EQ(r.offset, Offset(e.offset));
  EXPECT_EQ(r.timestamp, e.timestamp);
  EXPECT_EQ(r.attributes, 0);
  EXPECT_EQ(Str(r.key), e.key);
  EXPECT_EQ(Str(r.value), e.value);
  ASSERT_EQ(r.headers.size(), e.headers.size());
  for (size_t j = 0; j < e.headers.size(); ++j) {
    EXPECT_EQ(r.headers[j].key, e.headers[j].first);
    EXPECT_EQ(Str(r.headers[j].value), e.headers[j].second);
  }
}

Bytes MustBuild(const RecordBatchBuilder& builder) {
  Result<Bytes> batch = builder.Build();
  EXPECT_TRUE(batch.has_value()) << batch.error().ToString();
  return batch.value_or(Bytes{});
}

DecodedBatch MustDecode(ByteView batch) {
  Result<DecodedBatch> decoded = DecodeBatch(batch, kMaxDecompressed);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().ToString();
  return std::move(decoded).value();
}

// A batch of `n` records with values "value-<i>" and timestamps kTime + i.
Bytes SimpleBatch(Compression codec, int n = 3) {
  RecordBatchBuilder builder(codec);
  for (int i = 0; i < n; ++i) {
    std::string value = "value-" + std::to_string(i);
    builder.Add(View("key"), AsBytes(value), kTime + i);
  }
  return MustBuild(builder);
}

// Header fields are edited in place; the CRC is then recomputed so only the edit is wrong.
void Reseal(Bytes& batch) {
  StoreBigEndian<uint32_t>(batch.data() + log::BatchHeader::kCrcOffset,
                           Crc32c(ByteView(batch).subspan(log::BatchHeader::kCrcCoverageStart)));
}
void SetAttributes(Bytes& batch, int16_t attributes) {
  StoreBigEndian<int16_t>(batch.data() + 21, attributes);
  Reseal(batch);
}

Bytes Appended(Bytes batch, const Bytes& more) {
  batch.insert(batch.end(), more.begin(), more.end());
  return batch;
}

// One record of `n` zero bytes: compresses to almost nothing.
Bytes ZerosBatch(Compression codec, size_t n) {
  RecordBatchBuilder builder(codec);
  Bytes zeros(n, 0);
  builder.Add(std::nullopt, ByteView(zeros), kTime);
  return MustBuild(builder);
}

// ---- the exact bytes --------------------------------------------------------------------

// Appends big-endian integers, to spell a batch out field by field.
struct Spell {
  Bytes bytes;
  template <typename T>
  Spell& Int(T v) {
    uint8_t b[sizeof(T)];
    StoreBigEndian<T>(b, v);
    bytes.insert(bytes.end(), b, b + sizeof(T));
    return *this;
  }
  Spell& Raw(std::initializer_list<uint8_t> raw) {
    bytes.insert(bytes.end(), raw);
    return *this;
  }
};

TEST(RecordBatchTest, BuilderWritesTheSpecifiedBytes) {
  // One record, key "k", value "v", header "h" = "x", uncompressed, no producer id, laid out
  // per Kafka's DefaultRecordBatch and DefaultRecord. The CRC was computed independently (by
  // kafka-python 2.0.2's DefaultRecordBatchBuilder, whose output is these same 74 bytes).
  Bytes expected = Spell()
                       .Int<int64_t>(0)            // baseOffset
                       .Int<int32_t>(62)           // batchLength: 49 header bytes + 13
                       .Int<int32_t>(0)            // partitionLeaderEpoch
                       .Int<int8_t>(2)             // magic
                       .Int<uint32_t>(0x5e93538d)  // crc
                       .Int<int16_t>(0)            // attributes
                       .Int<int32_t>(0)            // lastOffsetDelta
                       .Int<int64_t>(kTime)        // baseTimestamp
                       .Int<int64_t>(kTime)        // maxTimestamp
                       .Int<int64_t>(-1)           // producerId
                       .Int<int16_t>(-1)           // producerEpoch
                       .Int<int32_t>(-1)           // baseSequence
                       .Int<int32_t>(1)            // recordsCount
                       .Raw({0x18,                 // length 12 (zigzag)
                             0x00,                 // attributes
                             0x00,                 // timestampDelta 0
                             0x00,                 // offsetDelta 0
                             0x02, 'k',            // key length 1, key
                             0x02, 'v',            // value length 1, value
                             0x02,                 // 1 header
                             0x02, 'h',            // header key
                             0x02, 'x'})           // header value
                       .bytes;
  ASSERT_EQ(expected.size(), 74u);

  RecordBatchBuilder builder;
  RecordHeader header{"h", View("x")};
  builder.Add(View("k"), View("v"), kTime, {&header, 1});
  EXPECT_EQ(MustBuild(builder), expected);

  DecodedBatch decoded = MustDecode(expected);
  ASSERT_EQ(decoded.records().size(), 1u);
  ExpectRecord(decoded.records()[0], {0, kTime, "k", "v", {{"h", "x"}}});
}

TEST(RecordBatchTest, DecodesAGzipBatchWrittenByKafkaPython) {
  // kafka-python 2.0.2: three records, key "key<i>", value "value<i>" x 10, header
  // ce_type = order-placed, timestamps kTime + i.
  const Bytes batch = {
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8a, 0x00, 0x00, 0x00,
      0x00, 0x02, 0x96, 0x1b, 0x21, 0x77, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01,
      0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x02, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
      0x03, 0x1f, 0x8b, 0x08, 0x00, 0xaa, 0x6c, 0x02, 0x6b, 0x02, 0xff, 0xdb, 0xc6, 0xc8, 0xc0,
      0xc0, 0xc0, 0x91, 0x9d, 0x5a, 0x69, 0x50, 0x51, 0x96, 0x98, 0x53, 0x9a, 0x6a, 0x40, 0x1e,
      0xc9, 0xc4, 0x97, 0x9c, 0x1a, 0x5f, 0x52, 0x59, 0x90, 0x2a, 0x91, 0x5f, 0x94, 0x92, 0x5a,
      0xa4, 0x5b, 0x90, 0x93, 0x98, 0x9c, 0x9a, 0xb2, 0x8d, 0x91, 0x81, 0x89, 0x09, 0x64, 0xb8,
      0x21, 0xc4, 0x70, 0x43, 0xf2, 0x48, 0x9c, 0x86, 0xb3, 0xb0, 0x80, 0x0c, 0x37, 0x82, 0x18,
      0x6e, 0x44, 0x1e, 0x89, 0xdd, 0x70, 0x00, 0xd7, 0x83, 0x5e, 0x6b, 0x17, 0x01, 0x00, 0x00};
  ASSERT_TRUE(ValidateProducedBatch(batch, {.produce_version = 7}).has_value());
  DecodedBatch decoded = MustDecode(batch);
  EXPECT_EQ(decoded.compression(), Compression::kGzip);
  ASSERT_EQ(decoded.records().size(), 3u);
  for (int i = 0; i < 3; ++i) {
    std::string value;
    for (int j = 0; j < 10; ++j) value += "value" + std::to_string(i);
    ExpectRecord(decoded.records()[i],
                 {i, kTime + i, "key" + std::to_string(i), value, {{"ce_type", "order-placed"}}});
  }
}

// ---- round trips ------------------------------------------------------------------------

TEST(RecordBatchTest, EveryCodecRoundTripsNullsHeadersAndManyRecords) {
  constexpr int kRecords = 1000;
  for (Compression codec : kCodecs) {
    SCOPED_TRACE(CompressionName(codec));
    RecordBatchBuilder builder(codec);
    builder.SetProducer(ProducerId(42), ProducerEpoch(3), 17);
    std::vector<std::string> values;
    for (int i = 0; i < kRecords; ++i) values.push_back(std::string(i % 50, 'a' + i % 26));
    for (int i = 0; i < kRecords; ++i) {
      // Up to three headers, the third with a null value.
      const RecordHeader all_headers[] = {{"ce_type", View("v")}, {"h1", View("v")}, {"h2", {}}};
      std::span<const RecordHeader> headers(all_headers, static_cast<size_t>(i % 4));
      std::optional<ByteView> key;  // null, "k" or empty (not null)
      if (i % 3 == 1) key = View("k");
      if (i % 3 == 2) key = ByteView();
      std::optional<ByteView> value;
      if (i % 5 != 0) value = AsBytes(values[i]);
      // Timestamps go backwards too: deltas may be negative.
      builder.Add(key, value, kTime + (i % 7) * 1000 - 3000, headers);
    }
    EXPECT_EQ(builder.record_count(), kRecords);
    Bytes batch = MustBuild(builder);
    ASSERT_TRUE(ValidateProducedBatch(batch, {.produce_version = 9}).has_value());

    DecodedBatch decoded = MustDecode(batch);
    const log::BatchHeader& h = decoded.header();
    EXPECT_EQ(decoded.compression(), codec);
    EXPECT_EQ(h.records_count, kRecords);
    EXPECT_EQ(h.last_offset_delta, kRecords - 1);
    EXPECT_EQ(h.producer_id, 42);
    EXPECT_EQ(h.producer_epoch, 3);
    EXPECT_EQ(h.base_sequence, 17);
    EXPECT_EQ(h.base_timestamp, kTime - 3000);
    EXPECT_EQ(h.max_timestamp, kTime + 3000);
    ASSERT_EQ(decoded.records().size(), static_cast<size_t>(kRecords));
    const std::vector<std::pair<std::string, std::string>> all_headers = {
        {"ce_type", "v"}, {"h1", "v"}, {"h2", "<null>"}};
    for (int i = 0; i < kRecords; ++i) {
      SCOPED_TRACE(i);
      ExpectRecord(decoded.records()[i], {i,
                                          kTime + (i % 7) * 1000 - 3000,
                                          i % 3 == 0   ? "<null>"
                                          : i % 3 == 1 ? "k"
                                                       : "",
                                          i % 5 == 0 ? "<null>" : values[i],
                                          {all_headers.begin(), all_headers.begin() + i % 4}});
    }
  }
}

TEST(RecordBatchTest, ViewsSurviveMovingTheDecodedBatch) {
  Bytes batch = SimpleBatch(Compression::kZstd, 50);
  std::vector<DecodedBatch> kept;
  for (int i = 0; i < 10; ++i) kept.push_back(MustDecode(batch));  // the vector reallocates
  for (const DecodedBatch& decoded : kept) {
    EXPECT_EQ(Str(decoded.records()[49].value), "value-49");
  }
}

TEST(RecordBatchTest, OffsetsFollowTheAssignedBaseOffset) {
  Bytes batch = SimpleBatch(Compression::kLz4, 3);
  log::BatchHeader::AssignOffset(batch, Offset(1000), 5);  // outside the CRC
  DecodedBatch decoded = MustDecode(batch);
  EXPECT_EQ(decoded.records()[0].offset, Offset(1000));
  EXPECT_EQ(decoded.records()[2].offset, Offset(1002));
  EXPECT_TRUE(ValidateProducedBatch(batch, {.produce_version = 9}).has_value());
}

TEST(RecordBatchTest, LogAppendTimeGivesEveryRecordTheMaxTimestamp) {
  Bytes batch = SimpleBatch(Compression::kNone, 3);
  StoreBigEndian<int64_t>(batch.data() + 35, kTime + 99);  // maxTimestamp
  SetAttributes(batch, 0x08);
  DecodedBatch decoded = MustDecode(batch);
  for (const Record& r : decoded.records()) EXPECT_EQ(r.timestamp, kTime + 99);
}

TEST(RecordBatchTest, BuildingNothingIsRefused) {
  RecordBatchBuilder builder;
  EXPECT_EQ(builder.Build().error().code(), StatusCode::kFailedPrecondition);
}

TEST(RecordBatchTest, BuilderSetsControlAndTransactionalBits) {
  RecordBatchBuilder builder(Compression::kSnappy);
  builder.SetControl(true);
  builder.SetTransactional(true);
  builder.Add(std::nullopt, View("marker"), kTime);
  DecodedBatch decoded = MustDecode(MustBuild(builder));
  EXPECT_TRUE(decoded.header().is_control());
  EXPECT_TRUE(decoded.header().is_transactional());
  EXPECT_EQ(decoded.compression(), Compression::kSnappy);
}

// ---- corruption -------------------------------------------------------------------------

TEST(RecordBatchTest, AFlippedBitAnywhereInTheCrcCoverageIsCorruption) {
  for (Compression codec : kCodecs) {
    Bytes good = SimpleBatch(codec, 5);
    for (size_t i = log::BatchHeader::kCrcOffset; i < good.size(); ++i) {
      Bytes bad = good;
      bad[i] ^= 0x04;
      Result<DecodedBatch> decoded = DecodeBatch(bad, kMaxDecompressed);
      ASSERT_FALSE(decoded.has_value()) << CompressionName(codec) << " byte " << i;
      EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
    }
  }
}

TEST(RecordBatchTest, EveryTruncationIsAnErrorNeverACrash) {
  for (Compression codec : kCodecs) {
    Bytes batch = SimpleBatch(codec, 5);
    for (size_t n = 0; n < batch.size(); ++n) {
      Result<DecodedBatch> decoded = DecodeBatch(ByteView(batch).first(n), kMaxDecompressed);
      ASSERT_FALSE(decoded.has_value()) << CompressionName(codec) << " prefix " << n;
      EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
      // And with the length field and CRC made to agree, so the record parser sees the cut.
      if (n >= log::BatchHeader::kSize) {
        Bytes cut(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
        StoreBigEndian<int32_t>(cut.data() + 8, static_cast<int32_t>(n - 12));
        Reseal(cut);
        decoded = DecodeBatch(cut, kMaxDecompressed);
        ASSERT_FALSE(decoded.has_value()) << CompressionName(codec) << " resealed prefix " << n;
        EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
      }
    }
  }
}

// An uncompressed batch with the given records section and count, length and CRC right.
Bytes Crafted(const Bytes& records, int32_t count) {
  Bytes batch = SimpleBatch(Compression::kNone, 1);
  batch.resize(log::BatchHeader::kSize);
  batch.insert(batch.end(), records.begin(), records.end());
  StoreBigEndian<int32_t>(batch.data() + 8, static_cast<int32_t>(batch.size() - 12));
  StoreBigEndian<int32_t>(batch.data() + 23, count - 1);
  StoreBigEndian<int32_t>(batch.data() + 57, count);
  Reseal(batch);
  return batch;
}

std::string DecodeError(const Bytes& batch) {
  Result<DecodedBatch> decoded = DecodeBatch(batch, kMaxDecompressed);
  if (decoded.has_value()) return "decoded";
  EXPECT_EQ(decoded.error().code(), StatusCode::kCorruption);
  return decoded.error().message();
}

TEST(RecordBatchTest, RecordErrorsNameTheRecordAndTheField) {
  // A minimal valid record: length 6, attributes, deltas 0, null key, null value, no headers.
  const Bytes rec0 = {0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00};
  struct Case {
    Bytes records;
    int32_t count;
    std::string error;
  };
  const Case cases[] = {
      {rec0, 1, "decoded"},
      {rec0, 2, "record 1 of 2: missing"},
      {Appended(rec0, rec0), 1, "7 bytes follow the last of 1"},
      {Appended(rec0, {0x7f}), 2, "record 1 of 2: length -64"},
      {Appended(rec0, {0x0e, 0x00}), 2, "record 1 of 2: length 7 overruns the 1 bytes left"},
      {Appended(rec0, {0x80}), 2, "record 1 of 2: bad length"},
      // Key length -2.
      {{0x0c, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00}, 1, "record 0 of 1: negative key length"},
      // A value of 5 bytes in a record that has 1 left.
      {{0x0e, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x61, 0x00},
       1,
       "record 0 of 1: value of 5 bytes overruns the record"},
      // Length 8 where the fields take 6.
      {{0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00}, 1, "record 0 of 1: 2 bytes left"},
      // Length 5 where the fields take 6: the header count lies past the record.
      {{0x0a, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}, 1, "record 0 of 1: bad header count"},
      // One header, with a null key.
      {{0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01},
       1,
       "record 0 of 1: header 0: null or negative key"},
      // 63 headers in no bytes.
      {{0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x7e}, 1, "record 0 of 1: header count 63"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeError(Crafted(c.records, c.count)), HasSubstr(c.error));
  }
}

TEST(RecordBatchTest, UnknownCodecIsCorruption) {
  Bytes batch = SimpleBatch(Compression::kNone);
  SetAttributes(batch, 5);
  EXPECT_THAT(DecodeError(batch), HasSubstr("unknown compression codec 5"));
}

TEST(RecordBatchTest, DecompressionLimitIsEnforced) {
  Bytes batch = ZerosBatch(Compression::kZstd, 100'000);
  Result<DecodedBatch> decoded = DecodeBatch(batch, 10'000);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(DecodeBatch(batch, 200'000).has_value());
}

// ---- many batches -----------------------------------------------------------------------

TEST(RecordBatchTest, DecodeBatchesSkipsAPartialLastBatch) {
  Bytes log;
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    Bytes batch = SimpleBatch(codec, 2);
    log.insert(log.end(), batch.begin(), batch.end());
  }
  Bytes partial = SimpleBatch(Compression::kLz4, 2);
  for (size_t cut : {size_t{0}, size_t{5}, size_t{61}, partial.size() - 1}) {
    Bytes all = log;
    all.insert(all.end(), partial.begin(), partial.begin() + static_cast<std::ptrdiff_t>(cut));
    Result<std::vector<DecodedBatch>> batches = DecodeBatches(all, kMaxDecompressed);
    ASSERT_TRUE(batches.has_value()) << batches.error().ToString();
    ASSERT_EQ(batches->size(), 3u);
    EXPECT_EQ((*batches)[1].compression(), Compression::kGzip);
    EXPECT_EQ(Str((*batches)[2].records()[1].value), "value-1");
  }
  EXPECT_TRUE(DecodeBatches({}, kMaxDecompressed)->empty());
}

TEST(RecordBatchTest, DecodeBatchesReportsACorruptBatchInTheMiddle) {
  Bytes first = SimpleBatch(Compression::kNone, 2), second = SimpleBatch(Compression::kNone, 2);
  second.back() ^= 1;
  Bytes all = first;
  all.insert(all.end(), second.begin(), second.end());
  all.insert(all.end(), first.begin(), first.end());
  Result<std::vector<DecodedBatch>> batches = DecodeBatches(all, kMaxDecompressed);
  ASSERT_FALSE(batches.has_value());
  EXPECT_EQ(batches.error().code(), StatusCode::kCorruption);
  EXPECT_THAT(batches.error().message(),
              HasSubstr("batch at byte " + std::to_string(first.size())));
}

// ---- timestamps -------------------------------------------------------------------------

TEST(RecordBatchTest, FirstRecordAtOrAfterSearchesInOffsetOrder) {
  RecordBatchBuilder builder(Compression::kGzip);
  for (int64_t ts : {100, 300, 200, 400}) builder.Add(std::nullopt, View("v"), ts);
  Bytes batch = MustBuild(builder);
  log::BatchHeader::AssignOffset(batch, Offset(10));
  DecodedBatch decoded = MustDecode(batch);
  using T = TimestampedOffset;
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 0), (T{Offset(10), 100}));
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 100), (T{Offset(10), 100}));
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 150), (T{Offset(11), 300}));
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 250), (T{Offset(11), 300}));
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 301), (T{Offset(13), 400}));
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 401), std::nullopt);
  // The log may start inside the batch.
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 0, Offset(12)), (T{Offset(12), 200}));
  EXPECT_EQ(FirstRecordAtOrAfter(decoded, 250, Offset(12)), (T{Offset(13), 400}));
}

// ---- Produce validation -----------------------------------------------------------------

struct ValidationCase {
  std::string name;
  Bytes records;
  ProduceValidation options;
  std::optional<ProduceError> expected;  // nullopt: accepted
  std::string message;                   // part of the explanation
};

// Edited copies of a batch. The With* edits recompute the CRC, so only the edit is wrong.
Bytes WithHeaderInt32(Bytes batch, size_t offset, int32_t value) {
  StoreBigEndian<int32_t>(batch.data() + offset, value);
  Reseal(batch);
  return batch;
}
Bytes WithProducerId(Bytes batch, int64_t producer_id) {
  StoreBigEndian<int64_t>(batch.data() + 43, producer_id);
  Reseal(batch);
  return batch;
}
Bytes WithAttributes(Bytes batch, int16_t attributes) {
  SetAttributes(batch, attributes);
  return batch;
}
Bytes WithMagic(Bytes batch, uint8_t magic) {
  batch[16] = magic;  // outside the CRC
  return batch;
}
Bytes WithBaseOffset(Bytes batch, int64_t base_offset) {
  log::BatchHeader::AssignOffset(batch, Offset(base_offset));
  return batch;
}
// The header of `batch` alone, claiming no records.
Bytes WithoutRecords(const Bytes& batch) {
  Bytes b(batch.begin(), batch.begin() + log::BatchHeader::kSize);
  StoreBigEndian<int32_t>(b.data() + 8, log::BatchHeader::kSize - 12);
  StoreBigEndian<int32_t>(b.data() + 23, 0);
  return WithHeaderInt32(b, 57, 0);
}
// An uncompressed batch whose second record's offsetDelta (a one-byte varint) becomes `delta`.
Bytes WithSecondOffsetDelta(Bytes batch, int8_t delta) {
  size_t second = log::BatchHeader::kSize + 1 + (batch[log::BatchHeader::kSize] >> 1);
  EXPECT_EQ(batch[second + 3], 0x02);  // length, attributes, timestampDelta, offsetDelta 1
  batch[second + 3] = static_cast<uint8_t>(delta * 2);
  Reseal(batch);
  return batch;
}
// Not resealed: the CRC no longer matches.
Bytes WithLastByteFlipped(Bytes batch) {
  batch.back() ^= 1;
  return batch;
}
Bytes Prefix(const Bytes& batch, size_t n) { return Bytes(batch.begin(), batch.begin() + n); }
// A legacy (magic 0) message with no key or value: shorter than a v2 header.
Bytes LegacyMessage() {
  Bytes b(26, 0);
  StoreBigEndian<int32_t>(b.data() + 8, 14);
  return b;
}

std::vector<ValidationCase> ValidationCases() {
  using E = ProduceError;
  const Bytes good = SimpleBatch(Compression::kNone, 3);
  const Bytes zstd = SimpleBatch(Compression::kZstd, 3);
  const auto size = static_cast<int32_t>(good.size());
  const ProduceValidation v3{.produce_version = 3}, v6{.produce_version = 6},
      v7{.produce_version = 7}, v9{.produce_version = 9},
      v9_exact{.produce_version = 9, .max_message_bytes = size},
      v9_small{.produce_version = 9, .max_message_bytes = size - 1},
      v9_unverified{.produce_version = 9, .verify_records = false},
      v9_bomb{.produce_version = 9, .max_decompressed_bytes = 10'000};
  const Bytes four_of_three = WithHeaderInt32(WithHeaderInt32(good, 57, 4), 23, 3);
  return {
      {"plain batch", good, v3, std::nullopt, ""},
      {"zstd at v7", zstd, v7, std::nullopt, ""},
      {"snappy", SimpleBatch(Compression::kSnappy), v9, std::nullopt, ""},
      {"client base offset", WithBaseOffset(good, 77), v9, std::nullopt, ""},
      {"exactly max.message.bytes", good, v9_exact, std::nullopt, ""},
      // 1. length
      {"no bytes", {}, v9, E::kInvalidRecord, "no record batch"},
      {"ten bytes", Prefix(good, 10), v9, E::kCorruptMessage, "too few"},
      {"one byte short", Prefix(good, good.size() - 1), v9, E::kCorruptMessage, "length field"},
      {"negative length", WithHeaderInt32(good, 8, -1), v9, E::kCorruptMessage, "length field"},
      {"length inside the header", WithHeaderInt32(good, 8, 20), v9, E::kCorruptMessage,
       "shorter than its header"},
      {"two batches", Appended(good, good), v9, E::kInvalidRecord, "exactly one batch"},
      {"trailing bytes", Appended(good, {0, 0, 0}), v9, E::kInvalidRecord, "3 bytes follow"},
      // 2. magic
      {"magic 1", WithMagic(good, 1), v9, E::kInvalidRecord, "magic 1"},
      {"short legacy message", LegacyMessage(), v9, E::kInvalidRecord, "magic 0"},
      // 3. CRC
      {"bad crc", WithLastByteFlipped(good), v9, E::kCorruptMessage, "CRC"},
      // 4, 5. codec
      {"codec 6", WithAttributes(good, 6), v9, E::kCorruptMessage, "unknown compression codec 6"},
      {"zstd at v6", zstd, v6, E::kUnsupportedCompressionType, "v6"},
      // 6. batch kind
      {"control", WithAttributes(good, 0x20), v9, E::kInvalidRecord, "control"},
      {"transactional", WithAttributes(good, 0x10), v9, E::kInvalidRecord, "transactional"},
      // 7. size
      {"over max.message.bytes", good, v9_small, E::kMessageTooLarge, "max.message.bytes"},
      // 8. counts and sequence
      {"no records", WithoutRecords(good), v9, E::kInvalidRecord, "no records"},
      {"lastOffsetDelta off by one", WithHeaderInt32(good, 23, 3), v9, E::kInvalidRecord,
       "lastOffsetDelta 3"},
      {"producer id without sequence", WithProducerId(good, 1000), v9, E::kInvalidRecord,
       "base sequence -1"},
      // 9. records
      {"record count beyond the records", four_of_three, v9, E::kCorruptMessage, "record 3 of 4"},
      {"same, unverified", four_of_three, v9_unverified, std::nullopt, ""},
      {"offsetDelta out of order", WithSecondOffsetDelta(good, 5), v9, E::kInvalidRecord,
       "record 1 has offsetDelta"},
      {"gzip garbage", WithAttributes(good, 1), v9, E::kCorruptMessage, "gzip data is invalid"},
      {"decompression bomb", ZerosBatch(Compression::kZstd, 100'000), v9_bomb, E::kMessageTooLarge,
       "more than 10000 bytes"},
      // Where two checks fail, the order decides.
      {"bad crc and zstd at v3", WithLastByteFlipped(zstd), v3, E::kCorruptMessage, "CRC"},
      {"transactional and too large", WithAttributes(good, 0x10), v9_small, E::kInvalidRecord,
       "transactional"},
      {"magic 1 and trailing bytes", WithMagic(Appended(good, {1, 2, 3}), 1), v9, E::kInvalidRecord,
       "magic 1"},
      {"truncated and magic 1", WithMagic(Prefix(good, good.size() - 1), 1), v9, E::kCorruptMessage,
       "length field"},
  };
}

TEST(RecordBatchTest, ProduceValidationGivesKafkasErrorForEachFault) {
  for (const ValidationCase& c : ValidationCases()) {
    SCOPED_TRACE(c.name);
    auto result = ValidateProducedBatch(c.records, c.options);
    if (!c.expected) {
      EXPECT_TRUE(result.has_value()) << result.error().status.ToString();
      continue;
    }
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(static_cast<int>(result.error().error), static_cast<int>(*c.expected))
        << result.error().status.ToString();
    EXPECT_THAT(result.error().status.message(), HasSubstr(c.message));
  }
}

TEST(RecordBatchTest, ProduceErrorsAreKafkasNumbers) {
  EXPECT_EQ(static_cast<int16_t>(ProduceError::kCorruptMessage), 2);
  EXPECT_EQ(static_cast<int16_t>(ProduceError::kMessageTooLarge), 10);
  EXPECT_EQ(static_cast<int16_t>(ProduceError::kUnsupportedCompressionType), 76);
  EXPECT_EQ(static_cast<int16_t>(ProduceError::kInvalidRecord), 87);
}

TEST(RecordBatchTest, ValidationReturnsTheHeader) {
  RecordBatchBuilder builder(Compression::kLz4);
  builder.SetProducer(ProducerId(9), ProducerEpoch(1), 40);
  builder.Add(View("k"), View("v"), kTime);
  builder.Add(View("k"), View("v"), kTime + 5);
  auto header = ValidateProducedBatch(MustBuild(builder), {.produce_version = 9});
  ASSERT_TRUE(header.has_value()) << header.error().status.ToString();
  EXPECT_EQ(header->producer_id, 9);
  EXPECT_EQ(header->base_sequence, 40);
  EXPECT_EQ(header->last_offset_delta, 1);
  EXPECT_EQ(header->max_timestamp, kTime + 5);
}

TEST(RecordBatchTest, ACompactedTopicRefusesRecordsWithoutAKey) {
  RecordBatchBuilder builder(Compression::kGzip);
  builder.Add(View("k"), View("v"), kTime);
  builder.Add(std::nullopt, View("v"), kTime);
  Bytes batch = MustBuild(builder);
  EXPECT_TRUE(ValidateProducedBatch(batch, {.produce_version = 7}).has_value());
  auto refused = ValidateProducedBatch(batch, {.produce_version = 7, .require_keys = true});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error, ProduceError::kInvalidRecord);
  EXPECT_THAT(refused.error().status.message(), HasSubstr("record 1 has no key"));
}

TEST(RecordBatchTest, ARewriteKeepsOffsetsTimestampsAndTheProducer) {
  RecordBatchBuilder builder(Compression::kZstd);
  builder.SetProducer(ProducerId(4), ProducerEpoch(2), 10);
  builder.Add(View("a"), View("1"), kTime + 3);
  builder.Add(View("b"), View("2"), kTime);
  builder.Add(View("c"), View("3"), kTime + 7);
  Bytes original = MustBuild(builder);
  log::BatchHeader::AssignOffset(original, Offset(100));
  DecodedBatch decoded = MustDecode(original);

  RecordBatchBuilder rewrite = RecordBatchBuilder::ForRewrite(decoded.header());
  rewrite.AddRecord(decoded.records()[1]);
  DecodedBatch one = MustDecode(MustBuild(rewrite));
  EXPECT_EQ(one.header().base_offset, 100);
  EXPECT_EQ(one.header().last_offset_delta, 2);
  EXPECT_EQ(one.header().records_count, 1);
  EXPECT_EQ(one.header().base_timestamp, kTime + 3);
  EXPECT_EQ(one.header().max_timestamp, kTime);
  EXPECT_EQ(one.header().producer_id, 4);
  EXPECT_EQ(one.header().producer_epoch, 2);
  EXPECT_EQ(one.header().base_sequence, 10);
  EXPECT_EQ(one.compression(), Compression::kZstd);
  ASSERT_EQ(one.records().size(), 1u);
  ExpectRecord(one.records()[0], {101, kTime, "b", "2", {}});

  Bytes empty = MustBuild(RecordBatchBuilder::ForRewrite(decoded.header()));
  DecodedBatch none = MustDecode(empty);
  EXPECT_EQ(empty.size(), log::BatchHeader::kSize);
  EXPECT_EQ(none.compression(), Compression::kNone);
  EXPECT_EQ(none.header().records_count, 0);
  EXPECT_EQ(none.header().last_offset_delta, 2);
  EXPECT_EQ(none.header().max_timestamp, kTime + 7);
}

}  // namespace
}  // namespace tarn::kafka
