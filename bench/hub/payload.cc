#include "hub/payload.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/clock.h"

namespace tarn::bench {
namespace {

constexpr uint64_t kMagic = 0x7461726e68756231;  // "tarnhub1"

void PutU64(char* out, uint64_t v) { std::memcpy(out, &v, sizeof v); }
uint64_t GetU64(const char* in) {
  uint64_t v;
  std::memcpy(&v, in, sizeof v);
  return v;
}

}  // namespace

Payload::Payload(size_t size_bytes) : bytes_(std::max(size_bytes, kHeaderBytes), '\0') {
  // xorshift64*: fixed seed, so every run and every system sends the same filler.
  uint64_t state = 0x9e3779b97f4a7c15;
  for (size_t i = kHeaderBytes; i < bytes_.size(); ++i) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    bytes_[i] = static_cast<char>((state * 0x2545f4914f6cdd1d) >> 56);
  }
  PutU64(bytes_.data(), kMagic);
}

std::span<const char> Payload::Stamp(uint64_t sequence, int64_t scheduled_ns) {
  PutU64(bytes_.data() + 8, sequence);
  PutU64(bytes_.data() + 16, static_cast<uint64_t>(scheduled_ns));
  return {bytes_.data(), bytes_.size()};
}

std::optional<Payload::Header> Payload::Parse(const void* data, size_t size) {
  if (data == nullptr || size < kHeaderBytes) return std::nullopt;
  const char* p = static_cast<const char*>(data);
  if (GetU64(p) != kMagic) return std::nullopt;
  return Header{GetU64(p + 8), static_cast<int64_t>(GetU64(p + 16))};
}

int64_t MonotonicNs() { return SystemClock().MonotonicNs(); }

void SleepUntilNs(int64_t deadline_ns) {
  // The default 50 us timer slack would add a random delay to every scheduled send.
  static const bool slack_set = [] { return prctl(PR_SET_TIMERSLACK, 1UL) == 0; }();
  (void)slack_set;
  timespec ts{.tv_sec = deadline_ns / 1'000'000'000, .tv_nsec = deadline_ns % 1'000'000'000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace tarn::bench
