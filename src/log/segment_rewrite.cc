#include "log/segment_rewrite.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include "base/crc32c.h"
#include "base/file_util.h"
#include "log/batch_header.h"
#include "log/segment.h"

namespace tarn::log {
namespace {

constexpr std::string_view kTemporarySuffix = ".cleaned";
constexpr std::string_view kManifestExtension = ".swap";
constexpr std::string_view kManifestMagic = "tarn-segment-swap 1";
constexpr int64_t kMaxRelative = std::numeric_limits<uint32_t>::max();
constexpr int64_t kMaxSegmentBytes = std::numeric_limits<int32_t>::max();

std::filesystem::path WithSuffix(std::filesystem::path path, std::string_view suffix) {
  path += suffix;
  return path;
}

std::filesystem::path ManifestPath(const std::filesystem::path& dir, Offset first) {
  return dir / fmt::format("{:020d}{}", first.value(), kManifestExtension);
}

// The three files of the segment at `base`, the .log last: a swap renames it last, and a removal
// takes it first, so that an index is never left without its .log by a crash.
std::vector<std::filesystem::path> SegmentFiles(const std::filesystem::path& dir, Offset base) {
  return {Segment::OffsetIndexPath(dir, base), Segment::TimeIndexPath(dir, base),
          Segment::LogPath(dir, base)};
}

Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec)
    return Status::IoError("rename " + from.string() + " to " + to.string() + ": " + ec.message());
  return Status::Ok();
}

Status Remove(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) return Status::IoError("remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

// What a committed swap replaces and with what. Text, one field per line, ending in a CRC-32C
// of the lines before it (docs/formats/log.md).
struct SwapManifest {
  Offset first;
  Offset end;
  std::vector<Offset> replaced;
  std::vector<Offset> segments;

  std::string Encode() const {
    auto join = [](const std::vector<Offset>& offsets) {
      std::string out;
      for (Offset o : offsets) out += fmt::format(" {}", o.value());
      return out;
    };
    std::string body = fmt::format("{}\nrange {} {}\nreplaced{}\nsegments{}\n", kManifestMagic,
                                   first.value(), end.value(), join(replaced), join(segments));
    return body + fmt::format("crc {}\n", Crc32c(AsBytes(body)));
  }

  static Result<SwapManifest> Parse(std::string_view text, const std::filesystem::path& path) {
    auto bad = [&](std::string_view why) {
      return Error(Status::Corruption(fmt::format("swap manifest {}: {}", path.string(), why)));
    };
    size_t crc_at = text.rfind("crc ");
    if (crc_at == std::string_view::npos || (crc_at > 0 && text[crc_at - 1] != '\n')) {
      return bad("no checksum");
    }
    std::string_view body = text.substr(0, crc_at);
    uint32_t crc = 0;
    std::istringstream crc_line{std::string(text.substr(crc_at + 4))};
    if (!(crc_line >> crc) || crc != Crc32c(AsBytes(body))) return bad("checksum mismatch");

    std::istringstream in{std::string(body)};
    std::string line;
    SwapManifest m;
    if (!std::getline(in, line) || line != kManifestMagic) return bad("unknown format");
    std::string word;
    int64_t first = 0;
    int64_t end = 0;
    if (!std::getline(in, line)) return bad("no range");
    std::istringstream range(line);
    if (!(range >> word >> first >> end) || word != "range" || first >= end)
      return bad("bad range");
    m.first = Offset(first);
    m.end = Offset(end);
    for (auto [name, out] : {std::pair{"replaced", &m.replaced}, {"segments", &m.segments}}) {
      if (!std::getline(in, line)) return bad(fmt::format("no {} line", name));
      std::istringstream fields(line);
      if (!(fields >> word) || word != name) return bad(fmt::format("no {} line", name));
      int64_t base = 0;
      while (fields >> base) {
        if (base < first || base >= end) return bad("a segment outside the range");
        out->push_back(Offset(base));
      }
      if (!fields.eof() || out->empty()) return bad(fmt::format("bad {} line", name));
    }
    return m;
  }
};

// Moves the new segments of a committed swap into place and removes the replaced ones that no
// new segment took the name of, syncs the directory, then removes the manifest. Idempotent, so
// recovery can run it again after a crash at any point of it.
Status CompleteSwap(const std::filesystem::path& dir, const SwapManifest& m, LogFile& dir_file) {
  for (Offset base : m.segments) {
    for (const auto& path : SegmentFiles(dir, base)) {
      std::filesystem::path temporary = WithSuffix(path, kTemporarySuffix);
      std::error_code ec;
      // Missing: renamed before a crash (every temporary file was on disk before the commit).
      if (std::filesystem::exists(temporary, ec)) TARN_TRY(Rename(temporary, path));
    }
  }
  for (Offset base : m.replaced) {
    if (std::ranges::find(m.segments, base) != m.segments.end()) continue;
    std::vector<std::filesystem::path> files = SegmentFiles(dir, base);
    std::rotate(files.begin(), files.end() - 1, files.end());  // the .log first
    for (const auto& path : files) TARN_TRY(Remove(path));
  }
  TARN_TRY(dir_file.Sync());
  // Left behind by a crash, this manifest would be completed again at the next open, which
  // changes nothing; SegmentRewrite::Begin syncs the directory before any new temporary file
  // could be mistaken for this swap's.
  return Remove(ManifestPath(dir, m.first));
}

}  // namespace

SegmentRewrite::SegmentRewrite(std::filesystem::path dir, std::vector<SealedSegment> replaced,
                               int32_t index_interval_bytes, std::shared_ptr<LogFile> dir_file)
    : dir_(std::move(dir)),
      replaced_(std::move(replaced)),
      index_interval_bytes_(index_interval_bytes),
      dir_file_(std::move(dir_file)) {}

SegmentRewrite::~SegmentRewrite() {
  if (!done_) Abandon();
}

SegmentRewrite::SegmentRewrite(SegmentRewrite&& other) noexcept
    : dir_(std::move(other.dir_)),
      replaced_(std::move(other.replaced_)),
      index_interval_bytes_(other.index_interval_bytes_),
      dir_file_(std::move(other.dir_file_)),
      segments_(std::move(other.segments_)),
      bytes_written_(other.bytes_written_),
      finished_(other.finished_),
      done_(std::exchange(other.done_, true)) {}

SegmentRewrite& SegmentRewrite::operator=(SegmentRewrite&& other) noexcept {
  if (this != &other) {
    if (!done_) Abandon();
    dir_ = std::move(other.dir_);
    replaced_ = std::move(other.replaced_);
    index_interval_bytes_ = other.index_interval_bytes_;
    dir_file_ = std::move(other.dir_file_);
    segments_ = std::move(other.segments_);
    bytes_written_ = other.bytes_written_;
    finished_ = other.finished_;
    done_ = std::exchange(other.done_, true);
  }
  return *this;
}

Result<SegmentRewrite> SegmentRewrite::Begin(const std::filesystem::path& dir,
                                             std::vector<SealedSegment> replaced,
                                             int32_t index_interval_bytes) {
  if (replaced.empty())
    return Error(Status::InvalidArgument("a rewrite needs segments to replace"));
  for (size_t i = 0; i + 1 < replaced.size(); ++i) {
    if (replaced[i].end_offset != replaced[i + 1].base_offset) {
      return Error(Status::InvalidArgument(fmt::format("segments {} and {} are not consecutive",
                                                       replaced[i].base_offset.value(),
                                                       replaced[i + 1].base_offset.value())));
    }
  }
  TARN_ASSIGN_OR_RETURN(auto dir_file, LogFile::OpenDirectory(dir));
  // The removal of an earlier swap's manifest must be on disk before new temporary files are.
  TARN_TRY(dir_file->Sync());
  return SegmentRewrite(dir, std::move(replaced), index_interval_bytes, std::move(dir_file));
}

Status SegmentRewrite::StartSegment(Offset base_offset) {
  if (finished_ || done_) return Status::FailedPrecondition("the rewrite is finished");
  Offset expected =
      segments_.empty() ? replaced_.front().base_offset : segments_.back()->next_offset();
  if (!segments_.empty() && segments_.back()->empty()) {
    return Status::InvalidArgument("a rewritten segment may not be empty");
  }
  if (base_offset != expected) {
    return Status::InvalidArgument(fmt::format("a rewritten segment must start at {}, not {}",
                                               expected.value(), base_offset.value()));
  }
  TARN_ASSIGN_OR_RETURN(
      auto segment, Segment::Create(dir_, base_offset, index_interval_bytes_, kTemporarySuffix));
  segments_.push_back(std::move(segment));
  return Status::Ok();
}

Status SegmentRewrite::Append(ByteView batch) {
  if (segments_.empty() || finished_ || done_) {
    return Status::FailedPrecondition("no rewritten segment is open");
  }
  TARN_TRY(BatchHeader::Verify(batch));
  TARN_ASSIGN_OR_RETURN(BatchHeader header, BatchHeader::Parse(batch));
  Segment& segment = *segments_.back();
  const Offset end = replaced_.back().end_offset;
  if (header.first_offset() < segment.next_offset() || header.last_offset() >= end) {
    return Status::InvalidArgument(fmt::format("batch [{}, {}] is not after offset {} and below {}",
                                               header.base_offset, header.last_offset().value(),
                                               segment.next_offset().value() - 1, end.value()));
  }
  if (header.last_offset() - segment.base_offset() > kMaxRelative ||
      segment.size_bytes() + static_cast<int64_t>(batch.size()) > kMaxSegmentBytes) {
    return Status::InvalidArgument("the rewritten segment would outgrow its offsets or positions");
  }
  TARN_TRY(segment.Append(batch, header, /*now_ms=*/0));
  bytes_written_ += static_cast<int64_t>(batch.size());
  return Status::Ok();
}

Status SegmentRewrite::Finish() {
  if (finished_ || done_) return Status::FailedPrecondition("the rewrite is finished");
  if (segments_.empty()) return Status::InvalidArgument("a rewrite needs a segment");
  SwapManifest manifest{replaced_.front().base_offset, replaced_.back().end_offset, {}, {}};
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = *segments_[i];
    Offset end = i + 1 < segments_.size() ? segments_[i + 1]->base_offset() : manifest.end;
    if (segment.empty() || segment.next_offset() != end) {
      return Status::InvalidArgument(fmt::format("rewritten segment {} ends at {}, not at {}",
                                                 segment.base_offset().value(),
                                                 segment.next_offset().value(), end.value()));
    }
    manifest.segments.push_back(segment.base_offset());
  }
  for (const SealedSegment& s : replaced_) manifest.replaced.push_back(s.base_offset);
  for (auto& segment : segments_) TARN_TRY(segment->Seal());
  std::string text = manifest.Encode();
  std::filesystem::path temporary =
      WithSuffix(ManifestPath(dir_, manifest.first), kTemporarySuffix);
  TARN_ASSIGN_OR_RETURN(auto file, LogFile::Open(temporary, /*create=*/true, /*truncate=*/true));
  TARN_TRY(file->WriteAt(AsBytes(text), 0));
  TARN_TRY(file->Sync());
  TARN_TRY(dir_file_->Sync());
  finished_ = true;
  return Status::Ok();
}

void SegmentRewrite::Abandon() {
  if (done_) return;
  done_ = true;
  for (auto& segment : segments_) {
    Status removed = segment->Delete();
    if (!removed.ok()) spdlog::warn("abandoning a segment rewrite: {}", removed.message());
  }
  segments_.clear();
  if (!replaced_.empty()) {
    Status removed =
        Remove(WithSuffix(ManifestPath(dir_, replaced_.front().base_offset), kTemporarySuffix));
    if (!removed.ok()) spdlog::warn("abandoning a segment rewrite: {}", removed.message());
  }
}

Result<std::vector<Offset>> SegmentRewrite::Commit() {
  if (!finished_ || done_) {
    return Error(Status::FailedPrecondition("only a finished rewrite can be swapped in"));
  }
  SwapManifest manifest{replaced_.front().base_offset, replaced_.back().end_offset, {}, {}};
  for (const SealedSegment& s : replaced_) manifest.replaced.push_back(s.base_offset);
  for (const auto& segment : segments_) manifest.segments.push_back(segment->base_offset());
  std::filesystem::path path = ManifestPath(dir_, manifest.first);
  TARN_TRY(Rename(WithSuffix(path, kTemporarySuffix), path));
  // From here on the swap is decided: recovery completes it whatever happens next.
  done_ = true;
  segments_.clear();
  TARN_TRY(dir_file_->Sync());
  TARN_TRY(CompleteSwap(dir_, manifest, *dir_file_));
  return manifest.segments;
}

Status RecoverSegmentSwaps(const std::filesystem::path& dir) {
  std::vector<std::pair<Offset, std::filesystem::path>> manifests;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (auto first = Segment::ParseFileName(name, kManifestExtension)) {
      manifests.emplace_back(*first, it->path());
    }
  }
  if (ec) return Status::IoError("list " + dir.string() + ": " + ec.message());
  std::ranges::sort(manifests);
  TARN_ASSIGN_OR_RETURN(auto dir_file, LogFile::OpenDirectory(dir));
  for (const auto& [first, path] : manifests) {
    TARN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    TARN_ASSIGN_OR_RETURN(SwapManifest manifest, SwapManifest::Parse(text, path));
    spdlog::warn("log recovery: completing the interrupted segment swap {}", path.string());
    TARN_TRY(CompleteSwap(dir, manifest, *dir_file));
  }
  // Whatever temporary files are left belong to rewrites that were never committed.
  std::vector<std::filesystem::path> leftovers;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().ends_with(kTemporarySuffix)) leftovers.push_back(it->path());
  }
  if (ec) return Status::IoError("list " + dir.string() + ": " + ec.message());
  for (const auto& path : leftovers) {
    spdlog::warn("log recovery: removing {}, left by an unfinished segment rewrite", path.string());
    TARN_TRY(Remove(path));
  }
  if (!leftovers.empty()) TARN_TRY(dir_file->Sync());
  return Status::Ok();
}

}  // namespace tarn::log
