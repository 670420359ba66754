// JoinGroup (v0-5): the group coordinator parks the request until the rebalance completes.
// v4+ dynamic members joining without an id get MEMBER_ID_REQUIRED and an id to come back with;
// v5 adds static membership (group_instance_id).
#include "kafka/group/group_coordinator.h"
#include "kafka/handlers/handler.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

// "/127.0.0.1" for a peer "127.0.0.1:53211": the client host as Kafka reports it.
std::string ClientHost(const std::string& peer) {
  size_t colon = peer.rfind(':');
  std::string host = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return "/" + host;
}

}  // namespace

Awaitable<HandlerResult> HandleJoinGroup(RequestContext& ctx) {
  auto request = DecodeBody<JoinGroupRequest>(ctx);
  if (!request.has_value()) co_return Error(request.error());
  ClientInfo client{ctx.header.client_id.value_or(""), ClientHost(ctx.peer)};
  JoinGroupResponse response =
      co_await ctx.groups.JoinGroup(std::move(*request), ctx.header.api_version, std::move(client));
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
