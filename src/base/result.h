// Result<T>: a value or the Status that explains why there is none.
// TARN_TRY(expr)                 returns the Status of expr (a Status or a Result) when it is not OK.
// TARN_ASSIGN_OR_RETURN(lhs, e)  evaluates the Result e; returns its error, or assigns its value to lhs.
#pragma once

#include <expected>
#include <utility>

#include "base/status.h"

namespace tarn {

template <typename T>
using Result = std::expected<T, Status>;

// Turns a Status into the error side of any Result: `return Error(Status::NotFound(...));`
inline std::unexpected<Status> Error(Status status) { return std::unexpected<Status>(std::move(status)); }

namespace internal {
// What TARN_TRY and TARN_ASSIGN_OR_RETURN return: converts to a Status or to any Result<T>.
struct Propagated {
  Status status;
  operator Status() && { return std::move(status); }  // NOLINT(google-explicit-constructor)
  template <typename T>
  operator Result<T>() && {  // NOLINT(google-explicit-constructor)
    return std::unexpected<Status>(std::move(status));
  }
};
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.has_value() ? Status() : r.error();
}
}  // namespace internal

}  // namespace tarn

#define TARN_CONCAT_INNER(a, b) a##b
#define TARN_CONCAT(a, b) TARN_CONCAT_INNER(a, b)

#define TARN_TRY(expr)                                                      \
  do {                                                                      \
    auto&& tarn_try_value = (expr);                                         \
    if (!::tarn::internal::StatusOf(tarn_try_value).ok())                   \
      return ::tarn::internal::Propagated{::tarn::internal::StatusOf(tarn_try_value)}; \
  } while (0)

#define TARN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.has_value()) return ::tarn::internal::Propagated{std::move(tmp).error()}; \
  lhs = std::move(tmp).value()

#define TARN_ASSIGN_OR_RETURN(lhs, expr) \
  TARN_ASSIGN_OR_RETURN_IMPL(TARN_CONCAT(tarn_result_, __LINE__), lhs, expr)
