// The leaf-level operators of the event-pattern language: how one alternative in a field's list
// of values tests one leaf value of an event (a JSON string, number, boolean or null).
// Pattern (pattern.h) builds these while it validates a pattern; PatternIndex indexes some of them.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tarn::events {

// The key under which a leaf value is compared for equality: strings by their text, numbers by
// their value (300, 300.0 and 3e2 share a key), booleans and null by themselves. Keys of
// different JSON types never collide: the first byte names the type.
std::string ExactKey(const nlohmann::json& leaf);

// ASCII letters lowered; other bytes (UTF-8 included) unchanged.
std::string LowerAscii(std::string_view text);

// A range of numbers; `=` is the closed range [v, v].
struct NumericRange {
  double lower = -std::numeric_limits<double>::infinity();
  bool lower_inclusive = false;
  double upper = std::numeric_limits<double>::infinity();
  bool upper_inclusive = false;

  bool Contains(double value) const;
};

// An IPv4 or IPv6 network, e.g. 10.0.0.0/24 or 2001:db8::/32.
struct CidrBlock {
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};
  int prefix_bits = 0;

  // Parses "address/bits". Empty when it is not a valid network.
  static std::optional<CidrBlock> Parse(std::string_view text);
  // True when `text` is an IP address of the same family inside the network.
  bool Contains(std::string_view text) const;
};

// A wildcard such as "dir/*.png": `*` stands for any run of characters (none included);
// `\*` is a literal star and `\\` a literal backslash.
struct Wildcard {
  std::vector<std::string> parts;  // the literal text between stars; stars == parts.size() - 1

  // Parses the wildcard syntax; on error returns empty and sets *error to what is wrong.
  static std::optional<Wildcard> Parse(std::string_view text, std::string* error);
  bool Matches(std::string_view text) const;
};

enum class ValueTestKind : uint8_t {
  kExact,                  // text: ExactKey of the literal
  kPrefix,                 // text: the prefix
  kPrefixIgnoreCase,       // text: the prefix, lowered
  kSuffix,                 // text: the suffix
  kSuffixIgnoreCase,       // text: the suffix, lowered
  kEqualsIgnoreCase,       // text: the value, lowered
  kWildcard,               // wildcards[0]
  kAnythingBut,            // texts: ExactKeys of the excluded values
  kAnythingButPrefix,      // text: the excluded prefix
  kAnythingButSuffix,      // text: the excluded suffix
  kAnythingButIgnoreCase,  // texts: the excluded values, lowered
  kAnythingButWildcard,    // wildcards: the excluded wildcards
  kNumeric,                // range
  kCidr,                   // cidr
  kExists,                 // exists: true or false; decided per field, not per leaf
};

// One alternative of a field: `"prefix"`, `{"numeric": [...]}`, `{"anything-but": ...}`, ...
struct ValueTest {
  ValueTestKind kind = ValueTestKind::kExact;
  std::string text;
  std::vector<std::string> texts;
  std::vector<Wildcard> wildcards;
  NumericRange range;
  CidrBlock cidr;
  bool exists = true;

  // Whether the leaf value satisfies this test. Never called for kExists.
  bool Matches(const nlohmann::json& leaf) const;
  // Whether PatternIndex can find the fields this test accepts by lookup rather than evaluation.
  bool Indexable() const;
};

}  // namespace tarn::events
