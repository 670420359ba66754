// The JSON record of one run: one line of a results file (format in bench/README.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hub/backend.h"
#include "hub/server_probe.h"

namespace tarn::bench {

// How a run is named in the results: `label` is the system as the report shows it ("tarn" for
// the Kafka backend against Tarn), `cell` tells the main runs from the fsync check runs.
struct RunInfo {
  std::string system;  // backend: kafka, http, redis, nats
  std::string label;   // tarn, redis, nats, ...
  std::string mode;    // throughput or latency
  std::string cell = "main";
  std::string level;      // durability level: D0, D1, D2
  std::string guarantee;  // what an ack means for this server as configured
  int rep = 1;
  std::string fsync_source;  // metrics, strace or empty
  int64_t run_ns = 0;
  double client_cpu_s = 0;  // CPU the harness itself used during the run (user + system)
};

nlohmann::json MakeRunRecord(const RunInfo& info, const RunSpec& spec, const RunResult& result,
                             const ServerCounters& before, const ServerCounters& after);

// One line for a person: records/s, latency percentiles, counts, problems.
std::string SummaryLine(const nlohmann::json& record);

}  // namespace tarn::bench
