// OffsetFetch (v1-5): a partition with no commit reads offset -1, metadata "" and NONE; null
// topics (v2+) ask for every partition the group has committed.
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleOffsetFetch(RequestContext& ctx) {
  auto request = DecodeBody<OffsetFetchRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  co_return EncodeResponse(ctx.header, ctx.groups.OffsetFetch(*request));
}

}  // namespace tarn::kafka
