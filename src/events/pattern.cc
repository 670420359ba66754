#include "events/pattern.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>

namespace tarn::events {

namespace {

using Json = nlohmann::json;

// The operator names; an object using one of them inside "$or" makes "$or" an ordinary field.
constexpr std::array<std::string_view, 8> kOperators = {
    "prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric",
    "cidr",   "exists"};

bool IsOperator(std::string_view key) {
  return std::find(kOperators.begin(), kOperators.end(), key) != kOperators.end();
}

std::string_view TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

std::string Join(std::string_view base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string joined(base);
  joined.push_back('.');
  joined.append(key);
  return joined;
}

std::string Index(std::string_view base, size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

ValueTest Make(ValueTestKind kind, std::string text = {}) {
  ValueTest test;
  test.kind = kind;
  test.text = std::move(text);
  return test;
}
ValueTest WithWildcard(Wildcard wildcard) {
  ValueTest test = Make(ValueTestKind::kWildcard);
  test.wildcards.push_back(std::move(wildcard));
  return test;
}
ValueTest Excluding(std::string key) {
  ValueTest test = Make(ValueTestKind::kAnythingBut);
  test.texts.push_back(std::move(key));
  return test;
}
ValueTest WithCidr(const CidrBlock& block) {
  ValueTest test = Make(ValueTestKind::kCidr);
  test.cidr = block;
  return test;
}
ValueTest Exists(bool exists) {
  ValueTest test = Make(ValueTestKind::kExists);
  test.exists = exists;
  return test;
}

// A pattern object before $or is multiplied out: its own fields and, per "$or", the
// alternatives (each a node of its own).
struct Node {
  std::vector<FieldTest> fields;
  std::vector<std::vector<Node>> ors;
};

class Parser {
 public:
  Result<Node> ParseObject(const Json& object, const std::string& field_path,
                           const std::string& where, int depth) {
    if (depth > Pattern::kMaxDepth) {
      return Fail(where, "nesting deeper than " + std::to_string(Pattern::kMaxDepth) + " levels");
    }
    if (object.empty())
      return Fail(where, "empty object; a pattern object must name at least one field");
    Node node;
    for (const auto& [key, value] : object.items()) {
      const std::string path = Join(field_path, key);
      const std::string at = Join(where, key);
      if (key == "$or" && IsOrList(value)) {
        if (value.size() < 2) return Fail(at, "\"$or\" needs at least two sub-patterns");
        std::vector<Node> alternatives;
        for (size_t i = 0; i < value.size(); ++i) {
          TARN_ASSIGN_OR_RETURN(Node alternative,
                                ParseObject(value[i], field_path, Index(at, i), depth + 1));
          alternatives.push_back(std::move(alternative));
        }
        node.ors.push_back(std::move(alternatives));
      } else if (value.is_object()) {
        TARN_ASSIGN_OR_RETURN(Node nested, ParseObject(value, path, at, depth + 1));
        for (FieldTest& field : nested.fields) node.fields.push_back(std::move(field));
        for (auto& alternatives : nested.ors) node.ors.push_back(std::move(alternatives));
      } else if (value.is_array()) {
        TARN_ASSIGN_OR_RETURN(FieldTest field, ParseValues(value, path, at));
        node.fields.push_back(std::move(field));
      } else {
        return Fail(at,
                    "a field's value must be an array of alternatives or an object of nested "
                    "fields, not " +
                        std::string(TypeName(value)));
      }
    }
    return node;
  }

 private:
  static std::unexpected<Status> Fail(std::string_view where, std::string_view what) {
    return Error(FailStatus(where, what));
  }
  static Status FailStatus(std::string_view where, std::string_view what) {
    std::string message = "event pattern: ";
    message += where.empty() ? "at the top level" : "at " + std::string(where);
    message += ": ";
    message += what;
    return Status::InvalidArgument(std::move(message));
  }

  // "$or" means OR only when given an array of objects that use no operator names (EventBridge);
  // otherwise it is an ordinary field name.
  static bool IsOrList(const Json& value) {
    if (!value.is_array() || value.empty()) return false;
    for (const Json& element : value) {
      if (!element.is_object() || element.empty()) return false;
      for (const auto& [key, unused] : element.items()) {
        if (IsOperator(key)) return false;
      }
    }
    return true;
  }

  Result<FieldTest> ParseValues(const Json& values, const std::string& path,
                                const std::string& where) {
    if (values.empty()) return Fail(where, "empty array; list at least one value to match");
    FieldTest field{.path = path, .alternatives = {}};
    for (size_t i = 0; i < values.size(); ++i) {
      const Json& value = values[i];
      const std::string at = Index(where, i);
      if (value.is_array()) return Fail(at, "a value may not be an array");
      if (value.is_object()) {
        TARN_ASSIGN_OR_RETURN(ValueTest test, ParseOperator(value, at));
        field.alternatives.push_back(std::move(test));
      } else {
        field.alternatives.push_back(Make(ValueTestKind::kExact, ExactKey(value)));
      }
    }
    return field;
  }

  Result<ValueTest> ParseOperator(const Json& object, const std::string& where) {
    if (object.size() != 1) {
      return Fail(where, object.empty()
                             ? "empty object; expected one operator such as {\"prefix\": \"a\"}"
                             : "an operator object takes exactly one operator, found " +
                                   std::to_string(object.size()));
    }
    const std::string& name = object.begin().key();
    const Json& operand = object.begin().value();
    const std::string at = Join(where, name);
    if (name == "prefix")
      return ParseAffix(operand, at, ValueTestKind::kPrefix, ValueTestKind::kPrefixIgnoreCase);
    if (name == "suffix")
      return ParseAffix(operand, at, ValueTestKind::kSuffix, ValueTestKind::kSuffixIgnoreCase);
    if (name == "equals-ignore-case") {
      if (!operand.is_string())
        return Fail(at,
                    "equals-ignore-case expects a string, not " + std::string(TypeName(operand)));
      return Make(ValueTestKind::kEqualsIgnoreCase, LowerAscii(operand.get<std::string>()));
    }
    if (name == "wildcard") {
      if (!operand.is_string())
        return Fail(at, "wildcard expects a string, not " + std::string(TypeName(operand)));
      TARN_ASSIGN_OR_RETURN(Wildcard wildcard, ParseWildcard(operand, at));
      return WithWildcard(std::move(wildcard));
    }
    if (name == "anything-but") return ParseAnythingBut(operand, at);
    if (name == "numeric") return ParseNumeric(operand, at);
    if (name == "cidr") {
      if (!operand.is_string())
        return Fail(at, "cidr expects a string such as \"10.0.0.0/24\", not " +
                            std::string(TypeName(operand)));
      const auto block = CidrBlock::Parse(operand.get<std::string>());
      if (!block)
        return Fail(at, "\"" + operand.get<std::string>() +
                            "\" is not an IPv4 or IPv6 network such as \"10.0.0.0/24\"");
      return WithCidr(*block);
    }
    if (name == "exists") {
      if (!operand.is_boolean())
        return Fail(at, "exists expects true or false, not " + std::string(TypeName(operand)));
      return Exists(operand.get<bool>());
    }
    return Fail(where, "unknown operator \"" + name + "\"");
  }

  // prefix and suffix: a string, or {"equals-ignore-case": string}.
  Result<ValueTest> ParseAffix(const Json& operand, const std::string& where, ValueTestKind exact,
                               ValueTestKind ignoring_case) {
    if (operand.is_string()) return Make(exact, operand.get<std::string>());
    if (operand.is_object() && operand.size() == 1 && operand.contains("equals-ignore-case")) {
      const Json& text = operand["equals-ignore-case"];
      if (!text.is_string()) {
        return Fail(Join(where, "equals-ignore-case"),
                    "expects a string, not " + std::string(TypeName(text)));
      }
      return Make(ignoring_case, LowerAscii(text.get<std::string>()));
    }
    return Fail(where, "expects a string or {\"equals-ignore-case\": string}, not " +
                           std::string(operand.is_object() ? "this object" : TypeName(operand)));
  }

  Result<Wildcard> ParseWildcard(const Json& operand, const std::string& where) {
    std::string error;
    auto wildcard = Wildcard::Parse(operand.get<std::string>(), &error);
    if (!wildcard)
      return Fail(where, "invalid wildcard \"" + operand.get<std::string>() + "\": " + error);
    return std::move(*wildcard);
  }

  // A single string or number, a list of all strings or all numbers, or an object:
  // {"prefix": s}, {"suffix": s}, {"equals-ignore-case": s or [s...]}, {"wildcard": s or [s...]}.
  Result<ValueTest> ParseAnythingBut(const Json& operand, const std::string& where) {
    if (operand.is_string() || operand.is_number()) {
      return Excluding(ExactKey(operand));
    }
    if (operand.is_array()) {
      if (operand.empty()) return Fail(where, "empty array; list at least one value to exclude");
      const bool strings = operand.front().is_string();
      ValueTest test = Make(ValueTestKind::kAnythingBut);
      for (size_t i = 0; i < operand.size(); ++i) {
        const Json& value = operand[i];
        if (!value.is_string() && !value.is_number()) {
          return Fail(Index(where, i), "anything-but lists take strings or numbers, not " +
                                           std::string(TypeName(value)));
        }
        if (value.is_string() != strings) {
          return Fail(Index(where, i), "anything-but lists must be all strings or all numbers");
        }
        test.texts.push_back(ExactKey(value));
      }
      return test;
    }
    if (operand.is_object()) {
      if (operand.size() != 1)
        return Fail(where,
                    "anything-but takes one operator, found " + std::to_string(operand.size()));
      const std::string& name = operand.begin().key();
      const Json& inner = operand.begin().value();
      const std::string at = Join(where, name);
      if (name == "prefix" || name == "suffix") {
        if (!inner.is_string())
          return Fail(at, "expects a string, not " + std::string(TypeName(inner)));
        if (inner.get_ref<const std::string&>().empty())
          return Fail(at, "expects a non-empty string");
        return Make(name == "prefix" ? ValueTestKind::kAnythingButPrefix
                                     : ValueTestKind::kAnythingButSuffix,
                    inner.get<std::string>());
      }
      if (name == "equals-ignore-case" || name == "wildcard") {
        const bool wildcard = name == "wildcard";
        ValueTest test = Make(wildcard ? ValueTestKind::kAnythingButWildcard
                                       : ValueTestKind::kAnythingButIgnoreCase);
        const auto add = [&](const Json& value, const std::string& value_at) -> Status {
          if (!value.is_string())
            return FailStatus(value_at, "expects a string, not " + std::string(TypeName(value)));
          if (!wildcard) {
            test.texts.push_back(LowerAscii(value.get<std::string>()));
            return Status::Ok();
          }
          TARN_ASSIGN_OR_RETURN(Wildcard parsed, ParseWildcard(value, value_at));
          test.wildcards.push_back(std::move(parsed));
          return Status::Ok();
        };
        if (inner.is_array()) {
          if (inner.empty()) return Fail(at, "empty array; list at least one value to exclude");
          for (size_t i = 0; i < inner.size(); ++i) TARN_TRY(add(inner[i], Index(at, i)));
        } else {
          TARN_TRY(add(inner, at));
        }
        return test;
      }
      return Fail(at,
                  "anything-but supports prefix, suffix, equals-ignore-case and wildcard, not \"" +
                      name + "\"");
    }
    return Fail(
        where,
        "anything-but expects a string, a number, a list of them or an operator object, not " +
            std::string(TypeName(operand)));
  }

  // ["=", v], [">"|">=", v], ["<"|"<=", v] or [">"|">=", low, "<"|"<=", high] with low < high.
  Result<ValueTest> ParseNumeric(const Json& operand, const std::string& where) {
    if (!operand.is_array() || operand.empty() || operand.size() % 2 != 0 || operand.size() > 4) {
      return Fail(where,
                  "numeric expects [operator, number] or [\">\"|\">=\", low, \"<\"|\"<=\", high]");
    }
    ValueTest test = Make(ValueTestKind::kNumeric);
    bool has_lower = false;
    bool has_upper = false;
    for (size_t i = 0; i < operand.size(); i += 2) {
      const Json& op_json = operand[i];
      const Json& value = operand[i + 1];
      if (!op_json.is_string())
        return Fail(Index(where, i), "expected an operator (=, <, <=, >, >=), not " +
                                         std::string(TypeName(op_json)));
      const std::string op = op_json.get<std::string>();
      if (!value.is_number())
        return Fail(Index(where, i + 1),
                    "expected a number after \"" + op + "\", not " + std::string(TypeName(value)));
      const double number = value.get<double>();
      if (!std::isfinite(number) || std::fabs(number) > Pattern::kNumericLimit) {
        return Fail(Index(where, i + 1), "numbers must lie between -5e9 and 5e9");
      }
      if (op == "=") {
        if (operand.size() != 2)
          return Fail(Index(where, i), "\"=\" cannot be combined with another operator");
        test.range = NumericRange{
            .lower = number, .lower_inclusive = true, .upper = number, .upper_inclusive = true};
      } else if (op == ">" || op == ">=") {
        if (has_lower) return Fail(Index(where, i), "two lower bounds");
        if (has_upper)
          return Fail(Index(where, i),
                      "the lower bound (> or >=) must come before the upper bound");
        has_lower = true;
        test.range.lower = number;
        test.range.lower_inclusive = op == ">=";
      } else if (op == "<" || op == "<=") {
        if (has_upper) return Fail(Index(where, i), "two upper bounds");
        has_upper = true;
        test.range.upper = number;
        test.range.upper_inclusive = op == "<=";
      } else {
        return Fail(Index(where, i),
                    "unknown numeric operator \"" + op + "\"; expected =, <, <=, > or >=");
      }
    }
    if (has_lower && has_upper && !(test.range.lower < test.range.upper)) {
      return Fail(where, "the lower bound must be less than the upper bound");
    }
    return test;
  }
};

Status TooManyBranches() {
  return Status::InvalidArgument("event pattern: its \"$or\" combinations expand to more than " +
                                 std::to_string(Pattern::kMaxBranches) + " alternatives");
}

// Multiplies out a node's $or lists into branches (disjunctive normal form).
Result<std::vector<PatternBranch>> Expand(Node node) {
  std::vector<PatternBranch> branches(1);
  branches[0].fields = std::move(node.fields);
  for (auto& alternatives : node.ors) {
    std::vector<PatternBranch> expanded;
    for (Node& alternative : alternatives) {
      TARN_ASSIGN_OR_RETURN(std::vector<PatternBranch> sub, Expand(std::move(alternative)));
      for (const PatternBranch& base : branches) {
        for (const PatternBranch& extra : sub) {
          if (expanded.size() == Pattern::kMaxBranches) return Error(TooManyBranches());
          PatternBranch combined = base;
          combined.fields.insert(combined.fields.end(), extra.fields.begin(), extra.fields.end());
          expanded.push_back(std::move(combined));
        }
      }
    }
    branches = std::move(expanded);
  }
  return branches;
}

}  // namespace

bool FieldTest::Matches(const FlattenedEvent& event) const {
  const std::vector<const nlohmann::json*>* leaves = event.Find(path);
  if (leaves == nullptr) {
    return std::any_of(alternatives.begin(), alternatives.end(), [](const ValueTest& test) {
      return test.kind == ValueTestKind::kExists && !test.exists;
    });
  }
  for (const ValueTest& test : alternatives) {
    if (test.kind == ValueTestKind::kExists) {
      if (test.exists) return true;
      continue;
    }
    for (const nlohmann::json* leaf : *leaves) {
      if (test.Matches(*leaf)) return true;
    }
  }
  return false;
}

bool PatternBranch::Matches(const FlattenedEvent& event) const {
  return std::all_of(fields.begin(), fields.end(),
                     [&event](const FieldTest& field) { return field.Matches(event); });
}

Result<Pattern> Pattern::Parse(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Error(Status::InvalidArgument("event pattern: not valid JSON"));
  return FromJson(json);
}

Result<Pattern> Pattern::FromJson(const nlohmann::json& pattern) {
  if (!pattern.is_object()) {
    return Error(Status::InvalidArgument("event pattern: must be a JSON object, not " +
                                         std::string(TypeName(pattern))));
  }
  Parser parser;
  TARN_ASSIGN_OR_RETURN(Node root, parser.ParseObject(pattern, "", "", 1));
  Pattern parsed;
  TARN_ASSIGN_OR_RETURN(parsed.branches_, Expand(std::move(root)));
  return parsed;
}

bool Pattern::Matches(const nlohmann::json& event) const { return Matches(FlattenedEvent(event)); }

bool Pattern::Matches(const FlattenedEvent& event) const {
  return std::any_of(branches_.begin(), branches_.end(),
                     [&event](const PatternBranch& branch) { return branch.Matches(event); });
}

}  // namespace tarn::events
