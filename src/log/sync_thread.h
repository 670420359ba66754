// A thread that makes appended data durable (fdatasync) off the broker's event loop.
// Group commit comes from how it is used: the broker keeps one sync job in flight and gathers
// everything appended meanwhile into the next one, so concurrent producers share each sync.
// Thread-safe; jobs run one at a time, in submission order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace tarn::log {

class LogFile;

class SyncThread {
 public:
  using Done = std::function<void(Status)>;

  SyncThread();
  // Runs the jobs already submitted, then stops.
  ~SyncThread();
  SyncThread(const SyncThread&) = delete;
  SyncThread& operator=(const SyncThread&) = delete;

  // Syncs every file once (duplicates are synced once) and calls `done` on the sync thread with
  // the first failure, or OK.
  void Submit(std::vector<std::shared_ptr<LogFile>> files, Done done);

  // fdatasync calls made so far.
  uint64_t sync_count() const { return sync_count_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    std::vector<std::shared_ptr<LogFile>> files;
    Done done;
  };
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::atomic<uint64_t> sync_count_{0};
  std::thread thread_;
};

}  // namespace tarn::log
