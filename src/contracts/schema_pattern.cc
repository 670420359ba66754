#include "contracts/schema_pattern.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace tarn::contracts {
namespace {

constexpr double kMaxStates = 100'000;

// An estimate of how many automaton states `pattern` expands to: each atom counts one, a group
// the sum of its contents, and a counted repetition {n} or {n,m} multiplies what it repeats by
// its larger bound. Open repetitions (*, +, ?, {n,}) count once.
double EstimatedStates(const std::string& pattern) {
  struct Frame {
    double sum = 0;
    double last = 0;  // the size of the last atom or group, which a quantifier applies to
  };
  std::vector<Frame> stack(1);
  auto atom = [&](double size) {
    stack.back().sum += size;
    stack.back().last = size;
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
      atom(1);
    } else if (c == '[') {
      for (++i; i < pattern.size() && pattern[i] != ']'; ++i) {
        if (pattern[i] == '\\') ++i;
      }
      atom(1);
    } else if (c == '(') {
      stack.emplace_back();
    } else if (c == ')') {
      if (stack.size() == 1) continue;  // unbalanced: the compiler will say so
      double size = stack.back().sum;
      stack.pop_back();
      atom(size);
    } else if (c == '{') {
      size_t close = pattern.find('}', i);
      if (close == std::string::npos) {
        atom(1);
        continue;
      }
      std::string_view inside(pattern.data() + i + 1, close - i - 1);
      if (inside.empty() || inside.front() == ',' ||
          inside.find_first_not_of("0123456789,") != std::string_view::npos) {
        atom(1);  // not a quantifier: a literal '{'
        continue;
      }
      double largest = 0;
      double number = 0;
      for (char digit : inside) {
        if (digit == ',') {
          largest = std::max(largest, number);
          number = 0;
        } else {
          number = std::min(number * 10 + (digit - '0'), 1e9);
        }
      }
      largest = std::max(largest, number);
      Frame& frame = stack.back();
      frame.sum += frame.last * std::max(0.0, largest - 1);
      frame.last *= std::max(1.0, largest);
      i = close;
    } else if (c == '|' || c == '*' || c == '+' || c == '?' || c == '^' || c == '$') {
      continue;
    } else {
      atom(1);
    }
    if (stack.back().sum > kMaxStates) return stack.back().sum;
  }
  double total = 0;
  for (const Frame& frame : stack) total += frame.sum;
  return total;
}

}  // namespace

Result<std::regex> CompilePattern(const std::string& pattern) {
  if (EstimatedStates(pattern) > kMaxStates) {
    return Error(Status::InvalidArgument("pattern '" + pattern +
                                         "' is too complex: its counted repetitions expand "
                                         "past 100000 states"));
  }
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
  } catch (const std::regex_error& e) {
    return Error(Status::InvalidArgument("pattern '" + pattern +
                                         "' is not a supported regular expression: " + e.what()));
  }
}

}  // namespace tarn::contracts
