#include "lake/manifest.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace tarn::lake {

nlohmann::json ManifestToJson(const Manifest& m) {
  nlohmann::json j = {{"format", Manifest::kFormat},
                      {"file", m.file},
                      {"region", m.region},
                      {"topic", m.topic},
                      {"partition", m.partition},
                      {"start_position", m.start_position},
                      {"end_position", m.end_position},
                      {"first_offset", m.first_offset},
                      {"last_offset", m.last_offset},
                      {"events", m.events},
                      {"min_timestamp", m.min_timestamp},
                      {"max_timestamp", m.max_timestamp},
                      {"types", m.types},
                      {"bytes", m.bytes},
                      {"raw_bytes", m.raw_bytes},
                      {"sha256", m.sha256},
                      {"created_ms", m.created_ms}};
  if (m.min_event_time) j["min_event_time"] = *m.min_event_time;
  if (m.max_event_time) j["max_event_time"] = *m.max_event_time;
  return j;
}

Result<Manifest> ManifestFromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error(Status::Corruption("a manifest is a JSON object"));
  if (j.value("format", 0) != Manifest::kFormat) {
    return Error(Status::Corruption(fmt::format("manifest format {} (this build reads {})",
                                                j.value("format", nlohmann::json()).dump(),
                                                Manifest::kFormat)));
  }
  Manifest m;
  try {
    m.file = j.at("file").get<std::string>();
    m.region = j.at("region").get<std::string>();
    m.topic = j.at("topic").get<std::string>();
    m.partition = j.at("partition").get<int32_t>();
    m.start_position = j.at("start_position").get<int64_t>();
    m.end_position = j.at("end_position").get<int64_t>();
    m.first_offset = j.at("first_offset").get<int64_t>();
    m.last_offset = j.at("last_offset").get<int64_t>();
    m.events = j.at("events").get<int64_t>();
    m.min_timestamp = j.at("min_timestamp").get<int64_t>();
    m.max_timestamp = j.at("max_timestamp").get<int64_t>();
    if (j.contains("min_event_time")) m.min_event_time = j["min_event_time"].get<int64_t>();
    if (j.contains("max_event_time")) m.max_event_time = j["max_event_time"].get<int64_t>();
    m.types = j.at("types").get<std::map<std::string, int64_t>>();
    m.bytes = j.at("bytes").get<int64_t>();
    m.raw_bytes = j.at("raw_bytes").get<int64_t>();
    m.sha256 = j.at("sha256").get<std::string>();
    m.created_ms = j.value("created_ms", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return Error(Status::Corruption(fmt::format("manifest: {}", e.what())));
  }
  if (m.end_position < m.start_position) {
    return Error(Status::Corruption("manifest: end_position is before start_position"));
  }
  return m;
}

std::string LakeFileStem(const std::string& topic, int32_t partition, int64_t start_position) {
  return fmt::format("{}+{}+{:020}", topic, partition, start_position);
}

}  // namespace tarn::lake
