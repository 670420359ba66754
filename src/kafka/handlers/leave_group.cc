// LeaveGroup (v0-3): v3 takes a batch of members (by member id or instance id) with an error
// each; v0-2 one member, whose error is the response's.
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleLeaveGroup(RequestContext& ctx) {
  auto request = DecodeBody<LeaveGroupRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  co_return EncodeResponse(ctx.header, ctx.groups.LeaveGroup(*request, ctx.header.api_version));
}

}  // namespace tarn::kafka
