// How `tarn consume` prints a record. Two layouts, one record per line:
//
// text (for people):  p<partition>@<offset>[ key=<key>][ <name>=<value>...]<TAB><value>
//   e.g. "p0@5 key=k1 trace=abc\thello". `key=` is left out for a null key; each header is
//   name=value (a header with a null value is just its name); a null value prints as (null).
//   Backslash, tab, newline, other control characters and bytes that are not UTF-8 print as
//   \\ \t \n \r \xNN, so a record never spans lines and the tab always ends the metadata.
//
// json (for programs): one object per line,
//   {"topic":"t","partition":0,"offset":5,"timestamp":1700000000000,"key":"k1",
//    "headers":{"trace":"abc"},"value":"hello"}
//   timestamp is epoch milliseconds (-1: none). A null key or value is null. Bytes that are
//   valid UTF-8 are a JSON string; other bytes are {"base64":"<standard base64, padded>"}.
//   A header name that repeats maps to an array of its values, in record order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tarn::app {

// A consumed record; the bytes belong to whoever filled it in (a librdkafka message).
struct RecordView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;
  std::optional<std::string_view> key;
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;
  std::optional<std::string_view> value;
};

enum class RecordFormat { kText, kJson };

// The line for `record` in `format`, without the newline.
std::string FormatRecord(const RecordView& record, RecordFormat format);

}  // namespace tarn::app
