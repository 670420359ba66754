// Kafka protocol primitives: big-endian integers, varints, strings, bytes, arrays and tagged
// fields, in both the classic encoding and the compact one of flexible versions.
//
// Classic: int16-length strings, int32-length bytes and arrays, -1 for null.
// Compact (flexible versions): lengths are an unsigned varint of N+1, 0 for null; every struct
// and every message ends with tagged fields (a count, then tag, size and bytes for each).
// Record-level varints (Varint, Varlong) are zigzag-signed, unlike the unsigned ones above.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace tarn::kafka {

using Uuid = std::array<uint8_t, 16>;

// Reads primitives from borrowed bytes. Errors are sticky: the first underflow or malformed
// value is recorded as kCorruption, every later read returns zero or empty, and status() reports
// the first error. A length that claims more than the remaining bytes is an error before
// anything is allocated. Not thread-safe; the bytes must outlive the reader and every view it
// returned.
class WireReader {
 public:
  explicit WireReader(ByteView data) : data_(data.data()), size_(data.size()) {}
  // Over a frame the caller may modify: ReadMutableBytesView hands out writable views into it.
  explicit WireReader(MutableByteView data)
      : data_(data.data()), size_(data.size()), mutable_data_(data.data()) {}
  explicit WireReader(Bytes& data) : WireReader(MutableByteView(data)) {}

  int8_t ReadInt8();
  int16_t ReadInt16();
  int32_t ReadInt32();
  int64_t ReadInt64();
  uint32_t ReadUInt32();
  bool ReadBool();  // any non-zero byte is true
  uint32_t ReadUvarint();
  int32_t ReadVarint();   // zigzag
  int64_t ReadVarlong();  // zigzag
  Uuid ReadUuid();

  // `compact` selects the flexible-version encoding. A non-nullable read that meets null fails.
  std::string ReadString(bool compact);
  std::optional<std::string> ReadNullableString(bool compact);
  Bytes ReadBytes(bool compact);
  std::optional<Bytes> ReadNullableBytes(bool compact);
  // Zero-copy nullable bytes: a view into the input; null reads as an empty view.
  ByteView ReadBytesView(bool compact);
  // As ReadBytesView, writable. Only for a reader built over a MutableByteView.
  MutableByteView ReadMutableBytesView(bool compact);
  // An array's element count, or -1 for null. A count above the remaining bytes is an error
  // (every element takes at least one byte), so callers may reserve from it.
  int32_t ReadArrayLength(bool compact);
  // Skips a tagged-field section; no tags are known at the versions this codec serves.
  void SkipTaggedFields();

  // Records `what` (with the current offset) as the error unless one is already recorded.
  void Fail(std::string_view what);

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

 private:
  // The next n bytes, advancing past them; null (and an error) when fewer remain.
  const uint8_t* Take(size_t n);
  template <typename T>
  T ReadFixed();
  // A string or bytes length: -1 for null, else the length, checked against what remains.
  int64_t ReadLength(bool compact, bool int16_length);
  // Takes `length` bytes (from ReadLength); returns the start, or null for null or error.
  const uint8_t* TakeValue(int64_t length);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint8_t* mutable_data_ = nullptr;
  Status status_;
};

// Appends primitives to a caller-owned buffer, which may already hold a frame's start (a size
// prefix, a header). Values are trusted: a string longer than its length field can say is a bug
// and aborts. Not thread-safe.
class WireWriter {
 public:
  explicit WireWriter(Bytes& out) : out_(out) {}

  void WriteInt8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void WriteInt16(int16_t v) { WriteFixed(v); }
  void WriteInt32(int32_t v) { WriteFixed(v); }
  void WriteInt64(int64_t v) { WriteFixed(v); }
  void WriteUInt32(uint32_t v) { WriteFixed(v); }
  void WriteBool(bool v) { out_.push_back(v ? 1 : 0); }
  void WriteUvarint(uint32_t v);
  void WriteVarint(int32_t v);   // zigzag
  void WriteVarlong(int64_t v);  // zigzag
  void WriteUuid(const Uuid& v) { WriteRaw(v); }

  void WriteString(std::string_view v, bool compact);
  void WriteNullableString(std::optional<std::string_view> v, bool compact);
  void WriteBytes(ByteView v, bool compact);
  void WriteNullableBytes(std::optional<ByteView> v, bool compact);
  // An array's element count; -1 writes null.
  void WriteArrayLength(int64_t count, bool compact);
  void WriteEmptyTaggedFields() { out_.push_back(0); }
  void WriteRaw(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }

  // Leaves room for an int32 (a size prefix) and returns its position for PatchInt32.
  size_t ReserveInt32();
  void PatchInt32(size_t position, int32_t v);

  size_t size() const { return out_.size(); }

 private:
  template <typename T>
  void WriteFixed(T v) {
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    StoreBigEndian(out_.data() + at, v);
  }
  void WriteLength(int64_t length, bool compact, bool int16_length);

  Bytes& out_;
};

}  // namespace tarn::kafka
