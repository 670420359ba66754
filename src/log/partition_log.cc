#include "log/partition_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <system_error>

#include "log/segment.h"

namespace tarn::log {
namespace {

constexpr int64_t kMaxSegmentBytes = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxRelativeOffset = std::numeric_limits<uint32_t>::max();

Status SyncParentDirectory(const std::filesystem::path& dir) {
  TARN_ASSIGN_OR_RETURN(auto parent, LogFile::OpenDirectory((dir / "..").lexically_normal()));
  return parent->Sync();
}

}  // namespace

Status LogConfig::Validate() const {
  auto bad = [](const char* field, int64_t value) {
    return Status::InvalidArgument(
        fmt::format("log config: {} = {} is out of range", field, value));
  };
  if (segment_bytes < 1 || segment_bytes > kMaxSegmentBytes)
    return bad("segment_bytes", segment_bytes);
  if (segment_ms < 1) return bad("segment_ms", segment_ms);
  if (retention_bytes < -1) return bad("retention_bytes", retention_bytes);
  if (retention_ms < -1) return bad("retention_ms", retention_ms);
  if (index_interval_bytes < 0) return bad("index_interval_bytes", index_interval_bytes);
  return Status::Ok();
}

PartitionLog::PartitionLog(std::filesystem::path dir, const LogConfig& config, const Clock& clock,
                           std::shared_ptr<LogFile> dir_file)
    : dir_(std::move(dir)), config_(config), clock_(clock), dir_file_(std::move(dir_file)) {}

PartitionLog::~PartitionLog() {
  Status closed = Close();
  if (!closed.ok()) spdlog::error("closing the log in {}: {}", dir_.string(), closed.ToString());
}

Result<std::unique_ptr<PartitionLog>> PartitionLog::Open(const std::filesystem::path& dir,
                                                         const LogConfig& config,
                                                         const Clock& clock) {
  TARN_TRY(config.Validate());
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Status::IoError("create directory " + dir.string() + ": " + ec.message()));
  if (created) TARN_TRY(SyncParentDirectory(dir));
  TARN_ASSIGN_OR_RETURN(auto dir_file, LogFile::OpenDirectory(dir));
  std::unique_ptr<PartitionLog> log(new PartitionLog(dir, config, clock, std::move(dir_file)));
  TARN_TRY(log->Recover());
  return log;
}

Status PartitionLog::Recover() {
  TARN_TRY(RecoverSegmentSwaps(dir_));
  std::vector<Offset> bases;
  std::vector<std::pair<Offset, std::filesystem::path>> index_files;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (auto base = Segment::ParseFileName(name, ".log")) {
      bases.push_back(*base);
    } else if (auto index_base = Segment::ParseFileName(name, ".index")) {
      index_files.emplace_back(*index_base, it->path());
    } else if (auto time_base = Segment::ParseFileName(name, ".timeindex")) {
      index_files.emplace_back(*time_base, it->path());
    }
  }
  if (ec) return Status::IoError("list " + dir_.string() + ": " + ec.message());
  std::ranges::sort(bases);

  // Indexes whose segment is gone (a crash in the middle of retention).
  for (const auto& [base, path] : index_files) {
    if (std::ranges::binary_search(bases, base)) continue;
    spdlog::warn("log recovery: removing {}, which has no segment", path.string());
    std::filesystem::remove(path, ec);
  }

  const int32_t interval = config_.index_interval_bytes;
  if (bases.empty()) {
    TARN_ASSIGN_OR_RETURN(auto segment, Segment::Create(dir_, Offset(0), interval));
    segments_.push_back(std::move(segment));
  }
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    TARN_ASSIGN_OR_RETURN(auto segment,
                          Segment::OpenSealed(dir_, bases[i], bases[i + 1], interval));
    segments_.push_back(std::move(segment));
  }
  if (!bases.empty()) {
    TARN_ASSIGN_OR_RETURN(auto segment,
                          Segment::Recover(dir_, bases.back(), interval, clock_.NowMs()));
    segments_.push_back(std::move(segment));
  }

  // What a crashed process left in the page cache counts as durable only once it is synced.
  TARN_TRY(active().file()->Sync());
  TARN_TRY(dir_file_->Sync());
  for (auto& segment : segments_) {
    segment->set_dir_entry_durable();
    size_bytes_ += segment->size_bytes();
  }
  log_start_offset_ = segments_.front()->base_offset();
  next_offset_ = active().next_offset();
  durable_offset_ = next_offset_;
  return Status::Ok();
}

Status PartitionLog::CheckOpen() const {
  if (closed_) return Status::FailedPrecondition("the log in " + dir_.string() + " is closed");
  return Status::Ok();
}

Status PartitionLog::CheckReadable(Offset from) const {
  TARN_TRY(CheckOpen());
  if (from < log_start_offset_ || from > next_offset_) {
    return Status::OutOfRange(fmt::format("offset {} is outside the log [{}, {}]", from.value(),
                                          log_start_offset_.value(), next_offset_.value()));
  }
  return Status::Ok();
}

size_t PartitionLog::SegmentIndexFor(Offset offset) const {
  auto it = std::ranges::upper_bound(segments_, offset, {},
                                     [](const auto& segment) { return segment->base_offset(); });
  return static_cast<size_t>(it - segments_.begin()) - 1;
}

bool PartitionLog::ShouldRoll(const BatchHeader& header, int64_t now_ms) const {
  const Segment& segment = active();
  if (segment.sealed()) return true;  // a roll that sealed it but failed to create the next one
  if (segment.empty()) return false;
  return segment.size_bytes() + static_cast<int64_t>(header.total_size()) > config_.segment_bytes ||
         now_ms - segment.roll_start_ms().value_or(now_ms) > config_.segment_ms ||
         next_offset_ + header.last_offset_delta - segment.base_offset() > kMaxRelativeOffset;
}

Status PartitionLog::Roll() {
  TARN_TRY(active().Seal());
  TARN_ASSIGN_OR_RETURN(auto segment,
                        Segment::Create(dir_, next_offset_, config_.index_interval_bytes));
  segments_.push_back(std::move(segment));
  return Status::Ok();
}

Result<AppendResult> PartitionLog::Append(MutableByteView batch) {
  TARN_TRY(CheckOpen());
  TARN_TRY(BatchHeader::Verify(batch));
  TARN_ASSIGN_OR_RETURN(BatchHeader header, BatchHeader::Parse(batch));
  int64_t now_ms = clock_.NowMs();
  if (ShouldRoll(header, now_ms)) TARN_TRY(Roll());
  BatchHeader::AssignOffset(batch, next_offset_);
  header.base_offset = next_offset_.value();
  header.partition_leader_epoch = 0;
  TARN_TRY(active().Append(batch, header, now_ms));
  size_bytes_ += static_cast<int64_t>(batch.size());
  AppendResult result{next_offset_, header.last_offset()};
  next_offset_ = header.last_offset() + 1;
  return result;
}

Result<Bytes> PartitionLog::Read(Offset from, int32_t max_bytes, std::optional<Offset> end) const {
  TARN_TRY(CheckReadable(from));
  const Offset limit = std::min(end.value_or(next_offset_), next_offset_);
  Bytes out;
  if (from >= limit) return out;
  Offset position = from;
  for (size_t i = SegmentIndexFor(from); i < segments_.size() && position < limit; ++i) {
    const bool first = position == from;
    const int64_t budget = std::max<int64_t>(max_bytes, 0) - static_cast<int64_t>(out.size());
    if (!first && budget < static_cast<int64_t>(BatchHeader::kSize)) break;
    TARN_ASSIGN_OR_RETURN(Segment::Batches part,
                          segments_[i]->Read(position, limit, budget, first));
    if (first) {
      out = std::move(part.bytes);
    } else {
      out.insert(out.end(), part.bytes.begin(), part.bytes.end());
    }
    if (part.end < segments_[i]->next_offset()) break;  // stopped inside this segment
    position = part.end;
  }
  return out;
}

Result<std::optional<Offset>> PartitionLog::FindBatchByTimestamp(int64_t timestamp_ms) const {
  TARN_TRY(CheckOpen());
  for (const auto& segment : segments_) {
    if (segment->max_timestamp() < timestamp_ms) continue;
    TARN_ASSIGN_OR_RETURN(std::optional<Offset> found, segment->FindBatchByTimestamp(timestamp_ms));
    if (found) return found;
  }
  return std::optional<Offset>();
}

Status PartitionLog::ScanBatchHeaders(Offset from,
                                      const std::function<void(const BatchHeader&)>& fn) const {
  TARN_TRY(CheckReadable(from));
  if (from == next_offset_) return Status::Ok();
  for (size_t i = SegmentIndexFor(from); i < segments_.size(); ++i) {
    TARN_TRY(segments_[i]->ScanBatchHeaders(from, fn));
  }
  return Status::Ok();
}

SyncPoint PartitionLog::PendingSync() {
  SyncPoint point{{}, next_offset_};
  if (closed_) return point;
  bool directory = false;
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    const Segment& segment = **it;
    if (segment.next_offset() <= durable_offset_) break;
    if (segment.empty()) continue;
    point.files.push_back(segment.file());
    directory = directory || !segment.dir_entry_durable();
  }
  if (directory) point.files.push_back(dir_file_);
  return point;
}

void PartitionLog::MarkDurable(Offset end) {
  end = std::min(end, next_offset_);
  if (end <= durable_offset_) return;
  durable_offset_ = end;
  // A segment below `end` had data when its SyncPoint was taken, so the directory was synced
  // with it if its entry was new.
  for (auto& segment : segments_) {
    if (segment->base_offset() < end) segment->set_dir_entry_durable();
  }
}

Result<int> PartitionLog::ApplyRetention() {
  TARN_TRY(CheckOpen());
  const int64_t now_ms = clock_.NowMs();
  int deleted = 0;
  while (segments_.size() > 1) {
    const Segment& oldest = *segments_.front();
    bool expired = false;
    if (config_.retention_ms >= 0) {
      // A segment without record timestamps ages by its file's modification time.
      int64_t newest_ms = oldest.max_timestamp();
      if (newest_ms < 0) {
        TARN_ASSIGN_OR_RETURN(newest_ms, oldest.file()->ModifiedTimeMs());
      }
      expired = newest_ms < now_ms - config_.retention_ms;
    }
    bool over_size = config_.retention_bytes >= 0 &&
                     size_bytes_ - oldest.size_bytes() >= config_.retention_bytes;
    if (!expired && !over_size) break;
    TARN_TRY(segments_.front()->Delete());
    size_bytes_ -= oldest.size_bytes();
    segments_.erase(segments_.begin());
    ++deleted;
  }
  if (deleted > 0) {
    log_start_offset_ = segments_.front()->base_offset();
    // Everything below the log start is gone, so nothing below it waits for a sync.
    durable_offset_ = std::max(durable_offset_, log_start_offset_);
    spdlog::info("log {}: retention deleted {} segment(s), log now starts at {}", dir_.string(),
                 deleted, log_start_offset_.value());
  }
  return deleted;
}

std::vector<SealedSegment> PartitionLog::SealedSegments() const {
  std::vector<SealedSegment> out;
  if (closed_) return out;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    const Segment& s = *segments_[i];
    out.push_back(SealedSegment{s.base_offset(), segments_[i + 1]->base_offset(), s.size_bytes(),
                                s.max_timestamp(), s.file()});
  }
  return out;
}

Status PartitionLog::ReplaceSegments(SegmentRewrite& rewrite) {
  TARN_TRY(CheckOpen());
  const std::vector<SealedSegment>& replaced = rewrite.replaced();
  if (replaced.empty()) return Status::InvalidArgument("the rewrite replaces no segment");
  auto first = std::ranges::find_if(segments_, [&](const auto& segment) {
    return segment->base_offset() == replaced.front().base_offset;
  });
  const auto start = static_cast<size_t>(first - segments_.begin());
  // The run must still be there, segment for segment (same files), and not reach the active one.
  bool unchanged = first != segments_.end() && start + replaced.size() < segments_.size();
  for (size_t k = 0; unchanged && k < replaced.size(); ++k) {
    const Segment& segment = *segments_[start + k];
    unchanged = segment.sealed() && segment.base_offset() == replaced[k].base_offset &&
                segment.file() == replaced[k].file;
  }
  if (!unchanged) {
    return Status::FailedPrecondition(fmt::format(
        "log {}: the segments from {} changed during their rewrite", dir_.string(),
        replaced.front().base_offset.value()));
  }
  Result<std::vector<Offset>> bases = rewrite.Commit();
  if (!bases.has_value()) {
    if (bases.error().code() == StatusCode::kFailedPrecondition) return bases.error();
    closed_ = true;  // files and segments may disagree now; Open sorts it out
    return Status::IoError(bases.error().message()).WithContext("swapping segments in");
  }
  std::vector<std::unique_ptr<Segment>> fresh;
  for (size_t j = 0; j < bases->size(); ++j) {
    Offset end = j + 1 < bases->size() ? (*bases)[j + 1] : replaced.back().end_offset;
    auto segment = Segment::OpenSealed(dir_, (*bases)[j], end, config_.index_interval_bytes);
    if (!segment.has_value()) {
      closed_ = true;
      return Status::IoError(segment.error().message()).WithContext("opening a swapped segment");
    }
    (*segment)->set_dir_entry_durable();
    size_bytes_ += (*segment)->size_bytes();
    fresh.push_back(std::move(*segment));
  }
  for (size_t k = 0; k < replaced.size(); ++k) size_bytes_ -= segments_[start + k]->size_bytes();
  auto run = segments_.begin() + static_cast<std::ptrdiff_t>(start);
  segments_.erase(run, run + static_cast<std::ptrdiff_t>(replaced.size()));
  segments_.insert(segments_.begin() + static_cast<std::ptrdiff_t>(start),
                   std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()));
  return Status::Ok();
}

Status PartitionLog::SetConfig(const LogConfig& config) {
  TARN_TRY(config.Validate());
  config_ = config;
  return Status::Ok();
}

Status PartitionLog::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  if (segments_.empty()) return Status::Ok();  // Open failed
  Status status = active().Seal();
  if (status.ok()) status = dir_file_->Sync();
  if (status.ok()) durable_offset_ = next_offset_;
  segments_.clear();
  return status;
}

}  // namespace tarn::log
