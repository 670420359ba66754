#include "kafka/log_cleaner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "kafka/broker.h"
#include "net/asio.h"

namespace tarn::kafka {

LogCleaner::LogCleaner(IoContext& io, const Clock& clock, CleanerMetrics metrics)
    : io_(io),
      clock_(clock),
      metrics_(metrics),
      alive_(std::make_shared<bool>(true)),
      thread_([this] { Run(); }) {}

LogCleaner::~LogCleaner() {
  *alive_ = false;
  cancel_.store(true);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool LogCleaner::Tick(const std::vector<std::shared_ptr<Topic>>& topics) {
  if (busy_) return false;
  const int64_t now = clock_.NowMs();
  std::optional<Job> best;
  double best_score = -1;
  for (const auto& topic : topics) {
    const TopicConfig& config = topic->settings.effective;
    if (topic->deleted || !config.compacted()) continue;
    for (const auto& p : topic->partitions) {
      Partition& partition = *p;
      if (!partition.failure.ok()) continue;
      std::vector<log::SealedSegment> segments = partition.log->SealedSegments();
      // Cleanable: sealed segments up to the first holding a record younger than the lag.
      auto young = std::ranges::find_if(segments, [&](const log::SealedSegment& s) {
        return s.max_timestamp > now - config.min_compaction_lag_ms;
      });
      segments.erase(young, segments.end());
      if (segments.empty()) continue;
      int64_t clean_bytes = 0;
      int64_t dirty_bytes = 0;
      for (const log::SealedSegment& s : segments) {
        (s.end_offset <= partition.cleaned_offset ? clean_bytes : dirty_bytes) += s.size_bytes;
      }
      const double ratio =
          clean_bytes + dirty_bytes > 0
              ? static_cast<double>(dirty_bytes) / static_cast<double>(clean_bytes + dirty_bytes)
              : 0.0;
      const bool tombstones_due = now >= partition.tombstone_expiry_ms;
      if (!tombstones_due && (dirty_bytes == 0 || ratio < config.min_cleanable_dirty_ratio)) {
        continue;
      }
      const double score = tombstones_due ? std::max(ratio, 1.0) : ratio;
      if (score <= best_score) continue;
      best_score = score;
      CompactionOptions options;
      options.now_ms = now;
      options.delete_retention_ms = config.delete_retention_ms;
      options.segment_bytes = config.segment_bytes;
      options.index_interval_bytes = partition.log->config().index_interval_bytes;
      options.cancel = &cancel_;
      best = Job{topic, &partition, partition.log->dir(), std::move(segments), options};
    }
  }
  if (!best) return false;
  busy_ = true;
  {
    std::lock_guard lock(mu_);
    job_ = std::move(best);
  }
  cv_.notify_one();
  return true;
}

void LogCleaner::Run() {
  for (;;) {
    std::optional<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || job_.has_value(); });
      if (stopping_) return;
      job = std::move(job_);
      job_.reset();
    }
    Result<Compaction> result = CompactSegments(job->dir, job->segments, job->options);
    auto done =
        std::make_shared<std::pair<Job, Result<Compaction>>>(std::move(*job), std::move(result));
    asio::post(io_, [this, alive = alive_, done] {
      if (*alive) Complete(std::move(done->first), std::move(done->second));
    });
  }
}

void LogCleaner::Complete(Job job, Result<Compaction> result) {
  busy_ = false;
  const Topic& topic = *job.topic;
  Partition& partition = *job.partition;
  if (!result.has_value()) {
    metrics_.abandoned->Increment();
    if (result.error().code() != StatusCode::kUnavailable) {
      spdlog::warn("compacting {} partition {}: {}", topic.name, partition.id,
                   result.error().ToString());
    }
    return;
  }
  if (topic.deleted || !partition.failure.ok()) {
    metrics_.abandoned->Increment();
    return;  // the rewrite's files go with it
  }
  const size_t new_segments = result->rewrite.segment_count();
  Status swapped = partition.log->ReplaceSegments(result->rewrite);
  if (!swapped.ok()) {
    metrics_.abandoned->Increment();
    if (swapped.code() == StatusCode::kFailedPrecondition) {
      spdlog::info("compaction of {} partition {} abandoned: {}", topic.name, partition.id,
                   swapped.message());
      return;
    }
    partition.failure = swapped;
    spdlog::error("topic {} partition {} is offline: {}", topic.name, partition.id,
                  swapped.ToString());
    return;
  }
  const CompactionStats& stats = result->stats;
  partition.cleaned_offset = job.segments.back().end_offset;
  partition.tombstone_expiry_ms = stats.next_tombstone_expiry_ms;
  metrics_.passes->Increment();
  metrics_.bytes_read->Increment(static_cast<uint64_t>(stats.bytes_read));
  metrics_.bytes_written->Increment(static_cast<uint64_t>(stats.bytes_written));
  metrics_.records_removed->Increment(static_cast<uint64_t>(stats.records_removed));
  spdlog::info(
      "compacted {} partition {}: offsets [{}, {}) from {} to {} segment(s), {} to {} bytes, "
      "{} of {} records removed",
      topic.name, partition.id, job.segments.front().base_offset.value(),
      partition.cleaned_offset.value(), job.segments.size(), new_segments, stats.bytes_read,
      stats.bytes_written, stats.records_removed, stats.records_read);
}

}  // namespace tarn::kafka
