#include "app/serve_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace tarn::app {
namespace {

using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "serve_config_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// Parses `args` (after "serve") with AddServeFlags; the config, or the usage error's text.
Result<ServeConfig> ParseFlags(std::vector<std::string> args) {
  CLI::App root("test", "tarn");
  CLI::App* serve = root.add_subcommand("serve");
  ServeConfig config;
  AddServeFlags(*serve, config);
  bool ran = false;
  serve->callback([&ran] { ran = true; });
  args.insert(args.begin(), "serve");
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
  try {
    root.parse(args);
  } catch (const CLI::ParseError& e) {
    return Error(Status::InvalidArgument(e.what()));
  }
  EXPECT_TRUE(ran);
  return config;
}

TEST(ServeConfigTest, DefaultsMatchTheDocumentedOnes) {
  ServeConfig config;
  EXPECT_EQ(config.data_dir, "./tarn-data");
  EXPECT_EQ(config.kafka_addr, "127.0.0.1:9092");
  EXPECT_EQ(config.http_addr, "127.0.0.1:8080");
  EXPECT_EQ(config.EffectiveAdvertisedKafkaAddr(), "127.0.0.1:9092");
  EXPECT_EQ(config.region, "local");
  EXPECT_EQ(config.max_request_bytes, 104857600);
  EXPECT_EQ(config.segment_bytes, 1073741824);
  EXPECT_EQ(config.retention_ms, 604800000);
  EXPECT_TRUE(config.embedded_broker());
  EXPECT_EQ(config.brokers, "");
  EXPECT_TRUE(ValidateServeConfig(config).ok());
}

TEST(ServeConfigTest, ParsesEveryKindOfValue) {
  Result<ServeConfig> config = ParseServeConfig(R"(
data-dir: /var/lib/tarn
kafka-addr: "[::1]:19092"
advertised-kafka-addr: broker.example.com:9092
region: eu-west-1
auto-create-topics: false
default-partitions: 6
flush-interval-ms: 50
retention-bytes: 1000000000000
log-cleaner-interval-ms: 500
log-level: debug
)",
                                                "tarn.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->data_dir, "/var/lib/tarn");
  EXPECT_EQ(config->kafka_addr, "[::1]:19092");
  EXPECT_EQ(config->EffectiveAdvertisedKafkaAddr(), "broker.example.com:9092");
  EXPECT_EQ(config->region, "eu-west-1");
  EXPECT_FALSE(config->auto_create_topics);
  EXPECT_EQ(config->default_partitions, 6);
  EXPECT_EQ(config->flush_interval_ms, 50);
  EXPECT_EQ(config->retention_bytes, 1000000000000);
  EXPECT_EQ(config->log_cleaner_interval_ms, 500);
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->http_addr, "127.0.0.1:8080");  // untouched keys keep their defaults
}

TEST(ServeConfigTest, EmptyFileIsAllDefaults) {
  Result<ServeConfig> config = ParseServeConfig("# nothing set\n", "tarn.yaml");
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->kafka_addr, "127.0.0.1:9092");
}

TEST(ServeConfigTest, UnknownKeyIsNamed) {
  Result<ServeConfig> config = ParseServeConfig("kafka-adr: 1.2.3.4:9092\n", "my.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(config.error().message(), HasSubstr("my.yaml"));
  EXPECT_THAT(config.error().message(), HasSubstr("unknown key \"kafka-adr\""));
}

TEST(ServeConfigTest, WrongTypesAreNamed) {
  Result<ServeConfig> config = ParseServeConfig("default-partitions: many\n", "tarn.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(),
              HasSubstr("default-partitions: expected a 32-bit integer, got \"many\""));

  config = ParseServeConfig("auto-create-topics: maybe\n", "tarn.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("auto-create-topics: expected true or false"));

  config = ParseServeConfig("max-request-bytes: 99999999999\n", "tarn.yaml");  // > int32
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("max-request-bytes"));

  config = ParseServeConfig("region: [a, b]\n", "tarn.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("region: expected a string, got a list"));

  config = ParseServeConfig("region:\n", "tarn.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("region: expected a string, got nothing"));
}

TEST(ServeConfigTest, MalformedYamlSaysWhere) {
  Result<ServeConfig> config = ParseServeConfig("region: local\nkafka-addr: [a, b\n", "tarn.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("tarn.yaml:3:1: "));

  config = ParseServeConfig("- just\n- a list\n", "tarn.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("expected a map"));
}

TEST(ServeConfigTest, LoadMissingFileIsNotFound) {
  TempDir dir;
  Result<ServeConfig> config = LoadServeConfig(dir.path() / "absent.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code(), StatusCode::kNotFound);
}

TEST(ServeConfigTest, ValidationNamesTheKey) {
  ServeConfig config;
  config.default_partitions = 0;
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("default-partitions"));
  config = ServeConfig();
  config.kafka_addr = "localhost";
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("kafka-addr"));
  config = ServeConfig();
  config.log_level = "loud";
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("log-level"));
  config = ServeConfig();
  config.region = "eu west";
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("region"));
  config = ServeConfig();
  config.retention_ms = -1;  // keep forever
  EXPECT_TRUE(ValidateServeConfig(config).ok());
}

TEST(ServeConfigTest, BrokerOffNeedsAValidBrokerList) {
  ServeConfig config;
  config.broker = "maybe";
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("broker: must be on or off"));
  config.broker = "off";
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("brokers: required"));
  config.brokers = "kafka-1:9092,nohost";
  EXPECT_THAT(ValidateServeConfig(config).message(), HasSubstr("brokers"));
  config.brokers = "kafka-1:9092, kafka-2:9092";
  EXPECT_TRUE(ValidateServeConfig(config).ok());
  EXPECT_FALSE(config.embedded_broker());

  Result<ServeConfig> parsed = ParseServeConfig("broker: off\nbrokers: kafka:9092\n", "t.yaml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_FALSE(parsed->embedded_broker());
  EXPECT_EQ(parsed->brokers, "kafka:9092");
}

TEST(ServeFlagsTest, BrokerOffWithoutBrokersIsAUsageError) {
  Result<ServeConfig> config = ParseFlags({"--broker", "off"});
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("brokers"));
  config = ParseFlags({"--broker", "off", "--brokers", "127.0.0.1:9092"});
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_FALSE(config->embedded_broker());
  EXPECT_EQ(config->brokers, "127.0.0.1:9092");
}

TEST(ServeFlagsTest, FlagsOverrideTheFileWhichOverridesDefaults) {
  TempDir dir;
  std::filesystem::path file = dir.Write("tarn.yaml",
                                         "kafka-addr: 0.0.0.0:9093\n"
                                         "region: from-file\n"
                                         "default-partitions: 3\n");
  Result<ServeConfig> config =
      ParseFlags({"--config", file.string(), "--region", "from-flag", "--flush-interval-ms=10"});
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->region, "from-flag");         // flag beats file
  EXPECT_EQ(config->kafka_addr, "0.0.0.0:9093");  // file beats default
  EXPECT_EQ(config->default_partitions, 3);
  EXPECT_EQ(config->flush_interval_ms, 10);        // flag beats default
  EXPECT_EQ(config->http_addr, "127.0.0.1:8080");  // default
}

TEST(ServeFlagsTest, AFlagEqualToTheDefaultStillBeatsTheFile) {
  TempDir dir;
  std::filesystem::path file =
      dir.Write("t.yaml", "region: from-file\nauto-create-topics: false\n");
  Result<ServeConfig> config =
      ParseFlags({"--config", file.string(), "--region", "local", "--auto-create-topics"});
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->region, "local");
  EXPECT_TRUE(config->auto_create_topics);
}

TEST(ServeFlagsTest, NegatedBoolFlag) {
  Result<ServeConfig> config = ParseFlags({"--no-auto-create-topics"});
  ASSERT_TRUE(config.has_value());
  EXPECT_FALSE(config->auto_create_topics);
}

TEST(ServeFlagsTest, ReadsTarnYamlInTheWorkingDirectory) {
  TempDir dir;
  dir.Write("tarn.yaml", "region: cwd-file\n");
  std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  Result<ServeConfig> config = ParseFlags({});
  std::filesystem::current_path(previous);
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->region, "cwd-file");
}

TEST(ServeFlagsTest, NoFileMeansDefaults) {
  TempDir dir;
  std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  Result<ServeConfig> config = ParseFlags({"--data-dir", "/tmp/x"});
  std::filesystem::current_path(previous);
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_EQ(config->data_dir, "/tmp/x");
  EXPECT_EQ(config->region, "local");
}

TEST(ServeFlagsTest, ErrorsFailTheParse) {
  TempDir dir;
  Result<ServeConfig> config = ParseFlags({"--config", (dir.path() / "none.yaml").string()});
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("does not exist"));

  std::filesystem::path file = dir.Write("bad.yaml", "colour: blue\n");
  config = ParseFlags({"--config", file.string()});
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("unknown key \"colour\""));

  config = ParseFlags({"--kafka-addr", "nohost"});
  ASSERT_FALSE(config.has_value());
  EXPECT_THAT(config.error().message(), HasSubstr("kafka-addr"));

  config = ParseFlags({"--default-partitions", "x"});
  ASSERT_FALSE(config.has_value());
}

}  // namespace
}  // namespace tarn::app
