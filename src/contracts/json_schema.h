// A JSON Schema document (draft-07 or 2020-12) as the registry stores it: parsed, checked for
// the keywords the validator and the compatibility checker rely on, its local references
// resolvable, and its canonical text for equality.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tarn::contracts {

using Json = nlohmann::json;

// One thing found: where it is (a JSON pointer) and what it is. Paths into a schema are
// fragments ("#/properties/amount"); paths into an instance are plain pointers ("/amount").
struct Finding {
  std::string path;
  std::string message;
  bool operator==(const Finding&) const = default;
};

// An immutable, well-formed schema document. A value type; copies share nothing.
class JsonSchema {
 public:
  // Parses `text` and checks it (see FromJson). kInvalidArgument for text that is not JSON.
  static Result<JsonSchema> Parse(std::string_view text);

  // Checks `document`: the root and every subschema are objects or booleans; the keywords with
  // a fixed shape have it (`type` names known types, `required` is a list of strings, bounds
  // are numbers, `properties` holds schemas, ...); every `pattern` and `patternProperties` key
  // compiles as an ECMAScript regular expression; every `$ref` points inside the document.
  // kInvalidArgument names the first problem and its place ("#/properties/a/type: ...").
  static Result<JsonSchema> FromJson(Json document);

  const Json& root() const { return root_; }

  // The text two equal schemas share: keys sorted, no insignificant whitespace.
  std::string Canonical() const;

  // The subschema a `$ref` names: "#", "#/definitions/a", "#/$defs/a" (JSON pointer with ~0, ~1
  // and %XX escapes), optionally preceded by the root's `$id`. Null when it does not resolve.
  const Json* ResolveRef(std::string_view ref) const;

 private:
  explicit JsonSchema(Json root) : root_(std::move(root)) {}
  Json root_;
};

// The canonical text of any JSON value (what JsonSchema::Canonical uses); invalid UTF-8 in
// strings is replaced rather than thrown on.
std::string CanonicalJson(const Json& value);

// Appends one reference token to a JSON pointer, escaping '~' and '/'.
std::string AppendPointer(std::string_view pointer, std::string_view token);

}  // namespace tarn::contracts
