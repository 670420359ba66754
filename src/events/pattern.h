// Event patterns in Amazon EventBridge's language, parsed and validated as EventBridge does, and
// matched one pattern against one event. PatternIndex (pattern_index.h) matches many patterns at
// once and gives the same answers.
//
// A pattern mirrors the event's nesting. Every field it names must match (AND); a field's value
// is a list of alternatives (OR): literals (strings, numbers, booleans, null) and operator
// objects (prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr, exists).
// "$or": [{...}, {...}] at any level is an OR of sub-patterns. An event field matches when any of
// its leaf values (one, or the elements of an array) satisfies any alternative. README.md
// lists the semantics in full.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "events/flattened_event.h"
#include "events/pattern_operators.h"

namespace tarn::events {

// One field of a pattern: the event's leaves at `path` must satisfy one of the alternatives.
// An `exists: false` alternative is satisfied when the event has no leaf at `path`.
struct FieldTest {
  std::string path;  // "detail.state"
  std::vector<ValueTest> alternatives;

  bool Matches(const FlattenedEvent& event) const;
};

// A conjunction: every field must match. A pattern without $or is one branch; $or multiplies
// them out, so a pattern is the OR of its branches.
struct PatternBranch {
  std::vector<FieldTest> fields;

  bool Matches(const FlattenedEvent& event) const;
};

// A parsed, validated pattern. Immutable; safe to share between threads.
class Pattern {
 public:
  // Nesting of objects and $or allowed in a pattern.
  static constexpr int kMaxDepth = 32;
  // Branches a pattern may expand to once its $or are multiplied out.
  static constexpr size_t kMaxBranches = 1024;
  // The bounds EventBridge puts on numbers in a numeric operator.
  static constexpr double kNumericLimit = 5.0e9;

  // Parses pattern text. kInvalidArgument names the JSON path of what is wrong and why:
  // "event pattern: at detail.state[1]: unknown operator \"prefx\"".
  static Result<Pattern> Parse(std::string_view text);
  static Result<Pattern> FromJson(const nlohmann::json& pattern);

  bool Matches(const nlohmann::json& event) const;
  // For callers that match one event against many patterns: flatten it once.
  bool Matches(const FlattenedEvent& event) const;

  const std::vector<PatternBranch>& branches() const { return branches_; }

 private:
  std::vector<PatternBranch> branches_;
};

}  // namespace tarn::events
