// JSON Schema patterns (`pattern`, `patternProperties`) as std::regex.
#pragma once

#include <regex>
#include <string>

#include "base/result.h"

namespace tarn::contracts {

// Compiles `pattern` in ECMAScript syntax for libstdc++'s polynomial (breadth-first) executor:
// the default executor recurses once per input character and overflows the stack on strings
// of about 100,000 characters, this one's stack does not grow with the input. The price is that
// backreferences are not supported. Counted repetitions expand into automaton states, so a
// pattern whose repetitions would expand past 100,000 states (a{1000}{1000}) is refused before
// it is built. kInvalidArgument says why a pattern is refused.
Result<std::regex> CompilePattern(const std::string& pattern);

}  // namespace tarn::contracts
