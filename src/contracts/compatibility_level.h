// Schema Registry compatibility levels: which earlier versions a new schema is checked against
// and in which direction.
#pragma once

#include <optional>
#include <string_view>

namespace tarn::contracts {

// BACKWARD: a reader with the new schema can read data written with the latest version.
// FORWARD: a reader with the latest version can read data written with the new schema.
// FULL: both. *_TRANSITIVE: against every live version, not only the latest. NONE: no check.
enum class CompatibilityLevel {
  kNone,
  kBackward,
  kBackwardTransitive,
  kForward,
  kForwardTransitive,
  kFull,
  kFullTransitive,
};

inline constexpr CompatibilityLevel kDefaultCompatibilityLevel = CompatibilityLevel::kBackward;

// "BACKWARD_TRANSITIVE", as the registry's REST API spells it.
std::string_view CompatibilityLevelName(CompatibilityLevel level);
// The level a name (any letter case) stands for; nullopt for an unknown name.
std::optional<CompatibilityLevel> ParseCompatibilityLevel(std::string_view name);

bool ChecksBackward(CompatibilityLevel level);
bool ChecksForward(CompatibilityLevel level);
bool IsTransitive(CompatibilityLevel level);

}  // namespace tarn::contracts
