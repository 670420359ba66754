#include "hub/payload.h"

#include <fmt/format.h>
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

// xorshift64*: fixed seed, so every run and every system sends the same filler.
class Filler {
 public:
  uint8_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<uint8_t>((state_ * 0x2545f4914f6cdd1d) >> 56);
  }

 private:
  uint64_t state_ = 0x9e3779b97f4a7c15;
};

// The envelope's fixed-width head: every stamped field sits at a constant offset.
constexpr std::string_view kIdPrefix = R"({"id":"evt-)";
constexpr size_t kSequenceAt = kIdPrefix.size();
constexpr size_t kSequenceDigits = 20;
constexpr size_t kScheduledAt = kSequenceAt + kSequenceDigits + 1;  // after '-'
constexpr size_t kScheduledDigits = 20;
constexpr std::string_view kAfterId = R"(","type":"order-placed","timestamp":)";
constexpr size_t kTimestampAt = kScheduledAt + kScheduledDigits + kAfterId.size();
constexpr size_t kTimestampDigits = 13;  // epoch ms until the year 2286
constexpr std::string_view kAfterTimestamp = R"(,"partitionKey":")";
constexpr size_t kKeyAt = kTimestampAt + kTimestampDigits + kAfterTimestamp.size();
constexpr std::string_view kKeyPrefix = "order-";
constexpr size_t kKeyDigits = 3;  // sequence % 1000
constexpr size_t kKeyBytes = kKeyPrefix.size() + kKeyDigits;
constexpr std::string_view kAfterKey = R"(","tags":{"source":"bench"},"order":{"id":")";
constexpr size_t kOrderIdAt = kKeyAt + kKeyBytes + kAfterKey.size();

// Writes `value` as exactly `digits` decimal digits, zero-padded (the high digits are dropped
// if it is wider).
void PutDecimal(char* out, uint64_t value, size_t digits) {
  for (size_t i = digits; i-- > 0;) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

std::optional<uint64_t> GetDecimal(const char* in, size_t digits) {
  uint64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (in[i] < '0' || in[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(in[i] - '0');
  }
  return value;
}

// An order-placed envelope of `size_bytes` (at least its fixed part): stamped with sequence 0.
std::string MakeEnvelope(size_t size_bytes) {
  std::string text;
  text += kIdPrefix;
  text.append(kSequenceDigits, '0');
  text += '-';
  text.append(kScheduledDigits, '0');
  text += kAfterId;
  text.append(kTimestampDigits, '0');
  text += kAfterTimestamp;
  text += kKeyPrefix;
  text.append(kKeyDigits, '0');
  text += kAfterKey;
  text += kKeyPrefix;
  text.append(kKeyDigits, '0');
  text += R"(","customerId":"customer-0042","currency":"EUR","status":"placed","lines":[)";
  Filler random;
  int64_t total_cents = 0;
  for (int line = 0; line < 6; ++line) {
    int sku = (random.Next() << 8 | random.Next()) % 10000;
    int quantity = 1 + random.Next() % 9;
    int cents = 100 + (random.Next() << 8 | random.Next()) % 9900;
    total_cents += int64_t{quantity} * cents;
    text += fmt::format(R"({}{{"sku":"SKU-{:04d}","quantity":{},"unitPrice":{}.{:02d}}})",
                        line == 0 ? "" : ",", sku, quantity, cents / 100, cents % 100);
  }
  text += fmt::format(R"(],"total":{}.{:02d},"note":")", total_cents / 100, total_cents % 100);
  // Letters and digits, ~6 bits of entropy per byte: as incompressible as text gets.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .";
  constexpr std::string_view kEnd = R"("}})";
  while (text.size() + kEnd.size() < size_bytes) text += kAlphabet[random.Next() % 64];
  text += kEnd;
  return text;
}

}  // namespace

std::optional<PayloadFormat> ParsePayloadFormat(std::string_view name) {
  if (name == "bytes") return PayloadFormat::kBytes;
  if (name == "envelope") return PayloadFormat::kEnvelope;
  return std::nullopt;
}

std::string_view PayloadFormatName(PayloadFormat format) {
  return format == PayloadFormat::kEnvelope ? "envelope" : "bytes";
}

Payload::Payload(size_t size_bytes, PayloadFormat format) : format_(format) {
  if (format == PayloadFormat::kEnvelope) {
    bytes_ = MakeEnvelope(std::max(size_bytes, kMinEnvelopeBytes));
    return;
  }
  bytes_.assign(std::max(size_bytes, kHeaderBytes), '\0');
  Filler random;
  for (size_t i = kHeaderBytes; i < bytes_.size(); ++i)
    bytes_[i] = static_cast<char>(random.Next());
  PutU64(bytes_.data(), kMagic);
}

std::span<const char> Payload::Stamp(uint64_t sequence, int64_t scheduled_ns) {
  if (format_ == PayloadFormat::kEnvelope) {
    StampEnvelope(bytes_, sequence, scheduled_ns, EpochMs());
  } else {
    PutU64(bytes_.data() + 8, sequence);
    PutU64(bytes_.data() + 16, static_cast<uint64_t>(scheduled_ns));
  }
  return record();
}

void Payload::StampEnvelope(std::span<char> record, uint64_t sequence, int64_t scheduled_ns,
                            int64_t epoch_ms) {
  char* p = record.data();
  PutDecimal(p + kSequenceAt, sequence, kSequenceDigits);
  PutDecimal(p + kScheduledAt, static_cast<uint64_t>(std::max<int64_t>(scheduled_ns, 0)),
             kScheduledDigits);
  PutDecimal(p + kTimestampAt, static_cast<uint64_t>(std::max<int64_t>(epoch_ms, 0)),
             kTimestampDigits);
  PutDecimal(p + kKeyAt + kKeyPrefix.size(), sequence % 1000, kKeyDigits);
  PutDecimal(p + kOrderIdAt + kKeyPrefix.size(), sequence % 1000, kKeyDigits);
}

std::optional<Payload::Header> Payload::Parse(const void* data, size_t size) {
  if (data == nullptr) return std::nullopt;
  const char* p = static_cast<const char*>(data);
  if (size > kScheduledAt + kScheduledDigits &&
      std::string_view(p, kIdPrefix.size()) == kIdPrefix) {
    auto sequence = GetDecimal(p + kSequenceAt, kSequenceDigits);
    auto scheduled = GetDecimal(p + kScheduledAt, kScheduledDigits);
    if (!sequence || !scheduled || p[kScheduledAt - 1] != '-' ||
        p[kScheduledAt + kScheduledDigits] != '"') {
      return std::nullopt;
    }
    return Header{*sequence, static_cast<int64_t>(*scheduled)};
  }
  if (size < kHeaderBytes || GetU64(p) != kMagic) return std::nullopt;
  return Header{GetU64(p + 8), static_cast<int64_t>(GetU64(p + 16))};
}

std::string_view Payload::key() const {
  if (format_ != PayloadFormat::kEnvelope) return {};
  return std::string_view(bytes_).substr(kKeyAt, kKeyBytes);
}

const std::string_view kOrderPlacedContract = R"({
  "type": "object",
  "required": ["id", "type", "timestamp", "partitionKey", "order"],
  "properties": {
    "id": {"type": "string", "minLength": 1, "maxLength": 64},
    "type": {"const": "order-placed"},
    "timestamp": {"type": "integer", "minimum": 0},
    "partitionKey": {"type": "string", "pattern": "^order-[0-9]+$"},
    "tags": {"type": "object", "additionalProperties": {"type": "string"}},
    "order": {
      "type": "object",
      "required": ["id", "customerId", "currency", "status", "lines", "total"],
      "properties": {
        "id": {"type": "string", "pattern": "^order-[0-9]+$"},
        "customerId": {"type": "string", "minLength": 1, "maxLength": 64},
        "currency": {"enum": ["EUR", "USD", "GBP", "JPY"]},
        "status": {"enum": ["placed", "paid", "shipped", "cancelled"]},
        "lines": {
          "type": "array", "minItems": 1, "maxItems": 100,
          "items": {
            "type": "object",
            "required": ["sku", "quantity", "unitPrice"],
            "additionalProperties": false,
            "properties": {
              "sku": {"type": "string", "pattern": "^SKU-[0-9]{4}$"},
              "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
              "unitPrice": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000}
            }
          }
        },
        "total": {"type": "number", "minimum": 0},
        "note": {"type": "string", "maxLength": 4096}
      }
    }
  }
})";

int64_t MonotonicNs() { return SystemClock().MonotonicNs(); }

int64_t EpochMs() { return SystemClock().NowMs(); }

void SleepUntilNs(int64_t deadline_ns) {
  // The default 50 us timer slack would add a random delay to every scheduled send.
  static const bool slack_set = [] { return prctl(PR_SET_TIMERSLACK, 1UL) == 0; }();
  (void)slack_set;
  timespec ts{.tv_sec = deadline_ns / 1'000'000'000, .tv_nsec = deadline_ns % 1'000'000'000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace tarn::bench
