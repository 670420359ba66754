#include "app/command_line.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace tarn::app {
namespace {

TEST(ParseKeyValueTest, SplitsAtTheFirstEquals) {
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(ParseKeyValue("retention.ms=1000").value(), Pair("retention.ms", "1000"));
  EXPECT_EQ(ParseKeyValue("a=b=c").value(), Pair("a", "b=c"));
  EXPECT_EQ(ParseKeyValue("empty=").value(), Pair("empty", ""));
}

TEST(ParseKeyValueTest, RejectsMissingKeyOrEquals) {
  EXPECT_FALSE(ParseKeyValue("novalue").has_value());
  EXPECT_FALSE(ParseKeyValue("=v").has_value());
  EXPECT_EQ(CheckKeyValue("k=v"), "");
  EXPECT_EQ(CheckKeyValue("kv"), "expected key=value, got \"kv\"");
}

TEST(CommandPathTest, NamesFromTheRootDown) {
  CLI::App root("test", "tarn");
  CLI::App* topic = root.add_subcommand("topic");
  CLI::App* create = topic->add_subcommand("create");
  create->add_option("NAME");
  EXPECT_EQ(CommandPath(*create), "tarn topic create");
  EXPECT_EQ(ParsedCommandPath(root), "tarn");
  root.parse("topic create orders", false);
  EXPECT_EQ(ParsedCommandPath(root), "tarn topic create");
}

// The usage error CLI11 raises for `args` on an app like tarn's: a root with `topic create`.
std::string UsageErrorFor(const std::string& args) {
  CLI::App root("test", "tarn");
  root.require_subcommand(1);
  CLI::App* topic = root.add_subcommand("topic");
  topic->require_subcommand(1);
  topic->add_subcommand("create")->add_option("NAME")->required();
  try {
    root.parse(args, false);
  } catch (const CLI::ParseError& e) {
    return UsageErrorMessage(root, e);
  }
  return "parsed";
}

TEST(UsageErrorMessageTest, NamesTheCommandThatFailed) {
  EXPECT_EQ(UsageErrorFor(""), "tarn: A subcommand is required");
  EXPECT_EQ(UsageErrorFor("bogus"), "tarn: unknown command \"bogus\"");
  EXPECT_EQ(UsageErrorFor("topic craete"), "tarn topic: unknown command \"craete\"");
  EXPECT_EQ(UsageErrorFor("topic create"), "tarn topic create: NAME is required");
  EXPECT_EQ(UsageErrorFor("topic create a --nope"),
            "tarn topic create: The following argument was not expected: --nope");
}

TEST(ReportStatusTest, ExitCodes) {
  CLI::App root("test", "tarn");
  EXPECT_EQ(ReportStatus(root, Status::Ok()), kExitOk);
  testing::internal::CaptureStderr();
  EXPECT_EQ(ReportStatus(root, Status::NotFound("unknown topic \"x\"")), kExitRuntimeError);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "tarn: unknown topic \"x\"\n");
}

}  // namespace
}  // namespace tarn::app
