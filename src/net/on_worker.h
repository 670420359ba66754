// Runs blocking or CPU-heavy work on a thread pool from a coroutine on the io_context. Like
// net/asio.h, for .cc files only.
#pragma once

#include <type_traits>
#include <utility>

#include "net/asio.h"

namespace tarn::net {

// Runs `fn` on `pool` and resumes the awaiting coroutine on its own executor with what `fn`
// returned. Callers pass a named function object: GCC 12 mishandles temporaries with destructors
// inside a co_await expression.
template <typename F>
Awaitable<std::invoke_result_t<F&>> OnWorker(asio::thread_pool& pool, F fn) {
  using R = std::invoke_result_t<F&>;
  return asio::co_spawn(
      pool.get_executor(), [fn = std::move(fn)]() mutable -> Awaitable<R> { co_return fn(); },
      asio::use_awaitable);
}

}  // namespace tarn::net
