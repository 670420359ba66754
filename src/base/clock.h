// Time comes through this seam so tests can control it.
#pragma once

#include <atomic>
#include <cstdint>

namespace tarn {

// Thread-safe. Wall-clock milliseconds since the epoch (record timestamps, retention)
// and a monotonic clock for durations.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
  virtual int64_t MonotonicNs() const = 0;
};

// The process clock.
const Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicNs() const override { return now_ms_.load() * 1'000'000; }
  void Advance(int64_t ms) { now_ms_ += ms; }
  void Set(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace tarn
