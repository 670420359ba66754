#include "net/host_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn::net {
namespace {

using ::testing::HasSubstr;

TEST(ParseHostPortTest, AcceptsTheThreeForms) {
  using HostPort = std::pair<std::string, uint16_t>;
  EXPECT_EQ(ParseHostPort("127.0.0.1:9092").value(), HostPort("127.0.0.1", 9092));
  EXPECT_EQ(ParseHostPort("broker-1.example.com:65535").value(),
            HostPort("broker-1.example.com", 65535));
  EXPECT_EQ(ParseHostPort("localhost:0").value(), HostPort("localhost", 0));
  EXPECT_EQ(ParseHostPort("[::1]:9092").value(), HostPort("::1", 9092));
  EXPECT_EQ(ParseHostPort("[fe80::1%eth0]:80").value(), HostPort("fe80::1%eth0", 80));
}

TEST(ParseHostPortTest, RejectsWithAReason) {
  for (std::string_view bad :
       {"", "localhost", ":9092", "host:", "host:65536", "host:-1", "host:12ab", "::1:9092",
        "[::1]9092", "[::1", "[host]:1", "bad host:1"}) {
    Result<std::pair<std::string, uint16_t>> parsed = ParseHostPort(bad);
    EXPECT_FALSE(parsed.has_value()) << bad;
    if (!parsed.has_value()) {
      EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_THAT(ParseHostPort("::1:9092").error().message(), HasSubstr("brackets"));
}

}  // namespace
}  // namespace tarn::net
