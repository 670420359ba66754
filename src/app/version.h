// The version `tarn --version` prints and clients send as their client.id suffix.
#pragma once

#include <string_view>

namespace tarn::app {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace tarn::app
