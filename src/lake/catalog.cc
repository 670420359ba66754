#include "lake/catalog.h"

#include <algorithm>
#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "base/file_util.h"
#include "lake/lake_file.h"

namespace tarn::lake {
namespace fs = std::filesystem;

namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string StemOf(const std::string& name, std::string_view suffix) {
  return name.substr(0, name.size() - suffix.size());
}

// The region a file under <root>/<region>/yyyy/mm/dd/hh/ belongs to.
std::string RegionOf(const fs::path& root, const fs::path& file) {
  fs::path relative = file.lexically_relative(root);
  return relative.empty() ? std::string() : relative.begin()->string();
}

bool ByPosition(const CatalogEntry& a, const CatalogEntry& b) {
  return std::tie(a.manifest.topic, a.manifest.partition, a.manifest.start_position) <
         std::tie(b.manifest.topic, b.manifest.partition, b.manifest.start_position);
}

}  // namespace

bool FileFilter::MatchesType(std::string_view type) const {
  if (types.empty() && type_prefixes.empty()) return true;
  if (std::find(types.begin(), types.end(), type) != types.end()) return true;
  return std::any_of(type_prefixes.begin(), type_prefixes.end(),
                     [&](const std::string& prefix) { return type.starts_with(prefix); });
}

bool FileFilter::MayHold(const Manifest& m) const {
  if (from_ms && m.LatestTime() < *from_ms) return false;
  if (to_ms && m.EarliestTime() >= *to_ms) return false;
  if (!topics.empty() && std::find(topics.begin(), topics.end(), m.topic) == topics.end()) {
    return false;
  }
  if (partition && m.partition != *partition) return false;
  if (!types.empty() || !type_prefixes.empty()) {
    return std::any_of(m.types.begin(), m.types.end(),
                       [&](const auto& entry) { return MatchesType(entry.first); });
  }
  return true;
}

Result<Catalog> Catalog::Load(const fs::path& root, bool recover, int64_t now_ms) {
  Catalog catalog;
  std::error_code ec;
  if (!fs::exists(root, ec)) return catalog;
  std::vector<fs::path> manifests, data_files, temporaries;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (EndsWith(name, kTemporarySuffix)) {
      temporaries.push_back(it->path());
    } else if (EndsWith(name, kManifestSuffix)) {
      manifests.push_back(it->path());
    } else if (EndsWith(name, kDataSuffix)) {
      data_files.push_back(it->path());
    }
  }
  if (ec) return Error(Status::IoError(fmt::format("reading {}: {}", root.string(), ec.message())));

  if (recover) {
    for (const fs::path& temporary : temporaries) {
      spdlog::info("lake: removing {} (a file a crash left unfinished)", temporary.string());
      if (!fs::remove(temporary, ec) && ec) {
        return Error(Status::IoError(fmt::format("remove {}: {}", temporary.string(), ec.message())));
      }
    }
    for (const fs::path& data_file : data_files) {
      const std::string stem = StemOf(data_file.filename().string(), kDataSuffix);
      const fs::path manifest = data_file.parent_path() / (stem + std::string(kManifestSuffix));
      if (fs::exists(manifest, ec)) continue;
      spdlog::info("lake: writing the manifest of {} (a crash came between the two)",
                   data_file.string());
      TARN_ASSIGN_OR_RETURN(Manifest rebuilt,
                            RebuildManifest(data_file, RegionOf(root, data_file), now_ms));
      (void)rebuilt;
      manifests.push_back(manifest);
    }
  }

  for (const fs::path& path : manifests) {
    TARN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    Result<Manifest> manifest = ManifestFromJson(text);
    if (!manifest) return Error(manifest.error().WithContext(path.string()));
    catalog.entries_.push_back({path.parent_path() / manifest->file, std::move(*manifest)});
  }
  std::sort(catalog.entries_.begin(), catalog.entries_.end(), ByPosition);
  return catalog;
}

void Catalog::Add(CatalogEntry entry) {
  auto at = std::upper_bound(entries_.begin(), entries_.end(), entry, ByPosition);
  entries_.insert(at, std::move(entry));
}

std::map<TopicPartition, int64_t> Catalog::EndPositions() const {
  std::map<TopicPartition, int64_t> ends;
  for (const CatalogEntry& entry : entries_) {
    int64_t& end = ends[{entry.manifest.topic, entry.manifest.partition}];
    end = std::max(end, entry.manifest.end_position);
  }
  return ends;
}

std::vector<const CatalogEntry*> Catalog::Select(const FileFilter& filter) const {
  std::vector<const CatalogEntry*> selected;
  for (const CatalogEntry& entry : entries_) {
    if (filter.MayHold(entry.manifest)) selected.push_back(&entry);
  }
  std::stable_sort(selected.begin(), selected.end(), [](const CatalogEntry* a, const CatalogEntry* b) {
    return a->manifest.EarliestTime() < b->manifest.EarliestTime();
  });
  // Time order may not put a topic-partition's files in offset order (events' own times can go
  // backwards); restore offset order within each topic-partition, keeping the slots.
  std::map<TopicPartition, std::vector<size_t>> slots;
  for (size_t i = 0; i < selected.size(); ++i) {
    slots[{selected[i]->manifest.topic, selected[i]->manifest.partition}].push_back(i);
  }
  for (auto& [partition, indexes] : slots) {
    std::vector<const CatalogEntry*> files;
    for (size_t i : indexes) files.push_back(selected[i]);
    std::sort(files.begin(), files.end(), [](const CatalogEntry* a, const CatalogEntry* b) {
      return a->manifest.start_position < b->manifest.start_position;
    });
    for (size_t k = 0; k < indexes.size(); ++k) selected[indexes[k]] = files[k];
  }
  return selected;
}

VerifyReport Verify(const Catalog& catalog) {
  VerifyReport report;
  simdjson::dom::parser parser;
  std::optional<TopicPartition> previous_partition;
  int64_t previous_end = 0;
  for (const CatalogEntry& entry : catalog.entries()) {
    const Manifest& m = entry.manifest;
    const std::string file = entry.data_file.string();
    const TopicPartition partition{m.topic, m.partition};
    ++report.files;
    report.events += m.events;
    report.bytes += m.bytes;

    if (previous_partition == partition) {
      if (m.start_position > previous_end) {
        report.problems.push_back(fmt::format("{}/{}: a gap: offsets {} to {} are in no file ({} starts at {})",
                                              m.topic, m.partition, previous_end, m.start_position - 1,
                                              file, m.start_position));
      } else if (m.start_position < previous_end) {
        report.problems.push_back(fmt::format("{}/{}: {} starts at {}, inside the file before it (which ends at {})",
                                              m.topic, m.partition, file, m.start_position, previous_end));
      }
      report.ranges[partition].second = m.end_position;
    } else {
      report.ranges[partition] = {m.start_position, m.end_position};
    }
    previous_partition = partition;
    previous_end = m.end_position;

    std::error_code ec;
    const auto size = fs::file_size(entry.data_file, ec);
    if (ec) {
      report.problems.push_back(fmt::format("{}: {}", file, ec.message()));
      continue;
    }
    if (static_cast<int64_t>(size) != m.bytes) {
      report.problems.push_back(fmt::format("{}: {} bytes, its manifest says {}", file, size, m.bytes));
      continue;
    }
    Result<std::string> sha = FileSha256(entry.data_file);
    if (!sha) {
      report.problems.push_back(sha.error().ToString());
      continue;
    }
    if (*sha != m.sha256) {
      report.problems.push_back(fmt::format("{}: checksum {} does not match its manifest's {}", file, *sha, m.sha256));
      continue;
    }
    int64_t lines = 0, last_offset = m.start_position - 1;
    std::string bad;
    Status read = ForEachLine(entry.data_file, [&](std::string_view text) {
      simdjson::dom::element line;
      int64_t offset = 0;
      if (parser.parse(text.data(), text.size()).get(line) != simdjson::SUCCESS ||
          line["offset"].get(offset) != simdjson::SUCCESS) {
        bad = fmt::format("{}: line {} is not a lake record", file, lines + 1);
        return false;
      }
      if (offset <= last_offset || offset >= m.end_position) {
        bad = fmt::format("{}: line {} has offset {}, outside [{}, {}) or not after {}", file,
                          lines + 1, offset, m.start_position, m.end_position, last_offset);
        return false;
      }
      last_offset = offset;
      ++lines;
      return true;
    });
    if (!read.ok()) {
      report.problems.push_back(read.ToString());
    } else if (!bad.empty()) {
      report.problems.push_back(bad);
    } else if (lines != m.events) {
      report.problems.push_back(fmt::format("{}: {} lines, its manifest says {}", file, lines, m.events));
    }
  }
  return report;
}

}  // namespace tarn::lake
