#include "kafka/wire.h"

#include <cstring>
#include <limits>
#include <string>

#include "base/check.h"

namespace tarn::kafka {
namespace {

// Kafka caps every string, classic or compact, at what an int16 length can say.
constexpr int64_t kMaxStringLength = std::numeric_limits<int16_t>::max();

uint32_t ZigzagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
uint64_t ZigzagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

}  // namespace

// ---- WireReader -------------------------------------------------------------------------------

void WireReader::Fail(std::string_view what) {
  if (!status_.ok()) return;
  std::string message(what);
  message += " at byte ";
  message += std::to_string(pos_);
  status_ = Status::Corruption(std::move(message));
  pos_ = size_;  // nothing more is read once the input is known bad
}

const uint8_t* WireReader::Take(size_t n) {
  if (!status_.ok()) return nullptr;
  if (n > remaining()) {
    Fail("truncated: " + std::to_string(n) + " bytes needed, " + std::to_string(remaining()) +
         " left");
    return nullptr;
  }
  const uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

template <typename T>
T WireReader::ReadFixed() {
  const uint8_t* p = Take(sizeof(T));
  return p != nullptr ? LoadBigEndian<T>(p) : T{0};
}

int8_t WireReader::ReadInt8() {
  const uint8_t* p = Take(1);
  return p != nullptr ? static_cast<int8_t>(*p) : 0;
}
int16_t WireReader::ReadInt16() { return ReadFixed<int16_t>(); }
int32_t WireReader::ReadInt32() { return ReadFixed<int32_t>(); }
int64_t WireReader::ReadInt64() { return ReadFixed<int64_t>(); }
uint32_t WireReader::ReadUInt32() { return ReadFixed<uint32_t>(); }
bool WireReader::ReadBool() { return ReadInt8() != 0; }

uint32_t WireReader::ReadUvarint() {
  uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    const uint8_t* p = Take(1);
    if (p == nullptr) return 0;
    if (shift == 28 && (*p & 0xf0) != 0) break;  // more than 32 bits
    value |= static_cast<uint32_t>(*p & 0x7f) << shift;
    if ((*p & 0x80) == 0) return value;
  }
  Fail("unsigned varint longer than 32 bits");
  return 0;
}

int32_t WireReader::ReadVarint() {
  const uint32_t raw = ReadUvarint();
  return static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

int64_t WireReader::ReadVarlong() {
  uint64_t raw = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    const uint8_t* p = Take(1);
    if (p == nullptr) return 0;
    if (shift == 63 && (*p & 0xfe) != 0) break;  // more than 64 bits
    raw |= static_cast<uint64_t>(*p & 0x7f) << shift;
    if ((*p & 0x80) == 0) return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  }
  Fail("varlong longer than 64 bits");
  return 0;
}

Uuid WireReader::ReadUuid() {
  Uuid uuid{};
  if (const uint8_t* p = Take(uuid.size()); p != nullptr) std::memcpy(uuid.data(), p, uuid.size());
  return uuid;
}

int64_t WireReader::ReadLength(bool compact, bool int16_length) {
  int64_t length;
  if (compact) {
    length = static_cast<int64_t>(ReadUvarint()) - 1;
  } else {
    length = int16_length ? ReadInt16() : ReadInt32();
    if (length < -1) {
      Fail("negative length " + std::to_string(length));
      return -1;
    }
  }
  if (!ok()) return -1;
  if (int16_length && length > kMaxStringLength) {
    Fail("string length " + std::to_string(length) + " above the limit");
    return -1;
  }
  if (length > static_cast<int64_t>(remaining())) {
    Fail("length " + std::to_string(length) + " exceeds the " + std::to_string(remaining()) +
         " bytes left");
    return -1;
  }
  return length;
}

const uint8_t* WireReader::TakeValue(int64_t length) {
  if (length < 0) return nullptr;
  return Take(static_cast<size_t>(length));
}

std::string WireReader::ReadString(bool compact) {
  const int64_t length = ReadLength(compact, /*int16_length=*/true);
  if (length < 0) {
    if (ok()) Fail("null string where the schema allows none");
    return {};
  }
  const uint8_t* p = TakeValue(length);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), length) : std::string();
}

std::optional<std::string> WireReader::ReadNullableString(bool compact) {
  const int64_t length = ReadLength(compact, /*int16_length=*/true);
  if (length < 0) return std::nullopt;
  const uint8_t* p = TakeValue(length);
  if (p == nullptr) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(p), length);
}

Bytes WireReader::ReadBytes(bool compact) {
  const int64_t length = ReadLength(compact, /*int16_length=*/false);
  if (length < 0) {
    if (ok()) Fail("null bytes where the schema allows none");
    return {};
  }
  const uint8_t* p = TakeValue(length);
  return p != nullptr ? Bytes(p, p + length) : Bytes();
}

std::optional<Bytes> WireReader::ReadNullableBytes(bool compact) {
  const int64_t length = ReadLength(compact, /*int16_length=*/false);
  if (length < 0) return std::nullopt;
  const uint8_t* p = TakeValue(length);
  if (p == nullptr) return std::nullopt;
  return Bytes(p, p + length);
}

ByteView WireReader::ReadBytesView(bool compact) {
  const int64_t length = ReadLength(compact, /*int16_length=*/false);
  const uint8_t* p = TakeValue(length);
  return p != nullptr ? ByteView(p, static_cast<size_t>(length)) : ByteView();
}

MutableByteView WireReader::ReadMutableBytesView(bool compact) {
  TARN_CHECK_MSG(mutable_data_ != nullptr, "mutable bytes read from a read-only WireReader");
  const ByteView view = ReadBytesView(compact);
  if (view.empty()) return {};
  return MutableByteView(mutable_data_ + (view.data() - data_), view.size());
}

int32_t WireReader::ReadArrayLength(bool compact) {
  int64_t count;
  if (compact) {
    count = static_cast<int64_t>(ReadUvarint()) - 1;
  } else {
    count = ReadInt32();
    if (count < -1) {
      Fail("negative array length " + std::to_string(count));
      return 0;
    }
  }
  if (!ok()) return 0;
  if (count > static_cast<int64_t>(remaining())) {
    Fail("array of " + std::to_string(count) + " elements in " + std::to_string(remaining()) +
         " bytes");
    return 0;
  }
  return static_cast<int32_t>(count);
}

void WireReader::SkipTaggedFields() {
  const uint32_t count = ReadUvarint();
  if (count > remaining()) {
    Fail(std::to_string(count) + " tagged fields in " + std::to_string(remaining()) + " bytes");
    return;
  }
  for (uint32_t i = 0; i < count && ok(); ++i) {
    ReadUvarint();  // the tag: none is known, so every one is skipped
    Take(ReadUvarint());
  }
}

// ---- WireWriter -------------------------------------------------------------------------------

void WireWriter::WriteUvarint(uint32_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(v));
}

void WireWriter::WriteVarint(int32_t v) { WriteUvarint(ZigzagEncode32(v)); }

void WireWriter::WriteVarlong(int64_t v) {
  uint64_t raw = ZigzagEncode64(v);
  while (raw >= 0x80) {
    out_.push_back(static_cast<uint8_t>(raw | 0x80));
    raw >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(raw));
}

void WireWriter::WriteLength(int64_t length, bool compact, bool int16_length) {
  TARN_CHECK_MSG(
      length <= (int16_length ? kMaxStringLength : std::numeric_limits<int32_t>::max() - 1),
      "value too long for its Kafka length field");
  if (compact) {
    WriteUvarint(static_cast<uint32_t>(length + 1));
  } else if (int16_length) {
    WriteInt16(static_cast<int16_t>(length));
  } else {
    WriteInt32(static_cast<int32_t>(length));
  }
}

void WireWriter::WriteString(std::string_view v, bool compact) {
  WriteLength(static_cast<int64_t>(v.size()), compact, /*int16_length=*/true);
  WriteRaw(AsBytes(v));
}

void WireWriter::WriteNullableString(std::optional<std::string_view> v, bool compact) {
  if (!v.has_value()) {
    WriteLength(-1, compact, /*int16_length=*/true);
    return;
  }
  WriteString(*v, compact);
}

void WireWriter::WriteBytes(ByteView v, bool compact) {
  WriteLength(static_cast<int64_t>(v.size()), compact, /*int16_length=*/false);
  WriteRaw(v);
}

void WireWriter::WriteNullableBytes(std::optional<ByteView> v, bool compact) {
  if (!v.has_value()) {
    WriteLength(-1, compact, /*int16_length=*/false);
    return;
  }
  WriteBytes(*v, compact);
}

void WireWriter::WriteArrayLength(int64_t count, bool compact) {
  TARN_CHECK_MSG(count >= -1 && count < std::numeric_limits<int32_t>::max(),
                 "array too long for a Kafka length field");
  if (compact) {
    WriteUvarint(static_cast<uint32_t>(count + 1));
  } else {
    WriteInt32(static_cast<int32_t>(count));
  }
}

size_t WireWriter::ReserveInt32() {
  const size_t position = out_.size();
  out_.resize(position + sizeof(int32_t));
  return position;
}

void WireWriter::PatchInt32(size_t position, int32_t v) {
  TARN_CHECK(position + sizeof(int32_t) <= out_.size());
  StoreBigEndian(out_.data() + position, v);
}

}  // namespace tarn::kafka
