// Payload: the bytes every backend sends, so all three systems carry the same records.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace tarn::bench {

// A record of a fixed size (>= kHeaderBytes): a 24-byte header (magic, sequence number, the
// scheduled send time in monotonic ns) then incompressible filler, made once. Stamp() rewrites
// only the header, so the same buffer is reused for every send (every client copies it).
// One per sending thread; not thread-safe.
class Payload {
 public:
  static constexpr size_t kHeaderBytes = 24;

  struct Header {
    uint64_t sequence;
    int64_t scheduled_ns;  // MonotonicNs() of the time the send was due
  };

  explicit Payload(size_t size_bytes);

  // Writes the header and returns the whole record.
  std::span<const char> Stamp(uint64_t sequence, int64_t scheduled_ns);
  // The header of a received record, or nullopt if it is not one of ours.
  static std::optional<Header> Parse(const void* data, size_t size);

  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

// Monotonic nanoseconds from the process clock (CLOCK_MONOTONIC): the one clock for send
// times, ack and end-to-end latency, shared by producer and consumer threads.
int64_t MonotonicNs();
// Sleeps until MonotonicNs() >= deadline_ns (absolute; returns at once if it has passed).
void SleepUntilNs(int64_t deadline_ns);

}  // namespace tarn::bench
