#include "app/record_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tarn::app {
namespace {

using namespace std::string_view_literals;

RecordView Sample() {
  RecordView record;
  record.topic = "orders";
  record.partition = 2;
  record.offset = 41;
  record.timestamp_ms = 1700000000123;
  record.key = "k1";
  record.headers = {{"trace", "abc"}, {"user", "u-7"}};
  record.value = R"({"id":1})";
  return record;
}

TEST(RecordFormatTest, TextLayout) {
  EXPECT_EQ(FormatRecord(Sample(), RecordFormat::kText),
            "p2@41 key=k1 trace=abc user=u-7\t{\"id\":1}");
}

TEST(RecordFormatTest, TextLeavesOutNullKeyAndNoHeaders) {
  RecordView record;
  record.partition = 0;
  record.offset = 5;
  record.value = "hello world";
  EXPECT_EQ(FormatRecord(record, RecordFormat::kText), "p0@5\thello world");
  record.key = "";
  record.value.reset();
  record.headers = {{"flag", std::nullopt}};
  EXPECT_EQ(FormatRecord(record, RecordFormat::kText), "p0@5 key= flag\t(null)");
}

TEST(RecordFormatTest, TextKeepsEachRecordOnOneLine) {
  RecordView record;
  record.key = "a\tb"sv;
  record.value = "line1\nline2\\ \x01\xff\xc3\xa9"sv;
  EXPECT_EQ(FormatRecord(record, RecordFormat::kText),
            "p0@0 key=a\\tb\tline1\\nline2\\\\ \\x01\\xff\xc3\xa9");
}

TEST(RecordFormatTest, JsonLayout) {
  nlohmann::json json = nlohmann::json::parse(FormatRecord(Sample(), RecordFormat::kJson));
  EXPECT_EQ(json, nlohmann::json::parse(R"({"topic":"orders","partition":2,"offset":41,
      "timestamp":1700000000123,"key":"k1","headers":{"trace":"abc","user":"u-7"},
      "value":"{\"id\":1}"})"));
}

TEST(RecordFormatTest, JsonIsOneLine) {
  RecordView record = Sample();
  record.value = "a\nb";
  EXPECT_EQ(FormatRecord(record, RecordFormat::kJson).find('\n'), std::string::npos);
}

TEST(RecordFormatTest, JsonMarksBinaryAsBase64AndNullAsNull) {
  RecordView record;
  record.topic = "t";
  record.value = "\x00\xff\x10"sv;
  record.headers = {{"bin", "\xc0\xaf"sv}, {"none", std::nullopt}};
  nlohmann::json json = nlohmann::json::parse(FormatRecord(record, RecordFormat::kJson));
  EXPECT_TRUE(json["key"].is_null());
  EXPECT_EQ(json["value"], nlohmann::json::parse(R"({"base64":"AP8Q"})"));
  EXPECT_EQ(json["headers"]["bin"], nlohmann::json::parse(R"({"base64":"wK8="})"));
  EXPECT_TRUE(json["headers"]["none"].is_null());
}

TEST(RecordFormatTest, JsonRepeatedHeaderBecomesAnArray) {
  RecordView record;
  record.headers = {{"h", "1"}, {"x", "y"}, {"h", "2"}, {"h", std::nullopt}};
  nlohmann::json json = nlohmann::json::parse(FormatRecord(record, RecordFormat::kJson));
  EXPECT_EQ(json["headers"]["h"], nlohmann::json::parse(R"(["1","2",null])"));
  EXPECT_EQ(json["headers"]["x"], "y");
}

}  // namespace
}  // namespace tarn::app
