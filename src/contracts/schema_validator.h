// Validates JSON documents (an event's data) against a JSON Schema.
#pragma once

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "contracts/json_schema.h"

namespace tarn::contracts {

// Checks instances against one schema: type (integer is a number without a fraction), enum,
// const, the numeric bounds (minimum, maximum, exclusive ones in the draft-04 boolean and the
// later numeric form, multipleOf), string length in code points, pattern (ECMAScript regular
// expressions, searched anywhere in the string, as JSON Schema says), properties, required,
// additionalProperties, patternProperties, propertyNames, min/maxProperties, dependencies
// (dependentRequired, dependentSchemas), items (one schema or a tuple), prefixItems,
// additionalItems, contains, min/maxItems, uniqueItems, allOf, anyOf, oneOf, not,
// if/then/else, and local $ref (whose sibling keywords also apply). `format` is an annotation,
// as in 2020-12; unevaluatedProperties/unevaluatedItems are not enforced.
//
// Owns its schema and a cache of compiled patterns: one thread at a time.
class SchemaValidator {
 public:
  explicit SchemaValidator(JsonSchema schema);
  ~SchemaValidator();
  SchemaValidator(SchemaValidator&&) noexcept;
  SchemaValidator& operator=(SchemaValidator&&) noexcept;

  const JsonSchema& schema() const { return schema_; }

  // Every way `instance` fails the schema, each at its instance path ("/order/amount"; "" is
  // the root); empty when it is valid.
  std::vector<Finding> Validate(const Json& instance) const;
  bool Accepts(const Json& instance) const;

  // The same against a subschema of this validator's document (`subschema` must be a node of
  // schema().root(), so that its $refs resolve).
  std::vector<Finding> Validate(const Json& subschema, const Json& instance) const;
  bool Accepts(const Json& subschema, const Json& instance) const;

 private:
  friend class ValidationRun;
  // The compiled form of `pattern` (CompilePattern), or null when it does not compile, which
  // JsonSchema::FromJson has ruled out for patterns in the schema.
  const std::regex* Regex(const std::string& pattern) const;

  JsonSchema schema_;
  mutable std::map<std::string, std::regex> regexes_;
};

}  // namespace tarn::contracts
