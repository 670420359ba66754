#include "hub/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

namespace tarn::bench {
namespace {

using nlohmann::json;

constexpr std::string_view kTarn = "tarn";  // the hub report's own system, whose targets it checks
constexpr double kThroughputTarget = 2.0;   // tarn records/s over the faster peer's
constexpr double kP99TargetMs = 5.0;        // tarn end-to-end p99 at the fixed rate

// Whether a smaller or a larger figure is better decides how a ratio reads; `kNone` has none.
enum class Better { kHigher, kLower, kNone };

struct Row {
  std::string_view title;
  std::string_view mode;
  std::string_view cell;
  std::string_view pointer;  // JSON pointer into a run record
  double scale;              // multiplies the stored figure (us -> ms: 1e-3)
  int decimals;
  Better better;
};

// Run records grouped by (label, mode, cell); the report takes medians within a group.
class Results {
 public:
  explicit Results(std::string ours) : ours_(std::move(ours)) {}
  const std::string& ours() const { return ours_; }

  void Add(json record) {
    std::string label = record.value("label", "");
    if (std::find(labels_.begin(), labels_.end(), label) == labels_.end()) labels_.push_back(label);
    std::vector<std::string>& cells = cells_[record.value("mode", "")];
    std::string cell = record.value("cell", "main");
    if (std::find(cells.begin(), cells.end(), cell) == cells.end()) cells.push_back(cell);
    groups_[Key(label, record.value("mode", ""), record.value("cell", "main"))].push_back(
        std::move(record));
  }

  // Ours first, then the peers in the order they ran.
  std::vector<std::string> Labels() const {
    std::vector<std::string> labels = labels_;
    std::stable_partition(labels.begin(), labels.end(),
                          [&](const std::string& l) { return l == ours_; });
    return labels;
  }

  // The cells of a mode's runs: main first, then in the order they ran.
  std::vector<std::string> Cells(const std::string& mode) const {
    auto it = cells_.find(mode);
    if (it == cells_.end()) return {};
    std::vector<std::string> cells = it->second;
    std::stable_partition(cells.begin(), cells.end(),
                          [](const std::string& c) { return c == "main"; });
    return cells;
  }

  // A configuration value of the first run of (mode, cell), whatever its label.
  double Config(const std::string& mode, const std::string& cell, const char* name) const {
    for (const std::string& label : labels_) {
      if (const std::vector<json>* group = Group(label, mode, cell)) {
        return group->front()["config"].value(name, 0.0);
      }
    }
    return 0;
  }

  const std::vector<json>* Group(std::string_view label, std::string_view mode,
                                 std::string_view cell) const {
    auto it = groups_.find(Key(label, mode, cell));
    return it == groups_.end() ? nullptr : &it->second;
  }

  std::optional<double> Median(std::string_view label, std::string_view mode, std::string_view cell,
                               std::string_view pointer) const {
    const std::vector<json>* group = Group(label, mode, cell);
    if (group == nullptr) return std::nullopt;
    std::vector<double> values;
    json::json_pointer ptr{std::string(pointer)};
    for (const json& record : *group) {
      if (record.contains(ptr) && record.at(ptr).is_number())
        values.push_back(record.at(ptr).get<double>());
    }
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  }

  // The first record of a label, for what does not change between repetitions.
  const json* Any(std::string_view label) const {
    for (const auto& [key, group] : groups_) {
      if (key.rfind(std::string(label) + "/", 0) == 0 && !group.empty()) return &group.front();
    }
    return nullptr;
  }

 private:
  static std::string Key(std::string_view label, std::string_view mode, std::string_view cell) {
    return fmt::format("{}/{}/{}", label, mode, cell);
  }

  std::string ours_;
  std::vector<std::string> labels_;
  std::map<std::string, std::vector<std::string>> cells_;  // by mode
  std::map<std::string, std::vector<json>> groups_;
};

std::string Figure(std::optional<double> value, double scale, int decimals) {
  return value ? fmt::format("{:.{}f}", *value * scale, decimals) : "-";
}

// "2.31x" for throughput-like rows, "0.42x" for latency-like rows; "-" when either is missing.
std::string Ratio(std::optional<double> ours, std::optional<double> theirs, Better better) {
  if (better == Better::kNone || !ours || !theirs || *theirs == 0) return "-";
  return fmt::format("{:.2f}x", *ours / *theirs);
}

// Writes `heading` and the rows that have a figure for some label; nothing when none has.
void WriteRows(const Results& results, const std::vector<std::string>& labels,
               std::string_view heading, const std::vector<Row>& rows, std::ostream& out) {
  const bool have_ours = labels.front() == results.ours();
  bool headed = false;
  for (const Row& row : rows) {
    std::string line = fmt::format("  {:<34}", row.title);
    bool any = false;
    for (const std::string& label : labels) {
      auto figure = results.Median(label, row.mode, row.cell, row.pointer);
      any = any || figure.has_value();
      line += fmt::format("{:>12}", Figure(figure, row.scale, row.decimals));
    }
    if (!any) continue;
    if (!headed) out << heading << "\n";
    headed = true;
    if (have_ours) {
      auto ours = results.Median(results.ours(), row.mode, row.cell, row.pointer);
      for (size_t i = 1; i < labels.size(); ++i) {
        line += fmt::format(
            "{:>14}",
            Ratio(ours, results.Median(labels[i], row.mode, row.cell, row.pointer), row.better));
      }
    }
    out << line << "\n";
  }
}

// "3/3" runs had every record acknowledged, consumed once and stored; problems listed below.
void WriteChecks(const Results& results, const std::vector<std::string>& labels, std::ostream& out,
                 std::vector<std::string>& problems) {
  std::string line = fmt::format("  {:<34}", "runs with every count right");
  for (const std::string& label : labels) {
    int ok = 0, total = 0;
    for (const std::string mode : {"throughput", "latency"}) {
      for (const std::string& cell : results.Cells(mode)) {
        const std::vector<json>* group = results.Group(label, mode, cell);
        if (group == nullptr) continue;
        for (const json& record : *group) {
          ++total;
          if (record.value("ok", false)) {
            ++ok;
          } else {
            for (const auto& problem : record["problems"]) {
              problems.push_back(fmt::format("{} {} ({}, rep {}): {}", label, mode, cell,
                                             record.value("rep", 0), problem.get<std::string>()));
            }
          }
        }
      }
    }
    line += fmt::format("{:>12}", fmt::format("{}/{}", ok, total));
  }
  out << line << "\n";
}

// The hub benchmark's targets, for tarn against its peers.
void WriteTargets(const Results& results, const std::vector<std::string>& labels, double rate,
                  std::ostream& out) {
  out << "\nTargets\n";
  if (labels.front() != kTarn) {
    out << "  tarn was not run: no target can be checked.\n";
    return;
  }
  auto ours = results.Median(kTarn, "throughput", "main", "/records_per_s");
  std::string faster;
  std::optional<double> best;
  for (size_t i = 1; i < labels.size(); ++i) {
    auto theirs = results.Median(labels[i], "throughput", "main", "/records_per_s");
    if (theirs && (!best || *theirs > *best)) {
      best = theirs;
      faster = labels[i];
    }
  }
  if (ours && best) {
    double ratio = *ours / *best;
    out << fmt::format(
        "  records/s >= {:.0f}x the faster peer ({}, {:.0f}/s): tarn {:.0f}/s = {:.2f}x  {}\n",
        kThroughputTarget, faster, *best, *ours, ratio,
        ratio >= kThroughputTarget ? "MET" : "NOT MET");
  } else {
    out << "  records/s target: no throughput figures for tarn and a peer\n";
  }
  auto fsyncs = results.Median(kTarn, "throughput", "main", "/server/fsyncs");
  if (!fsyncs) fsyncs = results.Median(kTarn, "throughput", "fsync-check", "/server/fsyncs");
  out << fmt::format("  tarn fsynced during its throughput run: {}\n",
                     fsyncs ? fmt::format("{:.0f} fsyncs", *fsyncs) : "not measured");
  auto p99 = results.Median(kTarn, "latency", "main", "/e2e_us/p99");
  if (p99) {
    out << fmt::format("  end-to-end p99 < {:.0f} ms at {:.0f} records/s: tarn {:.2f} ms  {}\n",
                       kP99TargetMs, rate, *p99 / 1e3,
                       *p99 / 1e3 < kP99TargetMs ? "MET" : "NOT MET");
  } else {
    out << "  end-to-end p99 target: no latency figures for tarn\n";
  }
}

// Ours against each peer in a few lines: records/s, then ack and end-to-end p99 at each fixed
// rate.
void WriteSummary(const Results& results, const std::vector<std::string>& labels,
                  std::ostream& out) {
  const std::string& ours = results.ours();
  if (labels.front() != ours || labels.size() < 2) return;
  auto line = [&](std::string_view what, std::string_view mode, std::string_view cell,
                  std::string_view pointer, double scale, int decimals, std::string_view unit,
                  const std::string& peer) {
    auto a = results.Median(ours, mode, cell, pointer);
    auto b = results.Median(peer, mode, cell, pointer);
    if (!a || !b) return;
    out << fmt::format("  {:<38}{} {:.{}f}{} vs {} {:.{}f}{} = {}\n", what, ours, *a * scale,
                       decimals, unit, peer, *b * scale, decimals, unit,
                       Ratio(a, b, Better::kHigher));
  };
  for (size_t i = 1; i < labels.size(); ++i) {
    out << fmt::format("\nSummary: {}/{}\n", ours, labels[i]);
    line("records/s, throughput", "throughput", "main", "/records_per_s", 1, 0, "", labels[i]);
    for (const std::string& cell : results.Cells("latency")) {
      if (cell == "fsync-check") continue;
      const double rate = results.Config("latency", cell, "rate_per_s");
      line(fmt::format("ack p99 at {:.0f} records/s", rate), "latency", cell, "/ack_us/p99", 1e-3,
           2, " ms", labels[i]);
      line(fmt::format("end-to-end p99 at {:.0f} records/s", rate), "latency", cell, "/e2e_us/p99",
           1e-3, 2, " ms", labels[i]);
    }
  }
}

}  // namespace

Status WriteReport(const std::vector<std::string>& paths, std::ostream& out,
                   std::string_view ours) {
  Results results{std::string(ours)};
  int records = 0;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) return Status::NotFound("cannot read results file " + path);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded() || !record.is_object() || !record.contains("label")) {
        return Status::Corruption(fmt::format("{}:{}: not a run record", path, number));
      }
      results.Add(std::move(record));
      ++records;
    }
  }
  if (records == 0) return Status::NotFound("no run records in the results files");

  std::vector<std::string> labels = results.Labels();
  const json& first = *results.Any(labels.front());
  double record_kib = first.value("record_bytes", 0) / 1024.0;
  const double rate = results.Config("latency", "main", "rate_per_s");
  const auto throughput_records =
      static_cast<int64_t>(results.Config("throughput", "main", "records"));
  const json& host = first["host"];
  const std::string& ours_label = results.ours();
  const bool have_ours = labels.front() == ours_label;
  out << fmt::format("{}: {:g} KiB records; figures are medians over repetitions\n",
                     ours_label == kTarn ? "Hub benchmark" : ours_label + " against its peers",
                     record_kib);
  out << fmt::format("host {} ({} CPUs, {} GiB), {}, load average at the first run {:.2f}\n\n",
                     host.value("name", "?"), host.value("cpus", 0), host.value("memory_gib", 0.0),
                     first.value("date", "?"), host.value("load_1m", -1.0));

  std::string header = fmt::format("  {:<34}", "");
  for (const std::string& label : labels) header += fmt::format("{:>12}", label);
  if (have_ours) {
    for (size_t i = 1; i < labels.size(); ++i) {
      header += fmt::format("{:>14}", ours_label + "/" + labels[i]);
    }
  }
  out << header << "\n";
  std::string levels = fmt::format("  {:<34}", "durability level");
  for (const std::string& label : labels) {
    levels += fmt::format("{:>12}", results.Any(label)->value("level", "?"));
  }
  out << levels << "\n";

  WriteRows(
      results, labels, fmt::format("throughput: {} records, bounded in flight", throughput_records),
      {{"records/s", "throughput", "main", "/records_per_s", 1, 0, Better::kHigher},
       {"MB/s", "throughput", "main", "/mb_per_s", 1, 1, Better::kHigher},
       {"ack latency p50 (ms)", "throughput", "main", "/ack_us/p50", 1e-3, 2, Better::kLower},
       {"ack latency p99 (ms)", "throughput", "main", "/ack_us/p99", 1e-3, 2, Better::kLower},
       {"server CPU s per GB", "throughput", "main", "/server/cpu_s_per_gb", 1, 2, Better::kLower},
       {"disk bytes per payload byte", "throughput", "main", "/server/disk_bytes_per_payload_byte",
        1, 2, Better::kLower},
       {"fsyncs/s (server metrics)", "throughput", "main", "/server/fsyncs_per_s", 1, 0,
        Better::kNone},
       {"records per fsync (metrics)", "throughput", "main", "/server/records_per_fsync", 1, 1,
        Better::kNone},
       {"server CPU (cores)", "throughput", "main", "/server/cpu_share", 1, 2, Better::kNone},
       {"harness CPU (cores)", "throughput", "main", "/client/cpu_share", 1, 2, Better::kNone}},
      out);
  for (const std::string& cell : results.Cells("latency")) {
    if (cell == "fsync-check") continue;
    const std::string heading = fmt::format(
        "end to end: open loop at {:.0f} records/s for {:.0f} s{}, tailing consumer",
        results.Config("latency", cell, "rate_per_s"),
        results.Config("latency", cell, "duration_s"), cell == "main" ? "" : " (" + cell + ")");
    WriteRows(results, labels, heading,
              {{"end-to-end p50 (ms)", "latency", cell, "/e2e_us/p50", 1e-3, 2, Better::kLower},
               {"end-to-end p99 (ms)", "latency", cell, "/e2e_us/p99", 1e-3, 2, Better::kLower},
               {"end-to-end p99.9 (ms)", "latency", cell, "/e2e_us/p999", 1e-3, 2, Better::kLower},
               {"end-to-end max (ms)", "latency", cell, "/e2e_us/max", 1e-3, 2, Better::kLower},
               {"ack latency p50 (ms)", "latency", cell, "/ack_us/p50", 1e-3, 2, Better::kLower},
               {"ack latency p99 (ms)", "latency", cell, "/ack_us/p99", 1e-3, 2, Better::kLower},
               {"fsyncs/s (server metrics)", "latency", cell, "/server/fsyncs_per_s", 1, 0,
                Better::kNone}},
              out);
  }
  WriteRows(results, labels,
            "fsync check: separate short runs, server started under strace (slows it)",
            {{"fsyncs/s at full load", "throughput", "fsync-check", "/server/fsyncs_per_s", 1, 0,
              Better::kNone},
             {"records per fsync at full load", "throughput", "fsync-check",
              "/server/records_per_fsync", 1, 1, Better::kNone},
             {"fsyncs/s at the fixed rate", "latency", "fsync-check", "/server/fsyncs_per_s", 1, 0,
              Better::kNone},
             {"records per fsync at the fixed rate", "latency", "fsync-check",
              "/server/records_per_fsync", 1, 1, Better::kNone}},
            out);
  std::vector<std::string> problems;
  WriteChecks(results, labels, out, problems);
  out << fmt::format(
      "  (ratios: {}/peer; above 1 is better for records/s and MB/s, below 1 for latency,\n"
      "   CPU and disk bytes)\n",
      ours_label);

  out << "\nWhat an acknowledgement guarantees\n";
  for (const std::string& label : labels) {
    const json& any = *results.Any(label);
    out << fmt::format("  {:<6} {}: {}\n", label, any.value("level", "?"),
                       any.value("guarantee", "?"));
  }
  std::vector<std::string> unequal;
  if (have_ours) {
    std::string ours = results.Any(ours_label)->value("level", "");
    for (size_t i = 1; i < labels.size(); ++i) {
      if (results.Any(labels[i])->value("level", "") != ours) unequal.push_back(labels[i]);
    }
  }
  for (const std::string& label : unequal) {
    out << fmt::format("  {} vs {}: UNEQUAL DURABILITY ({} vs {}); the peer does less per ack\n",
                       ours_label, label, results.Any(ours_label)->value("level", "?"),
                       results.Any(label)->value("level", "?"));
  }

  if (ours_label == kTarn) {
    WriteTargets(results, labels, rate, out);
  } else {
    WriteSummary(results, labels, out);
  }
  if (!problems.empty()) {
    out << "\nProblems\n";
    for (const std::string& problem : problems) out << "  " << problem << "\n";
  }
  return Status::Ok();
}

}  // namespace tarn::bench
