#include "app/kafka_client.h"

#include <CLI/CLI.hpp>

namespace tarn::app {

void AddClientFlags(CLI::App& cmd, ClientOptions& options) {
  cmd.add_option("--brokers", options.brokers,
                 "Kafka brokers to connect to, comma-separated (env TARN_BROKERS)")
      ->type_name("HOST:PORT")
      ->envname("TARN_BROKERS")
      ->capture_default_str()
      ->check([](const std::string& value) {
        Status status = hub::ValidateBrokerList(value);
        return status.ok() ? std::string() : status.message();
      });
  cmd.add_option_function<int64_t>(
         "--timeout-ms",
         [&options](const int64_t& ms) { options.timeout = std::chrono::milliseconds(ms); },
         "How long to wait for the brokers (default " + std::to_string(options.timeout.count()) +
             ")")
      ->type_name("MS")
      ->check(CLI::PositiveNumber);
}

}  // namespace tarn::app
