#include "kafka/compression.h"

#include <gtest/gtest.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

namespace tarn::kafka {
namespace {

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};
constexpr Compression kCompressingCodecs[] = {Compression::kGzip, Compression::kSnappy,
                                              Compression::kLz4, Compression::kZstd};
constexpr size_t kUnlimited = SIZE_MAX;

// Text that compresses the way event payloads do: repeated field names, varying values.
Bytes EventLikeBytes(size_t size, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < size) {
    s += R"({"type":"order-placed","id":")" + std::to_string(rng()) + R"(","amount":)" +
         std::to_string(rng() % 10000) + "}\n";
  }
  s.resize(size);
  return Bytes(s.begin(), s.end());
}

Bytes RandomBytes(size_t size, uint32_t seed = 11) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes MustCompress(Compression codec, const Bytes& input) {
  Result<Bytes> out = Compress(codec, input);
  EXPECT_TRUE(out.has_value()) << out.error().ToString();
  return out.value_or(Bytes{});
}

void ExpectRoundTrip(Compression codec, const Bytes& input) {
  SCOPED_TRACE(std::string(CompressionName(codec)) + ", " + std::to_string(input.size()) +
               " bytes");
  Bytes compressed = MustCompress(codec, input);
  Result<Bytes> back = Decompress(codec, compressed, input.size());
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(*back, input);
}

TEST(CompressionTest, EveryCodecRoundTripsEmptySmallLargeAndIncompressibleInputs) {
  for (Compression codec : kCodecs) {
    ExpectRoundTrip(codec, {});
    ExpectRoundTrip(codec, EventLikeBytes(100));
    ExpectRoundTrip(codec, EventLikeBytes(1 << 20));
    ExpectRoundTrip(codec, RandomBytes(100'000));
  }
}

TEST(CompressionTest, CompressingCodecsShrinkEventLikeData) {
  Bytes input = EventLikeBytes(1 << 20);
  for (Compression codec : kCompressingCodecs) {
    EXPECT_LT(MustCompress(codec, input).size(), input.size() / 2) << CompressionName(codec);
  }
}

TEST(CompressionTest, NamesAndCodecNumbersAreKafkas) {
  EXPECT_EQ(CompressionName(Compression::kNone), "none");
  EXPECT_EQ(CompressionName(Compression::kGzip), "gzip");
  EXPECT_EQ(CompressionName(Compression::kSnappy), "snappy");
  EXPECT_EQ(CompressionName(Compression::kLz4), "lz4");
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
  for (int codec = 0; codec <= 4; ++codec) {
    EXPECT_EQ(CompressionFromCodec(codec), static_cast<Compression>(codec));
  }
  EXPECT_EQ(CompressionFromCodec(5), std::nullopt);
  EXPECT_EQ(CompressionFromCodec(7), std::nullopt);
  EXPECT_EQ(CompressionFromCodec(-1), std::nullopt);
}

// ---- stream forms other writers produce -------------------------------------------------

// Java's (and kafka-python's) snappy framing, built from the documented layout.
Bytes XerialFrame(const Bytes& input, size_t chunk_size) {
  Bytes out = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  for (size_t pos = 0; pos < input.size(); pos += chunk_size) {
    size_t n = std::min(chunk_size, input.size() - pos);
    std::string chunk;
    snappy::Compress(reinterpret_cast<const char*>(input.data() + pos), n, &chunk);
    uint8_t length[4];
    StoreBigEndian<int32_t>(length, static_cast<int32_t>(chunk.size()));
    out.insert(out.end(), length, length + 4);
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

TEST(CompressionTest, SnappyReadsXerialFramingAsJavaWritesIt) {
  Bytes input = EventLikeBytes(100'000);
  Result<Bytes> out = Decompress(Compression::kSnappy, XerialFrame(input, 32 * 1024), 1 << 20);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(*out, input);

  // A header with no chunks is an empty stream.
  out = Decompress(Compression::kSnappy, XerialFrame({}, 32 * 1024), 1 << 20);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_TRUE(out->empty());
}

TEST(CompressionTest, SnappyWritesRawSnappyAsLibrdkafkaDoes) {
  Bytes input = EventLikeBytes(10'000);
  Bytes compressed = MustCompress(Compression::kSnappy, input);
  std::string plain;
  ASSERT_TRUE(snappy::Uncompress(reinterpret_cast<const char*>(compressed.data()),
                                 compressed.size(), &plain));
  EXPECT_EQ(Bytes(plain.begin(), plain.end()), input);
}

TEST(CompressionTest, SnappyRefusesBrokenXerialFraming) {
  Bytes framed = XerialFrame(EventLikeBytes(100'000), 32 * 1024);
  Bytes short_header(framed.begin(), framed.begin() + 12);
  EXPECT_EQ(Decompress(Compression::kSnappy, short_header, kUnlimited).error().code(),
            StatusCode::kCorruption);
  Bytes cut_length(framed.begin(), framed.begin() + 18);  // two of a chunk length's four bytes
  EXPECT_EQ(Decompress(Compression::kSnappy, cut_length, kUnlimited).error().code(),
            StatusCode::kCorruption);
  Bytes cut_chunk(framed.begin(), framed.end() - 1);
  EXPECT_EQ(Decompress(Compression::kSnappy, cut_chunk, kUnlimited).error().code(),
            StatusCode::kCorruption);
  Bytes negative = framed;
  StoreBigEndian<int32_t>(negative.data() + 16, -5);
  EXPECT_EQ(Decompress(Compression::kSnappy, negative, kUnlimited).error().code(),
            StatusCode::kCorruption);
}

TEST(CompressionTest, GzipReadsConcatenatedMembers) {
  Bytes a = EventLikeBytes(5'000, 1), b = EventLikeBytes(70'000, 2);
  Bytes two = Concat(MustCompress(Compression::kGzip, a), MustCompress(Compression::kGzip, b));
  Result<Bytes> out = Decompress(Compression::kGzip, two, kUnlimited);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(*out, Concat(a, b));
}

TEST(CompressionTest, GzipRefusesTrailingGarbage) {
  Bytes stream = MustCompress(Compression::kGzip, EventLikeBytes(1000));
  stream.push_back(0x42);
  stream.push_back(0x42);
  Result<Bytes> out = Decompress(Compression::kGzip, stream, kUnlimited);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), StatusCode::kCorruption);
}

TEST(CompressionTest, Lz4ReadsConcatenatedFramesAndFramesWithContentSizeAndChecksum) {
  Bytes a = EventLikeBytes(5'000, 1), b = EventLikeBytes(200'000, 2);
  // A frame as other writers may make it: linked 256 KiB blocks, content size, checksums.
  LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
  prefs.frameInfo.blockSizeID = LZ4F_max256KB;
  prefs.frameInfo.blockMode = LZ4F_blockLinked;
  prefs.frameInfo.contentSize = b.size();
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  Bytes framed(LZ4F_compressFrameBound(b.size(), &prefs));
  size_t n = LZ4F_compressFrame(framed.data(), framed.size(), b.data(), b.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  framed.resize(n);

  Result<Bytes> out = Decompress(Compression::kLz4, framed, kUnlimited);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(*out, b);

  out =
      Decompress(Compression::kLz4, Concat(MustCompress(Compression::kLz4, a), framed), kUnlimited);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(*out, Concat(a, b));

  framed[framed.size() / 2] ^= 0x20;  // the block checksum catches it
  EXPECT_EQ(Decompress(Compression::kLz4, framed, kUnlimited).error().code(),
            StatusCode::kCorruption);
}

// A frame without a content size, as Java's streaming zstd writes it.
Bytes ZstdStreamed(const Bytes& input) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  Bytes out(ZSTD_compressBound(input.size()) + 64);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  // Feeding it in two calls, the first with ZSTD_e_continue, keeps the size out of the header.
  in.size = input.size() / 2;
  ZSTD_compressStream2(cctx, &dst, &in, ZSTD_e_continue);
  in.size = input.size();
  size_t left = ZSTD_compressStream2(cctx, &dst, &in, ZSTD_e_end);
  EXPECT_EQ(left, 0u);
  ZSTD_freeCCtx(cctx);
  out.resize(dst.pos);
  return out;
}

TEST(CompressionTest, ZstdReadsFramesWithoutContentSizeAndConcatenatedFrames) {
  Bytes a = EventLikeBytes(5'000, 1), b = EventLikeBytes(300'000, 2);
  Bytes streamed = ZstdStreamed(b);
  ASSERT_EQ(ZSTD_getFrameContentSize(streamed.data(), streamed.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  Result<Bytes> out = Decompress(Compression::kZstd, streamed, kUnlimited);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(*out, b);

  // The first frame declares its size, so the one-call path runs first and must step aside.
  out = Decompress(Compression::kZstd, Concat(MustCompress(Compression::kZstd, a), streamed),
                   kUnlimited);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(*out, Concat(a, b));
}

// ---- hostile input ----------------------------------------------------------------------

TEST(CompressionTest, DecompressionBombsAreRefusedAtTheLimit) {
  Bytes zeros(8 << 20, 0);
  for (Compression codec : kCodecs) {
    SCOPED_TRACE(CompressionName(codec));
    Bytes compressed = MustCompress(codec, zeros);
    Result<Bytes> out = Decompress(codec, compressed, 1 << 20);
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(out.error().message().find("more than 1048576 bytes"), std::string::npos)
        << out.error().message();
    // Exactly at the limit is fine; one byte under is not.
    EXPECT_TRUE(Decompress(codec, compressed, zeros.size()).has_value());
    EXPECT_EQ(Decompress(codec, compressed, zeros.size() - 1).error().code(),
              StatusCode::kResourceExhausted);
  }
}

TEST(CompressionTest, StreamedZstdAndXerialBombsAreRefusedToo) {
  Bytes zeros(8 << 20, 0);
  EXPECT_EQ(Decompress(Compression::kZstd, ZstdStreamed(zeros), 1 << 20).error().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(Decompress(Compression::kSnappy, XerialFrame(zeros, 64 * 1024), 1 << 20).error().code(),
            StatusCode::kResourceExhausted);
}

TEST(CompressionTest, SizeClaimsBeyondWhatTheInputCanHoldAreCorruptionNotAllocations) {
  // A zstd frame declaring 2^40 bytes of content, holding one RLE block of one byte.
  const Bytes zstd = {0x28, 0xb5, 0x2f, 0xfd,              // magic
                      0xe0,                                // single segment, 8-byte content size
                      0,    0,    0,    0,    0, 1, 0, 0,  // content size 2^40, little-endian
                      0x0b, 0,    0,                       // last block, RLE, size 1
                      0x61};
  Result<Bytes> out = Decompress(Compression::kZstd, zstd, kUnlimited);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), StatusCode::kCorruption) << out.error().ToString();

  // Raw snappy announcing 2^32 - 1 bytes in a five-byte varint, then nothing.
  const Bytes snappy = {0xff, 0xff, 0xff, 0xff, 0x0f};
  out = Decompress(Compression::kSnappy, snappy, kUnlimited);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), StatusCode::kCorruption) << out.error().ToString();
}

TEST(CompressionTest, EveryTruncationIsAnErrorNeverACrash) {
  Bytes input = EventLikeBytes(3'000);
  for (Compression codec : kCompressingCodecs) {
    SCOPED_TRACE(CompressionName(codec));
    Bytes compressed = MustCompress(codec, input);
    for (size_t n = 0; n < compressed.size(); ++n) {
      Result<Bytes> out = Decompress(codec, ByteView(compressed).first(n), kUnlimited);
      ASSERT_FALSE(out.has_value()) << "a prefix of " << n << " bytes decompressed";
      EXPECT_EQ(out.error().code(), StatusCode::kCorruption) << out.error().ToString();
    }
  }
}

TEST(CompressionTest, GarbageIsCorruption) {
  Bytes garbage = RandomBytes(1000);
  for (Compression codec : kCompressingCodecs) {
    Result<Bytes> out = Decompress(codec, garbage, kUnlimited);
    ASSERT_FALSE(out.has_value()) << CompressionName(codec);
    EXPECT_EQ(out.error().code(), StatusCode::kCorruption) << out.error().ToString();
  }
}

TEST(CompressionTest, ContextsRecoverAfterAFailure) {
  // The per-thread lz4 and zstd contexts must not carry a failed stream into the next call.
  Bytes input = EventLikeBytes(50'000);

  // An lz4 frame that declares its content size, cut short, then one that does not declare it.
  LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
  prefs.frameInfo.contentSize = input.size();
  Bytes sized(LZ4F_compressFrameBound(input.size(), &prefs));
  sized.resize(LZ4F_compressFrame(sized.data(), sized.size(), input.data(), input.size(), &prefs));
  EXPECT_FALSE(Decompress(Compression::kLz4, ByteView(sized).first(sized.size() / 2), kUnlimited)
                   .has_value());
  EXPECT_TRUE(Decompress(Compression::kLz4, MustCompress(Compression::kLz4, input), kUnlimited)
                  .has_value());

  for (Compression codec : {Compression::kLz4, Compression::kZstd}) {
    Bytes compressed = MustCompress(codec, input);
    EXPECT_FALSE(Decompress(codec, ByteView(compressed).first(compressed.size() / 2), kUnlimited)
                     .has_value());
    EXPECT_FALSE(Decompress(codec, compressed, 100).has_value());
    Result<Bytes> out = Decompress(codec, compressed, kUnlimited);
    ASSERT_TRUE(out.has_value()) << out.error().ToString();
    EXPECT_EQ(*out, input);
  }
}

}  // namespace
}  // namespace tarn::kafka
