// A wake-up call for coroutines on one io_context: waiters suspend until NotifyAll() or their
// deadline. Not thread-safe: use it on the io_context's thread only (post from elsewhere).
#pragma once

#include <chrono>
#include <vector>

#include "net/asio_fwd.h"

namespace tarn::net {

class Signal {
 public:
  explicit Signal(IoContext& io) : io_(io) {}
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  // Suspends until NotifyAll() or `deadline`; true when notified.
  Awaitable<bool> WaitUntil(std::chrono::steady_clock::time_point deadline);
  Awaitable<void> Wait();
  // Wakes every coroutine waiting now; later waiters wait for the next call.
  void NotifyAll();
  bool has_waiters() const { return !waiters_.empty(); }

 private:
  struct Waiter;
  IoContext& io_;
  std::vector<Waiter*> waiters_;
};

}  // namespace tarn::net
