// Fuzzes the decoders of `__consumer_offsets` records, which the coordinator reads from disk at
// start-up. The first input byte picks the decoder (key, offset commit value, group metadata
// value), the rest is the record's bytes. Whatever they are, decoding returns a Status or a
// value, without crashing; a decoded value encodes to bytes that decode to the same value.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <variant>

#include "base/bytes.h"
#include "base/check.h"
#include "kafka/group/offsets_topic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn;
  using namespace tarn::kafka;
  if (size == 0) return 0;
  const ByteView bytes(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto key = DecodeOffsetsTopicKey(bytes);
      if (!key.has_value()) return 0;
      Bytes encoded = std::visit(
          [](const auto& k) {
            if constexpr (std::is_same_v<std::decay_t<decltype(k)>, OffsetCommitKey>) {
              return EncodeOffsetCommitKey(k);
            } else {
              return EncodeGroupMetadataKey(k);
            }
          },
          *key);
      auto again = DecodeOffsetsTopicKey(encoded);
      TARN_CHECK_MSG(again.has_value() && *again == *key, "a decoded key did not round trip");
      break;
    }
    case 1: {
      auto value = DecodeOffsetCommitValue(bytes);
      if (!value.has_value()) return 0;
      auto again = DecodeOffsetCommitValue(EncodeOffsetCommitValue(*value));
      TARN_CHECK_MSG(again.has_value() && *again == *value, "an offset value did not round trip");
      break;
    }
    default: {
      auto value = DecodeGroupMetadataValue(bytes);
      if (!value.has_value()) return 0;
      auto again = DecodeGroupMetadataValue(EncodeGroupMetadataValue(*value));
      TARN_CHECK_MSG(again.has_value() && *again == *value, "a group value did not round trip");
      break;
    }
  }
  return 0;
}
