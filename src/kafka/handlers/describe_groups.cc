// DescribeGroups (v0-4): state, protocol and members of each group; an unknown group is Dead
// with no error, as Kafka answers. Subscriptions and assignments only for a Stable group.
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleDescribeGroups(RequestContext& ctx) {
  auto request = DecodeBody<DescribeGroupsRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  co_return EncodeResponse(ctx.header, ctx.groups.DescribeGroups(*request));
}

}  // namespace tarn::kafka
