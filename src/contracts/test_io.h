// For tests: runs one coroutine on an io_context until it completes and returns its value.
#pragma once

#include <exception>
#include <optional>

#include "net/asio.h"

namespace tarn::contracts::test {

template <typename T>
T RunToCompletion(IoContext& io, Awaitable<T> awaitable) {
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(awaitable), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.restart();
  while (!result && !error) io.run_one();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace tarn::contracts::test
