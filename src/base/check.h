// Assertions. TARN_CHECK is always on: for states the process cannot continue from.
// TARN_DCHECK is for debug-only invariants. Never assert on network input or disk contents:
// those are Status errors (kCorruption, kInvalidArgument), reported and survived.
#pragma once

namespace tarn::internal {
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line, const char* msg);
}  // namespace tarn::internal

#define TARN_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) [[unlikely]]                                                         \
      ::tarn::internal::CheckFailed(#cond, __FILE__, __LINE__, nullptr);              \
  } while (0)

#define TARN_CHECK_MSG(cond, msg)                                                     \
  do {                                                                                \
    if (!(cond)) [[unlikely]]                                                         \
      ::tarn::internal::CheckFailed(#cond, __FILE__, __LINE__, (msg));                \
  } while (0)

#ifdef NDEBUG
#define TARN_DCHECK(cond) \
  do {                    \
  } while (false && (cond))
#else
#define TARN_DCHECK(cond) TARN_CHECK(cond)
#endif
