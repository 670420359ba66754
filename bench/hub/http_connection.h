// HttpConnection: a keep-alive HTTP/1.1 client connection on a non-blocking socket, for the HTTP
// backend's load loop (driven by epoll) and for one-off calls (Exchange).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "hub/http_response.h"

namespace tarn::bench {

// "POST /v1/events HTTP/1.1" and its headers (Host, Content-Type, Content-Length), ending with
// the blank line; the body goes after it.
std::string RequestHead(std::string_view method, std::string_view target, std::string_view host,
                        int port, std::string_view content_type, size_t body_bytes);

// One TCP connection to a numeric IPv4 address, TCP_NODELAY, one request in flight at a time.
// Owns its socket (moved, never copied). Not thread-safe.
class HttpConnection {
 public:
  // Connects, blocking until `deadline_ns` (MonotonicNs) at most. kUnavailable when the server
  // cannot be reached, kInvalidArgument for a host that is not an IPv4 address.
  static Result<HttpConnection> Connect(const std::string& host, int port, int64_t deadline_ns);

  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  ~HttpConnection();

  int fd() const { return fd_; }

  // Starts a request: `head` then `body`, which are not copied and must stay unchanged until
  // Flush() says they are sent.
  void StartRequest(std::string_view head, std::string_view body);
  // Writes what the socket takes without blocking. True once the whole request is sent.
  // kUnavailable when the connection fails.
  Result<bool> Flush();
  // Reads what the socket has without blocking. True once a whole response is in (Take it).
  // kUnavailable when the connection fails or the server closes it, kCorruption/kUnsupported
  // for a response that cannot be read (see HttpResponseParser).
  Result<bool> Read();
  HttpResponse TakeResponse() { return parser_.Take(); }

  // Sends a request and waits for its response, until `deadline_ns` (then kTimeout).
  Result<HttpResponse> Exchange(std::string_view head, std::string_view body, int64_t deadline_ns);

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}

  int fd_ = -1;
  std::string_view head_;
  std::string_view body_;
  size_t sent_ = 0;  // of head_ then body_
  HttpResponseParser parser_;
};

}  // namespace tarn::bench
