// The partition of a keyed record, as Apache Kafka's Java producer picks it (and librdkafka's
// `murmur2_random` partitioner): murmur2 of the key bytes, sign bit cleared, modulo the
// partition count. Agreeing with the Java client keeps one key in one partition whoever
// produces it.
#pragma once

#include <cstdint>
#include <string_view>

namespace tarn::hub {

// Kafka's murmur2 (seed 0x9747b28c).
uint32_t Murmur2(std::string_view key);

// The partition for `key` among `partition_count` (> 0).
int32_t PartitionForKey(std::string_view key, int32_t partition_count);

}  // namespace tarn::hub
