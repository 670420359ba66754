#include "contracts/json_schema.h"

#include "contracts/schema_pattern.h"

#include <algorithm>
#include <array>
#include <optional>
#include <regex>

namespace tarn::contracts {
namespace {

// How deep subschemas may nest: deeper documents are hostile, and every walk over a schema
// recurses once per level.
constexpr int kMaxSchemaDepth = 64;

constexpr std::array<std::string_view, 7> kTypeNames = {"null",   "boolean", "object", "array",
                                                        "number", "string",  "integer"};

// Keywords whose value is one schema.
constexpr std::array<std::string_view, 11> kSchemaKeywords = {
    "not",         "if",      "then",          "else",
    "contains",    "additionalItems",          "additionalProperties",
    "propertyNames", "unevaluatedItems", "unevaluatedProperties", "items"};
// Keywords whose value is an array of schemas.
constexpr std::array<std::string_view, 4> kSchemaListKeywords = {"allOf", "anyOf", "oneOf",
                                                                 "prefixItems"};
// Keywords whose value maps names to schemas.
constexpr std::array<std::string_view, 5> kSchemaMapKeywords = {
    "properties", "patternProperties", "definitions", "$defs", "dependentSchemas"};
constexpr std::array<std::string_view, 3> kNumberKeywords = {"minimum", "maximum", "multipleOf"};
constexpr std::array<std::string_view, 6> kCountKeywords = {
    "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes the URI escapes of a fragment; nullopt on a bad escape.
std::optional<std::string> DecodeFragment(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = HexDigit(text[i + 1]);
    int low = HexDigit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// Follows a JSON pointer ("/definitions/a") from `root`; null when a token does not resolve.
const Json* FollowPointer(const Json& root, std::string_view pointer) {
  const Json* node = &root;
  while (!pointer.empty()) {
    if (pointer.front() != '/') return nullptr;
    pointer.remove_prefix(1);
    size_t end = std::min(pointer.find('/'), pointer.size());
    std::string token;
    for (size_t i = 0; i < end; ++i) {
      if (pointer[i] == '~' && i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token += pointer[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += pointer[i];
      }
    }
    pointer.remove_prefix(end);
    if (node->is_object()) {
      auto it = node->find(token);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos) {
        return nullptr;
      }
      size_t index = std::stoul(token);
      if (index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

const Json* Resolve(const Json& root, std::string_view ref) {
  if (root.is_object()) {
    auto id = root.find("$id");
    if (id != root.end() && id->is_string()) {
      std::string_view base = id->get_ref<const std::string&>();
      if (base.ends_with('#')) base.remove_suffix(1);
      if (!base.empty() && ref.starts_with(base)) ref.remove_prefix(base.size());
    }
  }
  if (!ref.starts_with('#')) return nullptr;
  std::optional<std::string> pointer = DecodeFragment(ref.substr(1));
  if (!pointer) return nullptr;
  return FollowPointer(root, *pointer);
}

bool IsNonNegativeInteger(const Json& value) {
  if (value.is_number_unsigned()) return true;
  if (value.is_number_integer()) return value.get<int64_t>() >= 0;
  if (value.is_number_float()) {
    double d = value.get<double>();
    return d >= 0 && d == static_cast<double>(static_cast<int64_t>(d));
  }
  return false;
}

bool Contains(auto const& list, std::string_view name) {
  for (std::string_view item : list) {
    if (item == name) return true;
  }
  return false;
}

class WellFormedCheck {
 public:
  explicit WellFormedCheck(const Json& root) : root_(root) {}

  Status Check(const Json& schema, const std::string& path, int depth = 0) {
    if (schema.is_boolean()) return Status::Ok();
    if (!schema.is_object()) return Fail(path, "a schema must be an object or a boolean");
    if (depth > kMaxSchemaDepth) {
      return Fail(path, "subschemas are nested more than " + std::to_string(kMaxSchemaDepth) +
                            " deep");
    }
    for (const auto& [key, value] : schema.items()) {
      std::string at = AppendPointer(path, key);
      if (key == "type") {
        TARN_TRY(CheckType(value, at));
      } else if (key == "$ref") {
        if (!value.is_string()) return Fail(at, "$ref must be a string");
        if (Resolve(root_, value.get_ref<const std::string&>()) == nullptr) {
          return Fail(at, "$ref '" + value.get<std::string>() +
                              "' does not point inside this schema (references to other "
                              "schemas are not supported)");
        }
      } else if (key == "required") {
        if (!value.is_array()) return Fail(at, "required must be an array of property names");
        for (const Json& name : value) {
          if (!name.is_string()) return Fail(at, "required must list strings");
        }
      } else if (key == "enum") {
        if (!value.is_array()) return Fail(at, "enum must be an array");
      } else if (key == "pattern") {
        if (!value.is_string()) return Fail(at, "pattern must be a string");
        TARN_TRY(CheckRegex(value.get_ref<const std::string&>(), at));
      } else if (key == "uniqueItems") {
        if (!value.is_boolean()) return Fail(at, "uniqueItems must be a boolean");
      } else if (key == "exclusiveMinimum" || key == "exclusiveMaximum") {
        if (!value.is_number() && !value.is_boolean()) {
          return Fail(at, key + " must be a number");
        }
      } else if (Contains(kNumberKeywords, key)) {
        if (!value.is_number()) return Fail(at, key + " must be a number");
        if (key == "multipleOf" && value.get<double>() <= 0) {
          return Fail(at, "multipleOf must be greater than 0");
        }
      } else if (Contains(kCountKeywords, key)) {
        if (!IsNonNegativeInteger(value)) return Fail(at, key + " must be a non-negative integer");
      } else if (Contains(kSchemaKeywords, key)) {
        if (key == "items" && value.is_array()) {
          TARN_TRY(CheckList(value, at, depth));
        } else {
          TARN_TRY(Check(value, at, depth + 1));
        }
      } else if (Contains(kSchemaListKeywords, key)) {
        if (!value.is_array() || (key != "prefixItems" && value.empty())) {
          return Fail(at, key + " must be a non-empty array of schemas");
        }
        TARN_TRY(CheckList(value, at, depth));
      } else if (Contains(kSchemaMapKeywords, key)) {
        if (!value.is_object()) return Fail(at, key + " must be an object");
        for (const auto& [name, subschema] : value.items()) {
          if (key == "patternProperties") TARN_TRY(CheckRegex(name, AppendPointer(at, name)));
          TARN_TRY(Check(subschema, AppendPointer(at, name), depth + 1));
        }
      } else if (key == "dependencies" || key == "dependentRequired") {
        if (!value.is_object()) return Fail(at, key + " must be an object");
        for (const auto& [name, dependency] : value.items()) {
          if (dependency.is_array()) {
            for (const Json& item : dependency) {
              if (!item.is_string()) return Fail(AppendPointer(at, name), "must list strings");
            }
          } else if (key == "dependencies") {
            TARN_TRY(Check(dependency, AppendPointer(at, name), depth + 1));
          } else {
            return Fail(AppendPointer(at, name), "must be an array of property names");
          }
        }
      }
    }
    return Status::Ok();
  }

 private:
  static Status Fail(const std::string& path, const std::string& message) {
    return Status::InvalidArgument(path + ": " + message);
  }

  Status CheckType(const Json& value, const std::string& at) {
    auto known = [](const Json& name) {
      return name.is_string() && Contains(kTypeNames, name.get_ref<const std::string&>());
    };
    if (value.is_string()) {
      if (!known(value)) return Fail(at, "unknown type '" + value.get<std::string>() + "'");
      return Status::Ok();
    }
    if (!value.is_array() || value.empty()) {
      return Fail(at, "type must be a type name or a non-empty array of them");
    }
    for (const Json& name : value) {
      if (!known(name)) return Fail(at, "unknown type " + name.dump());
    }
    return Status::Ok();
  }

  Status CheckList(const Json& list, const std::string& at, int depth) {
    for (size_t i = 0; i < list.size(); ++i) {
      TARN_TRY(Check(list[i], at + "/" + std::to_string(i), depth + 1));
    }
    return Status::Ok();
  }

  static Status CheckRegex(const std::string& pattern, const std::string& at) {
    Result<std::regex> compiled = CompilePattern(pattern);
    if (!compiled) return Fail(at, compiled.error().message());
    return Status::Ok();
  }

  const Json& root_;
};

}  // namespace

std::string AppendPointer(std::string_view pointer, std::string_view token) {
  std::string out(pointer);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string CanonicalJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<JsonSchema> JsonSchema::Parse(std::string_view text) {
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Error(Status::InvalidArgument("the schema is not valid JSON"));
  return FromJson(std::move(document));
}

Result<JsonSchema> JsonSchema::FromJson(Json document) {
  TARN_TRY(WellFormedCheck(document).Check(document, "#"));
  return JsonSchema(std::move(document));
}

std::string JsonSchema::Canonical() const { return CanonicalJson(root_); }

const Json* JsonSchema::ResolveRef(std::string_view ref) const { return Resolve(root_, ref); }

}  // namespace tarn::contracts
