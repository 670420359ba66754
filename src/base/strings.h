// Small helpers for lists in flags, config values and URL parameters.
#pragma once

#include <string_view>
#include <vector>

namespace tarn {

// `text` without leading and trailing spaces and tabs.
std::string_view TrimSpaces(std::string_view text);

// "a, b,,c" split at `separator`, each item trimmed: {"a", "b", "", "c"}. Empty text is one
// empty item. The views point into `text`.
std::vector<std::string_view> SplitList(std::string_view text, char separator = ',');

}  // namespace tarn
