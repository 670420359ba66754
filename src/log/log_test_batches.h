// Test-only checks over read results: the headers of concatenated batches, each verified whole.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "log/batch_header.h"

namespace tarn::log::testing {

// The headers of concatenated batches, checking that each one is whole and has a good CRC.
inline std::vector<BatchHeader> Headers(ByteView bytes) {
  std::vector<BatchHeader> headers;
  while (!bytes.empty()) {
    auto h = BatchHeader::Parse(bytes);
    EXPECT_TRUE(h.has_value()) << h.error().ToString();
    if (!h || h->total_size() > bytes.size()) {
      ADD_FAILURE() << "partial batch";
      break;
    }
    EXPECT_TRUE(BatchHeader::Verify(bytes.first(h->total_size())).ok());
    headers.push_back(*h);
    bytes = bytes.subspan(h->total_size());
  }
  return headers;
}

inline std::vector<int64_t> BaseOffsets(ByteView bytes) {
  std::vector<int64_t> offsets;
  for (const auto& h : Headers(bytes)) offsets.push_back(h.base_offset);
  return offsets;
}

}  // namespace tarn::log::testing
