#include "log/batch_scanner.h"

#include <algorithm>
#include <string>

namespace tarn::log {

BatchScanner::BatchScanner(const LogFile& file, int64_t start, int64_t end, Mode mode,
                           size_t buffer_bytes)
    : file_(file), end_(end), mode_(mode), buffer_bytes_(buffer_bytes), position_(start) {}

Status BatchScanner::Corrupt(const std::string& what) const {
  return Status::Corruption(file_.path().string() + " at position " + std::to_string(position_) +
                            ": " + what);
}

Status BatchScanner::Fill(int64_t position, size_t length) {
  if (position >= buffer_start_ && position + static_cast<int64_t>(length) <=
                                       buffer_start_ + static_cast<int64_t>(buffer_length_)) {
    return Status::Ok();
  }
  size_t want = std::max(length, buffer_bytes_);
  want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), end_ - position));
  if (buffer_.size() < want) buffer_.resize(want);
  buffer_start_ = position;
  buffer_length_ = 0;
  TARN_TRY(file_.ReadExactlyAt(MutableByteView(buffer_.data(), want), position));
  buffer_length_ = want;
  return Status::Ok();
}

Result<std::optional<ScannedBatch>> BatchScanner::Next() {
  if (position_ >= end_) return std::nullopt;
  if (end_ - position_ < static_cast<int64_t>(BatchHeader::kSize)) {
    return Error(Corrupt("only " + std::to_string(end_ - position_) +
                         " bytes left, a batch header needs 61"));
  }
  TARN_TRY(Fill(position_, BatchHeader::kSize));
  const uint8_t* start = buffer_.data() + (position_ - buffer_start_);
  auto header = BatchHeader::Parse(ByteView(start, BatchHeader::kSize));
  if (!header.has_value()) return Error(Corrupt(header.error().message()));
  int64_t total = static_cast<int64_t>(header->total_size());
  if (total > end_ - position_) {
    return Error(Corrupt("batch of " + std::to_string(total) + " bytes runs past the end, " +
                         std::to_string(end_ - position_) + " bytes left"));
  }
  ScannedBatch batch{position_, *header, {}};
  if (mode_ == Mode::kVerify) {
    TARN_TRY(Fill(position_, static_cast<size_t>(total)));
    batch.bytes =
        ByteView(buffer_.data() + (position_ - buffer_start_), static_cast<size_t>(total));
    Status verified = BatchHeader::Verify(batch.bytes);
    if (!verified.ok()) return Error(Corrupt(verified.message()));
  }
  position_ += total;
  return batch;
}

}  // namespace tarn::log
