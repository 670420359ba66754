// `tarn consume TOPIC`: prints a topic's records, one per line, in the layouts of
// record_format.h. It reads by assigning partitions itself: it never joins a consumer group and
// never commits offsets (librdkafka wants a group.id for assign(); "tarn-cli" is set and unused).
// Without --follow it stops once every partition it reads has reached its end; with --follow it
// waits for more until interrupted (SIGINT, SIGTERM), then exits 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/kafka_client.h"
#include "app/record_format.h"
#include "base/result.h"

namespace tarn::app {

// Where in each partition reading starts: --from earliest|latest|OFFSET|@TIMESTAMP_MS.
struct StartPosition {
  enum class Kind { kEarliest, kLatest, kOffset, kTimestamp };
  Kind kind = Kind::kEarliest;
  int64_t value = 0;  // the offset, or the timestamp in epoch milliseconds

  bool operator==(const StartPosition&) const = default;
};

// "earliest", "latest", "42" (an offset) or "@1700000000000" (the first record at or after that
// time). InvalidArgument otherwise.
Result<StartPosition> ParseStartPosition(std::string_view text);

struct ConsumeArgs {
  ClientOptions client;
  std::string topic;
  std::optional<int32_t> partition;  // nullopt: every partition
  StartPosition from;
  std::optional<int64_t> count;  // stop after this many records
  bool follow = false;
  RecordFormat format = RecordFormat::kText;
};

}  // namespace tarn::app
