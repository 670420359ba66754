// Append and read throughput of one partition's log, in the page cache (no fsync): what the log
// itself costs per batch, apart from the disk.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "log/log_test_util.h"
#include "log/partition_log.h"

namespace tarn::log {
namespace {

// Appends batches of state.range(0) records of 1 KiB each.
void BM_Append(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  testing::TempDir dir;
  LogConfig config;
  config.segment_bytes = 256 << 20;
  config.retention_bytes = 512 << 20;
  auto log = PartitionLog::Open(dir.path(), config, SystemClock());
  Bytes batch = testing::MakeBatch({.records = records, .payload_bytes = size_t(records) * 1024});
  int appended = 0;
  for (auto _ : state) {
    auto result = (*log)->Append(batch);
    if (!result.has_value()) state.SkipWithError(result.error().ToString().c_str());
    if (++appended % 4096 == 0) (void)(*log)->ApplyRetention();
  }
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_Append)->Arg(1)->Arg(16);

// A consumer at the tail: reads up to 64 KiB from a recent offset.
void BM_ReadTail(benchmark::State& state) {
  testing::TempDir dir;
  auto log = PartitionLog::Open(dir.path(), LogConfig(), SystemClock());
  Bytes batch = testing::MakeBatch({.records = 4, .payload_bytes = 4096});
  for (int i = 0; i < 20'000; ++i) (void)(*log)->Append(batch);
  int64_t from = 0;
  for (auto _ : state) {
    from = (from + 997) % (*log)->next_offset().value();
    auto bytes = (*log)->Read(Offset(from), 64 * 1024);
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_ReadTail);

}  // namespace
}  // namespace tarn::log
