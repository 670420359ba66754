#include "router/channel_delivery.h"

#include <algorithm>

#include "net/asio.h"

namespace tarn::router {

Awaitable<Result<DeliveryReport>> ChannelDelivery::Deliver(std::vector<RoutedEvent> events) {
  using Failures = std::vector<DeliveryFailure>;
  if (!topic_ready_) {
    Result<int32_t> partitions = co_await hub_.EnsureTopic(target_.topic, hub::TopicSpec());
    if (!partitions) co_return Error(partitions.error().WithContext("channel " + target_.topic));
    topic_ready_ = true;
  }
  Failures failures;
  std::vector<hub::OutgoingRecord> records;
  std::vector<size_t> indexes;  // of the events that became records
  for (size_t i = 0; i < events.size(); ++i) {
    const RoutedEvent& routed = events[i];
    hub::OutgoingRecord record;
    record.key = routed.record->key;
    record.headers = routed.record->headers;
    if (target_.field.empty()) {
      record.value = routed.record->value;
    } else {
      auto field = routed.event->find(target_.field);
      if (field == routed.event->end()) {
        failures.push_back({i, "FieldMissing", "the event has no field \"" + target_.field + "\""});
        continue;
      }
      record.value = field->dump();
    }
    records.push_back(std::move(record));
    indexes.push_back(i);
  }
  if (records.empty()) co_return DeliveryReport{std::move(failures), 0};

  Result<std::vector<hub::RecordPosition>> appended = co_await hub_.Append(target_.topic, records);
  if (appended) co_return DeliveryReport{std::move(failures), 0};
  if (appended.error().code() != StatusCode::kInvalidArgument) co_return Error(appended.error());
  // The topic refused the batch: one record at a time, so that only those it refuses fail.
  for (size_t i = 0; i < records.size(); ++i) {
    std::vector<hub::OutgoingRecord> one;
    one.push_back(records[i]);
    Result<std::vector<hub::RecordPosition>> single = co_await hub_.Append(target_.topic, std::move(one));
    if (single) continue;
    if (single.error().code() != StatusCode::kInvalidArgument) co_return Error(single.error());
    failures.push_back({indexes[i], "RecordRefused", single.error().message()});
  }
  std::sort(failures.begin(), failures.end(),
            [](const DeliveryFailure& a, const DeliveryFailure& b) { return a.index < b.index; });
  co_return DeliveryReport{std::move(failures), 0};
}

}  // namespace tarn::router
