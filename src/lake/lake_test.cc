#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "base/file_util.h"
#include "lake/catalog.h"
#include "lake/lake_file.h"
#include "lake/query.h"

namespace tarn::lake {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kNoon = 1'795'348'800'000;  // 2026-11-22T12:00:00Z

class LakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("lake_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static hub::StoredRecord Record(int32_t partition, int64_t offset, int64_t timestamp,
                                  std::string value, std::optional<std::string> key = "k") {
    hub::StoredRecord record;
    record.partition = partition;
    record.offset = offset;
    record.timestamp_ms = timestamp;
    record.key = std::move(key);
    record.value = std::move(value);
    return record;
  }

  static std::string Event(int n, const std::string& type, int64_t time) {
    return json{{"id", "e" + std::to_string(n)}, {"type", type}, {"timestamp", time},
                {"partitionKey", "k"}, {"order", {{"n", n}}}}
        .dump();
  }

  // Writes one file of `topic`/`partition` holding offsets [from, to).
  Manifest WriteFile(const std::string& topic, int32_t partition, int64_t from, int64_t to,
                     const std::string& type = "order-placed") {
    FileBuilder builder("local", topic, partition, from, 3);
    for (int64_t offset = from; offset < to; ++offset) {
      builder.Add(Record(partition, offset, kNoon + offset, Event(static_cast<int>(offset), type, kNoon + offset)));
    }
    Result<Manifest> written = builder.Write(root_, kNoon);
    EXPECT_TRUE(written.has_value()) << written.error().ToString();
    return *written;
  }

  std::vector<json> ReadLines(const fs::path& file) {
    std::vector<json> lines;
    Status read = ForEachLine(file, [&](std::string_view line) {
      lines.push_back(json::parse(line));
      return true;
    });
    EXPECT_TRUE(read.ok()) << read.ToString();
    return lines;
  }

  fs::path root_;
};

TEST_F(LakeTest, AFileHoldsItsRecordsAsLinesAndItsManifestDescribesThem) {
  FileBuilder builder("eu", "bus", 2, 40, 3);
  builder.Add(Record(2, 40, kNoon + 5, Event(1, "order-placed", 1000)));
  builder.Add(Record(2, 41, kNoon + 6, "{\n  \"id\": \"e2\",\n  \"type\": \"order-cancelled\"\n}"));
  builder.Add(Record(2, 43, kNoon + 7, "not json \"quoted\"\n", std::nullopt));
  hub::StoredRecord binary = Record(2, 44, kNoon + 8, std::string("\xff\x00\x01", 3));
  binary.headers = {{"ce_type", "x"}, {"ce_type", "repeated"}, {"raw", std::string("\xfe", 1)}};
  builder.Add(binary);
  hub::StoredRecord tombstone = Record(2, 45, kNoon + 9, "");
  tombstone.value.reset();
  builder.Add(tombstone);
  Result<Manifest> written = builder.Write(root_, kNoon + 100);
  ASSERT_TRUE(written.has_value()) << written.error().ToString();

  const fs::path dir = root_ / "eu" / "2026" / "11" / "22" / "12";
  const fs::path data = dir / "bus+2+00000000000000000040.ndjson.zst";
  ASSERT_TRUE(fs::exists(data));
  ASSERT_TRUE(fs::exists(dir / "bus+2+00000000000000000040.manifest.json"));
  std::vector<json> lines = ReadLines(data);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["topic"], "bus");
  EXPECT_EQ(lines[0]["partition"], 2);
  EXPECT_EQ(lines[0]["offset"], 40);
  EXPECT_EQ(lines[0]["timestamp"], kNoon + 5);
  EXPECT_EQ(lines[0]["key"], "k");
  EXPECT_EQ(lines[0]["event"], json::parse(Event(1, "order-placed", 1000)));
  EXPECT_EQ(lines[1]["event"]["type"], "order-cancelled");  // line breaks removed
  EXPECT_EQ(lines[2]["value"], "not json \"quoted\"\n");
  EXPECT_FALSE(lines[2].contains("key"));
  EXPECT_EQ(lines[3]["value_base64"], "/wAB");
  EXPECT_EQ(lines[3]["headers"], json::parse(R"({"ce_type":"x","raw_base64":"/g=="})"));
  EXPECT_EQ(lines[4]["tombstone"], true);

  const Manifest& m = *written;
  EXPECT_EQ(m.start_position, 40);
  EXPECT_EQ(m.end_position, 46);
  EXPECT_EQ(m.first_offset, 40);
  EXPECT_EQ(m.last_offset, 45);
  EXPECT_EQ(m.events, 5);
  EXPECT_EQ(m.min_event_time, 1000);
  EXPECT_EQ(m.max_event_time, kNoon + 9);  // lines without an event time count by their record's
  EXPECT_EQ(m.min_timestamp, kNoon + 5);
  EXPECT_EQ(m.max_timestamp, kNoon + 9);
  EXPECT_EQ(m.types, (std::map<std::string, int64_t>{{"order-cancelled", 1}, {"order-placed", 1}}));
  EXPECT_EQ(m.bytes, static_cast<int64_t>(fs::file_size(data)));
  EXPECT_EQ(m.sha256, *FileSha256(data));
  Result<Manifest> reread = ManifestFromJson(*ReadFileToString(dir / "bus+2+00000000000000000040.manifest.json"));
  ASSERT_TRUE(reread.has_value());
  EXPECT_EQ(ManifestToJson(*reread), ManifestToJson(m));
}

TEST_F(LakeTest, RecoveryRemovesTemporariesAndWritesAMissingManifest) {
  Manifest first = WriteFile("bus", 0, 0, 10);
  Manifest second = WriteFile("bus", 0, 10, 25);
  const fs::path dir = HourDirectory(root_, "local", kNoon);
  // A crash between the data file's rename and the manifest's, and one before any rename.
  fs::remove(dir / "bus+0+00000000000000000010.manifest.json");
  std::ofstream(dir / "bus+0+00000000000000000025.ndjson.zst.tmp") << "half a file";

  Result<Catalog> without = Catalog::Load(root_, /*recover=*/false, kNoon);
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->entries().size(), 1u);

  Result<Catalog> recovered = Catalog::Load(root_, /*recover=*/true, kNoon);
  ASSERT_TRUE(recovered.has_value()) << recovered.error().ToString();
  ASSERT_EQ(recovered->entries().size(), 2u);
  EXPECT_FALSE(fs::exists(dir / "bus+0+00000000000000000025.ndjson.zst.tmp"));
  Manifest rebuilt = recovered->entries()[1].manifest;
  rebuilt.created_ms = second.created_ms;
  EXPECT_EQ(ManifestToJson(rebuilt), ManifestToJson(second));
  EXPECT_EQ(recovered->EndPositions().at({"bus", 0}), 25);
  EXPECT_TRUE(Verify(*recovered).problems.empty());
  (void)first;
}

TEST_F(LakeTest, VerifyFindsADamagedFileAndAGap) {
  WriteFile("bus", 1, 0, 10);
  WriteFile("bus", 1, 10, 20);
  WriteFile("bus", 1, 20, 30);
  Result<Catalog> catalog = Catalog::Load(root_, false, kNoon);
  ASSERT_TRUE(catalog.has_value());
  VerifyReport clean = Verify(*catalog);
  EXPECT_TRUE(clean.problems.empty());
  EXPECT_EQ(clean.files, 3);
  EXPECT_EQ(clean.events, 30);
  EXPECT_EQ(clean.ranges.at({"bus", 1}), std::make_pair(int64_t{0}, int64_t{30}));

  const fs::path dir = HourDirectory(root_, "local", kNoon);
  const fs::path last = dir / "bus+1+00000000000000000020.ndjson.zst";
  std::string bytes = *ReadFileToString(last);
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomically(last, bytes).ok());
  fs::remove(dir / "bus+1+00000000000000000010.ndjson.zst");
  fs::remove(dir / "bus+1+00000000000000000010.manifest.json");

  VerifyReport damaged = Verify(*Catalog::Load(root_, false, kNoon));
  ASSERT_EQ(damaged.problems.size(), 2u);
  EXPECT_THAT(damaged.problems[0], HasSubstr("a gap: offsets 10 to 19"));
  EXPECT_THAT(damaged.problems[1], HasSubstr("bus+1+00000000000000000020.ndjson.zst: checksum"));
}

TEST_F(LakeTest, QueriesPruneByManifestAndFilterLines) {
  WriteFile("bus", 0, 0, 50, "order-placed");
  WriteFile("bus", 0, 50, 100, "order-cancelled");
  WriteFile("payments", 0, 0, 20, "payment-made");
  Catalog catalog = *Catalog::Load(root_, false, kNoon);

  auto run = [&](const Query& query, QueryProgress* seen = nullptr) {
    std::vector<int64_t> offsets;
    Status ran = RunQuery(
        catalog, query,
        [&](const LakeLine& line) {
          offsets.push_back(line.offset);
          return true;
        },
        [&](const QueryProgress& progress) {
          if (seen) *seen = progress;
        });
    EXPECT_TRUE(ran.ok()) << ran.ToString();
    return offsets;
  };

  Query placed;
  placed.AddType("order-placed");
  QueryProgress progress;
  EXPECT_EQ(run(placed, &progress).size(), 50u);
  EXPECT_EQ(progress.files_total, 1);  // the other two files were never opened

  Query orders;
  orders.AddType("order-*");
  orders.files.from_ms = kNoon + 45;
  orders.files.to_ms = kNoon + 55;
  EXPECT_EQ(run(orders), (std::vector<int64_t>{45, 46, 47, 48, 49, 50, 51, 52, 53, 54}));

  Query where;
  where.files.topics = {"bus"};
  where.where = *events::Pattern::Parse(R"({"order":{"n":[{"numeric":[">=",98]}]}})");
  EXPECT_EQ(run(where), (std::vector<int64_t>{98, 99}));

  Query limited;
  limited.limit = 3;
  limited.key = "k";
  EXPECT_EQ(run(limited).size(), 3u);
}

TEST(ParseTimeTest, TakesEpochMillisecondsAndIso8601InUtc) {
  EXPECT_EQ(*ParseTime("1795348800000"), kNoon);
  EXPECT_EQ(*ParseTime("2026-11-22T12:00:00Z"), kNoon);
  EXPECT_EQ(*ParseTime("2026-11-22T12:00"), kNoon);
  EXPECT_EQ(*ParseTime("2026-11-22T12:00:00.25Z"), kNoon + 250);
  EXPECT_EQ(*ParseTime("2026-11-22"), kNoon - 12 * 3'600'000);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-11-22T25:00", "2026-11-22T12:00+02:00"}) {
    EXPECT_FALSE(ParseTime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tarn::lake
