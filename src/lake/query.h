// Reading the lake back: the lines of the files the catalog selects that match a query, in order
// (docs/lake.md). Used by `tarn lake query`, `tarn lake replay` and GET /v1/lake/events.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "events/pattern.h"
#include "lake/catalog.h"

namespace tarn::lake {

struct Query {
  FileFilter files;                   // time, type, topic and partition
  std::optional<std::string> key;     // the record's key
  std::optional<events::Pattern> where;  // matched against the event
  std::optional<int64_t> limit;

  // Adds a --type value: exact, or a prefix when it ends in '*'.
  void AddType(std::string_view type);
};

// A query as text, from the command line or a URL's parameters; empty strings are unset.
struct QueryArgs {
  std::string from, to, key, where;
  std::vector<std::string> types, topics;
  int64_t limit = 0;  // 0: no limit
};

// kInvalidArgument naming the argument (a time that does not parse, a bad pattern).
Result<Query> BuildQuery(const QueryArgs& args);

// A point in time: epoch milliseconds, or ISO 8601 in UTC ("2026-11-22", "2026-11-22T12:00",
// "2026-11-22T12:00:00Z", "2026-11-22T12:00:00.250Z"). kInvalidArgument says what it takes.
Result<int64_t> ParseTime(std::string_view text);

// One matching line, as stored, with what replay needs of it.
struct LakeLine {
  std::string_view text;
  const Manifest* file = nullptr;
  int64_t offset = 0;
};

struct QueryProgress {
  int64_t files_done = 0, files_total = 0;
  int64_t bytes_done = 0, bytes_total = 0;  // compressed
  int64_t lines_read = 0, lines_matched = 0;
  bool stopped = false;  // the limit was reached, or `emit` said stop
};

// The progress of a query over `files` that has not started.
QueryProgress StartProgress(const std::vector<const CatalogEntry*>& files);

// The matching lines of one file, counted into `progress` (the limit applies to its count).
Status QueryFile(const CatalogEntry& entry, const Query& query,
                 const std::function<bool(const LakeLine&)>& emit, QueryProgress& progress);

// Calls `emit` with each matching line of `catalog` in order: files by time, each
// topic-partition in offset order. `emit` returns false to stop. `progress` (optional) is called
// after each file. kCorruption when a selected file cannot be read.
Status RunQuery(const Catalog& catalog, const Query& query,
                const std::function<bool(const LakeLine&)>& emit,
                const std::function<void(const QueryProgress&)>& progress = {});

}  // namespace tarn::lake
