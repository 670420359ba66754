// Runs one coroutine on an io_context until it finishes, serving everything else on the context
// meanwhile: for start-up steps before the server loop, and for tests.
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include "base/check.h"
#include "net/asio.h"

namespace tarn::net {

// Spawns `task` on `io` and runs `io` until the task completes; returns its value, or rethrows
// what it threw. Other work on `io` runs meanwhile and stays queued after. The caller's thread
// must be the one that runs `io`, and `io` must not be running already. Leaves `io` ready to run.
template <typename T>
T RunToCompletion(IoContext& io, Awaitable<T> task) {
  std::optional<T> value;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T result) {
    error = e;
    if (!e) value.emplace(std::move(result));
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  // The task's last handler may have been the context's last work, which stops it; a later
  // run() (the server loop) must not return at once.
  io.restart();
  if (error) std::rethrow_exception(error);
  TARN_CHECK(done);  // the context ran out of work before the task finished
  return std::move(*value);
}

}  // namespace tarn::net
