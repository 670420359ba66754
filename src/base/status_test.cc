#include "base/status.h"

#include <gtest/gtest.h>

#include "base/result.h"

namespace tarn {
namespace {

Result<int> Half(int v) {
  if (v % 2) return Error(Status::InvalidArgument("odd"));
  return v / 2;
}

Result<int> Quarter(int v) {
  TARN_ASSIGN_OR_RETURN(int h, Half(v));
  TARN_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckQuarter(int v) {
  TARN_TRY(Quarter(v));
  return Status::Ok();
}

TEST(StatusTest, OkIsFreeAndEqual) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s, Status::Ok());
}

TEST(StatusTest, ErrorCarriesCodeMessageAndContext) {
  Status s = Status::Corruption("bad crc").WithContext("segment 0");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "segment 0: bad crc");
  EXPECT_EQ(s.ToString(), "Corruption: segment 0: bad crc");
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckQuarter(4).ok());
  EXPECT_EQ(CheckQuarter(2).message(), "odd");
}

TEST(StatusTest, FromErrnoNamesTheCall) {
  EXPECT_EQ(Status::FromErrno("open /x", 2).message(), "open /x: No such file or directory");
}

}  // namespace
}  // namespace tarn
