// The lake's catalog: every manifest under a lake's root, loaded without opening the data files.
// It answers where the archiver resumes, which files a query must open, and what `tarn lake
// verify` checks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "lake/manifest.h"

namespace tarn::lake {

struct CatalogEntry {
  std::filesystem::path data_file;
  Manifest manifest;
};

// Which files can hold a match; every field is optional (unset: anything).
struct FileFilter {
  std::optional<int64_t> from_ms;  // inclusive, on the event's time
  std::optional<int64_t> to_ms;    // exclusive
  // Exact types, and prefixes (a `--type` that ends in `*`, without the star).
  std::vector<std::string> types;
  std::vector<std::string> type_prefixes;
  std::vector<std::string> topics;
  std::optional<int32_t> partition;

  bool MayHold(const Manifest& manifest) const;
  bool MatchesType(std::string_view type) const;
};

using TopicPartition = std::pair<std::string, int32_t>;

class Catalog {
 public:
  // Loads every manifest under `root` (a missing root is an empty lake). With `recover`, first
  // deletes temporary files and writes the manifest of a data file that has none (what a crash
  // leaves; only the archiver, the lake's one writer, recovers). kCorruption names a manifest
  // that cannot be read.
  static Result<Catalog> Load(const std::filesystem::path& root, bool recover, int64_t now_ms);

  // Every file, by topic, partition and position.
  const std::vector<CatalogEntry>& entries() const { return entries_; }

  // Where each topic-partition's files end: the position to resume reading at.
  std::map<TopicPartition, int64_t> EndPositions() const;

  // The files that can hold a match, ordered by their earliest time, then topic, partition and
  // position (so each topic-partition's files are in offset order).
  std::vector<const CatalogEntry*> Select(const FileFilter& filter) const;

  void Add(CatalogEntry entry);

 private:
  std::vector<CatalogEntry> entries_;
};

// What `tarn lake verify` found.
struct VerifyReport {
  int64_t files = 0;
  int64_t events = 0;
  int64_t bytes = 0;
  std::vector<std::string> problems;  // each names the file or the topic-partition
  // Per topic-partition: the positions its files cover, [first start, last end).
  std::map<TopicPartition, std::pair<int64_t, int64_t>> ranges;
};

// Checks every file of `catalog` against its manifest (size, SHA-256, line count, offsets within
// the manifest's range and increasing) and each topic-partition's files for gaps and overlaps
// (a file must start where the one before it ended).
VerifyReport Verify(const Catalog& catalog);

}  // namespace tarn::lake
