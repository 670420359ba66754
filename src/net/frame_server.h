// A TCP server for length-prefixed frames (a big-endian int32 size, then that many bytes).
// It knows no protocol: each connection gets a FrameHandler from the factory, which turns
// request frames into response frames.
//
// Ordering: frames are handed to the handler in arrival order, each as its own coroutine, and
// every handler starts before the next frame's handler does; handlers may suspend (waiting for
// a disk sync or a long poll) and finish out of order, but responses are written strictly in
// request order. A connection stops reading (back-pressure) while it holds `max_in_flight`
// unanswered requests or `max_unwritten_bytes` of responses its peer has not taken yet, so a
// client that sends but does not read costs a bounded amount of memory.
//
// Hostile input: a frame's buffer grows as its bytes arrive (a size prefix that lies costs
// nothing until the bytes come), a size over `max_frame_bytes` closes the connection, and a
// connection with nothing in flight that makes no progress for `idle_timeout` is closed.
//
// Threading: everything runs on the io_context given at construction, which must be run by
// exactly one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "net/asio_fwd.h"

namespace tarn::net {

struct ConnectionInfo {
  uint64_t id = 0;
  std::string peer;  // "127.0.0.1:53211"
};

// One per connection; lives as long as the connection.
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  // Handles one request frame (without its size prefix). The response is a frame body, or
  // nullopt for requests that get no response (Kafka produce with acks=0). An error Status
  // closes the connection after the responses before it have been written.
  virtual Awaitable<Result<std::optional<Bytes>>> Handle(Bytes frame) = 0;
};

using FrameHandlerFactory = std::function<std::unique_ptr<FrameHandler>(const ConnectionInfo&)>;

struct FrameServerOptions {
  int32_t max_frame_bytes = 100 * 1024 * 1024;  // a larger size prefix closes the connection
  size_t max_in_flight = 1000;                  // unanswered requests per connection
  size_t max_unwritten_bytes = 64 * 1024 * 1024;  // answered, not yet taken by the peer
  // Close a connection that has nothing in flight and has neither sent nor taken a byte for
  // this long (Kafka's connections.max.idle.ms). Zero: never.
  std::chrono::milliseconds idle_timeout{10 * 60 * 1000};
};

// Owns the listening socket and every connection. Start() after construction; Stop() closes
// the acceptor and all connections. Must outlive the io_context's run().
class FrameServer {
 public:
  FrameServer(IoContext& io, FrameServerOptions options, FrameHandlerFactory factory);
  ~FrameServer();
  FrameServer(const FrameServer&) = delete;
  FrameServer& operator=(const FrameServer&) = delete;

  // Binds and listens on host:port (port 0 picks a free port); returns the bound port.
  Result<uint16_t> Listen(std::string_view host, uint16_t port);
  void Stop();
  size_t open_connections() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tarn::net
