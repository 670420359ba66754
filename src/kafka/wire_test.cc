#include "kafka/wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "base/bytes.h"

namespace tarn::kafka {
namespace {

Bytes Written(auto&& write) {
  Bytes out;
  WireWriter w(out);
  write(w);
  return out;
}

TEST(WireTest, FixedIntegersAreBigEndian) {
  const Bytes out = Written([](WireWriter& w) {
    w.WriteInt8(-2);
    w.WriteInt16(0x0102);
    w.WriteInt32(0x03040506);
    w.WriteInt64(0x0708090a0b0c0d0e);
    w.WriteUInt32(0xfffffffe);
    w.WriteBool(true);
  });
  EXPECT_EQ(out, (Bytes{0xfe, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0xff, 0xff, 0xff, 0xfe, 0x01}));
  WireReader r(out);
  EXPECT_EQ(r.ReadInt8(), -2);
  EXPECT_EQ(r.ReadInt16(), 0x0102);
  EXPECT_EQ(r.ReadInt32(), 0x03040506);
  EXPECT_EQ(r.ReadInt64(), 0x0708090a0b0c0d0e);
  EXPECT_EQ(r.ReadUInt32(), 0xfffffffeu);
  EXPECT_TRUE(r.ReadBool());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireTest, AnyNonZeroByteIsTrue) {
  const Bytes in = {0x00, 0x02};
  WireReader r(in);
  EXPECT_FALSE(r.ReadBool());
  EXPECT_TRUE(r.ReadBool());
}

TEST(WireTest, UnsignedVarintsMatchKnownEncodings) {
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteUvarint(0); }), Bytes{0x00});
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteUvarint(127); }), Bytes{0x7f});
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteUvarint(300); }), (Bytes{0xac, 0x02}));
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteUvarint(0xffffffff); }),
            (Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}));
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 0x7fffffffu, 0xffffffffu}) {
    const Bytes out = Written([&](WireWriter& w) { w.WriteUvarint(v); });
    WireReader r(out);
    EXPECT_EQ(r.ReadUvarint(), v);
    EXPECT_TRUE(r.ok());
  }
}

TEST(WireTest, SignedVarintsAreZigzag) {
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteVarint(-1); }), Bytes{0x01});
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteVarint(1); }), Bytes{0x02});
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteVarint(-64); }), Bytes{0x7f});
  EXPECT_EQ(Written([](WireWriter& w) { w.WriteVarint(64); }), (Bytes{0x80, 0x01}));
  for (int32_t v : {0, 1, -1, 63, -64, 1 << 20, std::numeric_limits<int32_t>::min(),
                    std::numeric_limits<int32_t>::max()}) {
    const Bytes out = Written([&](WireWriter& w) { w.WriteVarint(v); });
    WireReader r(out);
    EXPECT_EQ(r.ReadVarint(), v);
    EXPECT_TRUE(r.ok());
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    const Bytes out = Written([&](WireWriter& w) { w.WriteVarlong(v); });
    WireReader r(out);
    EXPECT_EQ(r.ReadVarlong(), v);
    EXPECT_TRUE(r.ok());
  }
}

TEST(WireTest, OverlongVarintsAreCorruption) {
  const Bytes six = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  WireReader r(six);
  r.ReadUvarint();
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);

  const Bytes too_wide = {0xff, 0xff, 0xff, 0xff, 0x1f};  // 33 bits
  WireReader r2(too_wide);
  r2.ReadUvarint();
  EXPECT_FALSE(r2.ok());

  const Bytes eleven(11, 0x80);
  WireReader r3(eleven);
  r3.ReadVarlong();
  EXPECT_FALSE(r3.ok());
}

TEST(WireTest, ClassicStringsAndBytes) {
  const Bytes out = Written([](WireWriter& w) {
    w.WriteString("ab", false);
    w.WriteNullableString(std::nullopt, false);
    w.WriteBytes(AsBytes("xyz"), false);
    w.WriteNullableBytes(std::nullopt, false);
    w.WriteArrayLength(-1, false);
  });
  EXPECT_EQ(out, (Bytes{0x00, 0x02, 'a',  'b',  0xff, 0xff, 0x00, 0x00, 0x00, 0x03, 'x',
                        'y',  'z',  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  WireReader r(out);
  EXPECT_EQ(r.ReadString(false), "ab");
  EXPECT_EQ(r.ReadNullableString(false), std::nullopt);
  EXPECT_EQ(r.ReadBytes(false), (Bytes{'x', 'y', 'z'}));
  EXPECT_EQ(r.ReadNullableBytes(false), std::nullopt);
  EXPECT_EQ(r.ReadArrayLength(false), -1);
  EXPECT_TRUE(r.ok());
}

TEST(WireTest, CompactStringsAndBytesCountPlusOne) {
  const Bytes out = Written([](WireWriter& w) {
    w.WriteString("ab", true);
    w.WriteString("", true);
    w.WriteNullableString(std::nullopt, true);
    w.WriteBytes(AsBytes("x"), true);
    w.WriteNullableBytes(std::nullopt, true);
    w.WriteArrayLength(2, true);
    w.WriteArrayLength(-1, true);
  });
  EXPECT_EQ(out, (Bytes{0x03, 'a', 'b', 0x01, 0x00, 0x02, 'x', 0x00, 0x03, 0x00}));
  WireReader r(out);
  EXPECT_EQ(r.ReadString(true), "ab");
  EXPECT_EQ(r.ReadString(true), "");
  EXPECT_EQ(r.ReadNullableString(true), std::nullopt);
  EXPECT_EQ(r.ReadBytes(true), Bytes{'x'});
  EXPECT_EQ(r.ReadNullableBytes(true), std::nullopt);
  EXPECT_EQ(r.ReadArrayLength(true), 0) << "two elements would need at least two bytes";
  EXPECT_FALSE(r.ok());
}

TEST(WireTest, NullWhereNotAllowedIsCorruption) {
  const Bytes classic = {0xff, 0xff};
  WireReader r(classic);
  EXPECT_EQ(r.ReadString(false), "");
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);

  const Bytes compact = {0x00};
  WireReader r2(compact);
  r2.ReadBytes(true);
  EXPECT_FALSE(r2.ok());
}

TEST(WireTest, NegativeLengthsBelowMinusOneAreCorruption) {
  const Bytes string_length = {0xff, 0xfe};
  WireReader r(string_length);
  r.ReadNullableString(false);
  EXPECT_FALSE(r.ok());

  const Bytes array_length = {0xff, 0xff, 0xff, 0xfe};
  WireReader r2(array_length);
  r2.ReadArrayLength(false);
  EXPECT_FALSE(r2.ok());
}

TEST(WireTest, LengthsBeyondTheInputAreRefusedBeforeAllocating) {
  const Bytes bytes_length = {0x7f, 0xff, 0xff, 0xff, 0x00};
  WireReader r(bytes_length);
  EXPECT_TRUE(r.ReadBytes(false).empty());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);

  const Bytes array_length = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x00};
  WireReader r2(array_length);
  EXPECT_EQ(r2.ReadArrayLength(false), 0);
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("array of 2147483647 elements"), std::string::npos);

  const Bytes compact_array = {0xff, 0xff, 0xff, 0xff, 0x0f};
  WireReader r3(compact_array);
  r3.ReadArrayLength(true);
  EXPECT_FALSE(r3.ok());
}

TEST(WireTest, CompactStringsLongerThanAnInt16AreCorruption) {
  Bytes in;
  WireWriter w(in);
  w.WriteUvarint(0x8000 + 1);
  in.resize(in.size() + 0x8000, 'a');
  WireReader r(in);
  r.ReadString(true);
  EXPECT_FALSE(r.ok());
}

TEST(WireTest, ErrorsAreStickyAndNameTheOffset) {
  const Bytes in = {0x00, 0x01, 0x02};
  WireReader r(in);
  EXPECT_EQ(r.ReadInt16(), 1);
  EXPECT_EQ(r.ReadInt32(), 0);
  EXPECT_EQ(r.status().message(), "truncated: 4 bytes needed, 1 left at byte 2");
  EXPECT_EQ(r.ReadInt8(), 0) << "nothing is read after an error, even what would fit";
  EXPECT_EQ(r.status().message(), "truncated: 4 bytes needed, 1 left at byte 2");
}

TEST(WireTest, UnknownTaggedFieldsAreSkipped) {
  const Bytes in = {0x02,                 // two tagged fields
                    0x00, 0x03, 1, 2, 3,  // tag 0, 3 bytes
                    0x05, 0x01, 9,        // tag 5, 1 byte
                    0x2a};                // the next field
  WireReader r(in);
  r.SkipTaggedFields();
  EXPECT_EQ(r.ReadInt8(), 0x2a);
  EXPECT_TRUE(r.ok());

  const Bytes truncated = {0x01, 0x00, 0x05, 1, 2};
  WireReader r2(truncated);
  r2.SkipTaggedFields();
  EXPECT_FALSE(r2.ok());

  const Bytes lying_count = {0x7f};
  WireReader r3(lying_count);
  r3.SkipTaggedFields();
  EXPECT_FALSE(r3.ok());
}

TEST(WireTest, UuidRoundTrips) {
  Uuid id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(i * 7);
  const Bytes out = Written([&](WireWriter& w) { w.WriteUuid(id); });
  ASSERT_EQ(out.size(), 16u);
  WireReader r(out);
  EXPECT_EQ(r.ReadUuid(), id);
}

TEST(WireTest, ViewsPointIntoTheInput) {
  Bytes in = {0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb};
  WireReader r{MutableByteView(in)};
  MutableByteView view = r.ReadMutableBytesView(false);
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view.data(), in.data() + 4);
  view[0] = 0x11;
  EXPECT_EQ(in[4], 0x11);

  const Bytes null_bytes = {0xff, 0xff, 0xff, 0xff};
  WireReader r2(null_bytes);
  EXPECT_TRUE(r2.ReadBytesView(false).empty());
  EXPECT_TRUE(r2.ok());
}

TEST(WireTest, SizePrefixIsPatchedInPlace) {
  Bytes out;
  WireWriter w(out);
  const size_t at = w.ReserveInt32();
  w.WriteInt16(7);
  w.PatchInt32(at, static_cast<int32_t>(w.size() - at - 4));
  EXPECT_EQ(out, (Bytes{0x00, 0x00, 0x00, 0x02, 0x00, 0x07}));
}

TEST(WireTest, WriterAppendsToWhatTheBufferHolds) {
  Bytes out = {0x99};
  WireWriter w(out);
  w.WriteEmptyTaggedFields();
  EXPECT_EQ(out, (Bytes{0x99, 0x00}));
}

}  // namespace
}  // namespace tarn::kafka
