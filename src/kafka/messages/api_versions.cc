#include "kafka/messages/api_versions.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  if (io.version() >= 3) {
    io.Field(m.client_software_name);
    io.Field(m.client_software_version);
  }
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  io.Field(m.error_code);
  io.Array(m.api_keys, [&](auto& api) {
    io.Field(api.api_key);
    io.Field(api.min_version);
    io.Field(api.max_version);
  });
  if (io.version() >= 1) io.Field(m.throttle_time_ms);
}

}  // namespace

Result<ApiVersionsRequest> ApiVersionsRequest::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapRequest<FieldReader, ApiVersionsRequest>);
}
void ApiVersionsRequest::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapRequest<FieldWriter, const ApiVersionsRequest>);
}
Result<ApiVersionsResponse> ApiVersionsResponse::Decode(WireReader& in, int16_t version) {
  return internal::DecodeMessage(in, version, MapResponse<FieldReader, ApiVersionsResponse>);
}
void ApiVersionsResponse::Encode(WireWriter& out, int16_t version) const {
  internal::EncodeMessage(out, version, *this, MapResponse<FieldWriter, const ApiVersionsResponse>);
}

}  // namespace tarn::kafka
