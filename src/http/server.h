// An HTTP/1.1 server: keep-alive, size and time limits, JSON errors, routes to handlers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/message.h"
#include "http/router.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tarn::http {

struct ServerState;  // server.cc

struct ServerOptions {
  // A request whose body is larger gets 413 and its connection is closed.
  size_t max_body_bytes = 10 * 1024 * 1024;
  // To read one request once its first byte has come, and again to write its response.
  std::chrono::milliseconds request_timeout{30000};
  // Between requests on a kept-alive connection (and before the first).
  std::chrono::milliseconds idle_timeout{60000};
};

// Serves HTTP on the caller's io_context, which one thread runs: every handler runs on that
// thread, one at a time. Owned by the app; must not outlive the io_context.
//
// Errors are answered as JSON (see JsonError): unknown path 404, wrong method 405, body over
// the limit 413, headers over 8 KiB 431, a malformed request 400; after 413, 431 and 400 the
// connection closes. A handler that throws gets its client a 500 and the server keeps serving.
// A connection idle or slow past its timeout is closed without a response.
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options = {});
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds a route (see Router for patterns). Call before Listen.
  void Route(std::string method, std::string pattern, Handler handler);
  // Adds a route with an awaitable handler (see AsyncHandler). Call before Listen. A handler
  // that has started when Stop comes runs on to its end; its connection is closed and gets no
  // response.
  void RouteAsync(std::string method, std::string pattern, AsyncHandler handler);

  // Binds host:port (port 0 picks a free one) and starts accepting on the io_context; returns
  // the bound port. Resolving a host name blocks. IoError when the address cannot be bound (in
  // use, not local), InvalidArgument when the host does not resolve, FailedPrecondition when
  // already listening or stopped.
  Result<uint16_t> Listen(std::string_view host, uint16_t port);

  // Stops accepting and closes every connection, idle or mid-request; handlers are not called
  // after it. Callable from any thread; the closing happens on the io_context's thread (at
  // once when called there). Once the closed connections unwind, the server leaves no work on
  // the io_context.
  void Stop();

 private:
  std::shared_ptr<ServerState> state_;  // shared with its coroutines, which may outlive *this
};

}  // namespace tarn::http
