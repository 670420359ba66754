// What every Kafka API handler shares: the request's context, how a request body is decoded
// and a response frame encoded, and the handler of each API (one file each in handlers/).
//
// A handler returns the response frame body (response header + body), nullopt for no response
// (acks=0 Produce), or an error Status, which closes the connection (a body that does not
// decode, for instance). Errors a client should see go into the response as Kafka error codes.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "kafka/broker.h"
#include "kafka/request_header.h"
#include "kafka/wire.h"
#include "net/asio_fwd.h"

namespace tarn::kafka {

class GroupCoordinator;

// Lives in the session's coroutine frame for the duration of one request.
struct RequestContext {
  Broker& broker;
  GroupCoordinator& groups;
  const RequestHeader& header;
  WireReader& body;  // positioned after the header, over the request's own (mutable) frame
  const std::string& peer;  // the client's address, "127.0.0.1:53211"
};

using HandlerResult = Result<std::optional<Bytes>>;

// Decodes the body as a `Request`; a body that does not decode, or bytes left after it, is
// kCorruption.
template <typename Request>
Result<Request> DecodeBody(RequestContext& ctx) {
  auto request = Request::Decode(ctx.body, ctx.header.api_version);
  if (!request.has_value()) return request;
  if (!ctx.body.ok()) return Error(ctx.body.status());
  if (ctx.body.remaining() != 0) {
    return Error(Status::Corruption(std::to_string(ctx.body.remaining()) +
                                    " bytes left after the request body"));
  }
  return request;
}

template <typename Response>
std::optional<Bytes> EncodeResponse(const RequestHeader& header, const Response& response) {
  Bytes out;
  out.reserve(256);
  WireWriter writer(out);
  EncodeResponseHeader(writer, header.correlation_id,
                       HasFlexibleResponseHeader(header.api_key, header.api_version));
  response.Encode(writer, header.api_version);
  return out;
}

Awaitable<HandlerResult> HandleApiVersions(RequestContext& ctx);
Awaitable<HandlerResult> HandleMetadata(RequestContext& ctx);
Awaitable<HandlerResult> HandleProduce(RequestContext& ctx);
Awaitable<HandlerResult> HandleFetch(RequestContext& ctx);
Awaitable<HandlerResult> HandleListOffsets(RequestContext& ctx);
Awaitable<HandlerResult> HandleCreateTopics(RequestContext& ctx);
Awaitable<HandlerResult> HandleDeleteTopics(RequestContext& ctx);
Awaitable<HandlerResult> HandleDescribeConfigs(RequestContext& ctx);
Awaitable<HandlerResult> HandleInitProducerId(RequestContext& ctx);
Awaitable<HandlerResult> HandleFindCoordinator(RequestContext& ctx);
Awaitable<HandlerResult> HandleJoinGroup(RequestContext& ctx);
Awaitable<HandlerResult> HandleSyncGroup(RequestContext& ctx);
Awaitable<HandlerResult> HandleHeartbeat(RequestContext& ctx);
Awaitable<HandlerResult> HandleLeaveGroup(RequestContext& ctx);
Awaitable<HandlerResult> HandleOffsetCommit(RequestContext& ctx);
Awaitable<HandlerResult> HandleOffsetFetch(RequestContext& ctx);
Awaitable<HandlerResult> HandleListGroups(RequestContext& ctx);
Awaitable<HandlerResult> HandleDescribeGroups(RequestContext& ctx);

// The API keys the session has handlers for, in key order: what ApiVersions advertises.
std::span<const ApiKey> ServedApis();

// The lowest version ApiVersions advertises for `key`. Usually the lowest we serve, but
// librdkafka before 2.11 enables a feature only when the advertised range includes one
// particular old version (gzip, snappy and lz4 compression need Produce v0; lz4 also needs
// FindCoordinator v0, which we serve), so for those keys
// we advertise below what we serve; a request at such a version closes the connection, and no
// client with default settings sends one.
int16_t AdvertisedMinVersion(ApiKey key);

}  // namespace tarn::kafka
