#include "lake/query.h"

#include <charconv>
#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "lake/lake_file.h"

namespace tarn::lake {
namespace {

// Digits at text[at, at + count) as a number, or nullopt.
std::optional<int> Digits(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + count, value);
  if (ec != std::errc() || end != text.data() + at + count) return std::nullopt;
  return value;
}

}  // namespace

void Query::AddType(std::string_view type) {
  if (type.ends_with('*')) {
    type.remove_suffix(1);
    files.type_prefixes.emplace_back(type);
  } else {
    files.types.emplace_back(type);
  }
}

Result<Query> BuildQuery(const QueryArgs& args) {
  Query query;
  if (!args.from.empty()) {
    Result<int64_t> from = ParseTime(args.from);
    if (!from) return Error(from.error().WithContext("from"));
    query.files.from_ms = *from;
  }
  if (!args.to.empty()) {
    Result<int64_t> to = ParseTime(args.to);
    if (!to) return Error(to.error().WithContext("to"));
    query.files.to_ms = *to;
  }
  for (const std::string& type : args.types) query.AddType(type);
  query.files.topics = args.topics;
  if (!args.key.empty()) query.key = args.key;
  if (!args.where.empty()) {
    Result<events::Pattern> pattern = events::Pattern::Parse(args.where);
    if (!pattern) return Error(pattern.error().WithContext("where"));
    query.where = std::move(*pattern);
  }
  if (args.limit < 0) return Error(Status::InvalidArgument("limit: must be positive"));
  if (args.limit > 0) query.limit = args.limit;
  return query;
}

Result<int64_t> ParseTime(std::string_view text) {
  auto invalid = [&] {
    return Error(Status::InvalidArgument(fmt::format(
        "time \"{}\": give epoch milliseconds or ISO 8601 in UTC (2026-11-22, "
        "2026-11-22T12:00:00Z, 2026-11-22T12:00:00.250Z)",
        text)));
  };
  if (text.empty()) return invalid();
  int64_t epoch_ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), epoch_ms);
  if (ec == std::errc() && end == text.data() + text.size()) return epoch_ms;

  using namespace std::chrono;
  auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return invalid();
  const year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return invalid();
  int64_t ms = duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count();
  std::string_view rest = text.substr(10);
  if (rest.empty()) return ms;
  if (rest[0] != 'T' && rest[0] != ' ') return invalid();
  auto hour = Digits(rest, 1, 2), minute = Digits(rest, 4, 2);
  if (!hour || !minute || rest.size() < 6 || rest[3] != ':' || *hour > 23 || *minute > 59) {
    return invalid();
  }
  ms += (*hour * 3600 + *minute * 60) * int64_t{1000};
  rest = rest.substr(6);
  if (!rest.empty() && rest[0] == ':') {
    auto second = Digits(rest, 1, 2);
    if (!second || *second > 60) return invalid();
    ms += *second * int64_t{1000};
    rest = rest.substr(3);
    if (!rest.empty() && rest[0] == '.') {
      size_t digits = 1;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      if (digits == 1) return invalid();
      std::string fraction(rest.substr(1, digits - 1));
      fraction.resize(3, '0');
      ms += std::stoi(fraction.substr(0, 3));
      rest = rest.substr(digits);
    }
  }
  if (rest == "Z" || rest.empty() || rest == "+00:00") return ms;
  return invalid();
}

Status QueryFile(const CatalogEntry& entry, const Query& query,
                 const std::function<bool(const LakeLine&)>& emit, QueryProgress& done) {
  thread_local simdjson::dom::parser parser;
  const FileFilter& filter = query.files;
  const bool by_type = !filter.types.empty() || !filter.type_prefixes.empty();
  Status bad;
  Status read = ForEachLine(entry.data_file, [&](std::string_view text) {
    if (query.limit && done.lines_matched >= *query.limit) {
      done.stopped = true;
      return false;
    }
    ++done.lines_read;
    simdjson::dom::element line;
    int64_t offset = 0, timestamp = 0;
    if (parser.parse(text.data(), text.size()).get(line) != simdjson::SUCCESS ||
        line["offset"].get(offset) != simdjson::SUCCESS ||
        line["timestamp"].get(timestamp) != simdjson::SUCCESS) {
      bad = Status::Corruption(fmt::format("{}: a line that is not a lake record (offset {})",
                                           entry.data_file.string(), offset));
      return false;
    }
    simdjson::dom::element event;
    const bool has_event = line["event"].get(event) == simdjson::SUCCESS;
    if (by_type) {
      std::string_view type;
      if (!has_event || event["type"].get(type) != simdjson::SUCCESS || !filter.MatchesType(type)) {
        return true;
      }
    }
    if (filter.from_ms || filter.to_ms) {
      int64_t time = timestamp, event_time = 0;
      if (has_event && event["timestamp"].get(event_time) == simdjson::SUCCESS) time = event_time;
      if ((filter.from_ms && time < *filter.from_ms) || (filter.to_ms && time >= *filter.to_ms)) {
        return true;
      }
    }
    if (query.key) {
      std::string_view key;
      if (line["key"].get(key) != simdjson::SUCCESS || key != *query.key) return true;
    }
    if (query.where) {
      if (!has_event) return true;
      nlohmann::json parsed = nlohmann::json::parse(simdjson::to_string(event), nullptr, false);
      if (parsed.is_discarded() || !query.where->Matches(parsed)) return true;
    }
    ++done.lines_matched;
    if (!emit(LakeLine{text, &entry.manifest, offset})) {
      done.stopped = true;
      return false;
    }
    return true;
  });
  TARN_TRY(read);
  TARN_TRY(bad);
  ++done.files_done;
  done.bytes_done += entry.manifest.bytes;
  if (query.limit && done.lines_matched >= *query.limit) done.stopped = true;
  return Status::Ok();
}

QueryProgress StartProgress(const std::vector<const CatalogEntry*>& files) {
  QueryProgress progress;
  progress.files_total = static_cast<int64_t>(files.size());
  for (const CatalogEntry* entry : files) progress.bytes_total += entry->manifest.bytes;
  return progress;
}

Status RunQuery(const Catalog& catalog, const Query& query,
                const std::function<bool(const LakeLine&)>& emit,
                const std::function<void(const QueryProgress&)>& progress) {
  std::vector<const CatalogEntry*> files = catalog.Select(query.files);
  QueryProgress done = StartProgress(files);
  for (const CatalogEntry* entry : files) {
    TARN_TRY(QueryFile(*entry, query, emit, done));
    if (progress) progress(done);
    if (done.stopped) break;
  }
  return Status::Ok();
}

}  // namespace tarn::lake
