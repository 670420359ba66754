#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace tarn::internal {

void CheckFailed(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line, expr, msg ? ": " : "",
               msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace tarn::internal
