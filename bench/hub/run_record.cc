#include "hub/run_record.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>

namespace tarn::bench {
namespace {

using nlohmann::json;

// Rounds to `decimals` places (dividing by a power of ten keeps the JSON text short).
double Round(double value, int decimals) {
  double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}
double Micros(int64_t ns) { return Round(static_cast<double>(ns) / 1e3, 1); }

json LatencyJson(const LatencyHistogram& h) {
  return {{"count", h.count()},
          {"mean", Micros(static_cast<int64_t>(h.mean_ns()))},
          {"p50", Micros(h.PercentileNs(50))},
          {"p99", Micros(h.PercentileNs(99))},
          {"p999", Micros(h.PercentileNs(99.9))},
          {"max", Micros(h.max_ns())}};
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

json HostJson() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  double load = -1;
  if (std::ifstream loadavg("/proc/loadavg"); loadavg) loadavg >> load;
  return {{"name", name},
          {"cpus", sysconf(_SC_NPROCESSORS_ONLN)},
          {"memory_gib", Round(static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                                   static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 30),
                               1)},
          {"load_1m", load}};
}

json ServerJson(const RunInfo& info, const RunResult& result, size_t record_bytes,
                const ServerCounters& before, const ServerCounters& after) {
  json server = json::object();
  double payload_bytes = static_cast<double>(result.acked) * static_cast<double>(record_bytes);
  double run_s = static_cast<double>(info.run_ns) / 1e9;
  if (before.cpu_seconds && after.cpu_seconds) {
    double cpu = *after.cpu_seconds - *before.cpu_seconds;
    server["cpu_s"] = Round(cpu, 2);
    if (run_s > 0) server["cpu_share"] = Round(cpu / run_s, 2);  // cores busy, on average
    if (payload_bytes > 0) server["cpu_s_per_gb"] = Round(cpu / (payload_bytes / 1e9), 2);
  }
  if (before.write_bytes && after.write_bytes && payload_bytes > 0) {
    int64_t written = *after.write_bytes - *before.write_bytes;
    server["write_bytes"] = written;
    server["disk_bytes_per_payload_byte"] = Round(static_cast<double>(written) / payload_bytes, 3);
  }
  if (before.fsyncs && after.fsyncs) {
    int64_t fsyncs = *after.fsyncs - *before.fsyncs;
    server["fsyncs"] = fsyncs;
    server["fsync_source"] = info.fsync_source;
    if (run_s > 0) server["fsyncs_per_s"] = Round(static_cast<double>(fsyncs) / run_s, 1);
    if (fsyncs > 0) {
      server["records_per_fsync"] = Round(static_cast<double>(result.acked) / fsyncs, 2);
    }
  }
  return server;
}

std::vector<std::string> Problems(const RunInfo& info, const RunResult& result) {
  std::vector<std::string> problems;
  if (result.timed_out) problems.push_back("stopped by the wall-clock cap");
  if (result.failed > 0) {
    problems.push_back(fmt::format("{} of {} sends not acknowledged ({})", result.failed,
                                   result.sent, result.first_error));
  } else if (!result.first_error.empty()) {
    problems.push_back(result.first_error);
  }
  if (info.mode == "latency" && result.consumed >= 0) {  // -1: no consumer ran
    if (result.consumed != result.acked) {
      problems.push_back(fmt::format("consumed {} of {} acked", result.consumed, result.acked));
    }
    if (result.duplicates > 0) problems.push_back(fmt::format("{} duplicates", result.duplicates));
  }
  if (result.stored >= 0 && result.stored != result.acked) {
    problems.push_back(
        fmt::format("server holds {} records, {} acked", result.stored, result.acked));
  }
  return problems;
}

}  // namespace

json MakeRunRecord(const RunInfo& info, const RunSpec& spec, const RunResult& result,
                   const ServerCounters& before, const ServerCounters& after) {
  double window_s = static_cast<double>(result.window_ns) / 1e9;
  double rate = window_s > 0 ? static_cast<double>(result.window_records) / window_s : 0;
  std::vector<std::string> problems = Problems(info, result);
  json config = {{"address", spec.host + ":" + std::to_string(spec.port)},
                 {"topic", spec.topic},
                 {"payload", PayloadFormatName(spec.payload_format)},
                 {"max_wall_s", static_cast<double>(spec.max_wall.count()) / 1e9}};
  if (info.mode == "throughput") {
    config["records"] = spec.records;
    config["warmup_records"] = spec.warmup_records;
    config["in_flight"] = spec.in_flight;
  } else {
    config["rate_per_s"] = spec.rate_per_s;
    config["warmup_s"] = static_cast<double>(spec.warmup.count()) / 1e9;
    config["duration_s"] = static_cast<double>(spec.duration.count()) / 1e9;
  }
  if (info.system == "kafka") {
    config["linger_ms"] = spec.linger_ms;
    config["batch_bytes"] = spec.batch_bytes;
    if (info.mode == "latency") config["fetch_wait_ms"] = spec.fetch_wait_ms;
  } else if (info.system == "http") {
    config["connections"] = spec.connections;
    config["batch_events"] = spec.batch_events;
    config["contract"] = spec.contract;
  } else if (info.system == "redis") {
    config["connections"] = spec.connections;
  } else if (info.system == "nats") {
    config["send_asap"] = spec.send_asap;
  }
  return {
      {"system", info.system},
      {"label", info.label},
      {"mode", info.mode},
      {"cell", info.cell},
      {"rep", info.rep},
      {"level", info.level},
      {"guarantee", info.guarantee},
      {"date", UtcNow()},
      {"host", HostJson()},
      {"record_bytes", spec.record_bytes},
      {"config", config},
      {"sent", result.sent},
      {"acked", result.acked},
      {"failed", result.failed},
      {"consumed", result.consumed},
      {"duplicates", result.duplicates},
      {"stored", result.stored},
      {"timed_out", result.timed_out},
      {"run_s", Round(static_cast<double>(info.run_ns) / 1e9, 3)},
      {"window_records", result.window_records},
      {"window_s", Round(window_s, 3)},
      {"records_per_s", Round(rate, 0)},
      {"mb_per_s", Round(rate * static_cast<double>(spec.record_bytes) / 1e6, 2)},
      {"max_send_lag_us", Micros(result.max_send_lag_ns)},
      {"ack_us", LatencyJson(result.ack)},
      {"e2e_us", LatencyJson(result.e2e)},
      {"server", ServerJson(info, result, spec.record_bytes, before, after)},
      {"client",
       {{"cpu_s", Round(info.client_cpu_s, 2)},
        {"cpu_share", info.run_ns > 0
                          ? Round(info.client_cpu_s * 1e9 / static_cast<double>(info.run_ns), 2)
                          : 0.0}}},
      {"ok", problems.empty()},
      {"problems", problems},
  };
}

std::string SummaryLine(const json& r) {
  std::string line = fmt::format(
      "{} {} ({}, rep {}): {:.0f} records/s, {:.1f} MB/s; ack p50 {:.2f} ms p99 {:.2f} ms",
      r["label"].get<std::string>(), r["mode"].get<std::string>(), r["cell"].get<std::string>(),
      r["rep"].get<int>(), r["records_per_s"].get<double>(), r["mb_per_s"].get<double>(),
      r["ack_us"]["p50"].get<double>() / 1e3, r["ack_us"]["p99"].get<double>() / 1e3);
  if (r["mode"] == "latency" && r["consumed"].get<int64_t>() >= 0) {
    line +=
        fmt::format("; e2e p50 {:.2f} p99 {:.2f} p99.9 {:.2f} max {:.2f} ms; consumed {}/{}",
                    r["e2e_us"]["p50"].get<double>() / 1e3, r["e2e_us"]["p99"].get<double>() / 1e3,
                    r["e2e_us"]["p999"].get<double>() / 1e3, r["e2e_us"]["max"].get<double>() / 1e3,
                    r["consumed"].get<int64_t>(), r["acked"].get<int64_t>());
  }
  if (r["server"].contains("fsyncs_per_s")) {
    line += fmt::format("; {:.0f} fsyncs/s ({})", r["server"]["fsyncs_per_s"].get<double>(),
                        r["server"]["fsync_source"].get<std::string>());
  }
  line += fmt::format("; harness CPU {:.2f} of a core", r["client"]["cpu_share"].get<double>());
  for (const auto& problem : r["problems"]) line += "; PROBLEM: " + problem.get<std::string>();
  return line;
}

}  // namespace tarn::bench
