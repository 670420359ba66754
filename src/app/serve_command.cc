// `tarn serve`: with --broker on (the default), the broker, its Kafka listener, the HTTP
// listener and the metrics, on one event-loop thread (plus the log's sync thread); with
// --broker off, the HTTP listener only, over an external Kafka cluster (hub::KafkaHub, whose
// librdkafka threads and workers never touch the loop's state). The HTTP services are the same
// either way. SIGTERM and SIGINT stop it cleanly: the listeners close, every log is synced and
// closed, producer state is saved.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "app/command_line.h"
#include "app/commands.h"
#include "app/serve_config.h"
#include "app/version.h"
#include "base/metrics.h"
#include "base/strings.h"
#include "contracts/contract_routes.h"
#include "contracts/hub_schema_log.h"
#include "contracts/registry_routes.h"
#include "contracts/schema_registry.h"
#include "events/envelope.h"
#include "gateway/event_gateway.h"
#include "http/server.h"
#include "http/standard_routes.h"
#include "hub/embedded_hub.h"
#include "hub/kafka_hub.h"
#include "kafka/broker.h"
#include "kafka/group/group_coordinator.h"
#include "kafka/session.h"
#include "lake/archiver.h"
#include "lake/lake_routes.h"
#include "net/asio.h"
#include "net/frame_server.h"
#include "net/host_port.h"
#include "net/run_to_completion.h"
#include "router/bridge_delivery.h"
#include "router/channel_delivery.h"
#include "router/faults.h"
#include "router/router.h"
#include "router/rule_routes.h"
#include "router/rule_store.h"
#include "router/webhook_delivery.h"

namespace tarn::app {
namespace {

kafka::BrokerOptions ToBrokerOptions(const ServeConfig& config, const std::string& advertised_host,
                                     uint16_t advertised_port) {
  kafka::BrokerOptions o;
  o.data_dir = config.data_dir;
  o.advertised_host = advertised_host;
  o.advertised_port = advertised_port;
  o.auto_create_topics = config.auto_create_topics;
  o.default_partitions = config.default_partitions;
  o.flush_interval_ms = config.flush_interval_ms;
  o.log_cleaner_interval_ms = config.log_cleaner_interval_ms;
  o.topic_defaults.segment_bytes = config.segment_bytes;
  o.topic_defaults.segment_ms = config.segment_ms;
  o.topic_defaults.retention_ms = config.retention_ms;
  o.topic_defaults.retention_bytes = config.retention_bytes;
  o.topic_defaults.max_message_bytes = config.max_message_bytes;
  return o;
}

// Every client connection holds a descriptor; the usual soft limit of 1024 is far below what a
// broker serves, so take the hard limit.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t wanted = limit.rlim_max;
  limit.rlim_cur = wanted;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("could not raise the open-file limit to {}: {}", wanted, std::strerror(errno));
  }
}

kafka::GroupCoordinatorOptions ToGroupOptions(const ServeConfig& config) {
  kafka::GroupCoordinatorOptions o;
  o.offsets_topic_partitions = config.offsets_topic_partitions;
  o.initial_rebalance_delay_ms = config.group_initial_rebalance_delay_ms;
  o.min_session_timeout_ms = config.group_min_session_timeout_ms;
  o.max_session_timeout_ms = config.group_max_session_timeout_ms;
  o.offsets_retention_ms = config.offsets_retention_ms;
  return o;
}

// Writes tarn.yaml's rules to the rule store (one write), those that differ from what is stored.
Awaitable<Status> ApplyConfiguredRules(const ServeConfig& config, router::RuleStore& store) {
  std::vector<router::Rule> changed;
  for (size_t i = 0; i < config.rules.size(); ++i) {
    Result<router::Rule> rule = router::RuleFromJson(nlohmann::json::parse(config.rules[i]));
    if (!rule) co_return rule.error().WithContext("tarn.yaml rules[" + std::to_string(i) + "]");
    const router::Rule* stored = store.Find(rule->name);
    if (stored && router::RuleToJson(*stored) == router::RuleToJson(*rule)) continue;
    changed.push_back(std::move(*rule));
  }
  co_return co_await store.PutAll(std::move(changed));
}

// The delivery for each kind of rule target. A bridge talks to the other hub's Kafka address
// with a KafkaHub of its own and names this hub by its region. Null when a bridge's client
// cannot be made (the router logs it).
router::DeliveryFactory MakeDeliveryFactory(IoContext& io, hub::Hub& hub, const ServeConfig& config) {
  return [&io, &hub, &config](const router::Target& target) -> std::unique_ptr<router::Delivery> {
    if (const auto* channel = std::get_if<router::ChannelTarget>(&target.spec)) {
      return std::make_unique<router::ChannelDelivery>(hub, *channel);
    }
    if (const auto* webhook = std::get_if<router::WebhookTarget>(&target.spec)) {
      return std::make_unique<router::WebhookDelivery>(io, *webhook);
    }
    const auto& bridge = std::get<router::BridgeTarget>(target.spec);
    hub::KafkaHubOptions options;
    options.brokers = bridge.address;
    options.client_id = "tarn-bridge/" + config.region;
    Result<std::unique_ptr<hub::KafkaHub>> remote = hub::KafkaHub::Create(io, options);
    if (!remote) {
      spdlog::error("router: bridge to {}: {}", bridge.address, remote.error().ToString());
      return nullptr;
    }
    return std::make_unique<router::BridgeDelivery>(std::move(*remote), bridge, config.region);
  };
}

// The bus's max.message.bytes: one request's events for one partition go in one batch, so it
// holds the largest request body.
int64_t BusMaxMessageBytes(const ServeConfig& config) {
  return std::max<int64_t>(gateway::GatewayOptions{}.bus_max_message_bytes,
                           config.max_http_body_bytes + (1 << 20));
}

lake::ArchiverOptions ToArchiverOptions(const ServeConfig& config) {
  lake::ArchiverOptions options;
  options.root = config.EffectiveLakeDir();
  options.fault_root = config.EffectiveFaultLakeDir();
  options.region = config.region;
  for (std::string_view name : SplitList(config.lake_topics)) {
    if (!name.empty()) options.topics.emplace_back(name);
  }
  options.file_bytes = config.lake_file_bytes;
  options.file_age = std::chrono::milliseconds(config.lake_file_age_ms);
  return options;
}

// What is served over either hub: /health and /metrics, the schema registry and contracts (their
// state replayed from `_schemas`), the HTTP event API, the router's rules and faults. Runs the
// loop until SIGINT or SIGTERM, which also calls `stop`. `serving` ends the start-up log line.
Status ServeHttp(IoContext& io, const ServeConfig& config, MetricsRegistry& metrics, hub::Hub& hub,
                 const std::string& serving, const std::function<void()>& stop,
                 const std::function<void(contracts::SchemaRegistry*)>& registry_ready = {}) {
  TARN_ASSIGN_OR_RETURN(auto http_addr, net::ParseHostPort(config.http_addr));

  // The schema registry replays its state from the _schemas topic and serves on the HTTP address.
  TARN_ASSIGN_OR_RETURN(auto schema_log,
                        net::RunToCompletion(io, contracts::HubSchemaLog::Open(hub)));
  TARN_ASSIGN_OR_RETURN(
      auto schema_registry,
      net::RunToCompletion(io, contracts::SchemaRegistry::Open(io, std::move(schema_log))));
  schema_registry->set_require_contracts(config.require_contracts);
  if (registry_ready) registry_ready(schema_registry.get());
  struct Unregister {
    const std::function<void(contracts::SchemaRegistry*)>& ready;
    ~Unregister() {
      if (ready) ready(nullptr);
    }
  } unregister{registry_ready};

  // The HTTP event API publishes to the bus through the hub, checking each event's contract.
  gateway::GatewayOptions gateway_options;
  gateway_options.bus_max_message_bytes = BusMaxMessageBytes(config);
  gateway::EventGateway event_gateway(
      hub,
      [&schema_registry](const events::Envelope& event) {
        return schema_registry->CheckEvent(event);
      },
      SystemClock(), metrics, gateway_options);
  TARN_TRY(net::RunToCompletion(io, event_gateway.Start()));

  // Rules live in `_rules`; tarn.yaml's rules are written there at start when they differ.
  router::RuleStore rules(io, hub);
  TARN_TRY(net::RunToCompletion(io, rules.Load()));
  TARN_TRY(net::RunToCompletion(io, ApplyConfiguredRules(config, rules)));
  router::Router event_router(io, hub, MakeDeliveryFactory(io, hub, config), SystemClock(), metrics);
  router::FaultDesk faults(hub, MakeDeliveryFactory(io, hub, config));
  event_router.SetRules(rules.rules());
  rules.OnChange([&] { event_router.SetRules(rules.rules()); });

  // The lake archives the hub's topics into files (docs/lake.md).
  std::unique_ptr<lake::Archiver> archiver;
  if (config.lake) {
    TARN_ASSIGN_OR_RETURN(archiver, lake::Archiver::Open(io, hub, ToArchiverOptions(config),
                                                         SystemClock(), metrics));
    archiver->Start();
  }
  lake::LakeApi lake_api(config.EffectiveLakeDir(), config.EffectiveFaultLakeDir(), archiver.get());

  http::ServerOptions http_options;
  http_options.max_body_bytes = static_cast<size_t>(config.max_http_body_bytes);
  http::Server http_server(io, http_options);
  http::AddStandardRoutes(http_server, metrics, [&config] {
    return nlohmann::json{
        {"status", "ok"}, {"region", config.region}, {"version", std::string(kVersion)}};
  });
  contracts::AddSchemaRegistryRoutes(http_server, *schema_registry);
  contracts::AddContractRoutes(http_server, *schema_registry);
  event_gateway.AddRoutes(http_server);
  router::AddRuleRoutes(http_server, rules, event_router);
  router::AddFaultRoutes(http_server, faults);
  lake_api.AddRoutes(http_server);
  TARN_ASSIGN_OR_RETURN(uint16_t http_port, http_server.Listen(http_addr.first, http_addr.second));
  // Tests and scripts read the "listening on" lines to find ports chosen with port 0.
  spdlog::info("http listening on {}:{}", http_addr.first, http_port);
  spdlog::info("tarn {} serving region {} {}", kVersion, config.region, serving);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    if (stop) stop();
    http_server.Stop();
    event_router.Stop();
    if (archiver) archiver->Stop();
    io.stop();
  });
  io.run();
  return Status::Ok();
}

// --broker on: the embedded broker and its Kafka listener, with the HTTP services over it.
Status ServeWithBroker(const ServeConfig& config, IoContext& io, MetricsRegistry& metrics) {
  TARN_ASSIGN_OR_RETURN(auto kafka_addr, net::ParseHostPort(config.kafka_addr));

  // The Kafka listener binds first so that a port of 0 can be advertised as the bound port.
  // Connections are served once the loop runs, after the broker and the group coordinator (which
  // reads every committed offset back) are open.
  std::unique_ptr<kafka::Broker> broker;
  std::unique_ptr<kafka::GroupCoordinator> groups;
  net::FrameServerOptions frame_options;
  frame_options.max_frame_bytes = config.max_request_bytes;
  frame_options.idle_timeout = std::chrono::milliseconds(config.connections_max_idle_ms);
  net::FrameServer kafka_server(io, frame_options, [&](const net::ConnectionInfo& info) {
    return kafka::MakeSession(*broker, *groups, info);
  });
  TARN_ASSIGN_OR_RETURN(uint16_t kafka_port,
                        kafka_server.Listen(kafka_addr.first, kafka_addr.second));
  std::string advertised_host = kafka_addr.first;
  uint16_t advertised_port = kafka_port;
  if (!config.advertised_kafka_addr.empty()) {
    TARN_ASSIGN_OR_RETURN(auto adv, net::ParseHostPort(config.advertised_kafka_addr));
    advertised_host = adv.first;
    advertised_port = adv.second;
  }
  if (advertised_host == "0.0.0.0" || advertised_host == "::") advertised_host = "127.0.0.1";

  TARN_ASSIGN_OR_RETURN(
      broker, kafka::Broker::Open(io, ToBrokerOptions(config, advertised_host, advertised_port),
                                  SystemClock(), &metrics));
  TARN_ASSIGN_OR_RETURN(
      groups, kafka::GroupCoordinator::Open(io, *broker, ToGroupOptions(config), SystemClock()));
  metrics.AddCallbackGauge(
      "tarn_kafka_connections", "Open Kafka client connections.",
      [&kafka_server] { return static_cast<double>(kafka_server.open_connections()); });
  spdlog::info("kafka listening on {}:{}", kafka_addr.first, kafka_port);

  hub::EmbeddedHub hub(*broker, groups.get(), SystemClock());
  // Topics with tarn.validation=true take only events that satisfy the envelope and their
  // type's contract.
  auto check_produced = [&broker](contracts::SchemaRegistry* registry) {
    if (!registry) {
      broker->SetRecordValidator({});
      return;
    }
    broker->SetRecordValidator([registry](std::string_view, const kafka::Record& record) {
      if (!record.value) return Status::InvalidArgument("the record has no value (an event is required)");
      Result<events::Envelope> event = events::Envelope::Parse(AsString(*record.value));
      if (!event) return event.error();
      return registry->CheckEvent(*event);
    });
  };
  Status served = ServeHttp(io, config, metrics, hub, "from " + config.data_dir.string(),
                            [&kafka_server] { kafka_server.Stop(); }, check_produced);
  kafka_server.Stop();
  groups->Stop();
  Status closed = broker->Close();
  TARN_TRY(served);
  return closed;
}

// --broker off: no data directory, no Kafka listener, no group coordinator; the HTTP services
// over the external cluster.
Status ServeOverCluster(const ServeConfig& config, IoContext& io, MetricsRegistry& metrics) {
  hub::KafkaHubOptions options;
  options.brokers = config.brokers;
  options.client_id = "tarn-serve/" + std::string(kVersion);
  // librdkafka refuses larger records itself; let the cluster's topic limits decide instead.
  options.max_record_bytes =
      static_cast<int32_t>(std::min<int64_t>(BusMaxMessageBytes(config), 1'000'000'000));
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<hub::KafkaHub> hub, hub::KafkaHub::Create(io, options));
  return ServeHttp(io, config, metrics, *hub, "over the Kafka cluster at " + config.brokers, {});
}

Status Serve(const ServeConfig& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  RaiseOpenFileLimit();
  // The registry outlives the loop: coroutines still suspended at shutdown (a server-sent event
  // stream, say) are destroyed with the loop, and give back the gauges they hold.
  MetricsRegistry metrics;
  IoContext io;
  Status served = config.embedded_broker() ? ServeWithBroker(config, io, metrics)
                                           : ServeOverCluster(config, io, metrics);
  if (served.ok()) spdlog::info("shut down cleanly");
  return served;
}

}  // namespace

void AddServeCommand(CLI::App& root, int& exit_code) {
  auto* cmd = root.add_subcommand(
      "serve",
      "Run the Tarn server: Kafka listener, HTTP API, storage (or HTTP only, over a cluster)");
  auto config = std::make_shared<ServeConfig>();
  AddServeFlags(*cmd, *config);
  cmd->callback([cmd, config, &exit_code] { exit_code = ReportStatus(*cmd, Serve(*config)); });
}

}  // namespace tarn::app
