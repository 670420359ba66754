#include "router/bridge_delivery.h"

#include <algorithm>

#include "net/asio.h"

namespace tarn::router {

Awaitable<Result<DeliveryReport>> BridgeDelivery::Deliver(std::vector<RoutedEvent> events) {
  DeliveryReport report;
  std::vector<hub::OutgoingRecord> records;
  std::vector<size_t> indexes;
  for (size_t i = 0; i < events.size(); ++i) {
    const hub::StoredRecord& stored = *events[i].record;
    const bool imported = std::any_of(stored.headers.begin(), stored.headers.end(),
                                      [](const hub::RecordHeader& h) { return h.name == kOriginHeader; });
    if (imported) continue;
    hub::OutgoingRecord record;
    record.key = stored.key;
    record.value = stored.value;
    record.headers = stored.headers;
    record.headers.push_back({kOriginHeader, origin_});
    records.push_back(std::move(record));
    indexes.push_back(i);
  }
  Result<std::vector<DeliveryFailure>> refused =
      co_await AppendAll(*remote_, target_.topic, std::move(records), std::move(indexes));
  if (!refused) co_return Error(refused.error().WithContext("bridge to " + target_.address));
  report.failures = std::move(*refused);
  co_return report;
}

}  // namespace tarn::router
