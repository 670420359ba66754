#include "log/offset_index.h"

#include <gtest/gtest.h>

#include <fstream>

#include "log/log_test_util.h"
#include "log/time_index.h"

namespace tarn::log {
namespace {

using testing::TempDir;
using Entry = OffsetIndex::Entry;

TEST(OffsetIndexTest, LookupFindsTheLastEntryAtOrBefore) {
  OffsetIndex index;
  EXPECT_EQ(index.Lookup(5), std::nullopt);
  EXPECT_EQ(index.last(), std::nullopt);
  index.Append({10, 1000});
  index.Append({20, 2000});
  index.Append({35, 3500});
  EXPECT_EQ(index.entry_count(), 3u);
  EXPECT_EQ(index.Lookup(9), std::nullopt);
  EXPECT_EQ(index.Lookup(10), (Entry{10, 1000}));
  EXPECT_EQ(index.Lookup(34), (Entry{20, 2000}));
  EXPECT_EQ(index.Lookup(35), (Entry{35, 3500}));
  EXPECT_EQ(index.Lookup(UINT32_MAX), (Entry{35, 3500}));
  EXPECT_EQ(index.last(), (Entry{35, 3500}));
}

TEST(OffsetIndexTest, PersistsBigEndianEntriesAndMapsThemBack) {
  TempDir dir;
  const auto path = dir.path() / "x.index";
  OffsetIndex index;
  index.Append({1, 0x01020304});
  index.Append({0x0a0b0c0d, 0xffffffff});
  ASSERT_TRUE(index.Persist(path).ok());
  EXPECT_EQ(index.Lookup(2), (Entry{1, 0x01020304}));  // still readable, now from the file

  std::ifstream in(path, std::ios::binary);
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, (Bytes{0, 0, 0, 1, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0xff, 0xff, 0xff, 0xff}));

  auto mapped = OffsetIndex::Map(path);
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->entry_count(), 2u);
  EXPECT_EQ(mapped->entry(1), (Entry{0x0a0b0c0d, 0xffffffff}));

  std::ofstream(path, std::ios::app) << "x";
  EXPECT_EQ(OffsetIndex::Map(path).error().code(), StatusCode::kCorruption);
  EXPECT_EQ(OffsetIndex::Map(dir.path() / "missing").error().code(), StatusCode::kNotFound);
}

TEST(TimeIndexTest, LastBeforeFindsTheLastOlderEntry) {
  TimeIndex index;
  EXPECT_EQ(index.LastBefore(100), std::nullopt);
  index.Append({100, 3});
  index.Append({200, 9});
  index.Append({200, 12});  // a segment's final entry may repeat the largest timestamp
  index.Append({300, 15});
  EXPECT_EQ(index.LastBefore(100), std::nullopt);
  EXPECT_EQ(index.LastBefore(101), (TimeIndex::Entry{100, 3}));
  EXPECT_EQ(index.LastBefore(200), (TimeIndex::Entry{100, 3}));
  EXPECT_EQ(index.LastBefore(201), (TimeIndex::Entry{200, 12}));
  EXPECT_EQ(index.LastBefore(INT64_MAX), (TimeIndex::Entry{300, 15}));
  EXPECT_EQ(index.last(), (TimeIndex::Entry{300, 15}));
}

TEST(TimeIndexTest, PersistsAndMapsBack) {
  TempDir dir;
  const auto path = dir.path() / "x.timeindex";
  TimeIndex index;
  index.Append({-1, 0});
  index.Append({1'700'000'000'000, 7});
  ASSERT_TRUE(index.Persist(path).ok());
  auto mapped = TimeIndex::Map(path);
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->entry_count(), 2u);
  EXPECT_EQ(mapped->entry(0), (TimeIndex::Entry{-1, 0}));
  EXPECT_EQ(mapped->last(), (TimeIndex::Entry{1'700'000'000'000, 7}));
  // Persisting a mapped index rewrites the same bytes.
  ASSERT_TRUE(mapped->Persist(path).ok());
  EXPECT_EQ(mapped->entry_count(), 2u);
  EXPECT_EQ(std::filesystem::file_size(path), 24u);
}

}  // namespace
}  // namespace tarn::log
