#include "router/faults.h"

#include "net/asio.h"
#include "router/rule.h"

namespace tarn::router {
namespace {

using nlohmann::json;

constexpr size_t kReadBatch = 1000;

}  // namespace

Awaitable<Result<std::vector<StoredFault>>> FaultDesk::List(size_t limit) {
  using Faults = std::vector<StoredFault>;
  Result<std::map<int32_t, hub::PartitionBounds>> bounds = co_await hub_.Bounds(topic_);
  if (!bounds) {
    if (bounds.error().code() == StatusCode::kNotFound) co_return Faults();
    co_return Error(bounds.error());
  }
  std::map<int32_t, int64_t> from;
  for (const auto& [partition, range] : *bounds) {
    if (range.log_start < range.high_watermark) from[partition] = range.log_start;
  }
  Faults faults;
  while (!from.empty() && faults.size() < limit) {
    Result<std::vector<hub::StoredRecord>> records = co_await hub_.Read(
        topic_, from, std::min(kReadBatch, limit - faults.size()), std::chrono::milliseconds(0));
    if (!records) co_return Error(records.error());
    if (records->empty()) break;
    for (const hub::StoredRecord& record : *records) {
      from[record.partition] = record.offset + 1;
      if (from[record.partition] >= bounds->at(record.partition).high_watermark) {
        from.erase(record.partition);
      }
      json fault = record.value ? json::parse(*record.value, nullptr, false) : json();
      if (!fault.is_object()) continue;
      faults.push_back(StoredFault{record.partition, record.offset, std::move(fault)});
    }
  }
  co_return faults;
}

Awaitable<Result<StoredFault>> FaultDesk::Find(std::string id) {
  Result<std::vector<StoredFault>> faults = co_await List(SIZE_MAX);
  if (!faults) co_return Error(faults.error());
  for (StoredFault& fault : *faults) {
    if (fault.fault.value("id", "") == id) co_return std::move(fault);
  }
  co_return Error(Status::NotFound("no fault with id \"" + id + "\""));
}

Awaitable<Result<std::vector<Resubmission>>> FaultDesk::Resubmit(std::vector<std::string> ids) {
  using Outcomes = std::vector<Resubmission>;
  Result<std::vector<StoredFault>> all = co_await List(SIZE_MAX);
  if (!all) co_return Error(all.error());
  std::vector<const StoredFault*> chosen;
  for (const std::string& id : ids) {
    const StoredFault* found = nullptr;
    for (const StoredFault& fault : *all) {
      if (fault.fault.value("id", "") == id) found = &fault;  // the latest of that id
    }
    if (!found) co_return Error(Status::NotFound("no fault with id \"" + id + "\""));
    chosen.push_back(found);
  }

  Outcomes outcomes;
  for (const StoredFault* stored : chosen) {
    const json& fault = stored->fault;
    Resubmission outcome{.id = fault.value("id", ""), .delivered = false, .error = ""};
    json target_json = fault.value("target", json::object());
    target_json.erase("destination");
    Result<Target> target = TargetFromJson(target_json, "fault.target");
    const json* event = fault.contains("event") ? &fault["event"] : nullptr;
    if (!target || !event || !event->is_object()) {
      outcome.error = target ? "the fault holds no event" : target.error().message();
      outcomes.push_back(std::move(outcome));
      continue;
    }
    std::unique_ptr<Delivery> delivery = deliveries_(*target);
    if (!delivery) {
      outcome.error = "no delivery for " + target->Destination();
      outcomes.push_back(std::move(outcome));
      continue;
    }
    hub::StoredRecord record;
    record.key = event->value("partitionKey", "");
    record.value = event->dump();
    for (const json& header : fault.value("headers", json::array())) {
      if (header.is_array() && header.size() == 2 && header[0].is_string() && header[1].is_string()) {
        record.headers.push_back({header[0].get<std::string>(), header[1].get<std::string>()});
      }
    }
    std::vector<RoutedEvent> events;
    events.push_back(RoutedEvent{&record, event, fault.value("rule", "")});
    Result<DeliveryReport> report = co_await delivery->Deliver(std::move(events));
    if (!report) {
      outcome.error = report.error().message();
    } else if (!report->failures.empty()) {
      outcome.error = report->failures.front().name + ": " + report->failures.front().message;
    } else {
      outcome.delivered = true;
    }
    outcomes.push_back(std::move(outcome));
  }
  co_return outcomes;
}

}  // namespace tarn::router
