#include "contracts/compatibility_level.h"

#include <array>
#include <utility>

namespace tarn::contracts {
namespace {

constexpr std::array<std::pair<CompatibilityLevel, std::string_view>, 7> kNames = {{
    {CompatibilityLevel::kNone, "NONE"},
    {CompatibilityLevel::kBackward, "BACKWARD"},
    {CompatibilityLevel::kBackwardTransitive, "BACKWARD_TRANSITIVE"},
    {CompatibilityLevel::kForward, "FORWARD"},
    {CompatibilityLevel::kForwardTransitive, "FORWARD_TRANSITIVE"},
    {CompatibilityLevel::kFull, "FULL"},
    {CompatibilityLevel::kFullTransitive, "FULL_TRANSITIVE"},
}};

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::string_view CompatibilityLevelName(CompatibilityLevel level) {
  for (const auto& [value, name] : kNames) {
    if (value == level) return name;
  }
  return "NONE";
}

std::optional<CompatibilityLevel> ParseCompatibilityLevel(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name.size() != text.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = Upper(text[i]) == name[i];
    if (same) return value;
  }
  return std::nullopt;
}

bool ChecksBackward(CompatibilityLevel level) {
  return level == CompatibilityLevel::kBackward || level == CompatibilityLevel::kBackwardTransitive ||
         level == CompatibilityLevel::kFull || level == CompatibilityLevel::kFullTransitive;
}

bool ChecksForward(CompatibilityLevel level) {
  return level == CompatibilityLevel::kForward || level == CompatibilityLevel::kForwardTransitive ||
         level == CompatibilityLevel::kFull || level == CompatibilityLevel::kFullTransitive;
}

bool IsTransitive(CompatibilityLevel level) {
  return level == CompatibilityLevel::kBackwardTransitive ||
         level == CompatibilityLevel::kForwardTransitive ||
         level == CompatibilityLevel::kFullTransitive;
}

}  // namespace tarn::contracts
