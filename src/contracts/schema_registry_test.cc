#include "contracts/schema_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "contracts/memory_schema_log.h"
#include "events/envelope.h"
#include "net/run_to_completion.h"
#include "net/signal.h"

namespace tarn::contracts {
namespace {

using net::RunToCompletion;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

SchemaRequest Json(std::string schema) {
  return SchemaRequest{.schema = std::move(schema), .schema_type = "JSON"};
}

const char kV1[] = R"({"type": "object", "properties": {"id": {"type": "string"}},
                       "additionalProperties": false})";
const char kV2[] = R"({"type": "object", "properties": {"id": {"type": "string"},
                       "amount": {"type": "number"}}, "additionalProperties": false})";
// Breaks v2 backward: amount narrowed to integer.
const char kV3Narrowed[] = R"({"type": "object", "properties": {"id": {"type": "string"},
                       "amount": {"type": "integer"}}, "additionalProperties": false})";

class SchemaRegistryTest : public ::testing::Test {
 protected:
  SchemaRegistryTest() { Reopen(); }

  // A new registry over the same records, as after a restart.
  void Reopen() {
    registry_.reset();
    auto opened =
        RunToCompletion(io_, SchemaRegistry::Open(io_, std::make_unique<MemorySchemaLog>(log_)));
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    registry_ = std::move(*opened);
  }

  RegistryResult<int32_t> Register(const std::string& subject, const char* schema) {
    return RunToCompletion(io_, registry_->Register(subject, Json(schema)));
  }
  RegistryResult<std::vector<int32_t>> DeleteSubject(const std::string& subject, bool permanent) {
    return RunToCompletion(io_, registry_->DeleteSubject(subject, permanent));
  }
  RegistryResult<int32_t> DeleteVersion(const std::string& subject, const std::string& version,
                                        bool permanent) {
    return RunToCompletion(io_, registry_->DeleteVersion(subject, version, permanent));
  }
  RegistryResult<CompatibilityLevel> SetLevel(std::optional<std::string> subject,
                                              const std::string& level) {
    return RunToCompletion(io_, registry_->SetLevel(std::move(subject), level));
  }

  IoContext io_;
  std::shared_ptr<MemorySchemaLog::Shared> log_ = std::make_shared<MemorySchemaLog::Shared>();
  std::unique_ptr<SchemaRegistry> registry_;
};

TEST_F(SchemaRegistryTest, RegistersVersionsWithGlobalIds) {
  EXPECT_EQ(Register("orders-value", kV1).value(), 1);
  EXPECT_EQ(Register("orders-value", kV2).value(), 2);
  // The same schema again, even spelled differently: same id, no new version, nothing written.
  size_t records = log_->records.size();
  EXPECT_EQ(Register("orders-value", R"({"additionalProperties": false, "type": "object",
      "properties": {"amount": {"type": "number"}, "id": {"type": "string"}}})")
                .value(),
            2);
  EXPECT_EQ(log_->records.size(), records);
  // Under another subject: the same global id, that subject's version 1.
  EXPECT_EQ(Register("payments-value", kV1).value(), 1);
  EXPECT_EQ(registry_->state().FindVersion("payments-value", "latest", false)->version, 1);
  EXPECT_THAT(registry_->state().Subjects(false), ElementsAre("orders-value", "payments-value"));
  EXPECT_THAT(registry_->state().UsesOf(1),
              ElementsAre(std::pair<std::string, int32_t>("orders-value", 1),
                          std::pair<std::string, int32_t>("payments-value", 1)));
}

TEST_F(SchemaRegistryTest, RefusesIncompatibleSchemasWithTheReasons) {
  ASSERT_TRUE(Register("s", kV2).has_value());
  RegistryResult<int32_t> refused = Register("s", kV3Narrowed);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, RegistryErrorCode::kIncompatibleSchema);
  EXPECT_EQ(refused.error().http_status(), 409);
  EXPECT_THAT(refused.error().message,
              HasSubstr("TYPE_NARROWED at #/properties/amount: property 'amount' type narrowed "
                        "from number to integer"));
  EXPECT_THAT(refused.error().message, HasSubstr("subject \"s\""));
  // With the subject's level at NONE it goes in.
  EXPECT_EQ(SetLevel("s", "none").value(), CompatibilityLevel::kNone);
  EXPECT_EQ(Register("s", kV3Narrowed).value(), 2);
}

TEST_F(SchemaRegistryTest, TransitiveLevelsUseEveryLiveVersion) {
  ASSERT_TRUE(SetLevel(std::nullopt, "NONE").has_value());
  ASSERT_TRUE(Register("s", R"({"type": "string"})").has_value());
  ASSERT_TRUE(Register("s", R"({"type": "integer"})").has_value());
  ASSERT_TRUE(SetLevel(std::nullopt, "BACKWARD_TRANSITIVE").has_value());
  const char widened[] = R"({"type": "number"})";
  EXPECT_EQ(Register("s", widened).error().code, RegistryErrorCode::kIncompatibleSchema);
  // Soft-deleting version 1 takes it out of the check.
  ASSERT_EQ(DeleteVersion("s", "1", false).value(), 1);
  EXPECT_TRUE(Register("s", widened).has_value());
}

TEST_F(SchemaRegistryTest, TestCompatibilityAgainstOneOrAllVersions) {
  ASSERT_TRUE(Register("s", kV2).has_value());
  EXPECT_THAT(registry_->TestCompatibility("s", "latest", Json(kV3Narrowed)).value(),
              ElementsAre(HasSubstr("TYPE_NARROWED")));
  EXPECT_THAT(registry_->TestCompatibility("s", std::nullopt, Json(kV2)).value(), IsEmpty());
  EXPECT_THAT(registry_->TestCompatibility("new", std::nullopt, Json(kV2)).value(), IsEmpty());
  EXPECT_EQ(registry_->TestCompatibility("new", "latest", Json(kV2)).error().code,
            RegistryErrorCode::kSubjectNotFound);
  EXPECT_EQ(registry_->TestCompatibility("s", "9", Json(kV2)).error().code,
            RegistryErrorCode::kVersionNotFound);
  EXPECT_EQ(registry_->TestCompatibility("s", "x", Json(kV2)).error().code,
            RegistryErrorCode::kInvalidVersion);
  EXPECT_EQ(registry_->TestCompatibility("s", "1", SchemaRequest{.schema = "{}"}).error().code,
            RegistryErrorCode::kInvalidSchema);
}

TEST_F(SchemaRegistryTest, SoftThenPermanentDeletesFollowConfluentsRules) {
  ASSERT_TRUE(Register("s", kV1).has_value());
  ASSERT_TRUE(Register("s", kV2).has_value());
  EXPECT_EQ(DeleteVersion("s", "1", true).error().code, RegistryErrorCode::kVersionNotSoftDeleted);
  EXPECT_EQ(DeleteSubject("s", true).error().code, RegistryErrorCode::kSubjectNotSoftDeleted);
  EXPECT_EQ(DeleteVersion("s", "latest", false).value(), 2);
  EXPECT_EQ(DeleteVersion("s", "2", false).error().code, RegistryErrorCode::kVersionSoftDeleted);
  EXPECT_EQ(DeleteVersion("s", "7", false).error().code, RegistryErrorCode::kVersionNotFound);
  EXPECT_EQ(DeleteVersion("s", "seven", false).error().code, RegistryErrorCode::kInvalidVersion);
  EXPECT_EQ(DeleteVersion("t", "1", false).error().code, RegistryErrorCode::kSubjectNotFound);
  EXPECT_THAT(DeleteSubject("s", false).value(), ElementsAre(1));
  EXPECT_EQ(DeleteSubject("s", false).error().code, RegistryErrorCode::kSubjectSoftDeleted);
  EXPECT_THAT(registry_->state().Subjects(false), IsEmpty());
  // Soft-deleted schemas are still found by id.
  EXPECT_NE(registry_->state().FindSchema(1), nullptr);
  ASSERT_TRUE(SetLevel("s", "FULL").has_value());
  EXPECT_THAT(DeleteSubject("s", true).value(), ElementsAre(1, 2));
  EXPECT_EQ(DeleteSubject("s", true).error().code, RegistryErrorCode::kSubjectNotFound);
  EXPECT_EQ(registry_->state().FindSchema(1), nullptr);
  EXPECT_EQ(registry_->state().ConfiguredLevel(std::string("s")), std::nullopt);
  // A new registration starts at version 1 again, with a new id.
  EXPECT_EQ(Register("s", kV1).value(), 3);
  EXPECT_EQ(registry_->state().FindVersion("s", "latest", false)->version, 1);
}

TEST_F(SchemaRegistryTest, RegisteringAfterASoftDeleteReusesTheId) {
  ASSERT_EQ(Register("s", kV1).value(), 1);
  ASSERT_TRUE(DeleteSubject("s", false).has_value());
  EXPECT_EQ(Register("s", kV1).value(), 1);
  EXPECT_EQ(registry_->state().FindVersion("s", "latest", false)->version, 2);
}

TEST_F(SchemaRegistryTest, LevelsAndTheirDeletion) {
  EXPECT_EQ(SetLevel(std::nullopt, "sideways").error().code,
            RegistryErrorCode::kInvalidCompatibilityLevel);
  EXPECT_EQ(RunToCompletion(io_, registry_->DeleteLevel(std::string("s"))).error().code,
            RegistryErrorCode::kSubjectCompatibilityNotConfigured);
  ASSERT_TRUE(SetLevel("s", "FORWARD").has_value());
  EXPECT_EQ(registry_->state().EffectiveLevel("s"), CompatibilityLevel::kForward);
  EXPECT_EQ(RunToCompletion(io_, registry_->DeleteLevel(std::string("s"))).value(),
            CompatibilityLevel::kForward);
  ASSERT_TRUE(SetLevel(std::nullopt, "FULL").has_value());
  EXPECT_EQ(RunToCompletion(io_, registry_->DeleteLevel(std::nullopt)).value(),
            CompatibilityLevel::kFull);
  EXPECT_EQ(registry_->state().EffectiveLevel("s"), CompatibilityLevel::kBackward);
}

TEST_F(SchemaRegistryTest, ReplayRebuildsTheSameState) {
  ASSERT_TRUE(Register("a", kV1).has_value());
  ASSERT_TRUE(Register("a", kV2).has_value());
  ASSERT_TRUE(Register("b", kV2).has_value());
  ASSERT_TRUE(DeleteVersion("a", "1", false).has_value());
  ASSERT_TRUE(SetLevel("b", "FULL_TRANSITIVE").has_value());
  ASSERT_TRUE(DeleteSubject("b", false).has_value());
  ASSERT_TRUE(DeleteSubject("b", true).has_value());
  ASSERT_TRUE(Register("c", R"({"type": "string"})").has_value());

  Reopen();
  const RegistryState& state = registry_->state();
  EXPECT_THAT(state.Subjects(false), ElementsAre("a", "c"));
  EXPECT_THAT(state.Subjects(true), ElementsAre("a", "c"));
  EXPECT_EQ(state.Versions("a", true)->size(), 2u);
  EXPECT_TRUE(state.FindVersion("a", "1", true)->deleted);
  EXPECT_EQ(state.FindVersion("a", "2", false)->id, 2);
  EXPECT_EQ(state.FindVersion("c", "1", false)->id, 3);
  EXPECT_EQ(state.ConfiguredLevel(std::string("b")), std::nullopt);
  EXPECT_EQ(state.NextId(), 4);
  // Registering what exists keeps its id; new schemas continue the numbering.
  EXPECT_EQ(Register("a", kV2).value(), 2);
  EXPECT_EQ(Register("d", R"({"type": "boolean"})").value(), 4);
}

TEST_F(SchemaRegistryTest, ReplaySkipsRecordsItCannotRead) {
  log_->records.push_back({"garbage", "{}"});
  log_->records.push_back({R"({"keytype":"NOOP","magic":0})", std::nullopt});
  Reopen();
  EXPECT_EQ(Register("s", kV1).value(), 1);
}

TEST_F(SchemaRegistryTest, AFailedWriteChangesNothing) {
  ASSERT_TRUE(Register("s", kV1).has_value());
  log_->fail_appends = Status::IoError("disk full");
  RegistryResult<int32_t> failed = Register("s", kV2);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, RegistryErrorCode::kStoreError);
  EXPECT_EQ(failed.error().http_status(), 500);
  EXPECT_THAT(failed.error().message, HasSubstr("disk full"));
  EXPECT_EQ(registry_->state().Versions("s", true)->size(), 1u);
  log_->fail_appends = Status::Ok();
  EXPECT_EQ(Register("s", kV2).value(), 2);
}

const char kOrderPlaced[] = R"({"type": "object", "required": ["order"],
    "properties": {"order": {"type": "object", "required": ["total"],
                             "properties": {"total": {"type": "number", "minimum": 0}}}}})";

events::Envelope Event(const char* json) { return events::Envelope::Parse(json).value(); }

TEST_F(SchemaRegistryTest, EventsAreCheckedAgainstTheLatestSchemaOfTheirTypesSubject) {
  auto good = Event(R"({"id":"1","type":"order-placed","timestamp":1,"partitionKey":"o-1",
                        "order":{"total":12.5}})");
  auto bad = Event(R"({"id":"2","type":"order-placed","timestamp":1,"partitionKey":"o-1",
                       "order":{"total":-1}})");
  // No contract yet: accepted, unless contracts are required.
  EXPECT_TRUE(registry_->CheckEvent(bad).ok());
  registry_->set_require_contracts(true);
  Status missing = registry_->CheckEvent(good);
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.message(), HasSubstr("no contract"));
  registry_->set_require_contracts(false);

  ASSERT_TRUE(Register("order-placed", kOrderPlaced).has_value());
  EXPECT_TRUE(registry_->CheckEvent(good).ok());
  Status broken = registry_->CheckEvent(bad);
  EXPECT_EQ(broken.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(broken.message(), HasSubstr("order-placed version 1"));
  EXPECT_THAT(broken.message(), HasSubstr("/order/total"));
}

TEST_F(SchemaRegistryTest, ABindingPointsATypeAtAnotherSubjectAndSurvivesReplay) {
  ASSERT_TRUE(Register("shop-orders", kOrderPlaced).has_value());
  auto bad = Event(R"({"id":"2","type":"order-placed","timestamp":1,"partitionKey":"o-1",
                       "order":{}})");
  EXPECT_TRUE(registry_->CheckEvent(bad).ok());  // no subject order-placed: no contract

  EXPECT_EQ(RunToCompletion(io_, registry_->BindContract("order-placed", "shop-orders")).value(),
            "shop-orders");
  EXPECT_EQ(registry_->state().SubjectForType("order-placed"), "shop-orders");
  EXPECT_THAT(registry_->CheckEvent(bad).message(), HasSubstr("shop-orders version 1"));

  Reopen();
  EXPECT_EQ(registry_->state().SubjectForType("order-placed"), "shop-orders");
  EXPECT_FALSE(registry_->CheckEvent(bad).ok());

  // Binding a type to its own name removes the binding, durably.
  ASSERT_TRUE(RunToCompletion(io_, registry_->BindContract("order-placed", "order-placed")).has_value());
  EXPECT_TRUE(registry_->state().ContractBindings().empty());
  Reopen();
  EXPECT_TRUE(registry_->state().ContractBindings().empty());
  EXPECT_TRUE(registry_->CheckEvent(bad).ok());

  auto refused = RunToCompletion(io_, registry_->BindContract("Not A Type", "x"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().http_status(), 422);
}

// A log whose appends complete only when the test says so, to hold writes in flight.
class GatedLog : public SchemaLog {
 public:
  explicit GatedLog(IoContext& io) : release_(io) {}
  Awaitable<Result<std::vector<SchemaLogRecord>>> ReadAll() override { co_return records_; }
  Awaitable<Status> Append(std::vector<SchemaLogRecord> records) override {
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    co_await release_.Wait();
    --in_flight_;
    for (auto& record : records) records_.push_back(std::move(record));
    co_return Status::Ok();
  }
  void Release() { release_.NotifyAll(); }
  int max_in_flight_ = 0;
  int in_flight_ = 0;
  std::vector<SchemaLogRecord> records_;
  net::Signal release_;
};

TEST(SchemaRegistryConcurrencyTest, WritesRunOneAtATimeAndReadsSeeOnlyDurableState) {
  IoContext io;
  auto owned = std::make_unique<GatedLog>(io);
  GatedLog* log = owned.get();
  auto registry = RunToCompletion(io, SchemaRegistry::Open(io, std::move(owned))).value();
  std::vector<int32_t> ids;
  for (const char* schema : {kV1, kV2}) {
    asio::co_spawn(io, registry->Register("s", Json(schema)),
                   [&](std::exception_ptr, RegistryResult<int32_t> id) { ids.push_back(*id); });
  }
  io.poll();
  EXPECT_EQ(log->in_flight_, 1);
  EXPECT_THAT(registry->state().Subjects(true), IsEmpty());  // not durable yet
  for (int i = 0; i < 10 && ids.size() < 2; ++i) {
    log->Release();
    io.poll();
  }
  EXPECT_THAT(ids, ElementsAre(1, 2));
  EXPECT_EQ(log->max_in_flight_, 1);
  EXPECT_EQ(registry->state().Versions("s", false)->size(), 2u);
}

}  // namespace
}  // namespace tarn::contracts
