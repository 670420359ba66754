#include "contracts/schema_registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <exception>

#include "contracts/compatibility_checker.h"
#include "contracts/registry_records.h"
#include "contracts/schema_validator.h"
#include "events/envelope.h"
#include "net/asio.h"
#include "net/signal.h"

namespace tarn::contracts {
namespace {

RegistryError InvalidLevel() {
  return RegistryError{RegistryErrorCode::kInvalidCompatibilityLevel,
                       "Invalid compatibility level. Valid values are none, backward, forward, "
                       "full, backward_transitive, forward_transitive, and full_transitive"};
}

// The schemas of `versions` for the compatibility check, skipping any whose stored text does
// not parse (a damaged record cannot constrain anything).
std::vector<PreviousSchema> PreviousSchemas(const RegistryState& state,
                                            const std::vector<SubjectVersion>& versions) {
  std::vector<PreviousSchema> previous;
  for (const SubjectVersion& version : versions) {
    const StoredSchema* stored = state.FindSchema(version.id);
    if (stored != nullptr && stored->parsed) {
      previous.push_back(PreviousSchema{version.version, stored->parsed.get()});
    }
  }
  return previous;
}

}  // namespace

SchemaRegistry::SchemaRegistry(IoContext& io, std::unique_ptr<SchemaLog> log)
    : log_(std::move(log)), write_done_(std::make_unique<net::Signal>(io)) {}

SchemaRegistry::~SchemaRegistry() = default;

Awaitable<Result<std::unique_ptr<SchemaRegistry>>> SchemaRegistry::Open(
    IoContext& io, std::unique_ptr<SchemaLog> log) {
  std::unique_ptr<SchemaRegistry> registry(new SchemaRegistry(io, std::move(log)));
  Result<std::vector<SchemaLogRecord>> read = co_await registry->log_->ReadAll();
  if (!read) co_return Error(read.error());
  const std::vector<SchemaLogRecord>& records = *read;
  size_t skipped = 0;
  for (const SchemaLogRecord& record : records) {
    Status applied = registry->state_.Apply(record);
    if (!applied.ok()) {
      ++skipped;
      spdlog::warn("schema registry: skipped a record: {}", applied.ToString());
    }
  }
  spdlog::info("schema registry: replayed {} records ({} skipped), {} subjects", records.size(),
               skipped, registry->state_.Subjects(true).size());
  co_return registry;
}

template <typename T>
Awaitable<RegistryResult<T>> SchemaRegistry::Write(Plan<T> plan) {
  while (writing_) co_await write_done_->Wait();
  writing_ = true;
  std::optional<RegistryResult<T>> result;
  std::exception_ptr failure;
  try {
    result = co_await WriteNow(plan);
  } catch (...) {
    failure = std::current_exception();
  }
  writing_ = false;
  write_done_->NotifyAll();
  if (failure) std::rethrow_exception(failure);
  co_return std::move(*result);
}

template <typename T>
Awaitable<RegistryResult<T>> SchemaRegistry::WriteNow(const Plan<T>& plan) {
  RegistryResult<Planned<T>> planned = plan();
  if (!planned) co_return std::unexpected(std::move(planned).error());
  if (!planned->records.empty()) {
    Status written = co_await log_->Append(planned->records);
    if (!written.ok()) {
      spdlog::error("schema registry: writing to the log failed: {}", written.ToString());
      co_return RegistryFailure(RegistryErrorCode::kStoreError,
                                "Error in the backend data store: " + written.ToString());
    }
    for (const SchemaLogRecord& record : planned->records) {
      Status applied = state_.Apply(record);
      if (!applied.ok()) spdlog::error("schema registry: {}", applied.ToString());
    }
  }
  co_return std::move(planned->outcome);
}

Awaitable<RegistryResult<int32_t>> SchemaRegistry::Register(std::string subject,
                                                            SchemaRequest request) {
  co_return co_await Write<int32_t>([&]() -> RegistryResult<Planned<int32_t>> {
    RegistryResult<JsonSchema> schema = ParseRequestSchema(request);
    if (!schema) return std::unexpected(schema.error());
    if (auto existing = state_.Lookup(subject, *schema, false)) {
      return Planned<int32_t>{{}, existing->id};
    }
    std::vector<SubjectVersion> live;
    if (auto versions = state_.Versions(subject, false)) live = std::move(*versions);
    std::vector<PreviousSchema> previous = PreviousSchemas(state_, live);
    std::vector<std::string> breaks =
        CheckCompatibility(state_.EffectiveLevel(subject), *schema, previous);
    if (!breaks.empty()) {
      return RegistryFailure(
          RegistryErrorCode::kIncompatibleSchema,
          fmt::format("Schema being registered is incompatible with an earlier schema for "
                      "subject \"{}\", details: [{}]",
                      subject, fmt::join(breaks, ", ")));
    }
    const std::string canonical = schema->Canonical();
    SchemaRecord record{.subject = subject,
                        .version = state_.NextVersion(subject),
                        .id = state_.IdOf("JSON", canonical).value_or(state_.NextId()),
                        .schema_type = "JSON",
                        .schema = canonical};
    return Planned<int32_t>{{EncodeRecord(record)}, record.id};
  });
}

RegistryResult<std::vector<std::string>> SchemaRegistry::TestCompatibility(
    const std::string& subject, const std::optional<std::string>& version,
    const SchemaRequest& request) const {
  RegistryResult<JsonSchema> schema = ParseRequestSchema(request);
  if (!schema) return std::unexpected(schema.error());
  CompatibilityLevel level = state_.EffectiveLevel(subject);
  std::vector<SubjectVersion> against;
  if (version && *version != "latest" && *version != "-1") {
    auto one = state_.FindVersion(subject, *version, false);
    if (!one) return std::unexpected(one.error());
    against.push_back(*one);
  } else {
    auto live = state_.Versions(subject, false);
    if (!live) {
      if (version) return std::unexpected(live.error());
      return std::vector<std::string>{};
    }
    against = std::move(*live);
  }
  std::vector<PreviousSchema> previous = PreviousSchemas(state_, against);
  return CheckCompatibility(level, *schema, previous);
}

Awaitable<RegistryResult<std::vector<int32_t>>> SchemaRegistry::DeleteSubject(std::string subject,
                                                                              bool permanent) {
  using Deleted = std::vector<int32_t>;
  co_return co_await Write<Deleted>([&]() -> RegistryResult<Planned<Deleted>> {
    auto all = state_.Versions(subject, true);
    if (!all) return std::unexpected(all.error());
    Planned<Deleted> planned;
    bool any_live = false;
    for (const SubjectVersion& version : *all) any_live = any_live || !version.deleted;
    if (!permanent) {
      if (!any_live) {
        return RegistryFailure(
            RegistryErrorCode::kSubjectSoftDeleted,
            fmt::format("Subject '{}' was soft deleted. Set permanent=true to delete permanently",
                        subject));
      }
      for (const SubjectVersion& version : *all) {
        if (!version.deleted) planned.outcome.push_back(version.version);
      }
      planned.records.push_back(EncodeRecord(DeleteSubjectRecord{subject, all->back().version}));
      return planned;
    }
    if (any_live) {
      return RegistryFailure(
          RegistryErrorCode::kSubjectNotSoftDeleted,
          fmt::format("Subject '{}' was not deleted first before being permanently deleted",
                      subject));
    }
    for (const SubjectVersion& version : *all) {
      planned.outcome.push_back(version.version);
      planned.records.push_back(EncodeRecord(SchemaTombstone{subject, version.version}));
    }
    SchemaLogRecord marker = EncodeRecord(DeleteSubjectRecord{subject, 0});
    marker.value.reset();
    planned.records.push_back(std::move(marker));
    if (state_.ConfiguredLevel(subject)) {
      planned.records.push_back(EncodeRecord(ConfigRecord{subject, std::nullopt}));
    }
    return planned;
  });
}

Awaitable<RegistryResult<int32_t>> SchemaRegistry::DeleteVersion(std::string subject,
                                                                 std::string version,
                                                                 bool permanent) {
  co_return co_await Write<int32_t>([&]() -> RegistryResult<Planned<int32_t>> {
    // A soft delete of "latest" means the newest live version; otherwise deleted versions
    // count, so that their errors can be told apart.
    bool latest = version == "latest" || version == "-1";
    auto found = state_.FindVersion(subject, version, permanent || !latest);
    if (!found) return std::unexpected(found.error());
    if (!permanent) {
      if (found->deleted) {
        return RegistryFailure(
            RegistryErrorCode::kVersionSoftDeleted,
            fmt::format("Subject '{}' Version {} was soft deleted. Set permanent=true to delete "
                        "permanently",
                        subject, found->version));
      }
      const StoredSchema* stored = state_.FindSchema(found->id);
      SchemaRecord record{.subject = subject,
                          .version = found->version,
                          .id = found->id,
                          .schema_type = stored ? stored->schema_type : "JSON",
                          .schema = stored ? stored->schema : "",
                          .deleted = true};
      return Planned<int32_t>{{EncodeRecord(record)}, found->version};
    }
    if (!found->deleted) {
      return RegistryFailure(
          RegistryErrorCode::kVersionNotSoftDeleted,
          fmt::format("Subject '{}' Version {} was not deleted first before being permanently "
                      "deleted",
                      subject, found->version));
    }
    return Planned<int32_t>{{EncodeRecord(SchemaTombstone{subject, found->version})},
                            found->version};
  });
}

Awaitable<RegistryResult<CompatibilityLevel>> SchemaRegistry::SetLevel(
    std::optional<std::string> subject, std::string level) {
  co_return co_await Write<CompatibilityLevel>(
      [&]() -> RegistryResult<Planned<CompatibilityLevel>> {
        std::optional<CompatibilityLevel> parsed = ParseCompatibilityLevel(level);
        if (!parsed) return std::unexpected(InvalidLevel());
        ConfigRecord record{subject, std::string(CompatibilityLevelName(*parsed))};
        return Planned<CompatibilityLevel>{{EncodeRecord(record)}, *parsed};
      });
}

Awaitable<RegistryResult<CompatibilityLevel>> SchemaRegistry::DeleteLevel(
    std::optional<std::string> subject) {
  co_return co_await Write<CompatibilityLevel>(
      [&]() -> RegistryResult<Planned<CompatibilityLevel>> {
        std::optional<CompatibilityLevel> before = state_.ConfiguredLevel(subject);
        if (!before) {
          if (subject) {
            return RegistryFailure(
                RegistryErrorCode::kSubjectCompatibilityNotConfigured,
                fmt::format("Subject '{}' does not have subject-level compatibility configured",
                            *subject));
          }
          return Planned<CompatibilityLevel>{{}, kDefaultCompatibilityLevel};
        }
        return Planned<CompatibilityLevel>{{EncodeRecord(ConfigRecord{subject, std::nullopt})},
                                           *before};
      });
}

Status SchemaRegistry::CheckEvent(const events::Envelope& event) const {
  const std::string& subject = state_.SubjectForType(event.type());
  RegistryResult<SubjectVersion> latest = state_.FindVersion(subject, "latest", false);
  if (!latest) {
    if (!require_contracts_) return Status::Ok();
    return Status::InvalidArgument(fmt::format(
        "event type {} has no contract (no schema under subject \"{}\") and contracts are required",
        event.type(), subject));
  }
  const StoredSchema* stored = state_.FindSchema(latest->id);
  if (stored == nullptr || !stored->parsed) {
    return Status::Internal(fmt::format("the schema of {} version {} (id {}) cannot be read",
                                        subject, latest->version, latest->id));
  }
  std::unique_ptr<SchemaValidator>& validator = validators_[latest->id];
  if (!validator) validator = std::make_unique<SchemaValidator>(*stored->parsed);
  std::vector<Finding> findings = validator->Validate(event.document());
  if (findings.empty()) return Status::Ok();
  std::string message = fmt::format("event does not satisfy the contract of {} ({} version {}, id {}):",
                                    event.type(), subject, latest->version, latest->id);
  for (size_t i = 0; i < findings.size(); ++i) {
    message += fmt::format("{} {}: {}", i == 0 ? "" : ";", findings[i].path.empty() ? "/" : findings[i].path,
                           findings[i].message);
  }
  return Status::InvalidArgument(std::move(message));
}

Awaitable<RegistryResult<std::string>> SchemaRegistry::BindContract(std::string type,
                                                                    std::string subject) {
  co_return co_await Write<std::string>([&]() -> RegistryResult<Planned<std::string>> {
    if (Status valid = events::ValidateEventType(type); !valid.ok()) {
      return RegistryFailure(RegistryErrorCode::kUnprocessableEntity, valid.message());
    }
    if (subject.empty()) {
      return RegistryFailure(RegistryErrorCode::kUnprocessableEntity, "the subject is empty");
    }
    if (state_.SubjectForType(type) == subject) return Planned<std::string>{{}, subject};
    ContractBindingRecord record{.type = type, .subject = subject};
    if (subject == type) record.subject.reset();  // back to the default
    return Planned<std::string>{{EncodeRecord(record)}, subject};
  });
}

}  // namespace tarn::contracts
