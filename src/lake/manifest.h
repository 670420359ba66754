// What a lake file holds, written beside it (docs/lake.md): enough for the catalog to prune by
// time, type, topic and partition without opening the file, for the archiver to resume, and for
// `tarn lake verify` to check the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace tarn::lake {

struct Manifest {
  static constexpr int kFormat = 1;

  std::string file;  // the data file's name, in the same directory
  std::string region;
  std::string topic;
  int32_t partition = 0;
  // Reading began at start_position (the previous file's end_position) and goes on at
  // end_position; the records in between that the hub had are the file's lines.
  int64_t start_position = 0;
  int64_t end_position = 0;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t events = 0;
  // Bounds of the hub's record timestamps, and of the times queries file the lines under: each
  // event's own `timestamp`, or its record's when it has none (unset in an empty file).
  int64_t min_timestamp = 0;
  int64_t max_timestamp = 0;
  std::optional<int64_t> min_event_time;
  std::optional<int64_t> max_event_time;
  std::map<std::string, int64_t> types;  // event type -> lines with it
  int64_t bytes = 0;                     // the compressed file's size
  int64_t raw_bytes = 0;                 // its lines' size
  std::string sha256;                    // of the compressed file, lower-case hex
  int64_t created_ms = 0;

  // The bounds of the times the lines are filed under for --from/--to.
  int64_t EarliestTime() const { return min_event_time.value_or(min_timestamp); }
  int64_t LatestTime() const { return max_event_time.value_or(max_timestamp); }
};

nlohmann::json ManifestToJson(const Manifest& manifest);
// kCorruption naming the field when `text` is not a manifest of a known format.
Result<Manifest> ManifestFromJson(std::string_view text);

// The names a file and its manifest take: "<topic>+<partition>+<first offset, 20 digits>".
std::string LakeFileStem(const std::string& topic, int32_t partition, int64_t start_position);
inline constexpr std::string_view kDataSuffix = ".ndjson.zst";
inline constexpr std::string_view kManifestSuffix = ".manifest.json";
inline constexpr std::string_view kTemporarySuffix = ".tmp";

}  // namespace tarn::lake
