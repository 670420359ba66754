// Text encodings shared by the places that show bytes as JSON: UTF-8 well-formedness and
// base64.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tarn {

// The length of the UTF-8 sequence at the start of `bytes` (not empty), or 0 when it is not
// well-formed.
size_t Utf8SequenceLength(std::string_view bytes);

// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

// Standard base64 (RFC 4648 section 4) with padding.
std::string Base64Encode(std::string_view bytes);

}  // namespace tarn
