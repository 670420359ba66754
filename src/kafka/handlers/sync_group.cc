// SyncGroup (v0-3): the leader brings every member's assignment; a follower's request waits for
// it. Answered with the member's own assignment.
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleSyncGroup(RequestContext& ctx) {
  auto request = DecodeBody<SyncGroupRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  SyncGroupResponse response = co_await ctx.groups.SyncGroup(std::move(*request));
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
