// The schema registry: Confluent Schema Registry's model (subjects, versions, global ids,
// compatibility levels, soft and permanent deletes) for JSON Schema, kept in a SchemaLog.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "contracts/registry_state.h"
#include "contracts/schema_log.h"
#include "net/asio_fwd.h"

namespace tarn::events {
class Envelope;
}

namespace tarn::net {
class Signal;
}

namespace tarn::contracts {

class SchemaValidator;

// Owned by the app; lives on the io_context's thread, the only one that may call it.
//
// A write plans its records against the current state, appends them to the log, waits until
// they are durable, and only then applies them, so a reader never sees what a crash could
// undo. Writes run one at a time (a later one waits for the earlier one's fsync); reads are
// answered at once from the state.
class SchemaRegistry {
 public:
  // A registry with the state `log` holds, replayed from its first record. Records it cannot
  // read are logged and skipped. Errors are the log's own (reading it failed).
  static Awaitable<Result<std::unique_ptr<SchemaRegistry>>> Open(IoContext& io,
                                                                 std::unique_ptr<SchemaLog> log);
  ~SchemaRegistry();
  SchemaRegistry(const SchemaRegistry&) = delete;
  SchemaRegistry& operator=(const SchemaRegistry&) = delete;

  const RegistryState& state() const { return state_; }

  // Whether an event whose type has no contract is refused (CheckEvent). Off by default:
  // contracts are then checked where they exist.
  void set_require_contracts(bool require) { require_contracts_ = require; }

  // Checks an event against its type's contract: the latest live schema of the subject bound
  // to its type (RegistryState::SubjectForType), applied to the whole envelope. OK when it
  // satisfies it, and when the type has no contract unless contracts are required.
  // kInvalidArgument otherwise, naming the subject, version and id and every violation with
  // its JSON pointer ("/order/total: ...").
  Status CheckEvent(const events::Envelope& event) const;

  // Binds event type `type` to `subject` (a subject named like the type is the default and
  // needs no binding; binding to it removes any other). 42200 for a type that is not
  // `<entity>-<verb>` or an empty subject.
  Awaitable<RegistryResult<std::string>> BindContract(std::string type, std::string subject);

  // Registers `request` under `subject` and returns its global id: the existing version's id
  // when the subject already holds the same schema (nothing is written), else a new version
  // with the id the schema already has elsewhere, or a new id. 42201 for a schema that is not
  // a JSON Schema we accept, 409 when it breaks the subject's compatibility level (the message
  // lists what breaks), 50001 when the log fails.
  Awaitable<RegistryResult<int32_t>> Register(std::string subject, SchemaRequest request);

  // What in `request` breaks compatibility with `subject`: against `version` ("latest" or a
  // number) when given, else against the versions the subject's level names. Empty when
  // compatible, and for a subject with no versions when no version is given. 42201, 42202,
  // 40401, 40402.
  RegistryResult<std::vector<std::string>> TestCompatibility(
      const std::string& subject, const std::optional<std::string>& version,
      const SchemaRequest& request) const;

  // Soft-deletes every live version (returns them), or, with `permanent`, removes a subject
  // whose versions were all soft-deleted first (returns every version). 40401, 40404 (already
  // soft-deleted), 40405 (permanent before soft).
  Awaitable<RegistryResult<std::vector<int32_t>>> DeleteSubject(std::string subject,
                                                                bool permanent);
  // The same for one version ("latest" or a number); returns its number. 42202, 40401, 40402,
  // 40406 (already soft-deleted), 40407 (permanent before soft).
  Awaitable<RegistryResult<int32_t>> DeleteVersion(std::string subject, std::string version,
                                                   bool permanent);

  // Sets the compatibility level of `subject`, or the global one for nullopt. 42203 for a
  // level name that does not exist.
  Awaitable<RegistryResult<CompatibilityLevel>> SetLevel(std::optional<std::string> subject,
                                                         std::string level);
  // Removes a level setting and returns the level that applied before. 40408 for a subject
  // with no level of its own; the global setting reverts to BACKWARD.
  Awaitable<RegistryResult<CompatibilityLevel>> DeleteLevel(std::optional<std::string> subject);

 private:
  // Records to append and the outcome to return once they are applied.
  template <typename T>
  struct Planned {
    std::vector<SchemaLogRecord> records;
    T outcome;
  };
  template <typename T>
  using Plan = std::function<RegistryResult<Planned<T>>()>;

  SchemaRegistry(IoContext& io, std::unique_ptr<SchemaLog> log);
  // Runs `plan` once earlier writes are done, then appends, waits and applies.
  template <typename T>
  Awaitable<RegistryResult<T>> Write(Plan<T> plan);
  template <typename T>
  Awaitable<RegistryResult<T>> WriteNow(const Plan<T>& plan);

  std::unique_ptr<SchemaLog> log_;
  RegistryState state_;
  bool require_contracts_ = false;
  // A compiled validator per schema id, made on first use.
  mutable std::map<int32_t, std::unique_ptr<SchemaValidator>> validators_;
  bool writing_ = false;
  std::unique_ptr<net::Signal> write_done_;
};

}  // namespace tarn::contracts
