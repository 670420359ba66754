// Reading the zigzag varints inside Kafka records (protobuf's sint32/sint64 encoding): a varint
// is an int32 in at most 5 bytes, a varlong an int64 in at most 10. As in Kafka's ByteUtils,
// bits past the type's width in the last byte are dropped rather than refused.
// Writing them is WireWriter's (kafka/wire.h). WireReader reads them too, but one call per
// field out of line, and it cannot take a varint-length field as a view; records are the hot
// path, so they get this inline reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace tarn::kafka {

constexpr uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Bytes the zigzag encoding of `v` takes, for writing a record's length before its body.
constexpr size_t VarlongSize(int64_t v) {
  uint64_t u = ZigZagEncode(v);
  size_t n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}

// Reads a record's fields front to back (varints, varlongs, single bytes and the byte runs
// that varint lengths measure) from bytes it does not own. Every read returns nullopt when the
// bytes run out or a varint runs past its width; the caller names the field in its error.
class VarintReader {
 public:
  explicit VarintReader(ByteView bytes) : pos_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }

  std::optional<int32_t> ReadVarint() {
    std::optional<uint64_t> u = ReadUnsigned(5);
    if (!u) return std::nullopt;
    uint32_t w = static_cast<uint32_t>(*u);
    return static_cast<int32_t>((w >> 1) ^ -(w & 1));
  }

  std::optional<int64_t> ReadVarlong() {
    std::optional<uint64_t> u = ReadUnsigned(10);
    if (!u) return std::nullopt;
    return ZigZagDecode(*u);
  }

  std::optional<uint8_t> ReadByte() {
    if (pos_ == end_) return std::nullopt;
    return *pos_++;
  }

  std::optional<ByteView> ReadBytes(size_t n) {
    if (n > remaining()) return std::nullopt;
    ByteView out(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::optional<uint64_t> ReadUnsigned(int max_bytes) {
    if (pos_ != end_ && *pos_ < 0x80) return *pos_++;  // the common one-byte case
    uint64_t value = 0;
    for (int i = 0; i < max_bytes && pos_ != end_; ++i) {
      uint8_t b = *pos_++;
      value |= uint64_t{b & 0x7fu} << (7 * i);
      if (b < 0x80) return value;
    }
    return std::nullopt;
  }

  const uint8_t* pos_;
  const uint8_t* end_;
};

}  // namespace tarn::kafka
