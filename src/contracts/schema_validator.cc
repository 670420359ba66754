#include "contracts/schema_validator.h"

#include "contracts/schema_pattern.h"

#include <cmath>
#include <fmt/format.h>

namespace tarn::contracts {

namespace {

// Nested $refs followed without moving into the instance, and instance depth: past these a
// schema is looping on itself or the document is hostile.
constexpr int kMaxRefChain = 32;
constexpr int kMaxDepth = 256;

bool IsIntegral(const Json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  double d = value.get<double>();
  return std::isfinite(d) && d == std::floor(d);
}

bool HasType(const Json& value, std::string_view type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "integer") return IsIntegral(value);
  return false;
}

std::string TypeOf(const Json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "boolean";
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_string()) return "string";
  return IsIntegral(value) ? "integer" : "number";
}

size_t CodePoints(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

bool IsMultipleOf(const Json& value, double divisor) {
  if (value.is_number_integer() && divisor == std::floor(divisor) && divisor <= 9.0e15) {
    int64_t d = static_cast<int64_t>(divisor);
    if (value.is_number_unsigned()) return value.get<uint64_t>() % static_cast<uint64_t>(d) == 0;
    return value.get<int64_t>() % d == 0;
  }
  double quotient = value.get<double>() / divisor;
  if (!std::isfinite(quotient)) return false;
  return std::fabs(quotient - std::round(quotient)) <= 1e-9 * std::max(1.0, std::fabs(quotient));
}

std::string Short(const Json& value) {
  std::string text = CanonicalJson(value);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

}  // namespace

// One validation: the findings so far, and whether the first one ends it.
class ValidationRun {
 public:
  ValidationRun(const SchemaValidator& validator, bool first_only)
      : validator_(validator), first_only_(first_only) {}

  void Run(const Json& schema, const Json& instance, const std::string& path, int depth,
           int ref_chain) {
    if (done()) return;
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) Add(path, "no value is allowed here (the schema is false)");
      return;
    }
    if (!schema.is_object()) return;
    if (depth > kMaxDepth) {
      Add(path, "the document is nested too deeply");
      return;
    }
    if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
      const Json* target = validator_.schema_.ResolveRef(ref->get_ref<const std::string&>());
      if (target == nullptr) {
        Add(path, "$ref " + ref->get<std::string>() + " does not resolve");
      } else if (ref_chain >= kMaxRefChain) {
        Add(path, "$ref " + ref->get<std::string>() + " loops without consuming the document");
      } else {
        Run(*target, instance, path, depth, ref_chain + 1);
      }
    }
    CheckType(schema, instance, path);
    CheckValues(schema, instance, path);
    if (instance.is_number()) CheckNumber(schema, instance, path);
    if (instance.is_string()) CheckString(schema, instance, path);
    if (instance.is_array()) CheckArray(schema, instance, path, depth);
    if (instance.is_object()) CheckObject(schema, instance, path, depth);
    CheckCombinators(schema, instance, path, depth, ref_chain);
  }

  std::vector<Finding> TakeFindings() { return std::move(findings_); }
  bool valid() const { return findings_.empty(); }

 private:
  bool done() const { return first_only_ && !findings_.empty(); }
  void Add(const std::string& path, std::string message) {
    if (!done()) findings_.push_back(Finding{path, std::move(message)});
  }
  // Whether `instance` passes `schema`, without recording why not.
  bool Passes(const Json& schema, const Json& instance, const std::string& path, int depth,
              int ref_chain) {
    ValidationRun nested(validator_, true);
    nested.Run(schema, instance, path, depth, ref_chain);
    return nested.valid();
  }

  void CheckType(const Json& schema, const Json& instance, const std::string& path) {
    auto type = schema.find("type");
    if (type == schema.end()) return;
    if (type->is_string()) {
      if (!HasType(instance, type->get_ref<const std::string&>())) {
        Add(path, fmt::format("expected {}, got {}", type->get<std::string>(), TypeOf(instance)));
      }
      return;
    }
    std::string names;
    for (const Json& name : *type) {
      if (name.is_string() && HasType(instance, name.get_ref<const std::string&>())) return;
      names += (names.empty() ? "" : " or ") + name.get<std::string>();
    }
    Add(path, fmt::format("expected {}, got {}", names, TypeOf(instance)));
  }

  void CheckValues(const Json& schema, const Json& instance, const std::string& path) {
    if (auto values = schema.find("enum"); values != schema.end()) {
      bool found = false;
      for (const Json& value : *values) found = found || value == instance;
      if (!found) Add(path, fmt::format("{} is not one of {}", Short(instance), Short(*values)));
    }
    if (auto value = schema.find("const"); value != schema.end() && *value != instance) {
      Add(path, fmt::format("{} is not the constant {}", Short(instance), Short(*value)));
    }
  }

  void CheckNumber(const Json& schema, const Json& instance, const std::string& path) {
    const double v = instance.get<double>();
    auto bound = [&](const char* key) -> std::optional<double> {
      auto it = schema.find(key);
      if (it == schema.end() || !it->is_number()) return std::nullopt;
      return it->get<double>();
    };
    auto flag = [&](const char* key) {
      auto it = schema.find(key);
      return it != schema.end() && it->is_boolean() && it->get<bool>();
    };
    if (auto min = bound("minimum")) {
      if (flag("exclusiveMinimum") ? !(v > *min) : !(v >= *min)) {
        Add(path, fmt::format("{} is less than the minimum {}{}", Short(instance), *min,
                              flag("exclusiveMinimum") ? " (exclusive)" : ""));
      }
    }
    if (auto max = bound("maximum")) {
      if (flag("exclusiveMaximum") ? !(v < *max) : !(v <= *max)) {
        Add(path, fmt::format("{} is greater than the maximum {}{}", Short(instance), *max,
                              flag("exclusiveMaximum") ? " (exclusive)" : ""));
      }
    }
    if (auto min = bound("exclusiveMinimum"); min && !(v > *min)) {
      Add(path, fmt::format("{} is not greater than the exclusive minimum {}", Short(instance),
                            *min));
    }
    if (auto max = bound("exclusiveMaximum"); max && !(v < *max)) {
      Add(path, fmt::format("{} is not less than the exclusive maximum {}", Short(instance),
                            *max));
    }
    if (auto divisor = bound("multipleOf"); divisor && *divisor > 0 &&
                                            !IsMultipleOf(instance, *divisor)) {
      Add(path, fmt::format("{} is not a multiple of {}", Short(instance), *divisor));
    }
  }

  void CheckString(const Json& schema, const Json& instance, const std::string& path) {
    const std::string& text = instance.get_ref<const std::string&>();
    auto count = [&](const char* key) -> std::optional<uint64_t> {
      auto it = schema.find(key);
      if (it == schema.end() || !it->is_number()) return std::nullopt;
      return static_cast<uint64_t>(it->get<double>());
    };
    const size_t length = count("minLength") || count("maxLength") ? CodePoints(text) : 0;
    if (auto min = count("minLength"); min && length < *min) {
      Add(path, fmt::format("the string is shorter than minLength {} ({} characters)", *min,
                            length));
    }
    if (auto max = count("maxLength"); max && length > *max) {
      Add(path, fmt::format("the string is longer than maxLength {} ({} characters)", *max,
                            length));
    }
    if (auto pattern = schema.find("pattern"); pattern != schema.end() && pattern->is_string()) {
      const std::string& source = pattern->get_ref<const std::string&>();
      try {
        const std::regex* regex = validator_.Regex(source);
        if (regex == nullptr) {
          Add(path, fmt::format("the pattern '{}' does not compile", source));
        } else if (!std::regex_search(text, *regex)) {
          Add(path, fmt::format("{} does not match the pattern '{}'", Short(instance), source));
        }
      } catch (const std::regex_error& e) {
        Add(path, fmt::format("the pattern '{}' could not be evaluated: {}", source, e.what()));
      }
    }
  }

  void CheckArray(const Json& schema, const Json& instance, const std::string& path, int depth) {
    auto count = [&](const char* key) -> std::optional<uint64_t> {
      auto it = schema.find(key);
      if (it == schema.end() || !it->is_number()) return std::nullopt;
      return static_cast<uint64_t>(it->get<double>());
    };
    if (auto min = count("minItems"); min && instance.size() < *min) {
      Add(path, fmt::format("the array has {} items, fewer than minItems {}", instance.size(),
                            *min));
    }
    if (auto max = count("maxItems"); max && instance.size() > *max) {
      Add(path, fmt::format("the array has {} items, more than maxItems {}", instance.size(),
                            *max));
    }
    if (auto unique = schema.find("uniqueItems");
        unique != schema.end() && unique->is_boolean() && unique->get<bool>()) {
      for (size_t i = 0; i < instance.size(); ++i) {
        for (size_t j = i + 1; j < instance.size(); ++j) {
          if (instance[i] == instance[j]) {
            Add(path, fmt::format("items {} and {} are equal but uniqueItems is true", i, j));
          }
        }
      }
    }
    // The tuple part (prefixItems, or items as an array) and the schema for the rest.
    const Json* tuple = nullptr;
    const Json* rest = nullptr;
    auto items = schema.find("items");
    if (auto prefix = schema.find("prefixItems"); prefix != schema.end() && prefix->is_array()) {
      tuple = &*prefix;
      if (items != schema.end()) rest = &*items;
    } else if (items != schema.end() && items->is_array()) {
      tuple = &*items;
      if (auto extra = schema.find("additionalItems"); extra != schema.end()) rest = &*extra;
    } else if (items != schema.end()) {
      rest = &*items;
    }
    for (size_t i = 0; i < instance.size(); ++i) {
      const Json* item_schema = tuple != nullptr && i < tuple->size() ? &(*tuple)[i] : rest;
      if (item_schema != nullptr) {
        Run(*item_schema, instance[i], path + "/" + std::to_string(i), depth + 1, 0);
      }
    }
    if (auto contains = schema.find("contains"); contains != schema.end()) {
      bool found = false;
      for (size_t i = 0; i < instance.size() && !found; ++i) {
        found = Passes(*contains, instance[i], path + "/" + std::to_string(i), depth + 1, 0);
      }
      if (!found) Add(path, "no item matches the contains schema");
    }
  }

  void CheckObject(const Json& schema, const Json& instance, const std::string& path,
                   int depth) {
    if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
      for (const Json& name : *required) {
        if (name.is_string() && !instance.contains(name.get_ref<const std::string&>())) {
          Add(path, fmt::format("the required property '{}' is missing", name.get<std::string>()));
        }
      }
    }
    auto count = [&](const char* key) -> std::optional<uint64_t> {
      auto it = schema.find(key);
      if (it == schema.end() || !it->is_number()) return std::nullopt;
      return static_cast<uint64_t>(it->get<double>());
    };
    if (auto min = count("minProperties"); min && instance.size() < *min) {
      Add(path, fmt::format("the object has fewer than minProperties {}", *min));
    }
    if (auto max = count("maxProperties"); max && instance.size() > *max) {
      Add(path, fmt::format("the object has more than maxProperties {}", *max));
    }
    auto properties = schema.find("properties");
    auto patterns = schema.find("patternProperties");
    auto additional = schema.find("additionalProperties");
    auto names = schema.find("propertyNames");
    for (const auto& [name, value] : instance.items()) {
      const std::string at = AppendPointer(path, name);
      bool matched = false;
      if (properties != schema.end() && properties->is_object()) {
        if (auto p = properties->find(name); p != properties->end()) {
          matched = true;
          Run(*p, value, at, depth + 1, 0);
        }
      }
      if (patterns != schema.end() && patterns->is_object()) {
        for (const auto& [pattern, subschema] : patterns->items()) {
          bool hit = false;
          try {
            const std::regex* regex = validator_.Regex(pattern);
            hit = regex != nullptr && std::regex_search(name, *regex);
          } catch (const std::regex_error&) {
          }
          if (hit) {
            matched = true;
            Run(subschema, value, at, depth + 1, 0);
          }
        }
      }
      if (!matched && additional != schema.end()) {
        if (additional->is_boolean() && !additional->get<bool>()) {
          Add(at, fmt::format("the property '{}' is not allowed (additionalProperties is false)",
                              name));
        } else {
          Run(*additional, value, at, depth + 1, 0);
        }
      }
      if (names != schema.end() && !Passes(*names, Json(name), at, depth + 1, 0)) {
        Add(at, fmt::format("the property name '{}' does not match propertyNames", name));
      }
    }
    for (const char* key : {"dependencies", "dependentRequired", "dependentSchemas"}) {
      auto dependencies = schema.find(key);
      if (dependencies == schema.end() || !dependencies->is_object()) continue;
      for (const auto& [name, dependency] : dependencies->items()) {
        if (!instance.contains(name)) continue;
        if (dependency.is_array()) {
          for (const Json& needed : dependency) {
            if (needed.is_string() && !instance.contains(needed.get_ref<const std::string&>())) {
              Add(path, fmt::format("the property '{}' requires '{}'", name,
                                    needed.get<std::string>()));
            }
          }
        } else {
          Run(dependency, instance, path, depth, 0);
        }
      }
    }
  }

  void CheckCombinators(const Json& schema, const Json& instance, const std::string& path,
                        int depth, int ref_chain) {
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (const Json& branch : *all) Run(branch, instance, path, depth, ref_chain);
    }
    if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
      bool passed = false;
      for (const Json& branch : *any) {
        passed = passed || Passes(branch, instance, path, depth, ref_chain);
      }
      if (!passed) Add(path, "the value matches none of the anyOf schemas");
    }
    if (auto one = schema.find("oneOf"); one != schema.end() && one->is_array()) {
      int passed = 0;
      for (const Json& branch : *one) passed += Passes(branch, instance, path, depth, ref_chain);
      if (passed != 1) {
        Add(path, passed == 0 ? "the value matches none of the oneOf schemas"
                              : fmt::format("the value matches {} of the oneOf schemas, not "
                                            "exactly one",
                                            passed));
      }
    }
    if (auto negated = schema.find("not"); negated != schema.end()) {
      if (Passes(*negated, instance, path, depth, ref_chain)) {
        Add(path, "the value matches the schema under 'not'");
      }
    }
    if (auto condition = schema.find("if"); condition != schema.end()) {
      const char* branch = Passes(*condition, instance, path, depth, ref_chain) ? "then" : "else";
      if (auto then = schema.find(branch); then != schema.end()) {
        Run(*then, instance, path, depth, ref_chain);
      }
    }
  }

  const SchemaValidator& validator_;
  const bool first_only_;
  std::vector<Finding> findings_;
};

SchemaValidator::SchemaValidator(JsonSchema schema) : schema_(std::move(schema)) {}
SchemaValidator::~SchemaValidator() = default;
SchemaValidator::SchemaValidator(SchemaValidator&&) noexcept = default;
SchemaValidator& SchemaValidator::operator=(SchemaValidator&&) noexcept = default;

std::vector<Finding> SchemaValidator::Validate(const Json& instance) const {
  return Validate(schema_.root(), instance);
}

bool SchemaValidator::Accepts(const Json& instance) const {
  return Accepts(schema_.root(), instance);
}

std::vector<Finding> SchemaValidator::Validate(const Json& subschema, const Json& instance) const {
  ValidationRun run(*this, false);
  run.Run(subschema, instance, "", 0, 0);
  return run.TakeFindings();
}

bool SchemaValidator::Accepts(const Json& subschema, const Json& instance) const {
  ValidationRun run(*this, true);
  run.Run(subschema, instance, "", 0, 0);
  return run.valid();
}

const std::regex* SchemaValidator::Regex(const std::string& pattern) const {
  auto it = regexes_.find(pattern);
  if (it == regexes_.end()) {
    Result<std::regex> compiled = CompilePattern(pattern);
    if (!compiled) return nullptr;
    it = regexes_.emplace(pattern, std::move(*compiled)).first;
  }
  return &it->second;
}

}  // namespace tarn::contracts
