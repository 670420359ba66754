#include "contracts/compatibility_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <regex>
#include <set>
#include <utility>

#include "contracts/schema_pattern.h"
#include "contracts/schema_validator.h"

namespace tarn::contracts {
namespace {

// How deep the comparison goes before it stops (a schema nested this deep is hostile).
constexpr int kMaxDepth = 128;
// $refs followed in a row while normalising one node.
constexpr int kMaxRefChain = 32;

// ---- Types as sets ------------------------------------------------------------------------

// A set of JSON types; "number" is integer plus fractional numbers.
using TypeSet = unsigned;
constexpr TypeSet kNull = 1, kBoolean = 2, kObject = 4, kArray = 8, kString = 16, kInteger = 32,
                  kFraction = 64;
constexpr TypeSet kNumber = kInteger | kFraction;
constexpr TypeSet kAnyType = kNull | kBoolean | kObject | kArray | kString | kNumber;

TypeSet TypeBit(std::string_view name) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "string") return kString;
  if (name == "integer") return kInteger;
  if (name == "number") return kNumber;
  return 0;
}

TypeSet TypesOf(const Json& schema) {
  auto type = schema.find("type");
  if (type == schema.end()) return kAnyType;
  if (type->is_string()) return TypeBit(type->get_ref<const std::string&>());
  TypeSet set = 0;
  for (const Json& name : *type) {
    if (name.is_string()) set |= TypeBit(name.get_ref<const std::string&>());
  }
  return set;
}

std::string TypeNames(TypeSet set) {
  if (set == kAnyType) return "any type";
  std::vector<std::string_view> names;
  if (set & kNull) names.push_back("null");
  if (set & kBoolean) names.push_back("boolean");
  if (set & kObject) names.push_back("object");
  if (set & kArray) names.push_back("array");
  if ((set & kNumber) == kNumber) {
    names.push_back("number");
  } else if (set & kInteger) {
    names.push_back("integer");
  } else if (set & kFraction) {
    names.push_back("fractional number");
  }
  if (set & kString) names.push_back("string");
  if (names.empty()) return "no type";
  if (names.size() == 1) return std::string(names[0]);
  return fmt::format("[{}]", fmt::join(names, ", "));
}

// ---- Schema shapes ------------------------------------------------------------------------

// Keywords that constrain nothing.
constexpr std::array<std::string_view, 16> kAnnotations = {
    "title",   "description", "default",   "examples",  "$comment",         "$id",
    "$schema", "format",      "readOnly",  "writeOnly", "deprecated",       "contentMediaType",
    "$defs",   "definitions", "$anchor",   "contentEncoding"};

bool IsAnnotation(std::string_view key) {
  return std::find(kAnnotations.begin(), kAnnotations.end(), key) != kAnnotations.end();
}

// Whether `schema` accepts every document.
bool AcceptsAll(const Json& schema) {
  if (schema.is_boolean()) return schema.get<bool>();
  if (!schema.is_object()) return true;
  for (const auto& [key, value] : schema.items()) {
    if (!IsAnnotation(key)) return false;
  }
  return true;
}

bool AcceptsNothing(const Json& schema) { return schema.is_boolean() && !schema.get<bool>(); }

const Json* Find(const Json& schema, const char* key) {
  if (!schema.is_object()) return nullptr;
  auto it = schema.find(key);
  return it == schema.end() ? nullptr : &*it;
}

std::optional<double> Number(const Json& schema, const char* key) {
  const Json* value = Find(schema, key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->get<double>();
}

bool Flag(const Json& schema, const char* key) {
  const Json* value = Find(schema, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

std::set<std::string> Required(const Json& schema) {
  std::set<std::string> names;
  if (const Json* required = Find(schema, "required"); required && required->is_array()) {
    for (const Json& name : *required) {
      if (name.is_string()) names.insert(name.get<std::string>());
    }
  }
  return names;
}

// A bound on numbers: its value and whether it is exclusive.
struct Bound {
  double value = 0;
  bool exclusive = false;
};

// The tightest lower (or upper) bound among minimum, exclusiveMinimum (draft-04 boolean or
// later number form).
std::optional<Bound> LowerBound(const Json& schema) {
  std::optional<Bound> bound;
  if (auto min = Number(schema, "minimum")) bound = Bound{*min, Flag(schema, "exclusiveMinimum")};
  if (auto min = Number(schema, "exclusiveMinimum")) {
    if (!bound || *min >= bound->value) bound = Bound{*min, true};
  }
  return bound;
}

std::optional<Bound> UpperBound(const Json& schema) {
  std::optional<Bound> bound;
  if (auto max = Number(schema, "maximum")) bound = Bound{*max, Flag(schema, "exclusiveMaximum")};
  if (auto max = Number(schema, "exclusiveMaximum")) {
    if (!bound || *max <= bound->value) bound = Bound{*max, true};
  }
  return bound;
}

std::string FormatNumber(double value) { return fmt::format("{}", value); }

// ---- allOf and $ref normalisation ---------------------------------------------------------

// Intersects two object schemas approximately: the result accepts what both accept where the
// keywords can be combined (types, bounds, required, properties, additionalProperties); for
// other keywords the first schema's value wins.
Json Merge(Json a, const Json& b) {
  if (AcceptsNothing(a) || AcceptsNothing(b)) return false;
  if (!a.is_object()) a = Json::object();
  if (!b.is_object()) return a;
  for (const auto& [key, value] : b.items()) {
    auto it = a.find(key);
    if (it == a.end()) {
      a[key] = value;
      continue;
    }
    if (*it == value) continue;
    if (key == "type") {
      TypeSet both = TypesOf(a) & TypesOf(b);
      Json names = Json::array();
      for (std::string_view name : {"null", "boolean", "object", "array", "string"}) {
        if (both & TypeBit(name)) names.push_back(name);
      }
      if ((both & kNumber) == kNumber) {
        names.push_back("number");
      } else if (both & kInteger) {
        names.push_back("integer");
      }
      *it = names.size() == 1 ? names[0] : names;
    } else if (key == "required" && value.is_array() && it->is_array()) {
      for (const Json& name : value) {
        if (std::find(it->begin(), it->end(), name) == it->end()) it->push_back(name);
      }
    } else if (key == "properties" && value.is_object() && it->is_object()) {
      for (const auto& [name, schema] : value.items()) {
        auto existing = it->find(name);
        if (existing == it->end()) {
          (*it)[name] = schema;
        } else if (*existing != schema) {
          *existing = Json{{"allOf", Json::array({*existing, schema})}};
        }
      }
    } else if (key == "additionalProperties" || key == "items" || key == "additionalItems") {
      if (AcceptsNothing(*it) || AcceptsNothing(value)) {
        *it = false;
      } else {
        *it = Json{{"allOf", Json::array({*it, value})}};
      }
    } else if (key == "enum" && value.is_array() && it->is_array()) {
      Json both = Json::array();
      for (const Json& item : *it) {
        if (std::find(value.begin(), value.end(), item) != value.end()) both.push_back(item);
      }
      *it = both;
    } else if ((key == "minimum" || key == "exclusiveMinimum" || key == "minLength" ||
                key == "minItems" || key == "minProperties") &&
               value.is_number() && it->is_number()) {
      if (value.get<double>() > it->get<double>()) *it = value;
    } else if ((key == "maximum" || key == "exclusiveMaximum" || key == "maxLength" ||
                key == "maxItems" || key == "maxProperties") &&
               value.is_number() && it->is_number()) {
      if (value.get<double>() < it->get<double>()) *it = value;
    } else if (key == "uniqueItems") {
      *it = Flag(a, "uniqueItems") || Flag(b, "uniqueItems");
    }
  }
  return a;
}

// The comparison's view of one side: its document (for $refs) and a validator over it (for
// testing the other side's enum values).
struct Side {
  const JsonSchema& document;
  const SchemaValidator& validator;
};

// `schema` with its $ref followed (sibling keywords kept) and its allOf merged in, so that what
// remains is one object or a boolean. The result is a copy; $refs inside it still resolve
// against the side's document because local references are absolute.
Json Normalize(const Json& schema, const Side& side, int ref_chain = 0) {
  if (!schema.is_object()) return schema.is_boolean() ? schema : Json(true);
  Json out = schema;
  if (auto ref = out.find("$ref"); ref != out.end() && ref->is_string()) {
    const Json* target = side.document.ResolveRef(ref->get_ref<const std::string&>());
    out.erase("$ref");
    if (target != nullptr && ref_chain < kMaxRefChain) {
      out = Merge(Normalize(*target, side, ref_chain + 1), out);
    }
  }
  if (!out.is_object()) return out;
  if (auto all = out.find("allOf"); all != out.end() && all->is_array()) {
    Json branches = std::move(*all);
    out.erase("allOf");
    for (const Json& branch : branches) out = Merge(std::move(out), Normalize(branch, side));
  }
  return out;
}

// ---- Naming what a path points at ---------------------------------------------------------

// "property 'amount'" for ".../properties/amount", "the root" for "#", else "the schema at P".
std::string Subject(const std::string& path) {
  if (path == "#") return "the root";
  size_t slash = path.rfind('/');
  size_t parent = slash == std::string::npos || slash == 0 ? std::string::npos
                                                           : path.rfind('/', slash - 1);
  if (parent != std::string::npos &&
      std::string_view(path).substr(parent, slash - parent) == "/properties") {
    std::string name;
    std::string_view token = std::string_view(path).substr(slash + 1);
    for (size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size()) {
        name += token[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        name += token[i];
      }
    }
    return "property '" + name + "'";
  }
  return "the schema at " + path;
}

std::string Short(const Json& value) {
  std::string text = CanonicalJson(value);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// ---- The comparison -----------------------------------------------------------------------

class ReadabilityCheck {
 public:
  ReadabilityCheck(const Side& reader, const Side& writer) : reader_(reader), writer_(writer) {}

  std::vector<Incompatibility> Run() {
    Compare(writer_.document.root(), reader_.document.root(), "#", 0);
    return std::move(found_);
  }

 private:
  void Add(std::string type, const std::string& path, std::string message) {
    found_.push_back(Incompatibility{std::move(type), path, std::move(message)});
  }

  // Whether reader schema `r` accepts everything writer schema `w` does, with no findings kept.
  bool Covers(const Json& w, const Json& r, const std::string& path, int depth) {
    ReadabilityCheck nested(reader_, writer_);
    nested.active_ = active_;
    nested.Compare(w, r, path, depth);
    return nested.found_.empty();
  }

  // The findings of comparing `w` with `r`, without adding them here.
  std::vector<Incompatibility> Findings(const Json& w, const Json& r, const std::string& path,
                                        int depth) {
    ReadabilityCheck nested(reader_, writer_);
    nested.active_ = active_;
    nested.Compare(w, r, path, depth);
    return std::move(nested.found_);
  }

  void Compare(const Json& w_in, const Json& r_in, const std::string& path, int depth) {
    if (depth > kMaxDepth) return;
    // A recursive schema comes back to the same pair of references: assume it holds there, as
    // the rest of the comparison decides.
    std::pair<std::string, std::string> refs{RefOf(w_in), RefOf(r_in)};
    bool tracked = !refs.first.empty() && !refs.second.empty();
    if (tracked && !active_.insert(refs).second) return;

    const Json w = Normalize(w_in, writer_);
    const Json r = Normalize(r_in, reader_);
    CompareNormalized(w, r, path, depth);

    if (tracked) active_.erase(refs);
  }

  static std::string RefOf(const Json& schema) {
    const Json* ref = Find(schema, "$ref");
    return ref != nullptr && ref->is_string() ? ref->get<std::string>() : std::string();
  }

  void CompareNormalized(const Json& w, const Json& r, const std::string& path, int depth) {
    if (AcceptsAll(r) || AcceptsNothing(w)) return;
    if (AcceptsNothing(r)) {
      Add("SCHEMA_REMOVED", path, Subject(path) + " no longer accepts any value");
      return;
    }
    const Json writer = w.is_object() ? w : Json::object();
    if (HasSum(writer) || HasSum(r)) {
      CompareSums(writer, r, path, depth);
      return;
    }

    // A writer that allows a fixed set of values: check each against the reader exactly.
    if (const Json* values = WriterValues(writer)) {
      CompareValues(*values, writer, r, path);
      return;
    }

    const TypeSet w_types = TypesOf(writer);
    const TypeSet r_types = TypesOf(r);
    if ((w_types & ~r_types) != 0) {
      if ((w_types & r_types) == 0) {
        Add("TYPE_CHANGED", path,
            fmt::format("{} type changed from {} to {}", Subject(path), TypeNames(w_types),
                        TypeNames(r_types)));
        return;
      }
      Add("TYPE_NARROWED", path,
          fmt::format("{} type narrowed from {} to {}", Subject(path), TypeNames(w_types),
                      TypeNames(r_types)));
    }
    const TypeSet common = w_types & r_types;

    if (const Json* values = Find(r, "enum")) {
      // Only a writer whose every value is known could fit a reader's enum.
      if (!CoveredByFiniteTypes(writer, common, r)) {
        Add("ENUM_ARRAY_NARROWED", path,
            fmt::format("{} is restricted to the values {}", Subject(path), Short(*values)));
      }
    }
    if (const Json* value = Find(r, "const")) {
      if (!CoveredByFiniteTypes(writer, common, r)) {
        Add("CONST_ADDED", path,
            fmt::format("{} is restricted to the constant {}", Subject(path), Short(*value)));
      }
    }
    if (common & kNumber) CompareNumbers(writer, r, path);
    if (common & kString) CompareStrings(writer, r, path);
    if (common & kArray) CompareArrays(writer, r, path, depth);
    if (common & kObject) CompareObjects(writer, r, path, depth);
    CompareNot(writer, r, path, depth);
    CompareConditions(writer, r, path);
  }

  // ---- values ----

  // The writer's fixed set of values (its const, else its enum), or null.
  static const Json* WriterValues(const Json& w) {
    if (const Json* constant = Find(w, "const")) return constant;
    if (const Json* values = Find(w, "enum"); values != nullptr && values->is_array()) {
      return values;
    }
    return nullptr;
  }

  // Each value the writer allows must pass the reader.
  void CompareValues(const Json& values, const Json& w, const Json& r, const std::string& path) {
    const Json* r_enum = Find(r, "enum");
    if (Find(w, "const") != nullptr) {
      // A constant the writer's other keywords refuse is never written either.
      if (writer_.validator.Accepts(w, values)) CheckValue(values, r, r_enum, path);
      return;
    }
    for (const Json& value : values) {
      // A value the writer's other keywords refuse is never written.
      if (!writer_.validator.Accepts(w, value)) continue;
      CheckValue(value, r, r_enum, path);
    }
  }

  void CheckValue(const Json& value, const Json& r, const Json* r_enum, const std::string& path) {
    std::vector<Finding> refused = reader_.validator.Validate(r, value);
    if (refused.empty()) return;
    if (const Json* r_const = Find(r, "const"); r_const != nullptr && *r_const != value) {
      Add("CONST_CHANGED", path,
          fmt::format("{} constant changed from {} to {}", Subject(path), Short(value),
                      Short(*r_const)));
    } else if (r_enum != nullptr &&
               std::find(r_enum->begin(), r_enum->end(), value) == r_enum->end()) {
      Add("ENUM_ARRAY_NARROWED", path,
          fmt::format("{} no longer allows the value {}", Subject(path), Short(value)));
    } else {
      Add("ENUM_ARRAY_CHANGED", path,
          fmt::format("{} value {} is refused: {}", Subject(path), Short(value),
                      refused.front().message));
    }
  }

  // A writer of only null and booleans has finitely many values: whether the reader takes all.
  bool CoveredByFiniteTypes(const Json& w, TypeSet common, const Json& r) {
    const TypeSet w_types = TypesOf(w);
    if ((w_types & ~(kNull | kBoolean)) != 0) return false;
    (void)common;
    std::vector<Json> values;
    if (w_types & kNull) values.emplace_back(nullptr);
    if (w_types & kBoolean) {
      values.emplace_back(true);
      values.emplace_back(false);
    }
    for (const Json& value : values) {
      if (!reader_.validator.Accepts(r, value)) return false;
    }
    return true;
  }

  // ---- numbers, strings ----

  void CompareNumbers(const Json& w, const Json& r, const std::string& path) {
    std::optional<Bound> r_min = LowerBound(r);
    std::optional<Bound> w_min = LowerBound(w);
    if (r_min) {
      const char* kind = r_min->exclusive ? "EXCLUSIVE_MINIMUM" : "MINIMUM";
      if (!w_min) {
        Add(fmt::format("{}_ADDED", kind), path,
            fmt::format("{} gained a minimum of {}{}", Subject(path), FormatNumber(r_min->value),
                        r_min->exclusive ? " (exclusive)" : ""));
      } else if (r_min->value > w_min->value ||
                 (r_min->value == w_min->value && r_min->exclusive && !w_min->exclusive)) {
        Add(fmt::format("{}_INCREASED", kind), path,
            fmt::format("{} minimum increased from {} to {}", Subject(path),
                        FormatNumber(w_min->value), FormatNumber(r_min->value)));
      }
    }
    std::optional<Bound> r_max = UpperBound(r);
    std::optional<Bound> w_max = UpperBound(w);
    if (r_max) {
      const char* kind = r_max->exclusive ? "EXCLUSIVE_MAXIMUM" : "MAXIMUM";
      if (!w_max) {
        Add(fmt::format("{}_ADDED", kind), path,
            fmt::format("{} gained a maximum of {}{}", Subject(path), FormatNumber(r_max->value),
                        r_max->exclusive ? " (exclusive)" : ""));
      } else if (r_max->value < w_max->value ||
                 (r_max->value == w_max->value && r_max->exclusive && !w_max->exclusive)) {
        Add(fmt::format("{}_DECREASED", kind), path,
            fmt::format("{} maximum decreased from {} to {}", Subject(path),
                        FormatNumber(w_max->value), FormatNumber(r_max->value)));
      }
    }
    if (auto r_step = Number(r, "multipleOf")) {
      std::optional<double> w_step = Number(w, "multipleOf");
      if (!w_step) {
        // An integer writer already satisfies multipleOf 1.
        if (!(*r_step == 1 && (TypesOf(w) & kFraction) == 0)) {
          Add("MULTIPLE_OF_ADDED", path,
              fmt::format("{} must now be a multiple of {}", Subject(path),
                          FormatNumber(*r_step)));
        }
      } else {
        double quotient = *w_step / *r_step;
        if (std::fabs(quotient - std::round(quotient)) > 1e-9 * std::max(1.0, quotient)) {
          Add("MULTIPLE_OF_CHANGED", path,
              fmt::format("{} multipleOf changed from {} to {}", Subject(path),
                          FormatNumber(*w_step), FormatNumber(*r_step)));
        }
      }
    }
  }

  // Compares a count keyword where the reader must be at least as loose: for a maximum the
  // reader's must be >= the writer's, for a minimum <=.
  void CompareCount(const Json& w, const Json& r, const char* key, bool is_maximum,
                    const char* type_prefix, const std::string& path, const char* what) {
    std::optional<double> r_value = Number(r, key);
    if (!r_value || (!is_maximum && *r_value == 0)) return;
    std::optional<double> w_value = Number(w, key);
    if (!w_value) {
      Add(fmt::format("{}_ADDED", type_prefix), path,
          fmt::format("{} gained {} {}", Subject(path), what, FormatNumber(*r_value)));
      return;
    }
    if (is_maximum ? *r_value < *w_value : *r_value > *w_value) {
      Add(fmt::format("{}_{}", type_prefix, is_maximum ? "DECREASED" : "INCREASED"), path,
          fmt::format("{} {} {} from {} to {}", Subject(path), what,
                      is_maximum ? "decreased" : "increased", FormatNumber(*w_value),
                      FormatNumber(*r_value)));
    }
  }

  void CompareStrings(const Json& w, const Json& r, const std::string& path) {
    CompareCount(w, r, "maxLength", true, "MAX_LENGTH", path, "maxLength");
    CompareCount(w, r, "minLength", false, "MIN_LENGTH", path, "minLength");
    if (const Json* r_pattern = Find(r, "pattern")) {
      const Json* w_pattern = Find(w, "pattern");
      if (w_pattern == nullptr) {
        Add("PATTERN_ADDED", path,
            fmt::format("{} gained the pattern {}", Subject(path), Short(*r_pattern)));
      } else if (*w_pattern != *r_pattern) {
        Add("PATTERN_CHANGED", path,
            fmt::format("{} pattern changed from {} to {}", Subject(path), Short(*w_pattern),
                        Short(*r_pattern)));
      }
    }
  }

  // ---- arrays ----

  // An array schema's positional items and the schema for the items after them.
  struct ItemsShape {
    std::vector<Json> tuple;
    Json rest = true;
    std::string tuple_key;  // "prefixItems" or "items"
    std::string rest_key;   // "items" or "additionalItems"
  };

  static ItemsShape ShapeOf(const Json& schema) {
    ItemsShape shape;
    const Json* items = Find(schema, "items");
    if (const Json* prefix = Find(schema, "prefixItems"); prefix && prefix->is_array()) {
      shape.tuple.assign(prefix->begin(), prefix->end());
      shape.tuple_key = "prefixItems";
      shape.rest_key = "items";
      if (items) shape.rest = *items;
    } else if (items && items->is_array()) {
      shape.tuple.assign(items->begin(), items->end());
      shape.tuple_key = "items";
      shape.rest_key = "additionalItems";
      if (const Json* extra = Find(schema, "additionalItems")) shape.rest = *extra;
    } else {
      shape.rest_key = "items";
      if (items) shape.rest = *items;
    }
    return shape;
  }

  void CompareArrays(const Json& w, const Json& r, const std::string& path, int depth) {
    CompareCount(w, r, "maxItems", true, "MAX_ITEMS", path, "maxItems");
    CompareCount(w, r, "minItems", false, "MIN_ITEMS", path, "minItems");
    if (Flag(r, "uniqueItems") && !Flag(w, "uniqueItems")) {
      Add("UNIQUE_ITEMS_ADDED", path, fmt::format("{} now needs unique items", Subject(path)));
    }
    ItemsShape ws = ShapeOf(w);
    ItemsShape rs = ShapeOf(r);
    std::optional<double> w_max_items = Number(w, "maxItems");
    const size_t positions = std::max(ws.tuple.size(), rs.tuple.size());
    for (size_t i = 0; i < positions; ++i) {
      if (w_max_items && static_cast<double>(i) >= *w_max_items) break;
      const Json& wi = i < ws.tuple.size() ? ws.tuple[i] : ws.rest;
      const Json& ri = i < rs.tuple.size() ? rs.tuple[i] : rs.rest;
      std::string at = path + "/" + (i < rs.tuple.size() ? rs.tuple_key : rs.rest_key);
      if (i < rs.tuple.size()) at += "/" + std::to_string(i);
      Compare(wi, ri, at, depth + 1);
    }
    if (!AcceptsNothing(Normalize(ws.rest, writer_))) {
      Compare(ws.rest, rs.rest, path + "/" + rs.rest_key, depth + 1);
    }
    if (const Json* r_contains = Find(r, "contains")) {
      const Json* w_contains = Find(w, "contains");
      if (w_contains == nullptr || !Covers(*w_contains, *r_contains, path + "/contains", depth)) {
        Add("CONTAINS_ADDED", path,
            fmt::format("{} now needs an item matching its contains schema", Subject(path)));
      }
    }
  }

  // ---- objects ----

  // The schemas that apply to a property `name` not declared in `properties`: the matching
  // patternProperties, else additionalProperties (absent means any value).
  static std::vector<Json> UndeclaredSchemas(const Json& schema, const std::string& name) {
    std::vector<Json> schemas;
    if (const Json* patterns = Find(schema, "patternProperties"); patterns && patterns->is_object()) {
      for (const auto& [pattern, subschema] : patterns->items()) {
        Result<std::regex> regex = CompilePattern(pattern);
        try {
          if (regex && std::regex_search(name, *regex)) schemas.push_back(subschema);
        } catch (const std::regex_error&) {
        }
      }
    }
    if (schemas.empty()) {
      const Json* extra = Find(schema, "additionalProperties");
      schemas.push_back(extra ? *extra : Json(true));
    }
    return schemas;
  }

  static const Json& AdditionalOf(const Json& schema) {
    static const Json kOpen = true;
    const Json* extra = Find(schema, "additionalProperties");
    return extra ? *extra : kOpen;
  }

  static bool HasDefault(const Json& schema) { return Find(schema, "default") != nullptr; }

  void CompareObjects(const Json& w, const Json& r, const std::string& path, int depth) {
    static const Json kNoProperties = Json::object();
    const Json* w_props = Find(w, "properties");
    const Json* r_props = Find(r, "properties");
    if (!w_props || !w_props->is_object()) w_props = &kNoProperties;
    if (!r_props || !r_props->is_object()) r_props = &kNoProperties;
    const std::set<std::string> w_required = Required(w);
    const std::set<std::string> r_required = Required(r);

    for (const auto& [name, w_prop] : w_props->items()) {
      const std::string at = AppendPointer(path + "/properties", name);
      if (auto r_prop = r_props->find(name); r_prop != r_props->end()) {
        Compare(w_prop, *r_prop, at, depth + 1);
        continue;
      }
      // Removed by the reader: what the writer puts there must pass the reader's model for
      // undeclared properties.
      if (AcceptsNothing(Normalize(w_prop, writer_))) continue;
      for (const Json& r_extra : UndeclaredSchemas(r, name)) {
        Json model = Normalize(r_extra, reader_);
        if (AcceptsAll(model)) continue;
        if (AcceptsNothing(model)) {
          Add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", at,
              fmt::format("{} was removed from a closed content model (additionalProperties "
                          "is false), so data that holds it is refused",
                          Subject(at)));
        } else if (!Covers(w_prop, r_extra, at, depth + 1)) {
          Add("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", at,
              fmt::format("{} was removed and its values do not fit the reader's "
                          "additionalProperties schema",
                          Subject(at)));
        }
      }
    }

    for (const auto& [name, r_prop] : r_props->items()) {
      if (w_props->contains(name)) continue;
      const std::string at = AppendPointer(path + "/properties", name);
      // Added by the reader: data written before may hold this name with whatever the writer
      // allowed for undeclared properties.
      for (const Json& w_extra : UndeclaredSchemas(w, name)) {
        Json model = Normalize(w_extra, writer_);
        if (AcceptsNothing(model)) continue;
        if (AcceptsAll(model)) {
          if (!AcceptsAll(Normalize(r_prop, reader_))) {
            Add("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", at,
                fmt::format("{} was added to an open content model: data written before may "
                            "hold '{}' with any value",
                            Subject(at), name));
          }
        } else if (!Covers(w_extra, r_prop, at, depth + 1)) {
          Add("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", at,
              fmt::format("{} was added but the writer's additionalProperties schema allows "
                          "values it refuses",
                          Subject(at)));
        }
      }
    }

    for (const std::string& name : r_required) {
      if (w_required.contains(name)) continue;
      const std::string at = AppendPointer(path + "/properties", name);
      auto r_prop = r_props->find(name);
      if (r_prop != r_props->end() && HasDefault(*r_prop)) continue;  // Confluent: compatible
      bool closed = !w_props->contains(name) && AcceptsNothing(Normalize(
                                                    UndeclaredSchemas(w, name).front(), writer_));
      Add(closed ? "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" : "REQUIRED_ATTRIBUTE_ADDED",
          at, fmt::format("{} became required", Subject(at)));
    }

    // Undeclared names on both sides.
    const Json& w_extra = AdditionalOf(w);
    const Json& r_extra = AdditionalOf(r);
    const Json r_model = Normalize(r_extra, reader_);
    const Json w_model = Normalize(w_extra, writer_);
    if (!AcceptsNothing(w_model) && !AcceptsAll(r_model)) {
      if (AcceptsNothing(r_model)) {
        Add("ADDITIONAL_PROPERTIES_NARROWED", path + "/additionalProperties",
            fmt::format("{} closed its content model (additionalProperties false): data written "
                        "before may hold other properties",
                        Subject(path)));
      } else if (AcceptsAll(w_model)) {
        Add("ADDITIONAL_PROPERTIES_NARROWED", path + "/additionalProperties",
            fmt::format("{} restricted its additional properties to a schema", Subject(path)));
      } else {
        Compare(w_extra, r_extra, path + "/additionalProperties", depth + 1);
      }
    }

    ComparePatternProperties(w, r, path, depth);
    CompareCount(w, r, "maxProperties", true, "MAX_PROPERTIES", path, "maxProperties");
    CompareCount(w, r, "minProperties", false, "MIN_PROPERTIES", path, "minProperties");
    if (const Json* r_names = Find(r, "propertyNames")) {
      static const Json kAny = true;
      const Json* w_names = Find(w, "propertyNames");
      std::vector<Incompatibility> nested =
          Findings(w_names ? *w_names : kAny, *r_names, path + "/propertyNames", depth + 1);
      if (!nested.empty()) {
        Add("PROPERTY_NAMES_NARROWED", path + "/propertyNames",
            fmt::format("{} restricted its property names", Subject(path)));
      }
    }
    CompareDependencies(w, r, w_required, path);
  }

  void ComparePatternProperties(const Json& w, const Json& r, const std::string& path,
                                int depth) {
    static const Json kNone = Json::object();
    const Json* w_patterns = Find(w, "patternProperties");
    const Json* r_patterns = Find(r, "patternProperties");
    if (!w_patterns || !w_patterns->is_object()) w_patterns = &kNone;
    if (!r_patterns || !r_patterns->is_object()) r_patterns = &kNone;
    for (const auto& [pattern, r_schema] : r_patterns->items()) {
      const std::string at = AppendPointer(path + "/patternProperties", pattern);
      if (auto w_schema = w_patterns->find(pattern); w_schema != w_patterns->end()) {
        Compare(*w_schema, r_schema, at, depth + 1);
      } else if (!AcceptsNothing(Normalize(AdditionalOf(w), writer_)) &&
                 !Covers(AdditionalOf(w), r_schema, at, depth + 1)) {
        Add("PATTERN_PROPERTY_ADDED", at,
            fmt::format("the pattern property {} was added and data written before may hold "
                        "such names with other values",
                        Short(pattern)));
      }
    }
    for (const auto& [pattern, w_schema] : w_patterns->items()) {
      if (r_patterns->contains(pattern)) continue;
      const std::string at = AppendPointer(path + "/patternProperties", pattern);
      if (!Covers(w_schema, AdditionalOf(r), at, depth + 1)) {
        Add("PATTERN_PROPERTY_REMOVED", at,
            fmt::format("the pattern property {} was removed and the reader's "
                        "additionalProperties refuses its values",
                        Short(pattern)));
      }
    }
  }

  void CompareDependencies(const Json& w, const Json& r, const std::set<std::string>& w_required,
                           const std::string& path) {
    for (const char* key : {"dependentRequired", "dependencies"}) {
      const Json* r_deps = Find(r, key);
      if (!r_deps || !r_deps->is_object()) continue;
      const Json* w_deps = Find(w, key);
      for (const auto& [name, needed] : r_deps->items()) {
        const Json* w_needed = w_deps && w_deps->is_object() && w_deps->contains(name)
                                   ? &(*w_deps)[name]
                                   : nullptr;
        if (!needed.is_array()) {
          if (!w_needed || *w_needed != needed) {
            Add("DEPENDENCY_SCHEMA_ADDED", path + "/" + key,
                fmt::format("the schema dependency of '{}' was added or changed", name));
          }
          continue;
        }
        for (const Json& other : needed) {
          if (!other.is_string() || w_required.contains(other.get<std::string>())) continue;
          bool had = w_needed && w_needed->is_array() &&
                     std::find(w_needed->begin(), w_needed->end(), other) != w_needed->end();
          if (!had) {
            Add("DEPENDENCY_ARRAY_EXTENDED", path + "/" + key,
                fmt::format("'{}' now requires '{}'", name, other.get<std::string>()));
          }
        }
      }
    }
  }

  // ---- not, if/then/else ----

  void CompareNot(const Json& w, const Json& r, const std::string& path, int depth) {
    const Json* r_not = Find(r, "not");
    if (r_not == nullptr) return;
    const Json* w_not = Find(w, "not");
    if (w_not != nullptr && *w_not == *r_not) return;
    // Writer ⊆ not(a) holds when a ⊆ b for the writer's not(b): the roles swap.
    if (w_not != nullptr) {
      ReadabilityCheck swapped(writer_, reader_);
      swapped.Compare(*r_not, *w_not, path + "/not", depth + 1);
      if (swapped.found_.empty()) return;
    }
    Add(w_not ? "NOT_TYPE_EXTENDED" : "NOT_TYPE_ADDED", path + "/not",
        fmt::format("{} excludes values under 'not' that the writer allows", Subject(path)));
  }

  void CompareConditions(const Json& w, const Json& r, const std::string& path) {
    for (const char* key : {"if", "then", "else"}) {
      const Json* r_part = Find(r, key);
      const Json* w_part = Find(w, key);
      if (r_part == nullptr || (w_part != nullptr && *w_part == *r_part)) continue;
      Add("CONDITION_CHANGED", path + "/" + key,
          fmt::format("{} changed its if/then/else condition", Subject(path)));
      return;
    }
  }

  // ---- oneOf, anyOf ----

  static bool HasSum(const Json& schema) {
    return Find(schema, "oneOf") != nullptr || Find(schema, "anyOf") != nullptr;
  }

  // The alternatives of a schema with oneOf or anyOf, each merged with the keywords beside it;
  // a schema without is its own single alternative. `key` is which keyword held them.
  static std::vector<Json> Alternatives(const Json& schema, std::string* key) {
    const char* which = Find(schema, "oneOf") ? "oneOf" : Find(schema, "anyOf") ? "anyOf" : "";
    *key = which;
    if (*which == '\0') return {schema};
    Json base = schema;
    base.erase(which);
    std::vector<Json> out;
    for (const Json& branch : schema[which]) {
      out.push_back(Json{{"allOf", Json::array({base, branch})}});
    }
    return out;
  }

  void CompareSums(const Json& w, const Json& r, const std::string& path, int depth) {
    std::string w_key;
    std::string r_key;
    std::vector<Json> w_alternatives = Alternatives(w, &w_key);
    std::vector<Json> r_alternatives = Alternatives(r, &r_key);
    // Each writer alternative must be read by some reader alternative.
    for (size_t i = 0; i < w_alternatives.size(); ++i) {
      const std::string at = w_key.empty() ? path : fmt::format("{}/{}/{}", path, w_key, i);
      std::vector<Incompatibility> best;
      bool covered = false;
      for (size_t j = 0; j < r_alternatives.size() && !covered; ++j) {
        std::vector<Incompatibility> nested = Findings(w_alternatives[i], r_alternatives[j],
                                                       at, depth + 1);
        if (nested.empty()) {
          covered = true;
        } else if (j == 0 || nested.size() < best.size()) {
          best = std::move(nested);
        }
      }
      if (covered) continue;
      if (r_key.empty()) {
        for (Incompatibility& finding : best) found_.push_back(std::move(finding));
        continue;
      }
      Add(w_key.empty() ? "COMBINED_TYPE_CHANGED" : "SUM_TYPE_NARROWED", at,
          fmt::format("{} allows values that no alternative of the reader's {} accepts{}",
                      w_key.empty() ? Subject(path)
                                    : fmt::format("alternative {} of {}", i, Subject(path)),
                      r_key,
                      best.empty() ? "" : " (closest: " + best.front().message + ")"));
    }
  }

  const Side& reader_;
  const Side& writer_;
  std::set<std::pair<std::string, std::string>> active_;
  std::vector<Incompatibility> found_;
};

}  // namespace

std::string Incompatibility::ToString() const {
  return fmt::format("{} at {}: {}", type, path, message);
}

std::vector<Incompatibility> CheckReadable(const JsonSchema& reader, const JsonSchema& writer) {
  SchemaValidator reader_validator(reader);
  SchemaValidator writer_validator(writer);
  Side reader_side{reader, reader_validator};
  Side writer_side{writer, writer_validator};
  return ReadabilityCheck(reader_side, writer_side).Run();
}

std::vector<std::string> CheckCompatibility(CompatibilityLevel level, const JsonSchema& candidate,
                                            std::span<const PreviousSchema> previous) {
  std::vector<std::string> messages;
  if (level == CompatibilityLevel::kNone || previous.empty()) return messages;
  std::span<const PreviousSchema> against =
      IsTransitive(level) ? previous : previous.subspan(previous.size() - 1);
  for (auto it = against.rbegin(); it != against.rend(); ++it) {
    if (ChecksBackward(level)) {
      for (const Incompatibility& found : CheckReadable(candidate, *it->schema)) {
        messages.push_back(fmt::format(
            "{} (backward: a reader with the new schema cannot read data written with version "
            "{})",
            found.ToString(), it->version));
      }
    }
    if (ChecksForward(level)) {
      for (const Incompatibility& found : CheckReadable(*it->schema, candidate)) {
        messages.push_back(fmt::format(
            "{} (forward: a reader with version {} cannot read data written with the new "
            "schema)",
            found.ToString(), it->version));
      }
    }
  }
  return messages;
}

}  // namespace tarn::contracts
