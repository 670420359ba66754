// `tarn produce TOPIC [VALUE...]`: sends one record per VALUE, or per line of stdin when no
// VALUE is given (empty lines are skipped), and waits for every delivery report. Silent on
// success; --verbose prints `topic/partition@offset` per delivered record. Exit 1 when any record
// was not delivered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/kafka_client.h"
#include "base/result.h"

namespace tarn::app {

struct ProduceArgs {
  ClientOptions client;
  std::string topic;
  std::vector<std::string> values;           // empty: read stdin
  std::optional<std::string> key;            // --key: the key of every record
  std::optional<std::string> key_separator;  // --key-separator: split each input into key, value
  std::vector<std::string> headers;          // key=value
  int32_t partition = -1;                    // -1: the partitioner chooses (murmur2 of the key)
  std::string acks = "all";                  // all, 1 or 0
  bool idempotence = true;                   // only with acks=all
  std::string compression = "none";          // none, gzip, snappy, lz4, zstd
  bool verbose = false;
};

// The librdkafka producer properties for `args`: acks, idempotence, compression, the Java
// client's partitioner (so keys land where Java producers put them) and the delivery time-out.
std::vector<std::pair<std::string, std::string>> ProducerProperties(const ProduceArgs& args);

struct KeyedValue {
  std::string_view key;
  std::string_view value;
};

// Splits `input` at the first `separator` into key and value. InvalidArgument when `input` has
// no separator.
Result<KeyedValue> SplitKeyValue(std::string_view input, std::string_view separator);

}  // namespace tarn::app
