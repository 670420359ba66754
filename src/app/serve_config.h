// The settings of `tarn serve`, from three layers: built-in defaults, then an optional tarn.yaml,
// then command-line flags. A YAML key and its flag share one kebab-case name: `data-dir` in the
// file is `--data-dir` on the command line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tarn::app {

struct ServeConfig {
  // "on": run the embedded broker (data directory, Kafka listener, group coordinator). "off":
  // serve HTTP only (health, metrics, the schema registry) over the external cluster `brokers`.
  std::string broker = "on";
  std::string brokers;  // comma-separated HOST:PORT list; required with broker off
  std::filesystem::path data_dir = "./tarn-data";
  std::string kafka_addr = "127.0.0.1:9092";  // port 0: pick a free port
  std::string http_addr = "127.0.0.1:8080";
  // The address clients are told to connect to (Metadata); empty means kafka_addr.
  std::string advertised_kafka_addr;
  std::string region = "local";
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  // 0: fsync before every ack (group commit); >0: ack from the page cache, fsync every N ms.
  int64_t flush_interval_ms = 0;
  int32_t max_request_bytes = 100 * 1024 * 1024;
  int64_t connections_max_idle_ms = 10 * 60 * 1000;  // 0: never close idle connections
  int64_t segment_bytes = int64_t{1} << 30;
  int64_t segment_ms = int64_t{7} * 24 * 3600 * 1000;
  int64_t retention_ms = int64_t{7} * 24 * 3600 * 1000;  // -1: keep forever
  int64_t retention_bytes = -1;                          // -1: no size limit
  // How often the log cleaner looks for a compacted partition to clean.
  int64_t log_cleaner_interval_ms = 15'000;
  int32_t max_message_bytes = 1048588;
  int32_t group_initial_rebalance_delay_ms = 3000;
  int32_t group_min_session_timeout_ms = 6000;
  int32_t group_max_session_timeout_ms = 1800000;
  int32_t offsets_topic_partitions = 4;
  int64_t offsets_retention_ms = int64_t{7} * 24 * 3600 * 1000;
  // The largest HTTP request body (a batch of published events, a schema).
  int64_t max_http_body_bytes = 10 * 1024 * 1024;
  // Refuse published events whose type has no contract (else only existing contracts apply).
  bool require_contracts = false;
  // Routing rules from tarn.yaml's `rules` list (no flag), each as JSON text; the router checks
  // them at start (router/rule.h has the format).
  std::vector<std::string> rules;
  // The event lake (docs/lake.md): empty directories mean DATA-DIR/lake and DATA-DIR/fault-lake.
  bool lake = true;
  std::filesystem::path lake_dir;
  std::filesystem::path fault_lake_dir;
  std::string lake_topics;  // comma-separated; a trailing '*' is a prefix; empty: all but '_*'
  int64_t lake_file_bytes = int64_t{64} << 20;
  int64_t lake_file_age_ms = 60'000;
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off

  bool embedded_broker() const { return broker == "on"; }
  std::filesystem::path EffectiveLakeDir() const { return lake_dir.empty() ? data_dir / "lake" : lake_dir; }
  std::filesystem::path EffectiveFaultLakeDir() const {
    return fault_lake_dir.empty() ? data_dir / "fault-lake" : fault_lake_dir;
  }

  // advertised_kafka_addr, or kafka_addr when that is empty.
  const std::string& EffectiveAdvertisedKafkaAddr() const {
    return advertised_kafka_addr.empty() ? kafka_addr : advertised_kafka_addr;
  }
};

// Reads a tarn.yaml: a map whose keys are flag names without the dashes. Keys it does not set
// keep their defaults; an empty file is all defaults. Errors: NotFound (no file), IoError,
// InvalidArgument naming the file and the key (unknown key, wrong type, not YAML).
// Does not validate ranges: see ValidateServeConfig.
Result<ServeConfig> LoadServeConfig(const std::filesystem::path& yaml_path);

// The same, from YAML text; `source` names it in errors.
Result<ServeConfig> ParseServeConfig(std::string_view yaml, std::string_view source);

// Checks ranges and formats (addresses, sizes, the log level). InvalidArgument names the key.
Status ValidateServeConfig(const ServeConfig& config);

// Registers `--config PATH` and one flag per ServeConfig field on `cmd`. When `cmd` has parsed,
// `config` holds defaults < tarn.yaml < flags, validated: the file is --config's, else
// ./tarn.yaml when it exists. A bad file or value fails the parse as a usage error
// (CLI::ValidationError), so `cmd`'s callback sees only a valid `config`, which must outlive it.
void AddServeFlags(CLI::App& cmd, ServeConfig& config);

}  // namespace tarn::app
