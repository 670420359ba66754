#include "router/rule_store.h"

#include <spdlog/spdlog.h>

#include "net/asio.h"
#include "net/signal.h"

namespace tarn::router {
namespace {

constexpr size_t kReadBatch = 1000;

}  // namespace

RuleStore::RuleStore(IoContext& io, hub::Hub& hub)
    : hub_(hub), write_done_(std::make_unique<net::Signal>(io)) {}

RuleStore::~RuleStore() = default;

const Rule* RuleStore::Find(const std::string& name) const {
  auto it = rules_.find(name);
  return it == rules_.end() ? nullptr : &it->second;
}

Awaitable<Status> RuleStore::Load() {
  hub::TopicSpec spec;
  spec.partitions = 1;
  spec.configs["cleanup.policy"] = "compact";
  // PutAll writes many rules as one batch: tarn.yaml may hold thousands.
  spec.configs["max.message.bytes"] = std::to_string(64 << 20);
  Result<int32_t> partitions = co_await hub_.EnsureTopic(std::string(kRulesTopic), spec);
  if (!partitions) co_return partitions.error().WithContext("opening the rules topic");
  if (*partitions != 1) {
    co_return Status::FailedPrecondition(std::string("topic ") + kRulesTopic +
                                         " must have one partition, it has " +
                                         std::to_string(*partitions));
  }
  Result<std::map<int32_t, hub::PartitionBounds>> bounds = co_await hub_.Bounds(std::string(kRulesTopic));
  if (!bounds) co_return bounds.error();
  int64_t next = bounds->at(0).log_start;
  const int64_t end = bounds->at(0).high_watermark;
  size_t records = 0;
  while (next < end) {
    std::map<int32_t, int64_t> from;
    from[0] = next;
    Result<std::vector<hub::StoredRecord>> read = co_await hub_.Read(
        std::string(kRulesTopic), std::move(from), kReadBatch, std::chrono::milliseconds(0));
    if (!read) co_return read.error().WithContext("reading the rules topic");
    if (read->empty()) break;
    for (const hub::StoredRecord& record : *read) {
      next = record.offset + 1;
      ++records;
      if (!record.key) continue;
      if (!record.value) {
        rules_.erase(*record.key);
        continue;
      }
      nlohmann::json json = nlohmann::json::parse(*record.value, nullptr, false);
      Result<Rule> rule = RuleFromJson(json);
      if (!rule || rule->name != *record.key) {
        spdlog::warn("router: skipped rule record at offset {}: {}", record.offset,
                     rule ? "its key and name differ" : rule.error().message());
        continue;
      }
      rules_.insert_or_assign(rule->name, std::move(*rule));
    }
  }
  spdlog::info("router: replayed {} rule records, {} rules", records, rules_.size());
  co_return Status::Ok();
}

Awaitable<Status> RuleStore::Write(std::vector<hub::OutgoingRecord> records,
                                   std::function<void()> apply) {
  while (writing_) co_await write_done_->Wait();
  writing_ = true;
  Result<std::vector<hub::RecordPosition>> written =
      co_await hub_.Append(std::string(kRulesTopic), std::move(records));
  if (written) apply();  // before the next write can append: state follows log order
  writing_ = false;
  write_done_->NotifyAll();
  if (!written) co_return written.error().WithContext("writing to the rules topic");
  if (listener_) listener_();
  co_return Status::Ok();
}

Awaitable<Result<bool>> RuleStore::Put(Rule rule) {
  hub::OutgoingRecord record;
  record.key = rule.name;
  record.value = RuleToJson(rule).dump();
  std::vector<hub::OutgoingRecord> records;
  records.push_back(std::move(record));
  bool created = false;
  Status written = co_await Write(std::move(records), [&] {
    std::string name = rule.name;
    created = rules_.insert_or_assign(std::move(name), std::move(rule)).second;
  });
  if (!written.ok()) co_return Error(written);
  co_return created;
}

Awaitable<Status> RuleStore::Delete(std::string name) {
  if (!rules_.contains(name)) co_return Status::NotFound("no rule named \"" + name + "\"");
  std::vector<hub::OutgoingRecord> records(1);
  records[0].key = name;
  co_return co_await Write(std::move(records), [&] { rules_.erase(name); });
}

Awaitable<Status> RuleStore::PutAll(std::vector<Rule> rules) {
  if (rules.empty()) co_return Status::Ok();
  std::vector<hub::OutgoingRecord> records;
  for (const Rule& rule : rules) {
    hub::OutgoingRecord record;
    record.key = rule.name;
    record.value = RuleToJson(rule).dump();
    records.push_back(std::move(record));
  }
  co_return co_await Write(std::move(records), [&] {
    for (Rule& rule : rules) {
      std::string name = rule.name;
      rules_.insert_or_assign(std::move(name), std::move(rule));
    }
  });
}

}  // namespace tarn::router
