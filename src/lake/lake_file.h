// One lake file: the lines of one topic-partition's records, compressed with zstd as they are
// added, then written whole with their manifest (docs/lake.md). Not thread-safe; a builder is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "hub/hub.h"
#include "lake/manifest.h"

namespace tarn::lake {

class FileBuilder {
 public:
  // A file of `topic`'s `partition` whose reading begins at `start_position`.
  FileBuilder(std::string region, std::string topic, int32_t partition, int64_t start_position,
              int compression_level);
  ~FileBuilder();
  FileBuilder(const FileBuilder&) = delete;
  FileBuilder& operator=(const FileBuilder&) = delete;

  // Adds `record` as one line. Records come in offset order.
  void Add(const hub::StoredRecord& record);

  bool empty() const { return manifest_.events == 0; }
  int64_t raw_bytes() const { return manifest_.raw_bytes; }
  int64_t end_position() const { return manifest_.end_position; }
  // The hub timestamp of the first line (the hour the file is filed under).
  int64_t first_timestamp() const { return manifest_.min_timestamp; }

  // Writes the file and its manifest under `root` (<root>/<region>/<yyyy>/<mm>/<dd>/<hh>/, by
  // the first line's hub timestamp): each to a temporary name, fsync'd, renamed (data first),
  // the directory fsync'd. Returns the manifest. The builder is spent.
  Result<Manifest> Write(const std::filesystem::path& root, int64_t now_ms);

 private:
  struct Compressor;
  Manifest manifest_;
  std::unique_ptr<Compressor> compressor_;
  std::string line_;
};

// The directory under `root` that a file whose first record has hub timestamp `timestamp_ms`
// goes to.
std::filesystem::path HourDirectory(const std::filesystem::path& root, const std::string& region,
                                    int64_t timestamp_ms);

// Appends one record's line (with its trailing newline) to `out`; sets `type` and `event_time`
// when the value is a JSON object with a string `type` / an integer `timestamp`.
void AppendLine(const std::string& topic, const hub::StoredRecord& record, std::string& out,
                std::string* type, std::optional<int64_t>* event_time);

// The SHA-256 of a file, lower-case hex.
Result<std::string> FileSha256(const std::filesystem::path& path);

// Calls `line` with every line of the zstd-compressed file at `path` (without the newline),
// decompressing as it goes; stops early when `line` returns false. kCorruption when the file is
// not zstd or is cut short.
Status ForEachLine(const std::filesystem::path& path,
                   const std::function<bool(std::string_view line)>& line);

// Writes a manifest for a data file that has none (a crash between the two renames): reads the
// file's lines back. kCorruption when a line is not one the lake writes.
Result<Manifest> RebuildManifest(const std::filesystem::path& data_file, const std::string& region,
                                 int64_t now_ms);

}  // namespace tarn::lake
