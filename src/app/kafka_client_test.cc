#include "app/kafka_client.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

namespace tarn::app {
namespace {

TEST(ClientFlagsTest, BrokersComeFromTheFlagThenTheEnvironmentThenTheDefault) {
  auto parse = [](std::vector<std::string> args) {
    CLI::App app;
    ClientOptions options;
    AddClientFlags(app, options);
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return options;
  };
  unsetenv("TARN_BROKERS");
  EXPECT_EQ(parse({}).brokers, "127.0.0.1:9092");
  EXPECT_EQ(parse({}).timeout, std::chrono::milliseconds(10000));
  setenv("TARN_BROKERS", "env-host:9092", 1);
  EXPECT_EQ(parse({}).brokers, "env-host:9092");
  EXPECT_EQ(parse({"--brokers", "flag-host:9092", "--timeout-ms", "500"}).brokers,
            "flag-host:9092");
  EXPECT_EQ(parse({"--timeout-ms", "500"}).timeout, std::chrono::milliseconds(500));
  unsetenv("TARN_BROKERS");
  EXPECT_THROW(parse({"--brokers", "nohost"}), CLI::ValidationError);
  EXPECT_THROW(parse({"--timeout-ms", "0"}), CLI::ValidationError);
}

}  // namespace
}  // namespace tarn::app
