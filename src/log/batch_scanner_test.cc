#include "log/batch_scanner.h"

#include <gtest/gtest.h>

#include "log/log_test_util.h"

namespace tarn::log {
namespace {

using testing::BatchSpec;
using testing::MakeBatch;
using testing::TempDir;

class BatchScannerTest : public ::testing::Test {
 protected:
  // Writes batches of the given payload sizes back to back, with offsets 0, 1, 2...
  void WriteBatches(std::initializer_list<size_t> payloads) {
    auto file = LogFile::Open(dir_.path() / "s.log", /*create=*/true);
    ASSERT_TRUE(file.has_value());
    file_ = *file;
    int64_t offset = 0;
    for (size_t payload : payloads) {
      Bytes batch = MakeBatch({.payload_bytes = payload});
      BatchHeader::AssignOffset(batch, Offset(offset++));
      ASSERT_TRUE(file_->WriteAt(batch, size_).ok());
      size_ += static_cast<int64_t>(batch.size());
    }
  }

  std::vector<int64_t> Scan(BatchScanner::Mode mode, size_t buffer_bytes, Status* error) {
    BatchScanner scanner(*file_, 0, size_, mode, buffer_bytes);
    std::vector<int64_t> offsets;
    for (;;) {
      auto next = scanner.Next();
      if (!next.has_value()) {
        *error = next.error();
        return offsets;
      }
      if (!next->has_value()) return offsets;
      if (mode == BatchScanner::Mode::kVerify) {
        EXPECT_EQ((*next)->bytes.size(), (*next)->header.total_size());
      }
      offsets.push_back((*next)->header.base_offset);
    }
  }

  TempDir dir_;
  std::shared_ptr<LogFile> file_;
  int64_t size_ = 0;
};

TEST_F(BatchScannerTest, WalksBatchesWhateverTheBufferSize) {
  WriteBatches({10, 5000, 0, 300, 70000, 1});
  for (size_t buffer : {size_t{1}, size_t{64}, size_t{4096}, size_t{1} << 20}) {
    for (auto mode : {BatchScanner::Mode::kHeaders, BatchScanner::Mode::kVerify}) {
      Status error;
      EXPECT_EQ(Scan(mode, buffer, &error), (std::vector<int64_t>{0, 1, 2, 3, 4, 5})) << buffer;
      EXPECT_TRUE(error.ok()) << error.ToString();
    }
  }
}

TEST_F(BatchScannerTest, OnlyVerifyModeChecksTheCrc) {
  WriteBatches({10, 20, 30});
  Bytes one(1);
  ASSERT_TRUE(file_->ReadExactlyAt(one, 100).ok());
  one[0] ^= 1;
  ASSERT_TRUE(file_->WriteAt(one, 100).ok());  // a payload byte of the second batch
  Status error;
  EXPECT_EQ(Scan(BatchScanner::Mode::kHeaders, 4096, &error), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(error.ok());
  EXPECT_EQ(Scan(BatchScanner::Mode::kVerify, 4096, &error), (std::vector<int64_t>{0}));
  EXPECT_EQ(error.code(), StatusCode::kCorruption);
  EXPECT_NE(error.message().find("position 71"), std::string::npos) << error.message();
}

TEST_F(BatchScannerTest, ATornTailIsCorruptionAtItsPosition) {
  WriteBatches({10, 20});
  for (int64_t cut : {size_ - 1, int64_t{71 + 60}, int64_t{71 + 5}}) {
    BatchScanner scanner(*file_, 0, cut, BatchScanner::Mode::kHeaders);
    ASSERT_TRUE(scanner.Next().value().has_value());
    auto second = scanner.Next();
    ASSERT_FALSE(second.has_value()) << cut;
    EXPECT_EQ(second.error().code(), StatusCode::kCorruption);
    EXPECT_EQ(scanner.position(), 71);
  }
}

}  // namespace
}  // namespace tarn::log
