#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace tarn {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 B.4 and the common check value.
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(AsBytes(zeros)), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(AsBytes(ones)), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(ByteView{}), 0u);
}

TEST(Crc32cTest, ExtendsAcrossPieces) {
  std::string text = "The quick brown fox jumps over the lazy dog, many times over.";
  uint32_t whole = Crc32c(AsBytes(text));
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    uint32_t part = Crc32c(AsBytes(std::string_view(text).substr(0, cut)));
    EXPECT_EQ(Crc32c(AsBytes(std::string_view(text).substr(cut)), part), whole) << cut;
  }
}

}  // namespace
}  // namespace tarn
