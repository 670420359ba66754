#include "net/signal.h"

#include <algorithm>

#include "net/asio.h"

namespace tarn::net {

struct Signal::Waiter {
  asio::steady_timer timer;
  bool notified = false;
};

Awaitable<bool> Signal::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  Waiter waiter{asio::steady_timer(io_, deadline)};
  waiters_.push_back(&waiter);
  boost::system::error_code ec;
  co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::erase(waiters_, &waiter);
  co_return waiter.notified;
}

Awaitable<void> Signal::Wait() {
  co_await WaitUntil(std::chrono::steady_clock::time_point::max());
}

void Signal::NotifyAll() {
  for (Waiter* w : waiters_) {
    w->notified = true;
    w->timer.cancel();
  }
  waiters_.clear();
}

}  // namespace tarn::net
