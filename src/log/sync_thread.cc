#include "log/sync_thread.h"

#include <algorithm>

#include "log/log_file.h"

namespace tarn::log {

SyncThread::SyncThread() : thread_([this] { Run(); }) {}

SyncThread::~SyncThread() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SyncThread::Submit(std::vector<std::shared_ptr<LogFile>> files, Done done) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{std::move(files), std::move(done)});
  }
  cv_.notify_one();
}

void SyncThread::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::sort(job.files.begin(), job.files.end());
    job.files.erase(std::unique(job.files.begin(), job.files.end()), job.files.end());
    Status first_failure;
    for (const auto& file : job.files) {
      Status s = file->Sync();
      sync_count_.fetch_add(1, std::memory_order_relaxed);
      if (!s.ok() && first_failure.ok()) first_failure = s;
    }
    if (job.done) job.done(first_failure);
  }
}

}  // namespace tarn::log
