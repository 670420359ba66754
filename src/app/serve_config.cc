#include "app/serve_config.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>
#include <type_traits>
#include <variant>
#include <vector>

#include "hub/kafka_client.h"
#include "net/host_port.h"

namespace tarn::app {
namespace {

// One setting: its YAML key (also its flag, with "--" before it), where it lives in ServeConfig,
// the placeholder --help shows for its value, and its help line.
struct Field {
  std::string_view key;
  std::variant<std::filesystem::path ServeConfig::*, std::string ServeConfig::*,
               bool ServeConfig::*, int32_t ServeConfig::*, int64_t ServeConfig::*>
      member;
  std::string_view value_name;
  std::string_view help;
};

const Field kFields[] = {
    {"broker", &ServeConfig::broker, "on|off",
     "on: run the embedded broker; off: serve HTTP only, over the Kafka cluster at --brokers"},
    {"brokers", &ServeConfig::brokers, "HOST:PORT[,...]",
     "The external Kafka cluster for --broker off, comma-separated"},
    {"data-dir", &ServeConfig::data_dir, "DIR", "Directory for topics, offsets and state"},
    {"kafka-addr", &ServeConfig::kafka_addr, "HOST:PORT",
     "Kafka protocol listener (port 0: any free port)"},
    {"http-addr", &ServeConfig::http_addr, "HOST:PORT", "HTTP listener (port 0: any free port)"},
    {"advertised-kafka-addr", &ServeConfig::advertised_kafka_addr, "HOST:PORT",
     "Address clients are told to connect to (default: --kafka-addr)"},
    {"region", &ServeConfig::region, "NAME", "Name of this region, stamped on change events"},
    {"auto-create-topics", &ServeConfig::auto_create_topics, "BOOL",
     "Create a topic when a client first produces to or asks for it"},
    {"default-partitions", &ServeConfig::default_partitions, "N",
     "Partitions of a topic created without a count"},
    {"flush-interval-ms", &ServeConfig::flush_interval_ms, "MS",
     "0: fsync before every ack; N>0: ack from the page cache and fsync every N ms"},
    {"max-request-bytes", &ServeConfig::max_request_bytes, "BYTES",
     "Largest Kafka request accepted"},
    {"connections-max-idle-ms", &ServeConfig::connections_max_idle_ms, "MS",
     "Close a Kafka connection idle this long (0: never)"},
    {"segment-bytes", &ServeConfig::segment_bytes, "BYTES", "Roll a log segment at this size"},
    {"segment-ms", &ServeConfig::segment_ms, "MS", "Roll a log segment at this age"},
    {"retention-ms", &ServeConfig::retention_ms, "MS",
     "Delete segments older than this (-1: keep forever)"},
    {"retention-bytes", &ServeConfig::retention_bytes, "BYTES",
     "Delete old segments past this partition size (-1: no limit)"},
    {"log-cleaner-interval-ms", &ServeConfig::log_cleaner_interval_ms, "MS",
     "How often the log cleaner looks for a compacted topic's partition to clean"},
    {"max-message-bytes", &ServeConfig::max_message_bytes, "BYTES",
     "Largest record batch a topic accepts"},
    {"group-initial-rebalance-delay-ms", &ServeConfig::group_initial_rebalance_delay_ms, "MS",
     "How long a new consumer group waits for more members before the first rebalance"},
    {"group-min-session-timeout-ms", &ServeConfig::group_min_session_timeout_ms, "MS",
     "Shortest session timeout a consumer group member may ask for"},
    {"group-max-session-timeout-ms", &ServeConfig::group_max_session_timeout_ms, "MS",
     "Longest session timeout a consumer group member may ask for"},
    {"offsets-topic-partitions", &ServeConfig::offsets_topic_partitions, "N",
     "Partitions of __consumer_offsets when it is created"},
    {"offsets-retention-ms", &ServeConfig::offsets_retention_ms, "MS",
     "Delete a consumer group's committed offsets once it has been empty this long"},
    {"max-http-body-bytes", &ServeConfig::max_http_body_bytes, "BYTES",
     "Largest HTTP request body accepted (a batch of published events, a schema)"},
    {"require-contracts", &ServeConfig::require_contracts, "BOOL",
     "Refuse published events whose type has no contract in the schema registry"},
    {"lake", &ServeConfig::lake, "BOOL", "Archive topics into the event lake (docs/lake.md)"},
    {"lake-dir", &ServeConfig::lake_dir, "DIR", "The event lake's root (default: DATA-DIR/lake)"},
    {"fault-lake-dir", &ServeConfig::fault_lake_dir, "DIR",
     "Where the faults topic is archived (default: DATA-DIR/fault-lake)"},
    {"lake-topics", &ServeConfig::lake_topics, "NAMES",
     "Topics to archive, comma-separated, a trailing * for a prefix (default: all but _*)"},
    {"lake-file-bytes", &ServeConfig::lake_file_bytes, "BYTES",
     "Close a lake file when its uncompressed lines reach this size"},
    {"lake-file-age-ms", &ServeConfig::lake_file_age_ms, "MS",
     "Close a lake file when its first line is this old"},
    {"log-level", &ServeConfig::log_level, "LEVEL",
     "trace, debug, info, warn, error, critical or off"},
};

template <typename T>
constexpr std::string_view TypeDescription() {
  if constexpr (std::is_same_v<T, bool>) {
    return "true or false";
  } else if constexpr (std::is_integral_v<T>) {
    return sizeof(T) == 4 ? "a 32-bit integer" : "an integer";
  } else {
    return "a string";
  }
}

std::string_view NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "a scalar";
  }
}

// Sets the field named by `key` from a YAML scalar. Errors name the key.
Status ReadField(const Field& field, const YAML::Node& node, ServeConfig& config) {
  return std::visit(
      [&](auto member) -> Status {
        using T = std::remove_reference_t<decltype(config.*member)>;
        using Read = std::conditional_t<std::is_same_v<T, std::filesystem::path>, std::string, T>;
        std::string expected(TypeDescription<Read>());
        if (!node.IsScalar()) {
          return Status::InvalidArgument(std::string(field.key) + ": expected " + expected +
                                         ", got " + std::string(NodeKind(node)));
        }
        try {
          config.*member = node.as<Read>();
        } catch (const YAML::Exception&) {
          return Status::InvalidArgument(std::string(field.key) + ": expected " + expected +
                                         ", got \"" + node.Scalar() + "\"");
        }
        return Status::Ok();
      },
      field.member);
}

const Field* FindField(std::string_view key) {
  auto it = std::find_if(std::begin(kFields), std::end(kFields),
                         [key](const Field& f) { return f.key == key; });
  return it == std::end(kFields) ? nullptr : &*it;
}

Status InvalidKey(std::string_view key, const std::string& why) {
  return Status::InvalidArgument(std::string(key) + ": " + why);
}

Status CheckAddress(std::string_view key, const std::string& value, bool allow_empty) {
  if (allow_empty && value.empty()) return Status::Ok();
  Result<std::pair<std::string, uint16_t>> parsed = net::ParseHostPort(value);
  return parsed.has_value() ? Status::Ok() : parsed.error().WithContext(key);
}

template <typename T>
Status CheckAtLeast(std::string_view key, T value, T minimum) {
  if (value >= minimum) return Status::Ok();
  return InvalidKey(
      key, "must be at least " + std::to_string(minimum) + ", got " + std::to_string(value));
}

// What AddServeFlags keeps between registering the flags and the end of parsing.
struct FlagState {
  ServeConfig flag_values;  // the flags write here; defaults where a flag is not given
  std::string config_path;
  CLI::Option* config_option = nullptr;
  std::vector<std::pair<const Field*, CLI::Option*>> options;
};

Result<ServeConfig> ResolveServeConfig(const FlagState& state) {
  ServeConfig config;
  const bool explicit_file = state.config_option->count() > 0;
  std::filesystem::path path = explicit_file ? state.config_path : "tarn.yaml";
  std::error_code ec;
  if (explicit_file || std::filesystem::exists(path, ec)) {
    TARN_ASSIGN_OR_RETURN(config, LoadServeConfig(path));
  }
  for (const auto& [field, option] : state.options) {
    if (option->count() == 0) continue;
    std::visit([&](auto member) { config.*member = state.flag_values.*member; }, field->member);
  }
  TARN_TRY(ValidateServeConfig(config));
  return config;
}

bool IsHostnameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

namespace {

// A YAML value as JSON: maps, lists, and scalars typed as YAML 1.2's core schema reads them
// (a quoted scalar stays a string).
nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = YamlToJson(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(YamlToJson(item));
      return array;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted
      if (text == "true" || text == "false") return text == "true";
      if (text == "null" || text == "~") return nullptr;
      nlohmann::json number = nlohmann::json::parse(text, nullptr, false);
      if (number.is_number()) return number;
      return text;
    }
    default:
      return nullptr;
  }
}

// tarn.yaml's `rules`: a list of rules, each kept as JSON text.
Status ReadRules(const YAML::Node& node, ServeConfig& config) {
  if (!node.IsSequence()) {
    return InvalidKey("rules", "must be a list of rules, got " + std::string(NodeKind(node)));
  }
  for (size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsMap()) {
      return InvalidKey("rules", "item " + std::to_string(i) + " must be a map (a rule)");
    }
    config.rules.push_back(YamlToJson(node[i]).dump());
  }
  return Status::Ok();
}

}  // namespace

Result<ServeConfig> ParseServeConfig(std::string_view yaml, std::string_view source) {
  const std::string where(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return Error(Status::InvalidArgument(where + ":" + std::to_string(e.mark.line + 1) + ":" +
                                         std::to_string(e.mark.column + 1) + ": " + e.msg));
  } catch (const YAML::Exception& e) {
    return Error(Status::InvalidArgument(where + ": " + e.what()));
  }
  ServeConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) {
    return Error(Status::InvalidArgument(where + ": expected a map of settings, got " +
                                         std::string(NodeKind(root))));
  }
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) {
      return Error(Status::InvalidArgument(where + ": a key must be a name, got " +
                                           std::string(NodeKind(entry.first))));
    }
    const std::string& key = entry.first.Scalar();
    if (key == "rules") {
      TARN_TRY(ReadRules(entry.second, config).WithContext(where));
      continue;
    }
    const Field* field = FindField(key);
    if (field == nullptr) {
      return Error(Status::InvalidArgument(where + ": unknown key \"" + key +
                                           "\" (keys are the flag names of `tarn serve`)"));
    }
    TARN_TRY(ReadField(*field, entry.second, config).WithContext(where));
  }
  return config;
}

Result<ServeConfig> LoadServeConfig(const std::filesystem::path& yaml_path) {
  std::ifstream in(yaml_path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(yaml_path, ec)) {
      return Error(Status::NotFound("config file " + yaml_path.string() + " does not exist"));
    }
    return Error(Status::IoError("cannot read config file " + yaml_path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error(Status::IoError("cannot read config file " + yaml_path.string()));
  return ParseServeConfig(text.str(), yaml_path.string());
}

Status ValidateServeConfig(const ServeConfig& config) {
  if (config.broker != "on" && config.broker != "off") {
    return InvalidKey("broker", "must be on or off, got \"" + config.broker + "\"");
  }
  if (!config.embedded_broker() && config.brokers.empty()) {
    return InvalidKey("brokers", "required with broker off (the external cluster's HOST:PORT)");
  }
  if (!config.brokers.empty()) {
    TARN_TRY(hub::ValidateBrokerList(config.brokers).WithContext("brokers"));
  }
  if (config.data_dir.empty()) return InvalidKey("data-dir", "must not be empty");
  TARN_TRY(CheckAddress("kafka-addr", config.kafka_addr, /*allow_empty=*/false));
  TARN_TRY(CheckAddress("http-addr", config.http_addr, /*allow_empty=*/false));
  TARN_TRY(CheckAddress("advertised-kafka-addr", config.advertised_kafka_addr,
                        /*allow_empty=*/true));
  if (config.region.empty() ||
      !std::all_of(config.region.begin(), config.region.end(), IsHostnameChar)) {
    return InvalidKey("region",
                      "must be letters, digits, '-', '_' or '.', got \"" + config.region + "\"");
  }
  TARN_TRY(CheckAtLeast<int32_t>("default-partitions", config.default_partitions, 1));
  TARN_TRY(CheckAtLeast<int64_t>("flush-interval-ms", config.flush_interval_ms, 0));
  TARN_TRY(CheckAtLeast<int32_t>("max-request-bytes", config.max_request_bytes, 1024));
  TARN_TRY(CheckAtLeast<int64_t>("max-http-body-bytes", config.max_http_body_bytes, 1024));
  TARN_TRY(CheckAtLeast<int64_t>("connections-max-idle-ms", config.connections_max_idle_ms, 0));
  TARN_TRY(CheckAtLeast<int64_t>("segment-bytes", config.segment_bytes, 1024));
  TARN_TRY(CheckAtLeast<int64_t>("segment-ms", config.segment_ms, 1));
  TARN_TRY(CheckAtLeast<int64_t>("retention-ms", config.retention_ms, -1));
  TARN_TRY(CheckAtLeast<int64_t>("retention-bytes", config.retention_bytes, -1));
  TARN_TRY(CheckAtLeast<int64_t>("log-cleaner-interval-ms", config.log_cleaner_interval_ms, 1));
  TARN_TRY(CheckAtLeast<int32_t>("max-message-bytes", config.max_message_bytes, 1));
  TARN_TRY(CheckAtLeast<int32_t>("group-initial-rebalance-delay-ms",
                                 config.group_initial_rebalance_delay_ms, 0));
  TARN_TRY(CheckAtLeast<int32_t>("group-min-session-timeout-ms",
                                 config.group_min_session_timeout_ms, 1));
  TARN_TRY(CheckAtLeast<int32_t>("group-max-session-timeout-ms",
                                 config.group_max_session_timeout_ms,
                                 config.group_min_session_timeout_ms));
  TARN_TRY(CheckAtLeast<int32_t>("offsets-topic-partitions", config.offsets_topic_partitions, 1));
  TARN_TRY(CheckAtLeast<int64_t>("offsets-retention-ms", config.offsets_retention_ms, 1));
  TARN_TRY(CheckAtLeast<int64_t>("lake-file-bytes", config.lake_file_bytes, 1024));
  TARN_TRY(CheckAtLeast<int64_t>("lake-file-age-ms", config.lake_file_age_ms, 10));
  constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug",    "info", "warn",
                                                       "error", "critical", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), config.log_level) == kLevels.end()) {
    return InvalidKey("log-level",
                      "must be trace, debug, info, warn, error, critical or off, "
                      "got \"" +
                          config.log_level + "\"");
  }
  return Status::Ok();
}

void AddServeFlags(CLI::App& cmd, ServeConfig& config) {
  auto state = std::make_shared<FlagState>();
  state->config_option =
      cmd.add_option("--config", state->config_path,
                     "YAML file whose keys are these flags' names (default: ./tarn.yaml if it "
                     "exists); flags override it")
          ->type_name("PATH");
  for (const Field& field : kFields) {
    const std::string name = "--" + std::string(field.key);
    const std::string help(field.help);
    CLI::Option* option = std::visit(
        [&](auto member) -> CLI::Option* {
          auto& value = state->flag_values.*member;
          if constexpr (std::is_same_v<std::remove_reference_t<decltype(value)>, bool>) {
            // --auto-create-topics, --auto-create-topics=false, --no-auto-create-topics
            return cmd.add_flag(name + ",!--no-" + std::string(field.key), value, help);
          } else {
            return cmd.add_option(name, value, help)
                ->type_name(std::string(field.value_name))
                ->capture_default_str();
          }
        },
        field.member);
    state->options.emplace_back(&field, option);
  }
  // Runs when `cmd` has parsed, before its callback: the file is known only now.
  cmd.parse_complete_callback([&config, state] {
    Result<ServeConfig> resolved = ResolveServeConfig(*state);
    if (!resolved.has_value()) throw CLI::ValidationError(resolved.error().message());
    config = *std::move(resolved);
  });
}

}  // namespace tarn::app
