#include "router/delivery.h"

#include "net/asio.h"

namespace tarn::router {

Awaitable<Result<std::vector<DeliveryFailure>>> AppendAll(hub::Hub& hub, std::string topic,
                                                          std::vector<hub::OutgoingRecord> records,
                                                          std::vector<size_t> indexes) {
  using Failures = std::vector<DeliveryFailure>;
  Failures failures;
  if (records.empty()) co_return failures;
  Result<std::vector<hub::RecordPosition>> appended = co_await hub.Append(topic, records);
  if (appended) co_return failures;
  if (appended.error().code() != StatusCode::kInvalidArgument) co_return Error(appended.error());
  // The topic refused the batch: one record at a time, so that only those it refuses fail.
  for (size_t i = 0; i < records.size(); ++i) {
    std::vector<hub::OutgoingRecord> one;
    one.push_back(std::move(records[i]));
    Result<std::vector<hub::RecordPosition>> single = co_await hub.Append(topic, std::move(one));
    if (single) continue;
    if (single.error().code() != StatusCode::kInvalidArgument) co_return Error(single.error());
    failures.push_back({indexes[i], "RecordRefused", single.error().message()});
  }
  co_return failures;
}

}  // namespace tarn::router
