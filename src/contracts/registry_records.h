// The records of the `_schemas` log, in Confluent Schema Registry's own format so that its
// tools can read the topic (docs/contracts.md, "The _schemas topic"):
//   SCHEMA          key {"keytype":"SCHEMA","subject":S,"version":V,"magic":1}
//                   value {"subject","version","id","schemaType","schema","deleted"}; a tombstone
//                   is a permanent delete of that version
//   CONFIG          key {"keytype":"CONFIG","subject":S or null,"magic":0}
//                   value {"compatibilityLevel":L}; a tombstone removes the setting
//   DELETE_SUBJECT  key {"keytype":"DELETE_SUBJECT","subject":S,"magic":0}
//                   value {"subject":S,"version":V}: versions up to V are soft-deleted
//   TARN_CONTRACT   key {"keytype":"TARN_CONTRACT","type":T,"magic":0}
//                   value {"type":T,"subject":S}: event type T's contract is subject S (Tarn's
//                   own key type; Confluent's registry skips key types it does not know); a
//                   tombstone returns T to the default, the subject named T
// Keys are written with a fixed field order, so that every record of one key has the same
// bytes and compaction keeps only the last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "base/result.h"
#include "contracts/schema_log.h"

namespace tarn::contracts {

struct SchemaRecord {
  std::string subject;
  int32_t version = 0;
  int32_t id = 0;
  std::string schema_type = "JSON";
  std::string schema;
  bool deleted = false;
};

struct ConfigRecord {
  std::optional<std::string> subject;  // nullopt: the global setting
  std::optional<std::string> compatibility_level;  // nullopt: removed
};

struct DeleteSubjectRecord {
  std::string subject;
  int32_t version = 0;  // every version up to this one
};

// An event type bound to the subject that holds its contract.
struct ContractBindingRecord {
  std::string type;
  std::optional<std::string> subject;  // nullopt: the binding is removed
};

// A SCHEMA key with no value: a permanent delete of one version.
struct SchemaTombstone {
  std::string subject;
  int32_t version = 0;
};

// A record whose key type the registry does not act on (NOOP, MODE, ...).
struct IgnoredRecord {
  std::string keytype;
};

using RegistryRecord = std::variant<SchemaRecord, SchemaTombstone, ConfigRecord,
                                    DeleteSubjectRecord, ContractBindingRecord, IgnoredRecord>;

SchemaLogRecord EncodeRecord(const SchemaRecord& record);
SchemaLogRecord EncodeRecord(const SchemaTombstone& record);
SchemaLogRecord EncodeRecord(const ConfigRecord& record);
SchemaLogRecord EncodeRecord(const DeleteSubjectRecord& record);
SchemaLogRecord EncodeRecord(const ContractBindingRecord& record);

// kCorruption when the key or value is not JSON or lacks a field its key type needs.
Result<RegistryRecord> DecodeRecord(const SchemaLogRecord& record);

}  // namespace tarn::contracts
