#include "contracts/registry_state.h"

#include <fmt/format.h>

#include <charconv>
#include <variant>

#include "contracts/registry_records.h"

namespace tarn::contracts {
namespace {

// "1" -> 1, "latest" and "-1" -> 0 (the newest); nullopt when the text names no version.
std::optional<int32_t> ParseVersion(std::string_view text) {
  if (text == "latest" || text == "-1") return 0;
  int32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

}  // namespace

RegistryResult<JsonSchema> ParseRequestSchema(const SchemaRequest& request) {
  if (request.schema_type != "JSON") {
    if (request.schema_type == "AVRO" || request.schema_type == "PROTOBUF") {
      return RegistryFailure(
          RegistryErrorCode::kInvalidSchema,
          fmt::format("schemaType {} is not supported: this registry stores JSON Schema only; "
                      "send \"schemaType\": \"JSON\"",
                      request.schema_type));
    }
    return RegistryFailure(RegistryErrorCode::kInvalidSchema,
                           fmt::format("Invalid schema type {}; this registry supports JSON",
                                       request.schema_type));
  }
  if (request.has_references) {
    return RegistryFailure(RegistryErrorCode::kInvalidSchema,
                           "Invalid schema: schema references are not supported; use $ref to "
                           "definitions inside the schema");
  }
  Result<JsonSchema> parsed = JsonSchema::Parse(request.schema);
  if (!parsed) {
    return RegistryFailure(RegistryErrorCode::kInvalidSchema,
                           "Invalid schema: " + parsed.error().message());
  }
  return std::move(*parsed);
}

Status RegistryState::Apply(const SchemaLogRecord& record) {
  TARN_ASSIGN_OR_RETURN(RegistryRecord decoded, DecodeRecord(record));
  if (auto* schema = std::get_if<SchemaRecord>(&decoded)) {
    Subject& subject = subjects_[schema->subject];
    auto existing = subject.versions.find(schema->version);
    if (existing != subject.versions.end()) {
      Release(existing->second.id);
      subject.versions.erase(existing);
    }
    StoredSchema& stored = schemas_[schema->id];
    if (stored.uses == 0) {
      stored.id = schema->id;
      stored.schema_type = schema->schema_type;
      stored.schema = schema->schema;
      stored.parsed.reset();
      if (Result<JsonSchema> parsed = JsonSchema::Parse(schema->schema)) {
        stored.parsed = std::make_shared<const JsonSchema>(std::move(*parsed));
        stored.schema = stored.parsed->Canonical();
      }
      ids_by_text_[{stored.schema_type, stored.schema}] = schema->id;
    }
    ++stored.uses;
    subject.versions[schema->version] =
        SubjectVersion{schema->subject, schema->version, schema->id, schema->deleted};
    max_id_ = std::max(max_id_, schema->id);
  } else if (auto* tombstone = std::get_if<SchemaTombstone>(&decoded)) {
    auto subject = subjects_.find(tombstone->subject);
    if (subject == subjects_.end()) return Status::Ok();
    auto version = subject->second.versions.find(tombstone->version);
    if (version != subject->second.versions.end()) {
      Release(version->second.id);
      subject->second.versions.erase(version);
    }
    if (subject->second.versions.empty()) subjects_.erase(subject);
  } else if (auto* config = std::get_if<ConfigRecord>(&decoded)) {
    std::optional<CompatibilityLevel> level;
    if (config->compatibility_level) {
      level = ParseCompatibilityLevel(*config->compatibility_level);
      if (!level) {
        return Status::Corruption("_schemas CONFIG record with unknown level " +
                                  *config->compatibility_level);
      }
    }
    if (!config->subject) {
      global_level_ = level;
    } else if (level) {
      subject_levels_[*config->subject] = *level;
    } else {
      subject_levels_.erase(*config->subject);
    }
  } else if (auto* binding = std::get_if<ContractBindingRecord>(&decoded)) {
    if (binding->subject) {
      bindings_[binding->type] = *binding->subject;
    } else {
      bindings_.erase(binding->type);
    }
  } else if (auto* deleted = std::get_if<DeleteSubjectRecord>(&decoded)) {
    auto subject = subjects_.find(deleted->subject);
    if (subject == subjects_.end()) return Status::Ok();
    for (auto& [number, version] : subject->second.versions) {
      if (number <= deleted->version) version.deleted = true;
    }
  }
  return Status::Ok();
}

const std::string& RegistryState::SubjectForType(const std::string& type) const {
  auto it = bindings_.find(type);
  return it == bindings_.end() ? type : it->second;
}

void RegistryState::Release(int32_t id) {
  auto it = schemas_.find(id);
  if (it == schemas_.end() || --it->second.uses > 0) return;
  ids_by_text_.erase({it->second.schema_type, it->second.schema});
  schemas_.erase(it);
}

std::vector<std::string> RegistryState::Subjects(bool include_deleted) const {
  std::vector<std::string> names;
  for (const auto& [name, subject] : subjects_) {
    for (const auto& [number, version] : subject.versions) {
      if (include_deleted || !version.deleted) {
        names.push_back(name);
        break;
      }
    }
  }
  return names;
}

RegistryResult<std::vector<SubjectVersion>> RegistryState::Versions(const std::string& subject,
                                                                    bool include_deleted) const {
  std::vector<SubjectVersion> out;
  if (auto it = subjects_.find(subject); it != subjects_.end()) {
    for (const auto& [number, version] : it->second.versions) {
      if (include_deleted || !version.deleted) out.push_back(version);
    }
  }
  if (out.empty()) {
    return RegistryFailure(RegistryErrorCode::kSubjectNotFound,
                           fmt::format("Subject '{}' not found.", subject));
  }
  return out;
}

RegistryResult<SubjectVersion> RegistryState::FindVersion(const std::string& subject,
                                                          std::string_view version,
                                                          bool include_deleted) const {
  std::optional<int32_t> number = ParseVersion(version);
  if (!number) {
    return RegistryFailure(
        RegistryErrorCode::kInvalidVersion,
        fmt::format("The specified version '{}' is not a valid version id. Allowed values are "
                    "between [1, 2^31-1] and the string \"latest\"",
                    version));
  }
  auto versions = Versions(subject, include_deleted);
  if (!versions) return std::unexpected(versions.error());
  if (*number == 0) return versions->back();
  for (const SubjectVersion& candidate : *versions) {
    if (candidate.version == *number) return candidate;
  }
  return RegistryFailure(RegistryErrorCode::kVersionNotFound,
                         fmt::format("Version {} not found.", *number));
}

RegistryResult<SubjectVersion> RegistryState::Lookup(const std::string& subject,
                                                     const JsonSchema& schema,
                                                     bool include_deleted) const {
  auto versions = Versions(subject, include_deleted);
  if (!versions) return std::unexpected(versions.error());
  std::optional<int32_t> id = IdOf("JSON", schema.Canonical());
  if (id) {
    // The newest version holding it, as a client registering it again would be told.
    for (auto it = versions->rbegin(); it != versions->rend(); ++it) {
      if (it->id == *id) return *it;
    }
  }
  return RegistryFailure(RegistryErrorCode::kSchemaNotFound, "Schema not found");
}

const StoredSchema* RegistryState::FindSchema(int32_t id) const {
  auto it = schemas_.find(id);
  return it == schemas_.end() ? nullptr : &it->second;
}

std::optional<int32_t> RegistryState::IdOf(std::string_view schema_type,
                                           const std::string& canonical) const {
  auto it = ids_by_text_.find({std::string(schema_type), canonical});
  if (it == ids_by_text_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, int32_t>> RegistryState::UsesOf(int32_t id) const {
  std::vector<std::pair<std::string, int32_t>> uses;
  for (const auto& [name, subject] : subjects_) {
    for (const auto& [number, version] : subject.versions) {
      if (version.id == id) uses.emplace_back(name, number);
    }
  }
  return uses;
}

int32_t RegistryState::NextVersion(const std::string& subject) const {
  auto it = subjects_.find(subject);
  if (it == subjects_.end() || it->second.versions.empty()) return 1;
  return it->second.versions.rbegin()->first + 1;
}

std::optional<CompatibilityLevel> RegistryState::ConfiguredLevel(
    const std::optional<std::string>& subject) const {
  if (!subject) return global_level_;
  auto it = subject_levels_.find(*subject);
  if (it == subject_levels_.end()) return std::nullopt;
  return it->second;
}

CompatibilityLevel RegistryState::EffectiveLevel(const std::string& subject) const {
  if (auto level = ConfiguredLevel(subject)) return *level;
  return global_level_.value_or(kDefaultCompatibilityLevel);
}

}  // namespace tarn::contracts
