// What the schema registry knows: subjects and their versions, schemas by global id, and the
// compatibility settings. A pure function of the `_schemas` records applied to it, in order,
// so replaying the log rebuilds it exactly. Reads only; SchemaRegistry plans the writes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "contracts/compatibility_level.h"
#include "contracts/json_schema.h"
#include "contracts/registry_error.h"
#include "contracts/schema_log.h"

namespace tarn::contracts {

// A schema as a client sends it (to register, look up or test).
struct SchemaRequest {
  std::string schema;
  std::string schema_type = "AVRO";  // the API's default when a request names none
  bool has_references = false;
};

// The schema in `request`, parsed and checked. 42201 for another schemaType than JSON (this
// registry stores JSON Schema only), for references (not supported) and for a schema that is
// not well-formed.
RegistryResult<JsonSchema> ParseRequestSchema(const SchemaRequest& request);

// A schema by id: its canonical text, parsed (shared with every version that uses it).
struct StoredSchema {
  int32_t id = 0;
  std::string schema_type;
  std::string schema;
  std::shared_ptr<const JsonSchema> parsed;  // null when a stored text does not parse
  int uses = 0;                              // subject versions, soft-deleted ones included
};

// One version of a subject.
struct SubjectVersion {
  std::string subject;
  int32_t version = 0;
  int32_t id = 0;
  bool deleted = false;  // soft-deleted
};

// One thread (the io_context's).
class RegistryState {
 public:
  // Applies one `_schemas` record. kCorruption for a record it cannot read, which changes
  // nothing; replay reports it and goes on.
  Status Apply(const SchemaLogRecord& record);

  // Subjects with a live version (or any version, with include_deleted), sorted.
  std::vector<std::string> Subjects(bool include_deleted) const;

  // Every version of `subject`, ascending, soft-deleted ones only with include_deleted.
  // 40401 when there is none.
  RegistryResult<std::vector<SubjectVersion>> Versions(const std::string& subject,
                                                       bool include_deleted) const;

  // The version `version` names: a number in [1, 2^31-1], or "latest" / -1 for the newest.
  // 42202 for anything else, 40401 for an unknown subject, 40402 for an unknown version.
  RegistryResult<SubjectVersion> FindVersion(const std::string& subject, std::string_view version,
                                             bool include_deleted) const;

  // The version of `subject` whose schema equals `schema` (canonical text and type).
  // 40401 for an unknown subject, 40403 when no version holds it.
  RegistryResult<SubjectVersion> Lookup(const std::string& subject, const JsonSchema& schema,
                                        bool include_deleted) const;

  // The schema with this id, or null.
  const StoredSchema* FindSchema(int32_t id) const;
  // The id a schema with this canonical text already has, if any.
  std::optional<int32_t> IdOf(std::string_view schema_type, const std::string& canonical) const;
  // The (subject, version) pairs that use schema `id`, soft-deleted ones included.
  std::vector<std::pair<std::string, int32_t>> UsesOf(int32_t id) const;

  // The id and version the next new schema would get.
  int32_t NextId() const { return max_id_ + 1; }
  int32_t NextVersion(const std::string& subject) const;

  // The subject that holds event type `type`'s contract: the one bound to it, else the subject
  // named like the type.
  const std::string& SubjectForType(const std::string& type) const;
  // Every explicit binding, type -> subject, sorted by type.
  const std::map<std::string, std::string>& ContractBindings() const { return bindings_; }

  // The level configured for `subject` (nullopt: the global one), if any.
  std::optional<CompatibilityLevel> ConfiguredLevel(const std::optional<std::string>& subject) const;
  // What applies to `subject`: its own level, else the global one, else BACKWARD.
  CompatibilityLevel EffectiveLevel(const std::string& subject) const;

 private:
  struct Subject {
    std::map<int32_t, SubjectVersion> versions;
  };
  void Release(int32_t id);

  std::map<std::string, Subject> subjects_;
  std::map<int32_t, StoredSchema> schemas_;
  std::map<std::pair<std::string, std::string>, int32_t> ids_by_text_;  // (type, canonical)
  std::optional<CompatibilityLevel> global_level_;
  std::map<std::string, CompatibilityLevel> subject_levels_;
  int32_t max_id_ = 0;
  std::map<std::string, std::string> bindings_;  // event type -> subject
};

}  // namespace tarn::contracts
