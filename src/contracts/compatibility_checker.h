// Whether a new JSON Schema is compatible with earlier ones, and if not, what breaks and where.
// The rules are written down in docs/contracts.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "contracts/compatibility_level.h"
#include "contracts/json_schema.h"

namespace tarn::contracts {

// One change that stops a reader from reading what a writer wrote.
struct Incompatibility {
  // The kind of change, named as Confluent's JSON Schema checker names it where it has a name
  // ("TYPE_NARROWED", "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "REQUIRED_ATTRIBUTE_ADDED").
  std::string type;
  std::string path;     // where in the schemas: "#/properties/amount"
  std::string message;  // "property 'amount' type narrowed from number to integer"

  // "TYPE_NARROWED at #/properties/amount: property 'amount' type narrowed from ..."
  std::string ToString() const;
};

// Whether every document `writer` accepts is accepted by `reader`, as far as the checker can
// tell without enumerating documents: empty when it is. The check is structural and, where it
// cannot decide (two different patterns, a changed if/then/else), it reports the change.
// Changes Confluent's checker treats as compatible stay compatible here even where a validator
// would disagree: a required property that has a default may be added.
std::vector<Incompatibility> CheckReadable(const JsonSchema& reader, const JsonSchema& writer);

// An earlier version of a subject, as the compatibility check needs it.
struct PreviousSchema {
  int32_t version = 0;
  const JsonSchema* schema = nullptr;
};

// Checks `candidate` against `previous` (live versions, oldest first) under `level`: the latest
// only, or every one for a transitive level; BACKWARD has `candidate` read each, FORWARD each
// read `candidate`. Returns one message per incompatibility, naming the version and the
// direction; empty when compatible (always for NONE and when there is nothing before).
std::vector<std::string> CheckCompatibility(CompatibilityLevel level, const JsonSchema& candidate,
                                            std::span<const PreviousSchema> previous);

}  // namespace tarn::contracts
