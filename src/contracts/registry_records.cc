#include "contracts/registry_records.h"

#include <nlohmann/json.hpp>

namespace tarn::contracts {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string Dump(const OrderedJson& value) {
  return value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

Status Corrupt(std::string_view what, const SchemaLogRecord& record) {
  return Status::Corruption(std::string("_schemas record ") + record.key + ": " +
                            std::string(what));
}

template <typename T>
std::optional<T> Get(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return std::nullopt;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return std::nullopt;
  } else {
    if (!it->is_number_integer()) return std::nullopt;
  }
  return it->get<T>();
}

}  // namespace

SchemaLogRecord EncodeRecord(const SchemaRecord& record) {
  OrderedJson key = {{"keytype", "SCHEMA"},
                     {"subject", record.subject},
                     {"version", record.version},
                     {"magic", 1}};
  OrderedJson value = {{"subject", record.subject},   {"version", record.version},
                       {"id", record.id},             {"schemaType", record.schema_type},
                       {"schema", record.schema},     {"deleted", record.deleted}};
  return {Dump(key), Dump(value)};
}

SchemaLogRecord EncodeRecord(const SchemaTombstone& record) {
  OrderedJson key = {{"keytype", "SCHEMA"},
                     {"subject", record.subject},
                     {"version", record.version},
                     {"magic", 1}};
  return {Dump(key), std::nullopt};
}

SchemaLogRecord EncodeRecord(const ConfigRecord& record) {
  OrderedJson key = {{"keytype", "CONFIG"}, {"subject", nullptr}, {"magic", 0}};
  if (record.subject) key["subject"] = *record.subject;
  if (!record.compatibility_level) return {Dump(key), std::nullopt};
  OrderedJson value = {{"compatibilityLevel", *record.compatibility_level}};
  return {Dump(key), Dump(value)};
}

SchemaLogRecord EncodeRecord(const DeleteSubjectRecord& record) {
  OrderedJson key = {{"keytype", "DELETE_SUBJECT"}, {"subject", record.subject}, {"magic", 0}};
  OrderedJson value = {{"subject", record.subject}, {"version", record.version}};
  return {Dump(key), Dump(value)};
}

SchemaLogRecord EncodeRecord(const ContractBindingRecord& record) {
  OrderedJson key = {{"keytype", "TARN_CONTRACT"}, {"type", record.type}, {"magic", 0}};
  if (!record.subject) return {Dump(key), std::nullopt};
  OrderedJson value = {{"type", record.type}, {"subject", *record.subject}};
  return {Dump(key), Dump(value)};
}

Result<RegistryRecord> DecodeRecord(const SchemaLogRecord& record) {
  nlohmann::json key = nlohmann::json::parse(record.key, nullptr, false);
  if (!key.is_object()) return Error(Corrupt("the key is not a JSON object", record));
  std::optional<std::string> keytype = Get<std::string>(key, "keytype");
  if (!keytype) return Error(Corrupt("the key has no keytype", record));

  nlohmann::json value;
  if (record.value) {
    value = nlohmann::json::parse(*record.value, nullptr, false);
    if (!value.is_object()) return Error(Corrupt("the value is not a JSON object", record));
  }
  std::optional<std::string> subject = Get<std::string>(key, "subject");

  if (*keytype == "SCHEMA") {
    std::optional<int32_t> version = Get<int32_t>(key, "version");
    if (!subject || !version) return Error(Corrupt("a SCHEMA key needs subject and version", record));
    if (!record.value) return SchemaTombstone{*subject, *version};
    SchemaRecord out;
    out.subject = *subject;
    out.version = *version;
    std::optional<int32_t> id = Get<int32_t>(value, "id");
    std::optional<std::string> schema = Get<std::string>(value, "schema");
    if (!id || !schema) return Error(Corrupt("a SCHEMA value needs id and schema", record));
    out.id = *id;
    out.schema = std::move(*schema);
    out.schema_type = Get<std::string>(value, "schemaType").value_or("AVRO");
    out.deleted = Get<bool>(value, "deleted").value_or(false);
    return out;
  }
  if (*keytype == "CONFIG") {
    ConfigRecord out{.subject = subject, .compatibility_level = std::nullopt};
    if (record.value) {
      std::optional<std::string> level = Get<std::string>(value, "compatibilityLevel");
      if (!level) return Error(Corrupt("a CONFIG value needs compatibilityLevel", record));
      out.compatibility_level = std::move(level);
    }
    return out;
  }
  if (*keytype == "DELETE_SUBJECT") {
    if (!subject) return Error(Corrupt("a DELETE_SUBJECT key needs a subject", record));
    if (!record.value) return IgnoredRecord{*keytype};
    std::optional<int32_t> version = Get<int32_t>(value, "version");
    if (!version) return Error(Corrupt("a DELETE_SUBJECT value needs a version", record));
    return DeleteSubjectRecord{*subject, *version};
  }
  if (*keytype == "TARN_CONTRACT") {
    std::optional<std::string> type = Get<std::string>(key, "type");
    if (!type) return Error(Corrupt("a TARN_CONTRACT key needs a type", record));
    ContractBindingRecord out{.type = std::move(*type), .subject = std::nullopt};
    if (record.value) {
      out.subject = Get<std::string>(value, "subject");
      if (!out.subject) return Error(Corrupt("a TARN_CONTRACT value needs a subject", record));
    }
    return out;
  }
  return IgnoredRecord{*keytype};
}

}  // namespace tarn::contracts
