#include "log/segment.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>

#include "base/check.h"
#include "log/batch_scanner.h"

namespace tarn::log {
namespace {

constexpr size_t kFileNameDigits = 20;
constexpr size_t kRecoveryBufferBytes = 1 << 20;
constexpr size_t kMaxLocateBufferBytes = 64 * 1024;
constexpr int64_t kMaxRelative = std::numeric_limits<uint32_t>::max();

std::filesystem::path SegmentPath(const std::filesystem::path& dir, Offset base,
                                  std::string_view extension) {
  return dir / fmt::format("{:020d}{}", base.value(), extension);
}

// Cuts `batches` to the whole batches at its start (judged by their length fields) and returns
// the offset after the last of them, or `from` when there is none.
Offset KeepWholeBatches(Bytes& batches, Offset from) {
  size_t p = 0;
  Offset end = from;
  while (batches.size() - p >= BatchHeader::kSize) {
    const uint8_t* header = batches.data() + p;
    int32_t length = LoadBigEndian<int32_t>(header + 8);
    if (length < static_cast<int32_t>(BatchHeader::kSize - BatchHeader::kLengthFieldEnd)) break;
    size_t total = BatchHeader::kLengthFieldEnd + static_cast<size_t>(length);
    if (total > batches.size() - p) break;
    end = Offset(LoadBigEndian<int64_t>(header) + LoadBigEndian<int32_t>(header + 23) + 1);
    p += total;
  }
  batches.resize(p);
  return end;
}

Status RemoveFile(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) return Status::IoError("remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::filesystem::path Segment::LogPath(const std::filesystem::path& dir, Offset base_offset) {
  return SegmentPath(dir, base_offset, ".log");
}
std::filesystem::path Segment::OffsetIndexPath(const std::filesystem::path& dir,
                                               Offset base_offset) {
  return SegmentPath(dir, base_offset, ".index");
}
std::filesystem::path Segment::TimeIndexPath(const std::filesystem::path& dir, Offset base_offset) {
  return SegmentPath(dir, base_offset, ".timeindex");
}

std::optional<Offset> Segment::ParseFileName(std::string_view file_name,
                                             std::string_view extension) {
  if (file_name.size() != kFileNameDigits + extension.size() || !file_name.ends_with(extension)) {
    return std::nullopt;
  }
  std::string_view digits = file_name.substr(0, kFileNameDigits);
  if (!std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return Offset(value);
}

Segment::Segment(std::filesystem::path dir, Offset base_offset, std::shared_ptr<LogFile> file,
                 int32_t index_interval_bytes, std::string_view suffix)
    : dir_(std::move(dir)),
      base_offset_(base_offset),
      suffix_(suffix),
      file_(std::move(file)),
      index_interval_bytes_(index_interval_bytes),
      next_offset_(base_offset),
      max_timestamp_(std::numeric_limits<int64_t>::min()) {}

Segment::~Segment() = default;

Result<std::unique_ptr<Segment>> Segment::Create(const std::filesystem::path& dir,
                                                 Offset base_offset, int32_t index_interval_bytes,
                                                 std::string_view suffix) {
  std::filesystem::path path = LogPath(dir, base_offset);
  path += suffix;
  TARN_ASSIGN_OR_RETURN(auto file, LogFile::Open(path, /*create=*/true, /*truncate=*/true));
  return std::unique_ptr<Segment>(
      new Segment(dir, base_offset, std::move(file), index_interval_bytes, suffix));
}

Result<std::unique_ptr<Segment>> Segment::Recover(const std::filesystem::path& dir,
                                                  Offset base_offset, int32_t index_interval_bytes,
                                                  int64_t now_ms) {
  TARN_ASSIGN_OR_RETURN(auto file, LogFile::Open(LogPath(dir, base_offset), /*create=*/false));
  TARN_ASSIGN_OR_RETURN(int64_t file_size, file->Size());
  std::unique_ptr<Segment> segment(new Segment(dir, base_offset, file, index_interval_bytes));
  Status scanned = segment->Rebuild(file_size, /*allow_gaps=*/false);
  if (!scanned.ok()) {
    if (scanned.code() != StatusCode::kCorruption) return Error(scanned);
    spdlog::warn("log recovery: torn tail, cutting the last segment from {} to {} bytes: {}",
                 file_size, segment->size_, scanned.message());
    TARN_TRY(file->Truncate(segment->size_));
    TARN_TRY(file->Sync());
  }
  segment->dir_entry_durable_ = true;  // the file was there before the restart; Open syncs the dir
  if (!segment->empty()) {
    TARN_ASSIGN_OR_RETURN(BatchLocation first, segment->Locate(base_offset));
    int64_t first_ms = first.header.max_timestamp;
    segment->roll_start_ms_ = (first_ms >= 0 && first_ms <= now_ms) ? first_ms : now_ms;
  }
  return segment;
}

Result<std::unique_ptr<Segment>> Segment::OpenSealed(const std::filesystem::path& dir,
                                                     Offset base_offset, Offset end_offset,
                                                     int32_t index_interval_bytes) {
  TARN_ASSIGN_OR_RETURN(auto file, LogFile::Open(LogPath(dir, base_offset), /*create=*/false));
  TARN_ASSIGN_OR_RETURN(int64_t file_size, file->Size());
  std::unique_ptr<Segment> segment(new Segment(dir, base_offset, file, index_interval_bytes));
  segment->dir_entry_durable_ = true;
  Status checked = segment->CheckSealedIndexes(file_size, end_offset);
  if (checked.ok()) {
    segment->sealed_ = true;
    return segment;
  }
  if (checked.code() == StatusCode::kIoError) return Error(checked);
  spdlog::warn("log recovery: rebuilding the indexes of {}: {}", file->path().filename().string(),
               checked.message());
  Status scanned = segment->Rebuild(file_size, /*allow_gaps=*/true);
  if (!scanned.ok()) {
    if (scanned.code() != StatusCode::kCorruption) return Error(scanned);
    return Error(Status::Corruption(
        "sealed segment is damaged, refusing to drop the data after it: " + scanned.message()));
  }
  if (segment->next_offset_ != end_offset) {
    return Error(Status::Corruption(
        fmt::format("{}: its batches end at offset {} but the next segment starts at {}",
                    file->path().string(), segment->next_offset_.value(), end_offset.value())));
  }
  TARN_TRY(segment->Seal());
  return segment;
}

Status Segment::Rebuild(int64_t file_size, bool allow_gaps) {
  offset_index_.Clear();
  time_index_.Clear();
  size_ = 0;
  next_offset_ = base_offset_;
  bytes_since_index_entry_ = 0;
  max_timestamp_ = std::numeric_limits<int64_t>::min();
  BatchScanner scanner(*file_, 0, file_size, BatchScanner::Mode::kVerify, kRecoveryBufferBytes);
  for (;;) {
    TARN_ASSIGN_OR_RETURN(auto batch, scanner.Next());
    if (!batch.has_value()) return Status::Ok();
    const BatchHeader& h = batch->header;
    if (h.base_offset != next_offset_.value() &&
        (!allow_gaps || h.base_offset < next_offset_.value())) {
      return Status::Corruption(fmt::format(
          "{} at position {}: batch base offset {}, expected {}{}", file_->path().string(),
          batch->position, h.base_offset, allow_gaps ? "at least " : "", next_offset_.value()));
    }
    if (h.last_offset() - base_offset_ > kMaxRelative || batch->position > kMaxRelative) {
      return Status::Corruption(fmt::format("{} at position {}: offsets or position overflow",
                                            file_->path().string(), batch->position));
    }
    Track(h, batch->position);
    size_ = scanner.position();
    next_offset_ = h.last_offset() + 1;
  }
}

Status Segment::CheckSealedIndexes(int64_t file_size, Offset end_offset) {
  TARN_ASSIGN_OR_RETURN(offset_index_, OffsetIndex::Map(OffsetIndexPath(dir_, base_offset_)));
  TARN_ASSIGN_OR_RETURN(time_index_, TimeIndex::Map(TimeIndexPath(dir_, base_offset_)));
  int64_t start = 0;
  Offset expected = base_offset_;
  bool exact = false;  // the first batch must start at `expected`, not after it
  if (auto entry = offset_index_.last()) {
    if (entry->position >= file_size) return Status::Corruption("offset index points past the end");
    start = entry->position;
    expected = base_offset_ + entry->relative_offset;
    exact = true;
  }
  // Verify the batches after the last index entry: they end the file exactly at end_offset.
  // Offsets may leave gaps (a compacted segment) but never go backwards.
  BatchScanner scanner(*file_, start, file_size, BatchScanner::Mode::kVerify);
  int64_t tail_max_timestamp = std::numeric_limits<int64_t>::min();
  std::optional<uint32_t> last_relative;
  for (;;) {
    TARN_ASSIGN_OR_RETURN(auto batch, scanner.Next());
    if (!batch.has_value()) break;
    if (batch->header.base_offset < expected.value() ||
        (exact && batch->header.base_offset != expected.value())) {
      return Status::Corruption("offset index disagrees with the batches");
    }
    exact = false;
    expected = batch->header.last_offset() + 1;
    tail_max_timestamp = std::max(tail_max_timestamp, batch->header.max_timestamp);
    last_relative = static_cast<uint32_t>(batch->header.base_offset - base_offset_.value());
  }
  if (expected != end_offset) return Status::Corruption("batches do not end at the next segment");
  auto last_time = time_index_.last();
  if (last_relative.has_value() != last_time.has_value() ||
      (last_time && (last_time->relative_offset != *last_relative ||
                     last_time->timestamp < tail_max_timestamp))) {
    return Status::Corruption("time index does not end at the last batch");
  }
  size_ = file_size;
  next_offset_ = end_offset;
  if (last_time) {
    max_timestamp_ = last_time->timestamp;
    last_batch_relative_offset_ = last_time->relative_offset;
  }
  return Status::Ok();
}

void Segment::Track(const BatchHeader& header, int64_t position) {
  auto relative = static_cast<uint32_t>(header.base_offset - base_offset_.value());
  max_timestamp_ = std::max(max_timestamp_, header.max_timestamp);
  if (bytes_since_index_entry_ >= index_interval_bytes_) {
    offset_index_.Append({relative, static_cast<uint32_t>(position)});
    auto last_time = time_index_.last();
    if (!last_time || max_timestamp_ > last_time->timestamp) {
      time_index_.Append({max_timestamp_, relative});
    }
    bytes_since_index_entry_ = 0;
  }
  bytes_since_index_entry_ += static_cast<int64_t>(header.total_size());
  last_batch_relative_offset_ = relative;
}

Status Segment::Append(ByteView batch, const BatchHeader& header, int64_t now_ms) {
  TARN_TRY(failure_);
  TARN_DCHECK(!sealed_);
  TARN_DCHECK(header.base_offset >= next_offset_.value());
  TARN_DCHECK(batch.size() == header.total_size());
  Status written = file_->WriteAt(batch, size_);
  if (!written.ok()) {
    Status undone = file_->Truncate(size_);
    if (!undone.ok()) failure_ = written.WithContext("segment unusable after a failed write");
    return written;
  }
  if (!roll_start_ms_) roll_start_ms_ = now_ms;
  Track(header, size_);
  size_ += static_cast<int64_t>(batch.size());
  next_offset_ = header.last_offset() + 1;
  return Status::Ok();
}

Status Segment::Seal() {
  if (sealed_) return Status::Ok();
  TARN_TRY(file_->Sync());
  if (!empty()) {
    TimeIndex::Entry final_entry{max_timestamp_, last_batch_relative_offset_};
    if (time_index_.last() != final_entry) time_index_.Append(final_entry);
  }
  std::filesystem::path offset_index_path = OffsetIndexPath(dir_, base_offset_);
  std::filesystem::path time_index_path = TimeIndexPath(dir_, base_offset_);
  offset_index_path += suffix_;
  time_index_path += suffix_;
  TARN_TRY(offset_index_.Persist(offset_index_path));
  TARN_TRY(time_index_.Persist(time_index_path));
  sealed_ = true;
  return Status::Ok();
}

Status Segment::Delete() {
  offset_index_.Clear();
  time_index_.Clear();
  TARN_TRY(RemoveFile(file_->path()));
  for (auto path : {OffsetIndexPath(dir_, base_offset_), TimeIndexPath(dir_, base_offset_)}) {
    path += suffix_;
    Status removed = RemoveFile(path);
    if (!removed.ok())
      spdlog::warn("deleting segment {}: {}", base_offset_.value(), removed.message());
  }
  return Status::Ok();
}

Result<Segment::BatchLocation> Segment::Locate(Offset offset) const {
  if (offset < base_offset_ || offset >= next_offset_) {
    return Error(
        Status::OutOfRange(fmt::format("offset {} is not in segment [{}, {})", offset.value(),
                                       base_offset_.value(), next_offset_.value())));
  }
  if (auto hint = offset_index_.Lookup(static_cast<uint32_t>(offset - base_offset_))) {
    auto found = LocateFrom(hint->position, base_offset_ + hint->relative_offset, offset,
                            /*exact=*/true);
    if (found.has_value()) return found;
    spdlog::warn("{}: offset index entry for {} is wrong, scanning from the start: {}",
                 file_->path().string(), offset.value(), found.error().message());
  }
  return LocateFrom(0, base_offset_, offset, /*exact=*/false);
}

Result<Segment::BatchLocation> Segment::LocateFrom(int64_t position, Offset batch_offset,
                                                   Offset offset, bool exact) const {
  size_t buffer_bytes = std::min(kMaxLocateBufferBytes,
                                 static_cast<size_t>(index_interval_bytes_) + BatchHeader::kSize);
  BatchScanner scanner(*file_, position, size_, BatchScanner::Mode::kHeaders, buffer_bytes);
  for (;;) {
    TARN_ASSIGN_OR_RETURN(auto batch, scanner.Next());
    // Offsets never go backwards; they may jump forward over a gap left by compaction.
    if (!batch.has_value() || batch->header.base_offset < batch_offset.value() ||
        (exact && batch->header.base_offset != batch_offset.value())) {
      break;
    }
    if (batch->header.last_offset() >= offset) return BatchLocation{batch->position, batch->header};
    batch_offset = batch->header.last_offset() + 1;
    exact = false;
  }
  return Error(Status::Corruption(
      fmt::format("{}: no batch holds offset {}", file_->path().string(), offset.value())));
}

Result<Segment::Batches> Segment::Read(Offset from, Offset end, int64_t max_bytes,
                                       bool at_least_one) const {
  end = std::min(end, next_offset_);
  if (from >= end) return Batches{{}, from};
  TARN_ASSIGN_OR_RETURN(BatchLocation first, Locate(from));
  int64_t end_position = size_;
  if (end < next_offset_) {
    TARN_ASSIGN_OR_RETURN(BatchLocation last, Locate(end));
    end_position = last.position;
  }
  int64_t available = end_position - first.position;
  int64_t want = std::min(available, max_bytes);
  if (at_least_one) want = std::max(want, static_cast<int64_t>(first.header.total_size()));
  want = std::min(want, available);
  if (want <= 0) return Batches{{}, from};
  Batches out{Bytes(static_cast<size_t>(want)), from};
  TARN_TRY(file_->ReadExactlyAt(out.bytes, first.position));
  out.end = KeepWholeBatches(out.bytes, from);
  return out;
}

Result<std::optional<Offset>> Segment::FindBatchByTimestamp(int64_t timestamp_ms) const {
  if (empty() || max_timestamp_ < timestamp_ms) return std::optional<Offset>();
  Offset start = base_offset_;
  if (auto entry = time_index_.LastBefore(timestamp_ms)) {
    start = base_offset_ + entry->relative_offset;
  }
  TARN_ASSIGN_OR_RETURN(BatchLocation first, Locate(start));
  BatchScanner scanner(*file_, first.position, size_, BatchScanner::Mode::kHeaders);
  for (;;) {
    TARN_ASSIGN_OR_RETURN(auto batch, scanner.Next());
    if (!batch.has_value()) return std::optional<Offset>();
    if (batch->header.max_timestamp >= timestamp_ms) return batch->header.first_offset();
  }
}

Status Segment::ScanBatchHeaders(Offset from,
                                 const std::function<void(const BatchHeader&)>& fn) const {
  from = std::max(from, base_offset_);
  if (from >= next_offset_) return Status::Ok();
  TARN_ASSIGN_OR_RETURN(BatchLocation first, Locate(from));
  BatchScanner scanner(*file_, first.position, size_, BatchScanner::Mode::kHeaders);
  for (;;) {
    TARN_ASSIGN_OR_RETURN(auto batch, scanner.Next());
    if (!batch.has_value()) return Status::Ok();
    fn(batch->header);
  }
}

}  // namespace tarn::log
