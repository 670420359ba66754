// ListGroups (v0-2): every group the coordinator knows, with its protocol type ("consumer", or
// empty for a group that only has committed offsets).
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleListGroups(RequestContext& ctx) {
  auto request = DecodeBody<ListGroupsRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  co_return EncodeResponse(ctx.header, ctx.groups.ListGroups());
}

}  // namespace tarn::kafka
