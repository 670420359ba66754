#include "kafka/producer_state.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <vector>

namespace tarn::kafka {
namespace {

// Sequences wrap at INT32_MAX back to 0.
int32_t LastSequence(const log::BatchHeader& b) {
  int64_t last = static_cast<int64_t>(b.base_sequence) + b.last_offset_delta;
  if (last > std::numeric_limits<int32_t>::max()) last -= int64_t{1} << 31;
  return static_cast<int32_t>(last);
}

int32_t NextSequence(int32_t seq) {
  return seq == std::numeric_limits<int32_t>::max() ? 0 : seq + 1;
}

}  // namespace

ProducerStateTable::Check ProducerStateTable::Validate(const log::BatchHeader& b) const {
  if (b.producer_id < 0) return {};
  auto it = producers_.find(b.producer_id);
  if (it == producers_.end()) return {};
  const Entry& e = it->second;
  if (b.producer_epoch < e.epoch) return {Verdict::kInvalidEpoch};
  if (b.producer_epoch > e.epoch) {
    if (b.base_sequence != 0) return {Verdict::kOutOfOrder};
    return {};
  }
  int32_t last = LastSequence(b);
  for (int i = 0; i < e.count; ++i) {
    const BatchSeq& s = e.recent[i];
    if (s.first_sequence == b.base_sequence && s.last_sequence == last) {
      return {Verdict::kDuplicate, Offset(s.first_offset)};
    }
  }
  if (e.count > 0) {
    const BatchSeq& newest = e.recent[(e.next + kWindow - 1) % kWindow];
    if (b.base_sequence != NextSequence(newest.last_sequence)) return {Verdict::kOutOfOrder};
  }
  return {};
}

void ProducerStateTable::Record(const log::BatchHeader& b) {
  if (b.producer_id < 0) return;
  Entry& e = producers_[b.producer_id];
  if (b.producer_epoch != e.epoch) {
    e = Entry{};
    e.epoch = b.producer_epoch;
  }
  e.recent[e.next] = BatchSeq{b.base_sequence, LastSequence(b), b.base_offset};
  e.next = (e.next + 1) % kWindow;
  if (e.count < kWindow) ++e.count;
}

std::string ProducerStateTable::Serialize() const {
  // <producer id> <epoch> then, oldest first, <first seq> <last seq> <first offset> per batch
  std::vector<int64_t> ids;
  ids.reserve(producers_.size());
  for (const auto& [pid, e] : producers_) ids.push_back(pid);
  std::sort(ids.begin(), ids.end());
  std::ostringstream out;
  for (int64_t pid : ids) {
    const Entry& e = producers_.at(pid);
    out << pid << ' ' << e.epoch;
    for (int i = 0; i < e.count; ++i) {
      const BatchSeq& s = e.recent[(e.next - e.count + i + kWindow) % kWindow];
      out << ' ' << s.first_sequence << ' ' << s.last_sequence << ' ' << s.first_offset;
    }
    out << '\n';
  }
  return out.str();
}

Result<ProducerStateTable> ProducerStateTable::Deserialize(std::string_view text) {
  ProducerStateTable table;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    int64_t pid;
    int32_t epoch;
    if (!(fields >> pid >> epoch)) return Error(Status::Corruption("bad producer state line: " + line));
    log::BatchHeader h;
    h.producer_id = pid;
    h.producer_epoch = static_cast<int16_t>(epoch);
    int32_t first, last;
    int64_t offset;
    bool any = false;
    while (fields >> first >> last >> offset) {
      h.base_sequence = first;
      int64_t delta = static_cast<int64_t>(last) - first;
      if (delta < 0) delta += int64_t{1} << 31;
      h.last_offset_delta = static_cast<int32_t>(delta);
      h.base_offset = offset;
      table.Record(h);
      any = true;
    }
    if (!fields.eof()) return Error(Status::Corruption("bad producer state line: " + line));
    if (!any) table.producers_[pid].epoch = h.producer_epoch;
  }
  return table;
}

}  // namespace tarn::kafka
