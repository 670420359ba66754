// Payload: the bytes every backend sends, so all systems carry the same records.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tarn::bench {

// What a record is made of.
//   kBytes     a 24-byte header (magic, sequence number, the scheduled send time in monotonic
//              ns) then incompressible filler;
//   kEnvelope  an `order-placed` event in Tarn's envelope, as a service would publish it:
//     {"id":"evt-<seq, 20 digits>-<scheduled ns, 20 digits>","type":"order-placed",
//      "timestamp":<epoch ms>,"partitionKey":"order-<seq % 1000, 3 digits>",
//      "tags":{"source":"bench"},"order":{"id":"order-<the same 3 digits>","customerId":...,
//      "currency":"EUR","status":"placed","lines":[{"sku","quantity","unitPrice"},...],
//      "total":...,"note":"<filler to the record size>"}}
//     Every stamped field has a fixed width, so a record's size never changes and a stamp
//     rewrites digits in place. It satisfies kOrderPlacedContract. The id comes first, as it
//     also does when a server re-serializes the event with its keys sorted, so Parse finds the
//     sequence and the send time in the stored form too.
enum class PayloadFormat { kBytes, kEnvelope };

// "bytes" or "envelope"; nullopt for another name.
std::optional<PayloadFormat> ParsePayloadFormat(std::string_view name);
std::string_view PayloadFormatName(PayloadFormat format);

// A record of a fixed size, made once. Stamp() rewrites only the stamped fields, so the same
// buffer is reused for every send (every client copies it). A kBytes record is at least
// kHeaderBytes; a kEnvelope record at least kMinEnvelopeBytes (a smaller size is raised to it).
// One per sending thread; not thread-safe.
class Payload {
 public:
  static constexpr size_t kHeaderBytes = 24;
  static constexpr size_t kMinEnvelopeBytes = 600;

  struct Header {
    uint64_t sequence;
    int64_t scheduled_ns;  // MonotonicNs() of the time the send was due
  };

  explicit Payload(size_t size_bytes, PayloadFormat format = PayloadFormat::kBytes);

  // Writes the header (kEnvelope: the id, the timestamp from the wall clock and the partition
  // key) and returns the whole record.
  std::span<const char> Stamp(uint64_t sequence, int64_t scheduled_ns);
  // The same, on an envelope copied elsewhere from a kEnvelope payload (a request body that
  // holds many), with the given wall-clock time.
  static void StampEnvelope(std::span<char> record, uint64_t sequence, int64_t scheduled_ns,
                            int64_t epoch_ms);
  // The header of a received record of either format, or nullopt if it is not one of ours.
  static std::optional<Header> Parse(const void* data, size_t size);

  // The record as last stamped.
  std::span<const char> record() const { return {bytes_.data(), bytes_.size()}; }
  // kEnvelope: the partition key of the last stamp (the Kafka key); kBytes: empty.
  std::string_view key() const;
  PayloadFormat format() const { return format_; }
  size_t size() const { return bytes_.size(); }

 private:
  PayloadFormat format_;
  std::string bytes_;
};

// The JSON Schema of `order-placed` events (the whole envelope): required fields and their
// types, numeric bounds, patterns and enums, so that a server checking contracts does real work.
extern const std::string_view kOrderPlacedContract;

// Monotonic nanoseconds from the process clock (CLOCK_MONOTONIC): the one clock for send
// times, ack and end-to-end latency, shared by producer and consumer threads.
int64_t MonotonicNs();
// Milliseconds since the epoch (the wall clock), for event timestamps.
int64_t EpochMs();
// Sleeps until MonotonicNs() >= deadline_ns (absolute; returns at once if it has passed).
void SleepUntilNs(int64_t deadline_ns);

}  // namespace tarn::bench
