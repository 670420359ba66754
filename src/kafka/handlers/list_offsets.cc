// ListOffsets (v1-3): latest (-1) is the high watermark, earliest (-2) the log start, and a
// timestamp finds the first record at or after it (offset and timestamp -1 when none).
#include "kafka/handlers/handler.h"
#include "kafka/messages/list_offsets.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleListOffsets(RequestContext& ctx) {
  auto request = DecodeBody<ListOffsetsRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  Broker& broker = ctx.broker;
  ListOffsetsResponse response;
  for (const auto& wanted : request->topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = wanted.name;
    std::shared_ptr<Topic> topic = broker.FindTopic(wanted.name);
    for (const auto& p : wanted.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      Partition* found = topic ? topic->FindPartition(p.partition_index) : nullptr;
      if (!found) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
        continue;
      }
      Partition& partition = *found;
      if (p.timestamp == ListOffsetsRequest::kLatestTimestamp) {
        out.offset = broker.HighWatermark(partition);
      } else if (p.timestamp == ListOffsetsRequest::kEarliestTimestamp) {
        out.offset = partition.log->log_start_offset();
      } else if (p.timestamp < 0) {
        out.error_code = ErrorCode::kInvalidRequest;
      } else {
        auto found = broker.OffsetForTimestamp(partition, p.timestamp);
        if (!found.has_value()) {
          out.error_code = ToErrorCode(found.error());
        } else if (found->has_value()) {
          out.offset = (*found)->offset;
          out.timestamp = (*found)->timestamp;
        }
      }
    }
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
