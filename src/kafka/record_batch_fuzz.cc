// Feeds one record batch, as a producer or a corrupted disk could deliver it, to the decoder and
// to Produce validation. Nothing may crash, read out of bounds or allocate without limit.
// Seeds (record_batch_fuzz_corpus/): small batches of every codec, built by RecordBatchBuilder,
// and one gzip batch written by kafka-python.
#include <cstddef>
#include <cstdint>

#include "base/crc32c.h"
#include "kafka/record_batch.h"
#include "log/batch_header.h"

namespace {

using tarn::Bytes;
using tarn::ByteView;
using tarn::log::BatchHeader;

constexpr size_t kMaxDecompressed = 1 << 16;

void Exercise(ByteView input) {
  tarn::Result<tarn::kafka::DecodedBatch> decoded =
      tarn::kafka::DecodeBatch(input, kMaxDecompressed);
  if (decoded.has_value()) {
    // Touch every byte each view claims, so the sanitizer checks the views' bounds.
    size_t sum = 0;
    auto touch = [&](const std::optional<ByteView>& b) {
      if (b) {
        for (uint8_t c : *b) sum += c;
      }
    };
    for (const tarn::kafka::Record& r : decoded->records()) {
      touch(r.key);
      touch(r.value);
      for (const tarn::kafka::RecordHeader& h : r.headers) {
        sum += h.key.size() > 0 ? static_cast<uint8_t>(h.key.back()) : 0;
        touch(h.value);
      }
    }
    (void)tarn::kafka::FirstRecordAtOrAfter(*decoded, static_cast<int64_t>(sum));
  }
  (void)tarn::kafka::ValidateProducedBatch(
      input, {.produce_version = 9, .max_decompressed_bytes = kMaxDecompressed});
  (void)tarn::kafka::DecodeBatches(input, kMaxDecompressed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView input(data, size);
  Exercise(input);
  // A mutation almost never keeps batchLength and the CRC right, and would then stop at the
  // header. Repair both so the mutated records reach the record parser and the codecs.
  if (size >= BatchHeader::kSize && size - BatchHeader::kLengthFieldEnd <= INT32_MAX) {
    Bytes repaired(input.begin(), input.end());
    tarn::StoreBigEndian<int32_t>(repaired.data() + 8,
                                  static_cast<int32_t>(size - BatchHeader::kLengthFieldEnd));
    tarn::StoreBigEndian<uint32_t>(
        repaired.data() + BatchHeader::kCrcOffset,
        tarn::Crc32c(ByteView(repaired).subspan(BatchHeader::kCrcCoverageStart)));
    Exercise(repaired);
  }
  return 0;
}
