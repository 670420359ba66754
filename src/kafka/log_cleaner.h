// The log cleaner: log compaction for every partition of a topic whose cleanup.policy includes
// compact, as Kafka's does it. On each Tick (the broker's cleaner timer, Kafka's
// log.cleaner.backoff.ms) it picks the partition most in need, compacts its cleanable segments
// on its own thread (kafka/compaction.h) and swaps the result in on the broker's thread.
//
// Which segments are cleanable: the sealed ones, oldest first, up to the first whose newest
// record is younger than min.compaction.lag.ms; the active segment never is. A partition is due
// when its dirty ratio (bytes of cleanable segments not yet cleaned over all cleanable bytes)
// reaches min.cleanable.dirty.ratio, or when a tombstone kept by its last pass has aged past
// delete.retention.ms. What was cleaned is remembered in memory only: after a restart every
// partition is dirty once, and its first pass rewrites what is already clean, changing nothing.
//
// Compaction never blocks producers: reading, mapping, writing and syncing the new segments
// happen on the cleaner's thread over immutable sealed segments; only the swap (renames and two
// directory syncs) runs on the broker's thread. A swap is abandoned when the segments changed
// meanwhile (retention, topic deleted). One partition is cleaned at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "kafka/compaction.h"
#include "kafka/kafka_metrics.h"
#include "net/asio_fwd.h"

namespace tarn::kafka {

struct Topic;
struct Partition;

// Owned by the Broker. Tick and every completion run on the io_context's thread; the
// compaction itself on the cleaner's own thread. The destructor cancels a pass in progress and
// waits for the thread (its temporary files are removed then, or at the next open).
class LogCleaner {
 public:
  LogCleaner(IoContext& io, const Clock& clock, CleanerMetrics metrics);
  ~LogCleaner();
  LogCleaner(const LogCleaner&) = delete;
  LogCleaner& operator=(const LogCleaner&) = delete;

  // Starts a pass over the partition of `topics` most in need of one, unless a pass is running
  // or none is due. Returns whether it started one.
  bool Tick(const std::vector<std::shared_ptr<Topic>>& topics);
  // Whether a pass is running (started and not yet swapped in or abandoned).
  bool busy() const { return busy_; }

 private:
  struct Job {
    std::shared_ptr<Topic> topic;
    Partition* partition;
    std::filesystem::path dir;
    std::vector<log::SealedSegment> segments;
    CompactionOptions options;
  };
  void Run();
  void Complete(Job job, Result<Compaction> result);

  IoContext& io_;
  const Clock& clock_;
  CleanerMetrics metrics_;
  bool busy_ = false;  // io thread only
  std::shared_ptr<bool> alive_;
  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Job> job_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace tarn::kafka
