// DeleteTopics (v0-3): each named topic is removed with its data. Internal topics
// (__consumer_offsets) cannot be deleted: TOPIC_DELETION_DISABLED.
#include "kafka/group/offsets_topic.h"
#include "kafka/handlers/handler.h"
#include "kafka/messages/delete_topics.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleDeleteTopics(RequestContext& ctx) {
  auto request = DecodeBody<DeleteTopicsRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  DeleteTopicsResponse response;
  for (const auto& name : request->topic_names) {
    auto& out = response.responses.emplace_back();
    out.name = name;
    if (IsInternalTopic(name)) {
      // The group coordinator's offsets live there.
      out.error_code = ErrorCode::kTopicDeletionDisabled;
      continue;
    }
    Status s = ctx.broker.DeleteTopic(name);
    if (!s.ok()) out.error_code = ToErrorCode(s);
  }
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
