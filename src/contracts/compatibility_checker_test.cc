#include "contracts/compatibility_checker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

namespace tarn::contracts {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One schema change, old -> new, with the verdict in each direction: `backward` when a reader
// with the new schema reads data written with the old one, `forward` the reverse. When a
// direction fails, `finding` is the type and path the check must report for it.
struct Change {
  const char* name;
  const char* old_schema;
  const char* new_schema;
  bool backward;
  bool forward;
  const char* finding_type = "";
  const char* finding_path = "";
};

// A closed object with one string property 'id', for cases that add to it.
#define CLOSED(extra) \
  R"({"type": "object", "additionalProperties": false, "properties": {"id": {"type": "string"})" extra "}}"
#define OPEN(extra) R"({"type": "object", "properties": {"id": {"type": "string"})" extra "}}"
#define PROP(schema) R"({"type": "object", "properties": {"amount": )" schema "}}"

const Change kChanges[] = {
    {"identical", OPEN(""), OPEN(""), true, true},
    {"optional property added to an open model", OPEN(""), OPEN(R"(, "amount": {"type": "number"})"),
     false, true, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "#/properties/amount"},
    {"optional property added to a closed model", CLOSED(""),
     CLOSED(R"(, "amount": {"type": "number"})"), true, false},
    {"property removed from an open model", OPEN(R"(, "amount": {"type": "number"})"), OPEN(""),
     true, false},
    {"property removed from a closed model", CLOSED(R"(, "amount": {"type": "number"})"),
     CLOSED(""), false, true, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/properties/amount"},
    {"property with an empty schema added to an open model", OPEN(""), OPEN(R"(, "extra": {})"),
     true, true},
    {"number narrowed to integer", PROP(R"({"type": "number"})"), PROP(R"({"type": "integer"})"),
     false, true, "TYPE_NARROWED", "#/properties/amount"},
    {"integer widened to number", PROP(R"({"type": "integer"})"), PROP(R"({"type": "number"})"),
     true, false},
    {"string changed to integer", PROP(R"({"type": "string"})"), PROP(R"({"type": "integer"})"),
     false, false, "TYPE_CHANGED", "#/properties/amount"},
    {"null added to a type array", PROP(R"({"type": ["number"]})"),
     PROP(R"({"type": ["number", "null"]})"), true, false},
    {"null removed from a type array", PROP(R"({"type": ["number", "null"]})"),
     PROP(R"({"type": "number"})"), false, true, "TYPE_NARROWED", "#/properties/amount"},
    {"required added", OPEN(""), R"({"type": "object", "properties": {"id": {"type": "string"}},
                                     "required": ["id"]})",
     false, true, "REQUIRED_ATTRIBUTE_ADDED", "#/properties/id"},
    {"required removed", R"({"type": "object", "properties": {"id": {"type": "string"}},
                              "required": ["id"]})",
     OPEN(""), true, false},
    {"required with a default added", OPEN(""),
     R"({"type": "object", "properties": {"id": {"type": "string", "default": "none"}},
         "required": ["id"]})",
     true, true},
    {"required property added to a closed model", CLOSED(""),
     R"({"type": "object", "additionalProperties": false, "required": ["n"],
         "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}})",
     false, false, "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "#/properties/n"},
    {"enum extended", PROP(R"({"enum": ["a", "b"]})"), PROP(R"({"enum": ["a", "b", "c"]})"), true,
     false},
    {"enum narrowed", PROP(R"({"enum": ["a", "b", "c"]})"), PROP(R"({"enum": ["a", "b"]})"), false,
     true, "ENUM_ARRAY_NARROWED", "#/properties/amount"},
    {"enum added to a string", PROP(R"({"type": "string"})"),
     PROP(R"({"type": "string", "enum": ["a"]})"), false, true, "ENUM_ARRAY_NARROWED",
     "#/properties/amount"},
    {"const changed", PROP(R"({"const": "v1"})"), PROP(R"({"const": "v2"})"), false, false,
     "CONST_CHANGED", "#/properties/amount"},
    {"maxLength decreased", PROP(R"({"type": "string", "maxLength": 10})"),
     PROP(R"({"type": "string", "maxLength": 5})"), false, true, "MAX_LENGTH_DECREASED",
     "#/properties/amount"},
    {"maxLength added", PROP(R"({"type": "string"})"), PROP(R"({"type": "string", "maxLength": 5})"),
     false, true, "MAX_LENGTH_ADDED", "#/properties/amount"},
    {"maxLength removed", PROP(R"({"type": "string", "maxLength": 5})"), PROP(R"({"type": "string"})"),
     true, false},
    {"minLength decreased", PROP(R"({"type": "string", "minLength": 3})"),
     PROP(R"({"type": "string", "minLength": 1})"), true, false},
    {"minimum increased", PROP(R"({"type": "number", "minimum": 0})"),
     PROP(R"({"type": "number", "minimum": 1})"), false, true, "MINIMUM_INCREASED",
     "#/properties/amount"},
    {"maximum increased", PROP(R"({"type": "number", "maximum": 10})"),
     PROP(R"({"type": "number", "maximum": 20})"), true, false},
    {"exclusiveMinimum added at the old minimum", PROP(R"({"type": "number", "minimum": 0})"),
     PROP(R"({"type": "number", "exclusiveMinimum": 0})"), false, true,
     "EXCLUSIVE_MINIMUM_INCREASED", "#/properties/amount"},
    {"multipleOf made stricter", PROP(R"({"type": "integer", "multipleOf": 2})"),
     PROP(R"({"type": "integer", "multipleOf": 4})"), false, true, "MULTIPLE_OF_CHANGED",
     "#/properties/amount"},
    {"pattern added", PROP(R"({"type": "string"})"), PROP(R"({"type": "string", "pattern": "^a"})"),
     false, true, "PATTERN_ADDED", "#/properties/amount"},
    {"pattern changed", PROP(R"({"type": "string", "pattern": "^a"})"),
     PROP(R"({"type": "string", "pattern": "^b"})"), false, false, "PATTERN_CHANGED",
     "#/properties/amount"},
    {"array items narrowed", PROP(R"({"type": "array", "items": {"type": "number"}})"),
     PROP(R"({"type": "array", "items": {"type": "integer"}})"), false, true, "TYPE_NARROWED",
     "#/properties/amount/items"},
    {"uniqueItems added",
     PROP(R"({"type": "array", "maxItems": 5})"),
     PROP(R"({"type": "array", "maxItems": 5, "uniqueItems": true})"), false, true,
     "UNIQUE_ITEMS_ADDED", "#/properties/amount"},
    {"tuple position narrowed (2020-12 prefixItems)",
     PROP(R"({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]})"),
     PROP(R"({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]})"), false,
     true, "TYPE_NARROWED", "#/properties/amount/prefixItems/1"},
    {"nested object property narrowed",
     R"({"type": "object", "properties": {"customer": {"type": "object",
         "properties": {"age": {"type": "number"}}}}})",
     R"({"type": "object", "properties": {"customer": {"type": "object",
         "properties": {"age": {"type": "integer"}}}}})",
     false, true, "TYPE_NARROWED", "#/properties/customer/properties/age"},
    {"content model closed", OPEN(""), CLOSED(""), false, true, "ADDITIONAL_PROPERTIES_NARROWED",
     "#/additionalProperties"},
    {"content model opened", CLOSED(""), OPEN(""), true, false},
    {"property added, covered by a partially open model",
     R"({"type": "object", "additionalProperties": {"type": "string"}})",
     R"({"type": "object", "additionalProperties": {"type": "string"},
         "properties": {"note": {"type": "string"}}})",
     true, true},
    {"property added, not covered by a partially open model",
     R"({"type": "object", "additionalProperties": {"type": "string"}})",
     R"({"type": "object", "additionalProperties": {"type": "string"},
         "properties": {"count": {"type": "integer"}}})",
     false, false, "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
     "#/properties/count"},
    {"definition behind $ref narrowed",
     R"({"definitions": {"money": {"type": "number"}},
         "properties": {"amount": {"$ref": "#/definitions/money"}}})",
     R"({"definitions": {"money": {"type": "integer"}},
         "properties": {"amount": {"$ref": "#/definitions/money"}}})",
     false, true, "TYPE_NARROWED", "#/properties/amount"},
    {"$ref inlined", R"({"type": "object", "$defs": {"money": {"type": "number"}},
                         "properties": {"amount": {"$ref": "#/$defs/money"}}})",
     PROP(R"({"type": "number"})"), true, true},
    {"recursive schema unchanged",
     R"({"$defs": {"node": {"type": "object", "properties": {"children": {"type": "array",
         "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"})",
     R"({"$defs": {"node": {"type": "object", "properties": {"children": {"type": "array",
         "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"})",
     true, true},
    {"oneOf alternative added", PROP(R"({"oneOf": [{"type": "string"}, {"type": "integer"}]})"),
     PROP(R"({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]})"), true,
     false},
    {"oneOf alternative removed",
     PROP(R"({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]})"),
     PROP(R"({"oneOf": [{"type": "string"}, {"type": "integer"}]})"), false, true,
     "SUM_TYPE_NARROWED", "#/properties/amount/oneOf/2"},
    {"type made nullable with anyOf", PROP(R"({"type": "string"})"),
     PROP(R"({"anyOf": [{"type": "string"}, {"type": "null"}]})"), true, false},
    {"allOf gained a branch",
     PROP(R"({"allOf": [{"type": "object"}]})"),
     PROP(R"({"allOf": [{"type": "object"}, {"required": ["x"], "properties": {"x": {}}}]})"),
     false, true, "REQUIRED_ATTRIBUTE_ADDED", "#/properties/amount/properties/x"},
    {"root constraints dropped", R"({"type": "object"})", "{}", true, false},
    {"property schema became false", PROP("true"), PROP("false"), false, true, "SCHEMA_REMOVED",
     "#/properties/amount"},
};

void PrintTo(const Change& change, std::ostream* os) { *os << change.name; }

std::string Describe(const std::vector<Incompatibility>& found) {
  std::string out;
  for (const Incompatibility& f : found) out += "\n  " + f.ToString();
  return out;
}

class ChangeTest : public ::testing::TestWithParam<Change> {};

TEST_P(ChangeTest, VerdictInEachDirectionAndMode) {
  const Change& change = GetParam();
  Result<JsonSchema> old_schema = JsonSchema::Parse(change.old_schema);
  Result<JsonSchema> new_schema = JsonSchema::Parse(change.new_schema);
  ASSERT_TRUE(old_schema.has_value()) << old_schema.error().ToString();
  ASSERT_TRUE(new_schema.has_value()) << new_schema.error().ToString();

  std::vector<Incompatibility> backward = CheckReadable(*new_schema, *old_schema);
  std::vector<Incompatibility> forward = CheckReadable(*old_schema, *new_schema);
  EXPECT_EQ(backward.empty(), change.backward) << "backward:" << Describe(backward);
  EXPECT_EQ(forward.empty(), change.forward) << "forward:" << Describe(forward);
  if (*change.finding_type != '\0') {
    const std::vector<Incompatibility>& failing = change.backward ? forward : backward;
    ASSERT_FALSE(failing.empty());
    bool reported = false;
    for (const Incompatibility& f : failing) {
      reported = reported || (f.type == change.finding_type && f.path == change.finding_path);
    }
    EXPECT_TRUE(reported) << "expected " << change.finding_type << " at " << change.finding_path
                          << Describe(failing);
  }

  const PreviousSchema previous[] = {{1, &*old_schema}};
  struct Mode {
    CompatibilityLevel level;
    bool compatible;
  };
  const std::array<Mode, 7> modes = {{
      {CompatibilityLevel::kNone, true},
      {CompatibilityLevel::kBackward, change.backward},
      {CompatibilityLevel::kBackwardTransitive, change.backward},
      {CompatibilityLevel::kForward, change.forward},
      {CompatibilityLevel::kForwardTransitive, change.forward},
      {CompatibilityLevel::kFull, change.backward && change.forward},
      {CompatibilityLevel::kFullTransitive, change.backward && change.forward},
  }};
  for (const Mode& mode : modes) {
    std::vector<std::string> messages = CheckCompatibility(mode.level, *new_schema, previous);
    EXPECT_EQ(messages.empty(), mode.compatible) << CompatibilityLevelName(mode.level);
  }
}

INSTANTIATE_TEST_SUITE_P(Changes, ChangeTest, ::testing::ValuesIn(kChanges),
                         [](const ::testing::TestParamInfo<Change>& info) {
                           std::string name;
                           for (const char* c = info.param.name; *c; ++c) {
                             name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
                           }
                           return name;
                         });

TEST(CompatibilityCheckerTest, TableHasEnoughPairs) { EXPECT_GE(std::size(kChanges), 30u); }

TEST(CompatibilityCheckerTest, MessageNamesWhatBrokeAndWhere) {
  JsonSchema old_schema = JsonSchema::Parse(PROP(R"({"type": "number"})")).value();
  JsonSchema new_schema = JsonSchema::Parse(PROP(R"({"type": "integer"})")).value();
  std::vector<Incompatibility> found = CheckReadable(new_schema, old_schema);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, "#/properties/amount");
  EXPECT_EQ(found[0].message, "property 'amount' type narrowed from number to integer");
  const PreviousSchema previous[] = {{3, &old_schema}};
  std::vector<std::string> messages =
      CheckCompatibility(CompatibilityLevel::kBackward, new_schema, previous);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages[0], HasSubstr("TYPE_NARROWED at #/properties/amount"));
  EXPECT_THAT(messages[0], HasSubstr("version 3"));
}

TEST(CompatibilityCheckerTest, TransitiveLevelsCheckEveryEarlierVersion) {
  // v2 was registered under NONE and broke v1; v3 is compatible with v2 only.
  JsonSchema v1 = JsonSchema::Parse(PROP(R"({"type": "string"})")).value();
  JsonSchema v2 = JsonSchema::Parse(PROP(R"({"type": "integer"})")).value();
  JsonSchema v3 = JsonSchema::Parse(PROP(R"({"type": "number"})")).value();
  const PreviousSchema previous[] = {{1, &v1}, {2, &v2}};
  EXPECT_THAT(CheckCompatibility(CompatibilityLevel::kBackward, v3, previous), IsEmpty());
  std::vector<std::string> transitive =
      CheckCompatibility(CompatibilityLevel::kBackwardTransitive, v3, previous);
  ASSERT_EQ(transitive.size(), 1u);
  EXPECT_THAT(transitive[0], HasSubstr("version 1"));
  EXPECT_THAT(CheckCompatibility(CompatibilityLevel::kFullTransitive, v3, previous).size(), 3u);
  EXPECT_THAT(CheckCompatibility(CompatibilityLevel::kNone, v3, previous), IsEmpty());
  EXPECT_THAT(CheckCompatibility(CompatibilityLevel::kFullTransitive, v3, {}), IsEmpty());
}

TEST(CompatibilityCheckerTest, LevelNamesRoundTrip) {
  for (CompatibilityLevel level :
       {CompatibilityLevel::kNone, CompatibilityLevel::kBackward,
        CompatibilityLevel::kBackwardTransitive, CompatibilityLevel::kForward,
        CompatibilityLevel::kForwardTransitive, CompatibilityLevel::kFull,
        CompatibilityLevel::kFullTransitive}) {
    EXPECT_EQ(ParseCompatibilityLevel(CompatibilityLevelName(level)), level);
  }
  EXPECT_EQ(ParseCompatibilityLevel("full_transitive"), CompatibilityLevel::kFullTransitive);
  EXPECT_EQ(ParseCompatibilityLevel("SIDEWAYS"), std::nullopt);
}

}  // namespace
}  // namespace tarn::contracts
