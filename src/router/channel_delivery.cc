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
  Result<std::vector<DeliveryFailure>> refused =
      co_await AppendAll(hub_, target_.topic, std::move(records), std::move(indexes));
  if (!refused) co_return Error(refused.error());
  failures.insert(failures.end(), refused->begin(), refused->end());
  std::sort(failures.begin(), failures.end(),
            [](const DeliveryFailure& a, const DeliveryFailure& b) { return a.index < b.index; });
  co_return DeliveryReport{std::move(failures), 0};
}

}  // namespace tarn::router
