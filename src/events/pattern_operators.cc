#include "events/pattern_operators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tarn::events {

namespace {

std::string NumberKey(const nlohmann::json& number) {
  if (number.is_number_unsigned()) return "n" + std::to_string(number.get<uint64_t>());
  if (number.is_number_integer()) return "n" + std::to_string(number.get<int64_t>());
  const double value = number.get<double>();
  // Whole numbers get the key an integer of the same value gets, so 300.0 equals 300.
  if (std::isfinite(value) && value == std::floor(value)) {
    if (value >= 0 && value < 18446744073709551616.0) {
      return "n" + std::to_string(static_cast<uint64_t>(value));
    }
    if (value < 0 && value >= -9223372036854775808.0) {
      return "n" + std::to_string(static_cast<int64_t>(value));
    }
  }
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return std::string("n") + buffer;
}

// Parses an IPv4 or IPv6 address into 16 bytes (IPv4 in the first four).
bool ParseAddress(std::string_view text, bool* ipv6, std::array<uint8_t, 16>* out) {
  if (text.empty() || text.size() > 45) return false;
  char buffer[46];
  text.copy(buffer, text.size());
  buffer[text.size()] = '\0';
  out->fill(0);
  if (inet_pton(AF_INET, buffer, out->data()) == 1) {
    *ipv6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buffer, out->data()) == 1) {
    *ipv6 = true;
    return true;
  }
  return false;
}

bool EqualsAnyLowered(std::string_view lowered, const std::vector<std::string>& values) {
  return std::find(values.begin(), values.end(), lowered) != values.end();
}

}  // namespace

std::string ExactKey(const nlohmann::json& leaf) {
  switch (leaf.type()) {
    case nlohmann::json::value_t::string:
      return "s" + leaf.get_ref<const std::string&>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return NumberKey(leaf);
    case nlohmann::json::value_t::boolean:
      return leaf.get<bool>() ? "t" : "f";
    case nlohmann::json::value_t::null:
      return "z";
    default:
      return "x";  // objects and arrays are never leaves; no pattern literal has this key
  }
}

std::string LowerAscii(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

bool NumericRange::Contains(double value) const {
  if (std::isnan(value)) return false;
  const bool above = lower_inclusive ? value >= lower : value > lower;
  const bool below = upper_inclusive ? value <= upper : value < upper;
  return above && below;
}

std::optional<CidrBlock> CidrBlock::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  CidrBlock block;
  if (!ParseAddress(text.substr(0, slash), &block.ipv6, &block.address)) return std::nullopt;
  const std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3) return std::nullopt;
  int prefix = 0;
  const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (ec != std::errc() || end != bits.data() + bits.size()) return std::nullopt;
  if (prefix < 0 || prefix > (block.ipv6 ? 128 : 32)) return std::nullopt;
  block.prefix_bits = prefix;
  return block;
}

bool CidrBlock::Contains(std::string_view text) const {
  bool is_ipv6 = false;
  std::array<uint8_t, 16> other{};
  if (!ParseAddress(text, &is_ipv6, &other) || is_ipv6 != ipv6) return false;
  const int whole_bytes = prefix_bits / 8;
  if (!std::equal(address.begin(), address.begin() + whole_bytes, other.begin())) return false;
  const int rest = prefix_bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (address[whole_bytes] & mask) == (other[whole_bytes] & mask);
}

std::optional<Wildcard> Wildcard::Parse(std::string_view text, std::string* error) {
  Wildcard wildcard;
  wildcard.parts.emplace_back();
  bool previous_was_star = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '*') {
      if (previous_was_star) {
        *error = "consecutive '*' are not allowed";
        return std::nullopt;
      }
      wildcard.parts.emplace_back();
      previous_was_star = true;
      continue;
    }
    previous_was_star = false;
    if (c == '\\') {
      if (i + 1 == text.size() || (text[i + 1] != '*' && text[i + 1] != '\\')) {
        *error = "a backslash may only escape '*' or '\\'";
        return std::nullopt;
      }
      wildcard.parts.back().push_back(text[++i]);
      continue;
    }
    wildcard.parts.back().push_back(c);
  }
  return wildcard;
}

bool Wildcard::Matches(std::string_view text) const {
  const std::string& first = parts.front();
  if (parts.size() == 1) return text == first;
  const std::string& last = parts.back();
  if (text.size() < first.size() + last.size()) return false;
  if (!text.starts_with(first) || !text.ends_with(last)) return false;
  // The middle parts, leftmost first, in what lies between the first and last parts.
  std::string_view middle = text.substr(first.size(), text.size() - first.size() - last.size());
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    const size_t at = middle.find(parts[i]);
    if (at == std::string_view::npos) return false;
    middle.remove_prefix(at + parts[i].size());
  }
  return true;
}

bool ValueTest::Matches(const nlohmann::json& leaf) const {
  const std::string* str = leaf.is_string() ? &leaf.get_ref<const std::string&>() : nullptr;
  switch (kind) {
    case ValueTestKind::kExact:
      return ExactKey(leaf) == text;
    case ValueTestKind::kPrefix:
      return str != nullptr && str->starts_with(text);
    case ValueTestKind::kPrefixIgnoreCase:
      return str != nullptr && str->size() >= text.size() &&
             LowerAscii(std::string_view(*str).substr(0, text.size())) == text;
    case ValueTestKind::kSuffix:
      return str != nullptr && str->ends_with(text);
    case ValueTestKind::kSuffixIgnoreCase:
      return str != nullptr && str->size() >= text.size() &&
             LowerAscii(std::string_view(*str).substr(str->size() - text.size())) == text;
    case ValueTestKind::kEqualsIgnoreCase:
      return str != nullptr && LowerAscii(*str) == text;
    case ValueTestKind::kWildcard:
      return str != nullptr && wildcards.front().Matches(*str);
    case ValueTestKind::kAnythingBut: {
      const std::string key = ExactKey(leaf);
      return std::find(texts.begin(), texts.end(), key) == texts.end();
    }
    case ValueTestKind::kAnythingButPrefix:
      return str == nullptr || !str->starts_with(text);
    case ValueTestKind::kAnythingButSuffix:
      return str == nullptr || !str->ends_with(text);
    case ValueTestKind::kAnythingButIgnoreCase:
      return str == nullptr || !EqualsAnyLowered(LowerAscii(*str), texts);
    case ValueTestKind::kAnythingButWildcard:
      return str == nullptr || std::none_of(wildcards.begin(), wildcards.end(),
                                            [str](const Wildcard& w) { return w.Matches(*str); });
    case ValueTestKind::kNumeric:
      return leaf.is_number() && range.Contains(leaf.get<double>());
    case ValueTestKind::kCidr:
      return str != nullptr && cidr.Contains(*str);
    case ValueTestKind::kExists:
      return false;
  }
  return false;
}

bool ValueTest::Indexable() const {
  switch (kind) {
    case ValueTestKind::kExact:
    case ValueTestKind::kPrefix:
    case ValueTestKind::kPrefixIgnoreCase:
    case ValueTestKind::kSuffix:
    case ValueTestKind::kSuffixIgnoreCase:
    case ValueTestKind::kEqualsIgnoreCase:
      return true;
    case ValueTestKind::kExists:
      return exists;
    default:
      return false;
  }
}

}  // namespace tarn::events
