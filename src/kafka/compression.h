// The four Kafka record-batch codecs: what bits 0-2 of a batch's attributes name, and the
// one blob (every byte after recordsCount) they compress.
//
//   gzip    RFC 1952; concatenated members are read as one stream.
//   snappy  read: raw snappy (librdkafka) or xerial framing (Java, kafka-python:
//           "\x82SNAPPY\0", two int32 versions, then int32-length-prefixed raw chunks).
//           write: raw snappy, as librdkafka does; every Kafka consumer reads it (Java's
//           xerial stream falls back to raw when the magic is absent; kafka-python and
//           librdkafka check for the magic).
//   lz4     the LZ4 frame format (lz4frame.h), not raw blocks. Written as Java Kafka
//           writes it: 64 KiB independent blocks, no content size, no content checksum.
//   zstd    standard frames; a frame without a content size (Java) is read by streaming.
//
// Free functions, thread-safe: each thread keeps its own zstd and lz4 contexts for reuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace tarn::kafka {

enum class Compression : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

// "none", "gzip", "snappy", "lz4", "zstd": the names of Kafka's compression.type.
std::string_view CompressionName(Compression compression);

// The codec a batch's attribute bits 0-2 name; nullopt for 5-7, which Kafka does not define.
std::optional<Compression> CompressionFromCodec(int codec);

// Decompresses `input` whole. Errors: kCorruption when the input is not a valid stream of the
// codec (truncated, bad checksum, trailing garbage); kResourceExhausted when the output would
// exceed `max_output` bytes, found before that much memory is used.
Result<Bytes> Decompress(Compression compression, ByteView input, size_t max_output);

// Compresses `input` at the codec's default level. kNone copies. Errors are kInternal: they
// mean the library failed, not that the input was wrong.
Result<Bytes> Compress(Compression compression, ByteView input);

}  // namespace tarn::kafka
