// The machinery behind every message's Decode and Encode (include only from messages/*.cc).
//
// Each message describes its fields once, in schema order, as a template over an Io that is
// either a FieldReader (decoding into a T&) or a FieldWriter (encoding from a const T&):
//
//   template <typename Io, typename Request>
//   void MapRequest(Io& io, Request& m) {
//     io.Field(m.group_id);
//     if (io.version() >= 3) io.Field(m.group_instance_id);
//     io.Array(m.topics, [&](auto& topic) { io.Field(topic.name); });
//   }
//
// so decoding and encoding cannot drift apart. The wire type follows the C++ type: int8/16/32/64
// (and enums and strong ids over them), bool, std::string, std::optional<std::string> (nullable),
// Bytes, std::optional<Bytes>, and vectors of those (arrays of primitives). Arrays of structs go
// through Array/NullableArray, which end each element with its tagged fields in flexible
// versions; DecodeMessage and EncodeMessage add the message's own. Records are nullable bytes:
// Produce's decode as a writable view into the frame, Fetch's as owned Bytes.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/bytes.h"
#include "base/check.h"
#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/wire.h"

namespace tarn::kafka::internal {

template <typename T>
inline constexpr bool kIsVector = false;
template <typename T>
inline constexpr bool kIsVector<std::vector<T>> = true;

template <typename T>
inline constexpr bool kIsOptionalVector = false;
template <typename T>
inline constexpr bool kIsOptionalVector<std::optional<std::vector<T>>> = true;

// A strong id (base/strong_id.h): encoded as its representation.
template <typename T>
concept StrongIdType = requires(const T& t) {
  typename T::rep_type;
  { t.value() } -> std::same_as<typename T::rep_type>;
};

template <typename T>
inline constexpr bool kUnsupportedField = false;

class FieldReader {
 public:
  static constexpr bool kDecoding = true;

  FieldReader(WireReader& in, int16_t version, bool flexible)
      : in_(in), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }

  template <typename T>
  void Field(T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      value = in_.ReadBool();
    } else if constexpr (std::is_enum_v<T>) {
      value = static_cast<T>(ReadInt<std::underlying_type_t<T>>());
    } else if constexpr (std::is_integral_v<T>) {
      value = ReadInt<T>();
    } else if constexpr (StrongIdType<T>) {
      value = T(ReadInt<typename T::rep_type>());
    } else if constexpr (std::is_same_v<T, std::string>) {
      value = in_.ReadString(flexible_);
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      value = in_.ReadNullableString(flexible_);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      value = in_.ReadBytes(flexible_);
    } else if constexpr (std::is_same_v<T, std::optional<Bytes>>) {
      value = in_.ReadNullableBytes(flexible_);
    } else if constexpr (kIsVector<T>) {
      ReadList(value, [this](auto& element) { Field(element); }, /*element_tags=*/false);
    } else if constexpr (kIsOptionalVector<T>) {
      ReadNullableList(value, [this](auto& element) { Field(element); }, /*element_tags=*/false);
    } else {
      static_assert(kUnsupportedField<T>, "no wire encoding for this field type");
    }
  }

  // An array of structs; `each` reads one element's fields.
  template <typename T, typename Each>
  void Array(std::vector<T>& items, Each&& each) {
    ReadList(items, each, /*element_tags=*/true);
  }
  template <typename T, typename Each>
  void NullableArray(std::optional<std::vector<T>>& items, Each&& each) {
    ReadNullableList(items, each, /*element_tags=*/true);
  }

  // Produce's records: a writable view into the frame (the reader must be over a mutable frame).
  void Records(MutableByteView& records) { records = in_.ReadMutableBytesView(flexible_); }
  // Fetch's records, copied; null reads as empty.
  void Records(Bytes& records) { records = in_.ReadNullableBytes(flexible_).value_or(Bytes()); }

  void Tags() {
    if (flexible_) in_.SkipTaggedFields();
  }

 private:
  template <typename Int>
  Int ReadInt() {
    static_assert(std::is_signed_v<Int>, "Kafka fields are signed");
    if constexpr (sizeof(Int) == 1) return in_.ReadInt8();
    if constexpr (sizeof(Int) == 2) return in_.ReadInt16();
    if constexpr (sizeof(Int) == 4) return in_.ReadInt32();
    if constexpr (sizeof(Int) == 8) return in_.ReadInt64();
  }

  template <typename T, typename Each>
  void ReadList(std::vector<T>& items, Each&& each, bool element_tags) {
    const int32_t count = in_.ReadArrayLength(flexible_);
    if (count < 0) return in_.Fail("null array where the schema allows none");
    ReadElements(items, count, each, element_tags);
  }

  template <typename T, typename Each>
  void ReadNullableList(std::optional<std::vector<T>>& items, Each&& each, bool element_tags) {
    const int32_t count = in_.ReadArrayLength(flexible_);
    if (count < 0) {
      items.reset();
      return;
    }
    ReadElements(items.emplace(), count, each, element_tags);
  }

  template <typename T, typename Each>
  void ReadElements(std::vector<T>& items, int32_t count, Each& each, bool element_tags) {
    // The count is bounded by the bytes left, but an element may be larger in memory than on
    // the wire: grow as elements actually arrive rather than trusting the count.
    constexpr int32_t kMaxReserve = 1024;
    items.clear();
    items.reserve(static_cast<size_t>(std::min(count, kMaxReserve)));
    for (int32_t i = 0; i < count && in_.ok(); ++i) {
      each(items.emplace_back());
      if (element_tags) Tags();
    }
  }

  WireReader& in_;
  int16_t version_;
  bool flexible_;
};

class FieldWriter {
 public:
  static constexpr bool kDecoding = false;

  FieldWriter(WireWriter& out, int16_t version, bool flexible)
      : out_(out), version_(version), flexible_(flexible) {}

  int16_t version() const { return version_; }

  template <typename T>
  void Field(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      out_.WriteBool(value);
    } else if constexpr (std::is_enum_v<T>) {
      WriteInt(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_integral_v<T>) {
      WriteInt(value);
    } else if constexpr (StrongIdType<T>) {
      WriteInt(value.value());
    } else if constexpr (std::is_same_v<T, std::string>) {
      out_.WriteString(value, flexible_);
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      out_.WriteNullableString(value, flexible_);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      out_.WriteBytes(value, flexible_);
    } else if constexpr (std::is_same_v<T, std::optional<Bytes>>) {
      out_.WriteNullableBytes(value.has_value() ? std::optional<ByteView>(*value) : std::nullopt,
                              flexible_);
    } else if constexpr (kIsVector<T>) {
      WriteList(value, [this](const auto& element) { Field(element); }, /*element_tags=*/false);
    } else if constexpr (kIsOptionalVector<T>) {
      if (!value.has_value()) return out_.WriteArrayLength(-1, flexible_);
      WriteList(*value, [this](const auto& element) { Field(element); }, /*element_tags=*/false);
    } else {
      static_assert(kUnsupportedField<T>, "no wire encoding for this field type");
    }
  }

  // An array of structs; `each` writes one element's fields.
  template <typename T, typename Each>
  void Array(const std::vector<T>& items, Each&& each) {
    WriteList(items, each, /*element_tags=*/true);
  }
  template <typename T, typename Each>
  void NullableArray(const std::optional<std::vector<T>>& items, Each&& each) {
    if (!items.has_value()) return out_.WriteArrayLength(-1, flexible_);
    WriteList(*items, each, /*element_tags=*/true);
  }

  void Records(ByteView records) { out_.WriteBytes(records, flexible_); }

  void Tags() {
    if (flexible_) out_.WriteEmptyTaggedFields();
  }

 private:
  template <typename T, typename Each>
  void WriteList(const std::vector<T>& items, Each&& each, bool element_tags) {
    out_.WriteArrayLength(static_cast<int64_t>(items.size()), flexible_);
    for (const T& item : items) {
      each(item);
      if (element_tags) Tags();
    }
  }

  template <typename Int>
  void WriteInt(Int v) {
    static_assert(std::is_signed_v<Int>, "Kafka fields are signed");
    if constexpr (sizeof(Int) == 1) out_.WriteInt8(v);
    if constexpr (sizeof(Int) == 2) out_.WriteInt16(v);
    if constexpr (sizeof(Int) == 4) out_.WriteInt32(v);
    if constexpr (sizeof(Int) == 8) out_.WriteInt64(v);
  }

  WireWriter& out_;
  int16_t version_;
  bool flexible_;
};

// Decodes one message body of `version` with `map`, then the message's tagged fields. Errors
// are kCorruption "<Api> v<N>: <what>", or kUnsupported for a version outside the codec's range.
template <typename Message>
Result<Message> DecodeMessage(WireReader& in, int16_t version,
                              void (*map)(FieldReader&, Message&)) {
  constexpr ApiKey kApi = Message::kApiKey;
  if (!IsSupported(kApi, version)) {
    return Error(Status::Unsupported(ApiVersionName(kApi, version) + " is not supported"));
  }
  FieldReader io(in, version, IsFlexible(kApi, version));
  Message message;
  map(io, message);
  io.Tags();
  if (!in.ok()) return Error(in.status().WithContext(ApiVersionName(kApi, version)));
  return message;
}

// Encodes one message body of `version` (which must be within the codec's range).
template <typename Message>
void EncodeMessage(WireWriter& out, int16_t version, const Message& message,
                   void (*map)(FieldWriter&, const Message&)) {
  constexpr ApiKey kApi = Message::kApiKey;
  TARN_CHECK_MSG(IsSupported(kApi, version), "encoding a version the codec does not implement");
  FieldWriter io(out, version, IsFlexible(kApi, version));
  map(io, message);
  io.Tags();
}

}  // namespace tarn::kafka::internal

// Defines Decode and Encode of <Name>Request and <Name>Response from the MapRequest and
// MapResponse templates of the message's own .cc file (each lists its fields once, in schema
// order, for both directions).
#define TARN_KAFKA_DEFINE_CODEC(Name)                                                          \
  Result<Name##Request> Name##Request::Decode(WireReader& in, int16_t version) {               \
    return internal::DecodeMessage(in, version, MapRequest<FieldReader, Name##Request>);      \
  }                                                                                            \
  void Name##Request::Encode(WireWriter& out, int16_t version) const {                         \
    internal::EncodeMessage(out, version, *this, MapRequest<FieldWriter, const Name##Request>); \
  }                                                                                            \
  Result<Name##Response> Name##Response::Decode(WireReader& in, int16_t version) {             \
    return internal::DecodeMessage(in, version, MapResponse<FieldReader, Name##Response>);    \
  }                                                                                            \
  void Name##Response::Encode(WireWriter& out, int16_t version) const {                        \
    internal::EncodeMessage(out, version, *this,                                               \
                            MapResponse<FieldWriter, const Name##Response>);                   \
  }
