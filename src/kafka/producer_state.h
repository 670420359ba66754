// Idempotent-producer state of one partition: for each producer id, its epoch and the sequence
// ranges of its last five batches, so a retried batch is recognised and answered with the offset
// it got the first time, and a gap in sequences is refused.
//
// Rules (Kafka's, kept word for word so clients behave as they do against Kafka):
//   epoch below the stored one               -> kInvalidProducerEpoch
//   same epoch, batch equals a recent batch  -> duplicate: answer with its first offset
//   same epoch, first sequence != last + 1   -> kOutOfOrderSequence
//   higher epoch                             -> must start at sequence 0; the window resets
//   unknown producer id                      -> any sequence is accepted
// Owned by the partition; used on the broker thread only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "base/strong_id.h"
#include "log/batch_header.h"

namespace tarn::kafka {

class ProducerStateTable {
 public:
  static constexpr int kWindow = 5;

  enum class Verdict { kAppend, kDuplicate, kInvalidEpoch, kOutOfOrder };
  struct Check {
    Verdict verdict = Verdict::kAppend;
    Offset duplicate_of{-1};  // first offset of the original batch, for kDuplicate
  };

  // Decides what to do with a batch before it is appended. Batches without a producer id
  // (-1) are always appended.
  Check Validate(const log::BatchHeader& batch) const;

  // Records an appended batch (its header, with offsets assigned). Also used to rebuild the
  // table by replaying the log's batch headers at start-up.
  void Record(const log::BatchHeader& batch);

  size_t producer_count() const { return producers_.size(); }

  // A compact text form (one line per producer) for the snapshot file, and its inverse.
  std::string Serialize() const;
  static Result<ProducerStateTable> Deserialize(std::string_view text);

 private:
  struct BatchSeq {
    int32_t first_sequence = 0;
    int32_t last_sequence = 0;
    int64_t first_offset = 0;
  };
  struct Entry {
    int16_t epoch = 0;
    std::array<BatchSeq, kWindow> recent{};  // ring of the last batches, newest at `next - 1`
    int count = 0;
    int next = 0;
  };
  std::unordered_map<int64_t, Entry> producers_;
};

}  // namespace tarn::kafka
