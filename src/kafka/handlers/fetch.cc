// Fetch (v4-11): whole batches from each partition's fetch offset up to its high watermark.
// Long poll: when less than min_bytes is ready, wait for new data or max_wait_ms, whichever
// comes first. Limits: partition_max_bytes per partition and max_bytes for the response, except
// that the first batch found is always sent whole (KIP-74), so a large batch cannot stall a
// consumer. There are no fetch sessions (session id 0) and no transactions (LSO = HWM).
#include <chrono>

#include "kafka/handlers/handler.h"
#include "kafka/messages/fetch.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

// Reads every requested partition once. Returns the number of record bytes gathered and
// whether any partition carries an error (an error is worth answering at once).
std::pair<int64_t, bool> ReadAll(Broker& broker, const FetchRequest& request, FetchResponse& response) {
  response.responses.clear();
  int64_t total = 0;
  bool any_error = false;
  for (const auto& wanted : request.topics) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.topic = wanted.topic;
    std::shared_ptr<Topic> topic = broker.FindTopic(wanted.topic);
    for (const auto& p : wanted.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition;
      Partition* found = topic ? topic->FindPartition(p.partition) : nullptr;
      if (!found) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
        any_error = true;
        continue;
      }
      Partition& partition = *found;
      out.high_watermark = broker.HighWatermark(partition);
      out.last_stable_offset = out.high_watermark;
      out.log_start_offset = partition.log->log_start_offset();
      int64_t budget = std::min<int64_t>(p.partition_max_bytes, request.max_bytes - total);
      if (budget <= 0 && total > 0) continue;
      auto data = broker.Read(partition, p.fetch_offset, static_cast<int32_t>(std::max<int64_t>(budget, 1)));
      if (!data.has_value()) {
        out.error_code = ToErrorCode(data.error());
        any_error = true;
        continue;
      }
      total += static_cast<int64_t>(data->size());
      out.records = std::move(*data);
    }
  }
  return {total, any_error};
}

}  // namespace

Awaitable<HandlerResult> HandleFetch(RequestContext& ctx) {
  auto request = DecodeBody<FetchRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::max(0, request->max_wait_ms));
  FetchResponse response;
  for (;;) {
    auto [bytes, any_error] = ReadAll(ctx.broker, *request, response);
    if (bytes >= request->min_bytes || any_error || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    co_await ctx.broker.WaitForData(deadline);
  }
  for (const auto& topic_out : response.responses) {
    std::shared_ptr<Topic> topic = ctx.broker.FindTopic(topic_out.topic);
    if (!topic) continue;
    for (const auto& out : topic_out.partitions) Broker::CountFetched(*topic, out.records);
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
