// The flags every client subcommand (topic, group, produce, consume) takes. The librdkafka
// plumbing itself (KafkaClient, owning handles, KafkaStatus) is in hub/kafka_client.h.
#pragma once

#include <string>
#include <string_view>

#include "app/version.h"
#include "hub/kafka_client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tarn::app {

inline constexpr std::string_view kDefaultBrokers = "127.0.0.1:9092";

// Settings every client command shares: the hub's client options with the commands' defaults.
struct ClientOptions : hub::KafkaClientOptions {
  ClientOptions() {
    brokers = std::string(kDefaultBrokers);
    client_id = "tarn-cli/" + std::string(kVersion);
  }
};

// Adds `--brokers HOST:PORT[,HOST:PORT...]` (default: $TARN_BROKERS, else 127.0.0.1:9092) and
// `--timeout-ms MS` to `cmd`.
void AddClientFlags(CLI::App& cmd, ClientOptions& options);

}  // namespace tarn::app
