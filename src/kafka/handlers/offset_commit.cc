// OffsetCommit (v2-7): answered once the commit's record in __consumer_offsets is durable.
// retention_time_ms (v2-4) is ignored: offsets expire with the group (offsets_retention_ms).
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleOffsetCommit(RequestContext& ctx) {
  auto request = DecodeBody<OffsetCommitRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  OffsetCommitResponse response = co_await ctx.groups.OffsetCommit(std::move(*request));
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
