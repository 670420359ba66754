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

TARN_KAFKA_DEFINE_CODEC(ApiVersions)

}  // namespace tarn::kafka
