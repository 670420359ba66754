#include "kafka/compaction.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>

#include "kafka/record_batch.h"
#include "kafka/record_batch_builder.h"
#include "log/batch_scanner.h"

namespace tarn::kafka {
namespace {

constexpr size_t kMaxDecompressedBatch = size_t{256} << 20;
constexpr size_t kScanBufferBytes = size_t{1} << 20;
constexpr int64_t kMaxRelativeOffset = std::numeric_limits<uint32_t>::max();

// Calls `fn` with every batch of `segment`, decoded. Stops at the first error (of `fn` too).
Status ForEachBatch(const log::SealedSegment& segment, const std::atomic<bool>* cancel,
                    const std::function<Status(ByteView, const DecodedBatch&)>& fn) {
  log::BatchScanner scanner(*segment.file, 0, segment.size_bytes, log::BatchScanner::Mode::kVerify,
                            kScanBufferBytes);
  for (;;) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return Status::Unavailable("compaction cancelled");
    }
    TARN_ASSIGN_OR_RETURN(auto scanned, scanner.Next());
    if (!scanned.has_value()) return Status::Ok();
    auto decoded = DecodeBatch(scanned->bytes, kMaxDecompressedBatch);
    if (!decoded.has_value()) {
      return decoded.error().WithContext(
          fmt::format("{} at position {}", segment.file->path().string(), scanned->position));
    }
    TARN_TRY(fn(scanned->bytes, *decoded));
  }
}

std::string KeyOf(ByteView key) { return {reinterpret_cast<const char*>(key.data()), key.size()}; }

// Consecutive segments, each group as large as segment_bytes allows (at least one segment).
std::vector<std::pair<size_t, size_t>> GroupSegments(const std::vector<log::SealedSegment>& all,
                                                     int64_t segment_bytes) {
  std::vector<std::pair<size_t, size_t>> groups;  // [first, last]
  for (size_t first = 0; first < all.size();) {
    size_t last = first;
    int64_t bytes = all[first].size_bytes;
    while (last + 1 < all.size() && bytes + all[last + 1].size_bytes <= segment_bytes &&
           all[last + 1].end_offset - all[first].base_offset <= kMaxRelativeOffset) {
      ++last;
      bytes += all[last].size_bytes;
    }
    groups.emplace_back(first, last);
    first = last + 1;
  }
  return groups;
}

}  // namespace

Result<Compaction> CompactSegments(const std::filesystem::path& dir,
                                   std::vector<log::SealedSegment> segments,
                                   const CompactionOptions& options) {
  // Pass 1: the latest offset of every key, and the last batch of every producer.
  std::unordered_map<std::string, int64_t> latest;
  std::unordered_map<int64_t, int64_t> last_batch_of_producer;
  for (const log::SealedSegment& segment : segments) {
    TARN_TRY(
        ForEachBatch(segment, options.cancel, [&](ByteView, const DecodedBatch& batch) -> Status {
          for (const Record& record : batch.records()) {
            if (record.key) latest[KeyOf(*record.key)] = record.offset.value();
          }
          if (batch.header().producer_id >= 0) {
            last_batch_of_producer[batch.header().producer_id] = batch.header().base_offset;
          }
          return Status::Ok();
        }));
  }

  // Pass 2: rewrite, group by group.
  CompactionStats stats;
  auto keep = [&](const Record& record) {
    if (!record.key) return true;
    auto it = latest.find(KeyOf(*record.key));
    if (it == latest.end() || it->second != record.offset.value()) return false;
    if (record.value) return true;
    int64_t expiry =
        record.timestamp > std::numeric_limits<int64_t>::max() - options.delete_retention_ms
            ? std::numeric_limits<int64_t>::max()
            : record.timestamp + options.delete_retention_ms;
    if (expiry <= options.now_ms) return false;
    stats.next_tombstone_expiry_ms = std::min(stats.next_tombstone_expiry_ms, expiry);
    return true;
  };

  TARN_ASSIGN_OR_RETURN(log::SegmentRewrite rewrite,
                        log::SegmentRewrite::Begin(dir, segments, options.index_interval_bytes));
  std::vector<const Record*> kept;
  for (auto [first, last] : GroupSegments(segments, options.segment_bytes)) {
    TARN_TRY(rewrite.StartSegment(segments[first].base_offset));
    const Offset group_end = segments[last].end_offset;
    for (size_t i = first; i <= last; ++i) {
      stats.bytes_read += segments[i].size_bytes;
      TARN_TRY(ForEachBatch(
          segments[i], options.cancel, [&](ByteView bytes, const DecodedBatch& batch) -> Status {
            const log::BatchHeader& h = batch.header();
            const auto count = static_cast<int64_t>(batch.records().size());
            stats.records_read += count;
            kept.clear();
            if (!h.is_control()) {
              for (const Record& record : batch.records()) {
                if (keep(record)) kept.push_back(&record);
              }
            }
            if (h.is_control() || static_cast<int64_t>(kept.size()) == count) {
              return rewrite.Append(bytes);  // nothing to remove: the batch as it is
            }
            stats.records_removed += count - static_cast<int64_t>(kept.size());
            const bool ends_group = h.last_offset() + 1 == group_end;
            const bool producer_last =
                h.producer_id >= 0 && last_batch_of_producer[h.producer_id] == h.base_offset;
            if (kept.empty() && !ends_group && !producer_last) return Status::Ok();
            RecordBatchBuilder builder = RecordBatchBuilder::ForRewrite(h);
            for (const Record* record : kept) builder.AddRecord(*record);
            TARN_ASSIGN_OR_RETURN(Bytes rewritten, builder.Build());
            return rewrite.Append(rewritten);
          }));
    }
  }
  TARN_TRY(rewrite.Finish());
  stats.bytes_written = rewrite.bytes_written();
  return Compaction{std::move(rewrite), stats};
}

}  // namespace tarn::kafka
