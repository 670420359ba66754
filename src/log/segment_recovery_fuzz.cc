// Feeds arbitrary bytes to log recovery: PartitionLog::Open must return OK or a Status, never
// crash, and an opened log must serve reads and take appends.
// Input: one mode byte, then the bytes of a file.
//   mode % 3 == 0: the file is the only (active) segment, which recovery scans and cuts.
//   mode % 3 == 1: the file is a sealed segment, followed by an empty segment whose base offset
//                  is the file's last byte; its indexes are missing and get rebuilt.
//   mode % 3 == 2: a valid sealed segment of three batches (offsets 0-5), whose .index file is
//                  the first N bytes, N being the first byte, and .timeindex the rest.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "base/clock.h"
#include "log/log_test_util.h"
#include "log/partition_log.h"
#include "log/segment.h"

namespace tarn::log {
namespace {

void WriteFile(const std::filesystem::path& path, ByteView bytes) {
  auto file = LogFile::Open(path, /*create=*/true, /*truncate=*/true);
  if (file.has_value()) (void)(*file)->WriteAt(bytes, 0);
}

std::filesystem::path FastTempParent() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";  // fsync costs nothing
  return std::filesystem::temp_directory_path();
}

void Exercise(PartitionLog& log) {
  const Offset start = log.log_start_offset();
  (void)log.Read(start, 1 << 20);
  (void)log.FindBatchByTimestamp(0);
  std::vector<Offset> offsets;
  (void)log.ScanBatchHeaders(start, [&](const BatchHeader& h) {
    offsets.push_back(h.first_offset());
    offsets.push_back(h.last_offset());
  });
  for (Offset offset : offsets) (void)log.Read(offset, 1);
  Bytes batch = testing::MakeBatch();
  (void)log.Append(batch);
  (void)log.Read(start, 1 << 20);
}

}  // namespace
}  // namespace tarn::log

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn;
  using namespace tarn::log;
  if (size == 0) return 0;
  spdlog::set_level(spdlog::level::err);
  testing::TempDir dir(FastTempParent());
  const int mode = data[0] % 3;
  ByteView file(data + 1, size - 1);
  if (mode == 0) {
    WriteFile(Segment::LogPath(dir.path(), Offset(0)), file);
  } else if (mode == 1) {
    WriteFile(Segment::LogPath(dir.path(), Offset(0)), file);
    const int64_t next_base = file.empty() ? 0 : file.back();
    if (next_base > 0) WriteFile(Segment::LogPath(dir.path(), Offset(next_base)), {});
  } else {
    Bytes segment;
    for (int i = 0; i < 3; ++i) {
      Bytes batch =
          testing::MakeBatch({.records = 2, .payload_bytes = 30, .max_timestamp = 10 * i});
      BatchHeader::AssignOffset(batch, Offset(2 * i));
      segment.insert(segment.end(), batch.begin(), batch.end());
    }
    WriteFile(Segment::LogPath(dir.path(), Offset(0)), segment);
    const size_t index_size = file.empty() ? 0 : std::min<size_t>(file[0], file.size() - 1);
    ByteView indexes = file.empty() ? file : file.subspan(1);
    WriteFile(Segment::OffsetIndexPath(dir.path(), Offset(0)), indexes.first(index_size));
    WriteFile(Segment::TimeIndexPath(dir.path(), Offset(0)), indexes.subspan(index_size));
    WriteFile(Segment::LogPath(dir.path(), Offset(6)), {});
  }
  LogConfig config;
  config.index_interval_bytes = 64;
  ManualClock clock;
  auto log = PartitionLog::Open(dir.path(), config, clock);
  if (log.has_value()) Exercise(**log);
  return 0;
}
