#include "contracts/registry_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "contracts/registry_records.h"

namespace tarn::contracts {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SchemaRecord Schema(std::string subject, int32_t version, int32_t id, std::string text,
                    bool deleted = false) {
  return SchemaRecord{.subject = std::move(subject),
                      .version = version,
                      .id = id,
                      .schema_type = "JSON",
                      .schema = std::move(text),
                      .deleted = deleted};
}

std::vector<int32_t> VersionNumbers(const RegistryState& state, const std::string& subject,
                                    bool include_deleted) {
  std::vector<int32_t> out;
  if (auto versions = state.Versions(subject, include_deleted)) {
    for (const SubjectVersion& v : *versions) out.push_back(v.version);
  }
  return out;
}

TEST(RegistryRecordsTest, KeysAreConfluentsWithAFixedFieldOrder) {
  SchemaLogRecord schema = EncodeRecord(Schema("orders-value", 2, 7, R"({"type":"object"})"));
  EXPECT_EQ(schema.key, R"({"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1})");
  EXPECT_EQ(*schema.value,
            R"({"subject":"orders-value","version":2,"id":7,"schemaType":"JSON",)"
            R"("schema":"{\"type\":\"object\"}","deleted":false})");
  EXPECT_EQ(EncodeRecord(ConfigRecord{std::nullopt, "FULL"}).key,
            R"({"keytype":"CONFIG","subject":null,"magic":0})");
  EXPECT_EQ(*EncodeRecord(ConfigRecord{"s", "FULL"}).value, R"({"compatibilityLevel":"FULL"})");
  EXPECT_FALSE(EncodeRecord(ConfigRecord{"s", std::nullopt}).value.has_value());
  EXPECT_EQ(EncodeRecord(DeleteSubjectRecord{"s", 3}).key,
            R"({"keytype":"DELETE_SUBJECT","subject":"s","magic":0})");
  EXPECT_EQ(*EncodeRecord(DeleteSubjectRecord{"s", 3}).value, R"({"subject":"s","version":3})");
  EXPECT_EQ(EncodeRecord(SchemaTombstone{"orders-value", 2}).key, schema.key);
}

TEST(RegistryRecordsTest, DecodesWhatItEncodesAndRefusesDamage) {
  auto decoded = DecodeRecord(EncodeRecord(Schema("s", 1, 3, "{}", true)));
  ASSERT_TRUE(decoded.has_value());
  const SchemaRecord& schema = std::get<SchemaRecord>(*decoded);
  EXPECT_EQ(schema.id, 3);
  EXPECT_TRUE(schema.deleted);
  EXPECT_TRUE(std::holds_alternative<IgnoredRecord>(
      DecodeRecord({R"({"keytype":"NOOP","magic":0})", std::nullopt}).value()));
  EXPECT_EQ(DecodeRecord({"not json", "{}"}).error().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeRecord({R"({"keytype":"SCHEMA","subject":"s"})", "{}"}).error().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeRecord({R"({"keytype":"SCHEMA","subject":"s","version":1})", R"({"id":1})"})
                .error()
                .code(),
            StatusCode::kCorruption);
}

TEST(RegistryStateTest, AppliesSchemasDeletesAndConfigInOrder) {
  RegistryState state;
  ASSERT_TRUE(state.Apply(EncodeRecord(Schema("a", 1, 1, R"({"type": "string"})"))).ok());
  ASSERT_TRUE(state.Apply(EncodeRecord(Schema("a", 2, 2, R"({"type":"integer"})"))).ok());
  ASSERT_TRUE(state.Apply(EncodeRecord(Schema("b", 1, 1, R"({"type":"string"})"))).ok());
  EXPECT_THAT(state.Subjects(false), ElementsAre("a", "b"));
  EXPECT_EQ(state.NextId(), 3);
  EXPECT_EQ(state.NextVersion("a"), 3);
  EXPECT_EQ(state.NextVersion("c"), 1);
  // The stored text is canonical, whatever the record held.
  EXPECT_EQ(state.FindSchema(1)->schema, R"({"type":"string"})");
  EXPECT_EQ(state.IdOf("JSON", R"({"type":"integer"})"), 2);
  EXPECT_THAT(state.UsesOf(1), ElementsAre(std::pair<std::string, int32_t>("a", 1),
                                           std::pair<std::string, int32_t>("b", 1)));
  EXPECT_EQ(state.FindVersion("a", "latest", false)->version, 2);
  EXPECT_EQ(state.FindVersion("a", "-1", false)->id, 2);
  EXPECT_EQ(state.FindVersion("a", "1", false)->id, 1);
  EXPECT_EQ(state.FindVersion("a", "3", false).error().code, RegistryErrorCode::kVersionNotFound);
  EXPECT_EQ(state.FindVersion("a", "0", false).error().code, RegistryErrorCode::kInvalidVersion);
  EXPECT_EQ(state.FindVersion("a", "x", false).error().code, RegistryErrorCode::kInvalidVersion);
  EXPECT_EQ(state.FindVersion("zz", "1", false).error().code,
            RegistryErrorCode::kSubjectNotFound);
  EXPECT_THAT(state.FindVersion("zz", "1", false).error().message,
              HasSubstr("Subject 'zz' not found"));

  // Soft delete of one version, then of the subject.
  ASSERT_TRUE(state.Apply(EncodeRecord(Schema("a", 2, 2, R"({"type":"integer"})", true))).ok());
  EXPECT_THAT(VersionNumbers(state, "a", false), ElementsAre(1));
  EXPECT_THAT(VersionNumbers(state, "a", true), ElementsAre(1, 2));
  ASSERT_TRUE(state.Apply(EncodeRecord(DeleteSubjectRecord{"a", 2})).ok());
  EXPECT_THAT(state.Subjects(false), ElementsAre("b"));
  EXPECT_THAT(state.Subjects(true), ElementsAre("a", "b"));
  EXPECT_EQ(state.NextVersion("a"), 3);

  // Permanent delete: the id stays while another subject uses it.
  ASSERT_TRUE(state.Apply(EncodeRecord(SchemaTombstone{"a", 1})).ok());
  ASSERT_TRUE(state.Apply(EncodeRecord(SchemaTombstone{"a", 2})).ok());
  EXPECT_THAT(state.Subjects(true), ElementsAre("b"));
  EXPECT_NE(state.FindSchema(1), nullptr);
  EXPECT_EQ(state.FindSchema(2), nullptr);
  EXPECT_EQ(state.IdOf("JSON", R"({"type":"integer"})"), std::nullopt);
  EXPECT_EQ(state.NextId(), 3);  // ids are never handed out twice in one run

  // Config.
  EXPECT_EQ(state.EffectiveLevel("b"), CompatibilityLevel::kBackward);
  ASSERT_TRUE(state.Apply(EncodeRecord(ConfigRecord{std::nullopt, "FULL"})).ok());
  EXPECT_EQ(state.EffectiveLevel("b"), CompatibilityLevel::kFull);
  ASSERT_TRUE(state.Apply(EncodeRecord(ConfigRecord{"b", "NONE"})).ok());
  EXPECT_EQ(state.EffectiveLevel("b"), CompatibilityLevel::kNone);
  EXPECT_EQ(state.ConfiguredLevel(std::string("b")), CompatibilityLevel::kNone);
  ASSERT_TRUE(state.Apply(EncodeRecord(ConfigRecord{"b", std::nullopt})).ok());
  EXPECT_EQ(state.EffectiveLevel("b"), CompatibilityLevel::kFull);
  EXPECT_EQ(state.Apply(EncodeRecord(ConfigRecord{"b", "SIDEWAYS"})).code(),
            StatusCode::kCorruption);
}

TEST(RegistryStateTest, LookupFindsTheCanonicalSchemaInTheSubject) {
  RegistryState state;
  ASSERT_TRUE(state.Apply(EncodeRecord(Schema("a", 1, 5, R"({"type":"string","maxLength":3})"))).ok());
  JsonSchema same = JsonSchema::Parse(R"({ "maxLength": 3, "type": "string" })").value();
  JsonSchema other = JsonSchema::Parse(R"({"type": "string"})").value();
  EXPECT_EQ(state.Lookup("a", same, false)->id, 5);
  EXPECT_EQ(state.Lookup("a", other, false).error().code, RegistryErrorCode::kSchemaNotFound);
  EXPECT_EQ(state.Lookup("b", same, false).error().code, RegistryErrorCode::kSubjectNotFound);
}

TEST(RegistryStateTest, RequestsMustBeJsonSchemaWithoutReferences) {
  EXPECT_TRUE(ParseRequestSchema({.schema = "{}", .schema_type = "JSON"}).has_value());
  auto avro = ParseRequestSchema({.schema = R"({"type":"record"})"});
  ASSERT_FALSE(avro.has_value());
  EXPECT_EQ(avro.error().code, RegistryErrorCode::kInvalidSchema);
  EXPECT_EQ(avro.error().http_status(), 422);
  EXPECT_THAT(avro.error().message, HasSubstr("schemaType AVRO is not supported"));
  EXPECT_THAT(ParseRequestSchema({.schema = "{}", .schema_type = "PROTOBUF"}).error().message,
              HasSubstr("JSON Schema only"));
  EXPECT_THAT(ParseRequestSchema({.schema = "{}", .schema_type = "XML"}).error().message,
              HasSubstr("Invalid schema type XML"));
  EXPECT_THAT(
      ParseRequestSchema({.schema = "{}", .schema_type = "JSON", .has_references = true})
          .error()
          .message,
      HasSubstr("references are not supported"));
  EXPECT_THAT(ParseRequestSchema({.schema = R"({"type": 5})", .schema_type = "JSON"})
                  .error()
                  .message,
              HasSubstr("Invalid schema: #/type"));
}

}  // namespace
}  // namespace tarn::contracts
