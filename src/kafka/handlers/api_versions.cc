// ApiVersions: which APIs and versions we serve. Any version is answered: one above our range
// gets a v0-shaped body with UNSUPPORTED_VERSION, which every client parses before retrying.
#include "kafka/handlers/handler.h"
#include "kafka/messages/api_versions.h"
#include "net/asio.h"

namespace tarn::kafka {

Awaitable<HandlerResult> HandleApiVersions(RequestContext& ctx) {
  ApiVersionsResponse response;
  for (ApiKey key : ServedApis()) {
    const ApiSupport* api = FindApi(key);
    response.api_keys.push_back({key, AdvertisedMinVersion(key), api->max_version});
  }
  const ApiSupport* self = FindApi(ApiKey::kApiVersions);
  if (ctx.header.api_version > self->max_version) {
    response.error_code = ErrorCode::kUnsupportedVersion;
    Bytes out;
    WireWriter writer(out);
    EncodeResponseHeader(writer, ctx.header.correlation_id, /*flexible_header=*/false);
    response.Encode(writer, 0);
    co_return out;
  }
  // The client's software name and version are informational; a malformed v3 body still gets
  // an answer, as librdkafka retries at v0 only on an error it can read.
  auto request = DecodeBody<ApiVersionsRequest>(ctx);
  if (!request.has_value()) response.error_code = ErrorCode::kInvalidRequest;
  co_return EncodeResponse(ctx.header, response);
}

}  // namespace tarn::kafka
