// Heartbeat (v0-3): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleHeartbeat(RequestContext& ctx) {
  auto request = DecodeBody<HeartbeatRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  co_return EncodeResponse(ctx.header, ctx.groups.Heartbeat(*request));
}

}  // namespace tarn::kafka
