#include "log/log_file.h"

#include <gtest/gtest.h>

#include <thread>

#include "log/log_test_util.h"

namespace tarn::log {
namespace {

using testing::TempDir;

TEST(LogFileTest, WritesReadsTruncatesAndSyncs) {
  TempDir dir;
  auto file = LogFile::Open(dir.path() / "f", /*create=*/true);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  LogFile& f = **file;
  ASSERT_TRUE(f.WriteAt(AsBytes("hello world"), 0).ok());
  ASSERT_TRUE(f.WriteAt(AsBytes("W"), 6).ok());
  EXPECT_EQ(f.Size().value(), 11);

  Bytes out(20);
  EXPECT_EQ(f.ReadAt(out, 0).value(), 11u);  // short only at the end of the file
  EXPECT_EQ(AsString(ByteView(out).first(11)), "hello World");
  Bytes exact(5);
  ASSERT_TRUE(f.ReadExactlyAt(exact, 6).ok());
  EXPECT_EQ(AsString(exact), "World");
  EXPECT_EQ(f.ReadExactlyAt(exact, 8).code(), StatusCode::kCorruption);

  ASSERT_TRUE(f.Truncate(5).ok());
  EXPECT_EQ(f.Size().value(), 5);
  // Sync is callable from another thread while the owner writes.
  std::thread syncer([file = *file] { EXPECT_TRUE(file->Sync().ok()); });
  ASSERT_TRUE(f.WriteAt(AsBytes("!"), 5).ok());
  syncer.join();
  EXPECT_EQ(f.path(), dir.path() / "f");
}

TEST(LogFileTest, OpenReportsMissingFilesAndTruncates) {
  TempDir dir;
  auto missing = LogFile::Open(dir.path() / "nope", /*create=*/false);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("nope"), std::string::npos);

  {
    auto file = LogFile::Open(dir.path() / "f", /*create=*/true);
    ASSERT_TRUE((*file)->WriteAt(AsBytes("data"), 0).ok());
  }
  auto again = LogFile::Open(dir.path() / "f", /*create=*/false);
  EXPECT_EQ((*again)->Size().value(), 4);
  auto emptied = LogFile::Open(dir.path() / "f", /*create=*/true, /*truncate=*/true);
  EXPECT_EQ((*emptied)->Size().value(), 0);

  auto directory = LogFile::OpenDirectory(dir.path());
  ASSERT_TRUE(directory.has_value());
  EXPECT_TRUE((*directory)->Sync().ok());
  EXPECT_FALSE(LogFile::OpenDirectory(dir.path() / "f").has_value());
}

TEST(MappedFileTest, MapsWholeFilesAndEmptyOnes) {
  TempDir dir;
  {
    auto file = LogFile::Open(dir.path() / "f", /*create=*/true);
    ASSERT_TRUE((*file)->WriteAt(AsBytes("mapped bytes"), 0).ok());
    auto empty = LogFile::Open(dir.path() / "empty", /*create=*/true);
  }
  auto mapped = MappedFile::Open(dir.path() / "f");
  ASSERT_TRUE(mapped.has_value());
  MappedFile moved = std::move(*mapped);
  EXPECT_EQ(AsString(moved.bytes()), "mapped bytes");
  EXPECT_TRUE(mapped->bytes().empty());
  auto empty = MappedFile::Open(dir.path() / "empty");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->bytes().empty());
  EXPECT_EQ(MappedFile::Open(dir.path() / "none").error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tarn::log
