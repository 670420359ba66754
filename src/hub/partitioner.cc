#include "hub/partitioner.h"

#include "base/check.h"

namespace tarn::hub {

uint32_t Murmur2(std::string_view key) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kMultiplier = 0x5bd1e995;
  constexpr int kShift = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t length = key.size();

  uint32_t hash = kSeed ^ static_cast<uint32_t>(length);
  const size_t whole_words = length / 4;
  for (size_t i = 0; i < whole_words; ++i) {
    const unsigned char* word = data + i * 4;
    uint32_t k = uint32_t{word[0]} | uint32_t{word[1]} << 8 | uint32_t{word[2]} << 16 |
                 uint32_t{word[3]} << 24;
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    hash *= kMultiplier;
    hash ^= k;
  }
  const unsigned char* tail = data + whole_words * 4;
  switch (length % 4) {
    case 3:
      hash ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      hash ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      hash ^= uint32_t{tail[0]};
      hash *= kMultiplier;
  }
  hash ^= hash >> 13;
  hash *= kMultiplier;
  hash ^= hash >> 15;
  return hash;
}

int32_t PartitionForKey(std::string_view key, int32_t partition_count) {
  TARN_CHECK(partition_count > 0);
  return static_cast<int32_t>((Murmur2(key) & 0x7fffffff) % static_cast<uint32_t>(partition_count));
}

}  // namespace tarn::hub
