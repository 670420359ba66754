#include "contracts/schema_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tarn::contracts {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

SchemaValidator Validator(std::string_view schema) {
  Result<JsonSchema> parsed = JsonSchema::Parse(schema);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().ToString();
  return SchemaValidator(std::move(*parsed));
}

std::vector<Finding> Validate(std::string_view schema, std::string_view instance) {
  return Validator(schema).Validate(Json::parse(instance));
}

const char kOrder[] = R"({
  "type": "object",
  "properties": {
    "id": {"type": "string", "minLength": 3, "maxLength": 8, "pattern": "^o-"},
    "amount": {"type": "number", "minimum": 0, "exclusiveMaximum": 1000},
    "quantity": {"type": "integer", "multipleOf": 2},
    "status": {"enum": ["placed", "paid"]},
    "version": {"const": 1},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": true},
    "customer": {"$ref": "#/definitions/customer"}
  },
  "required": ["id", "amount"],
  "additionalProperties": false,
  "definitions": {
    "customer": {"type": "object", "properties": {"name": {"type": "string"}},
                 "required": ["name"]}
  }
})";

TEST(SchemaValidatorTest, AcceptsAValidDocument) {
  EXPECT_THAT(Validate(kOrder, R"({"id": "o-12", "amount": 9.5, "quantity": 4,
                                   "status": "paid", "version": 1, "tags": ["a", "b"],
                                   "customer": {"name": "Ann"}})"),
              IsEmpty());
}

TEST(SchemaValidatorTest, ReportsEachProblemAtItsPath) {
  std::vector<Finding> found = Validate(kOrder, R"({"id": "x", "amount": -1, "quantity": 3,
      "status": "lost", "version": 2, "tags": ["a", "a", "c"], "customer": {}, "extra": true})");
  auto has = [&](const std::string& path, const std::string& text) {
    for (const Finding& f : found) {
      if (f.path == path && f.message.find(text) != std::string::npos) return true;
    }
    ADD_FAILURE() << "no finding at " << path << " containing '" << text << "'";
    return false;
  };
  has("/id", "shorter than minLength 3");
  has("/id", "does not match the pattern '^o-'");
  has("/amount", "less than the minimum 0");
  has("/quantity", "not a multiple of 2");
  has("/status", "is not one of");
  has("/version", "not the constant 1");
  has("/tags", "more than maxItems 2");
  has("/tags", "uniqueItems");
  has("/customer", "required property 'name' is missing");
  has("/extra", "not allowed (additionalProperties is false)");
}

TEST(SchemaValidatorTest, ChecksTypesAndRequired) {
  EXPECT_THAT(Validate(kOrder, R"({"amount": "9"})"),
              ElementsAre(Field(&Finding::message, HasSubstr("'id' is missing")),
                          Finding{"/amount", "expected number, got string"}));
  EXPECT_THAT(Validate(kOrder, "[]"), ElementsAre(Finding{"", "expected object, got array"}));
  EXPECT_THAT(Validate(R"({"type": "integer"})", "1.0"), IsEmpty());
  EXPECT_THAT(Validate(R"({"type": "integer"})", "1.5"),
              ElementsAre(Finding{"", "expected integer, got number"}));
  EXPECT_THAT(Validate(R"({"type": ["string", "null"]})", "null"), IsEmpty());
  EXPECT_THAT(Validate(R"({"type": ["string", "null"]})", "3"),
              ElementsAre(Finding{"", "expected string or null, got integer"}));
}

TEST(SchemaValidatorTest, CountsStringLengthInCodePoints) {
  EXPECT_THAT(Validate(R"({"maxLength": 2})", R"("\u00e9\u00e9")"), IsEmpty());
  EXPECT_THAT(Validate(R"({"maxLength": 1})", R"("\u00e9\u00e9")"), Not(IsEmpty()));
}

TEST(SchemaValidatorTest, AdditionalPropertiesSchemaAndPatternProperties) {
  const char schema[] = R"({"properties": {"a": {}}, "patternProperties": {"^x-": {"type": "integer"}},
                            "additionalProperties": {"type": "string"}})";
  EXPECT_THAT(Validate(schema, R"({"a": 1, "x-n": 2, "b": "s"})"), IsEmpty());
  EXPECT_THAT(Validate(schema, R"({"x-n": "2", "b": 3})"),
              ElementsAre(Finding{"/b", "expected string, got integer"},
                          Finding{"/x-n", "expected integer, got string"}));
}

TEST(SchemaValidatorTest, TuplesInBothDrafts) {
  EXPECT_THAT(Validate(R"({"items": [{"type": "string"}], "additionalItems": false})", R"(["a", 1])"),
              ElementsAre(Field(&Finding::path, "/1")));
  EXPECT_THAT(Validate(R"({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}})",
                       R"(["a", 1, "b"])"),
              ElementsAre(Finding{"/2", "expected integer, got string"}));
}

TEST(SchemaValidatorTest, Combinators) {
  const char one_of[] = R"({"oneOf": [{"type": "integer"}, {"type": "number"}]})";
  EXPECT_THAT(Validate(one_of, "1.5"), IsEmpty());
  EXPECT_THAT(Validate(one_of, "1"), ElementsAre(Field(&Finding::message, HasSubstr("2 of"))));
  EXPECT_THAT(Validate(R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", "1"),
              ElementsAre(Field(&Finding::message, HasSubstr("none of the anyOf"))));
  EXPECT_THAT(Validate(R"({"allOf": [{"minimum": 1}, {"maximum": 2}]})", "3"),
              ElementsAre(Field(&Finding::message, HasSubstr("greater than the maximum 2"))));
  EXPECT_THAT(Validate(R"({"not": {"type": "null"}})", "null"), Not(IsEmpty()));
  const char conditional[] = R"({"if": {"properties": {"kind": {"const": "card"}}},
                                 "then": {"required": ["card"]}, "else": {"required": ["iban"]}})";
  EXPECT_THAT(Validate(conditional, R"({"kind": "card", "card": 1})"), IsEmpty());
  EXPECT_THAT(Validate(conditional, R"({"kind": "bank"})"),
              ElementsAre(Field(&Finding::message, HasSubstr("'iban' is missing"))));
}

TEST(SchemaValidatorTest, RecursiveReferences) {
  const char tree[] = R"({"$defs": {"node": {"type": "object", "properties": {
      "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
      "$ref": "#/$defs/node"})";
  EXPECT_THAT(Validate(tree, R"({"value": 1, "children": [{"value": 2, "children": []}]})"), IsEmpty());
  EXPECT_THAT(Validate(tree, R"({"value": 1, "children": [{"value": "x"}]})"),
              ElementsAre(Finding{"/children/0/value", "expected integer, got string"}));
  // A reference to itself that never moves into the document stops rather than loops.
  EXPECT_THAT(Validate(R"({"$ref": "#"})", "1"), Not(IsEmpty()));
}

TEST(SchemaValidatorTest, DependenciesAndPropertyNames) {
  EXPECT_THAT(Validate(R"({"dependentRequired": {"card": ["cvc"]}})", R"({"card": 1})"),
              ElementsAre(Field(&Finding::message, HasSubstr("'card' requires 'cvc'"))));
  EXPECT_THAT(Validate(R"({"propertyNames": {"maxLength": 2}})", R"({"abc": 1})"),
              ElementsAre(Field(&Finding::path, "/abc")));
}

TEST(JsonSchemaTest, RefusesMalformedSchemas) {
  auto error = [](std::string_view text) {
    Result<JsonSchema> parsed = JsonSchema::Parse(text);
    return parsed.has_value() ? std::string("accepted") : parsed.error().message();
  };
  EXPECT_THAT(error("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(error("3"), HasSubstr("object or a boolean"));
  EXPECT_THAT(error(R"({"type": "text"})"), HasSubstr("#/type: unknown type 'text'"));
  EXPECT_THAT(error(R"({"properties": {"a": {"type": 3}}})"), HasSubstr("#/properties/a/type"));
  EXPECT_THAT(error(R"({"required": "a"})"), HasSubstr("required must be an array"));
  EXPECT_THAT(error(R"({"maxLength": -1})"), HasSubstr("non-negative integer"));
  EXPECT_THAT(error(R"({"pattern": "("})"), HasSubstr("not a supported regular expression"));
  EXPECT_THAT(error(R"({"$ref": "#/definitions/missing"})"), HasSubstr("does not point inside"));
  EXPECT_THAT(error(R"({"$ref": "other.json"})"), HasSubstr("does not point inside"));
  EXPECT_THAT(error(R"({"oneOf": []})"), HasSubstr("non-empty array"));
  EXPECT_EQ(error("true"), "accepted");
  EXPECT_EQ(error(R"({"$id": "http://x/s.json", "properties": {"a": {"$ref": "http://x/s.json#/definitions/a"}},
                      "definitions": {"a": {"type": "string"}}})"),
            "accepted");
  EXPECT_EQ(error(R"({"$defs": {"a~b/c": {}}, "$ref": "#/$defs/a~0b~1c"})"), "accepted");
}

TEST(SchemaValidatorTest, LongStringsDoNotExhaustTheStack) {
  // libstdc++'s default regex executor recurses once per character of the input.
  std::string text(1'000'000, 'a');
  EXPECT_THAT(Validator(R"({"pattern": "^(a|b)*$"})").Validate(Json(text)), IsEmpty());
  EXPECT_THAT(Validator(R"({"pattern": "^(a|b)*c$"})").Validate(Json(text)),
              ElementsAre(Field(&Finding::message, HasSubstr("does not match"))));
}

TEST(JsonSchemaTest, RefusesHostileSchemas) {
  auto error = [](const std::string& text) {
    Result<JsonSchema> parsed = JsonSchema::Parse(text);
    return parsed.has_value() ? std::string("accepted") : parsed.error().message();
  };
  EXPECT_THAT(error(R"({"pattern": "((a{100}){100}){100}"})"), HasSubstr("too complex"));
  EXPECT_THAT(error(R"({"pattern": "(a)\\1"})"), HasSubstr("not a supported"));  // backreference
  EXPECT_EQ(error(R"({"pattern": "^[a-z]{1,255}(\\.[a-z]{1,63}){0,127}$"})"), "accepted");
  EXPECT_EQ(error(R"({"pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"})"),
            "accepted");
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += R"({"not": )";
  deep += "{}";
  for (int i = 0; i < 100; ++i) deep += "}";
  EXPECT_THAT(error(deep), HasSubstr("nested more than 64 deep"));
}

TEST(JsonSchemaTest, CanonicalTextSortsKeysAndDropsWhitespace) {
  JsonSchema a = JsonSchema::Parse(R"({ "type": "object", "properties": {"b": {}, "a": {}} })").value();
  JsonSchema b = JsonSchema::Parse(R"({"properties":{"a":{},"b":{}},"type":"object"})").value();
  EXPECT_EQ(a.Canonical(), b.Canonical());
  EXPECT_EQ(a.Canonical(), R"({"properties":{"a":{},"b":{}},"type":"object"})");
}

}  // namespace
}  // namespace tarn::contracts
