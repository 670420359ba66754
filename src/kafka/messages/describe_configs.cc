#include "kafka/messages/describe_configs.h"

#include "kafka/messages/field_io.h"

namespace tarn::kafka {
namespace {

using internal::FieldReader;
using internal::FieldWriter;

template <typename Io, typename Request>
void MapRequest(Io& io, Request& m) {
  io.Array(m.resources, [&](auto& resource) {
    io.Field(resource.resource_type);
    io.Field(resource.resource_name);
    io.Field(resource.configuration_keys);
  });
  if (io.version() >= 1) io.Field(m.include_synonyms);
}

template <typename Io, typename Response>
void MapResponse(Io& io, Response& m) {
  const int16_t v = io.version();
  io.Field(m.throttle_time_ms);
  io.Array(m.results, [&](auto& result) {
    io.Field(result.error_code);
    io.Field(result.error_message);
    io.Field(result.resource_type);
    io.Field(result.resource_name);
    io.Array(result.configs, [&](auto& config) {
      io.Field(config.name);
      io.Field(config.value);
      io.Field(config.read_only);
      if (v == 0) io.Field(config.is_default);
      if (v >= 1) io.Field(config.config_source);
      io.Field(config.is_sensitive);
      if (v >= 1) {
        io.Array(config.synonyms, [&](auto& synonym) {
          io.Field(synonym.name);
          io.Field(synonym.value);
          io.Field(synonym.source);
        });
      }
    });
  });
}

}  // namespace

TARN_KAFKA_DEFINE_CODEC(DescribeConfigs)

}  // namespace tarn::kafka
