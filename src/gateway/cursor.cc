#include "gateway/cursor.h"

#include <algorithm>
#include <charconv>

namespace tarn::gateway {
namespace {

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

Status BadFrom(std::string_view from, std::string_view why) {
  return Status::InvalidArgument("from=" + std::string(from) + ": " + std::string(why) +
                                 " (expected earliest, latest, an offset or a cursor such as "
                                 "0:15,1:7)");
}

}  // namespace

std::string FormatCursor(const Cursor& cursor) {
  std::string text;
  for (const auto& [partition, offset] : cursor) {
    if (!text.empty()) text += ',';
    text += std::to_string(partition) + ':' + std::to_string(offset);
  }
  return text;
}

Result<Cursor> ResolveStart(std::string_view from,
                            const std::map<int32_t, hub::PartitionBounds>& bounds) {
  Cursor start;
  for (const auto& [partition, range] : bounds) start[partition] = range.log_start;
  if (from.empty() || from == "earliest") return start;
  if (from == "latest") {
    for (const auto& [partition, range] : bounds) start[partition] = range.high_watermark;
    return start;
  }
  if (int64_t offset = 0; ParseNumber(from, offset)) {
    for (auto& [partition, position] : start) position = offset;
  } else {
    for (size_t begin = 0; begin <= from.size();) {
      size_t comma = std::min(from.find(',', begin), from.size());
      std::string_view item = from.substr(begin, comma - begin);
      begin = comma + 1;
      size_t colon = item.find(':');
      int32_t partition = 0;
      int64_t offset = 0;
      if (colon == std::string_view::npos || !ParseNumber(item.substr(0, colon), partition) ||
          !ParseNumber(item.substr(colon + 1), offset)) {
        return Error(BadFrom(from, "\"" + std::string(item) + "\" is not PARTITION:OFFSET"));
      }
      if (!bounds.contains(partition)) {
        return Error(BadFrom(from, "the topic has no partition " + std::to_string(partition)));
      }
      start[partition] = offset;
    }
  }
  for (auto& [partition, position] : start) {
    const hub::PartitionBounds& range = bounds.at(partition);
    position = std::clamp(position, range.log_start, range.high_watermark);
  }
  return start;
}

}  // namespace tarn::gateway
