// For tests: a Server on its own thread, and a raw TCP client that speaks HTTP by hand, so the
// tests see exactly the bytes a client would.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "http/message.h"
#include "http/server.h"
#include "net/asio.h"

namespace tarn::http::test {

// A Server listening on 127.0.0.1 at a free port, its io_context run by one thread.
class TestServer {
 public:
  // `setup` adds the routes before the server listens.
  explicit TestServer(const std::function<void(Server&)>& setup, ServerOptions options = {})
      : server_(io_, options) {
    setup(server_);
    Result<uint16_t> port = server_.Listen("127.0.0.1", 0);
    if (!port) std::abort();
    port_ = *port;
    thread_ = std::thread([this] {
      io_.run();
      finished_.set_value();
    });
  }
  ~TestServer() { StopAndWait(); }

  uint16_t port() const { return port_; }

  // Stops the server; true when its io_context then runs out of work within the deadline
  // (every connection closed, nothing left behind).
  bool StopAndWait(std::chrono::seconds deadline = std::chrono::seconds(10)) {
    if (!thread_.joinable()) return true;
    server_.Stop();
    bool drained = finished_.get_future().wait_for(deadline) == std::future_status::ready;
    if (!drained) io_.stop();
    thread_.join();
    return drained;
  }

 private:
  asio::io_context io_;
  Server server_;
  uint16_t port_ = 0;
  std::promise<void> finished_;
  std::thread thread_;
};

struct RawResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// A blocking TCP client on POSIX sockets. Every read gives up after five seconds.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // Sends all of `bytes`; false if the connection fails first.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(n);
    }
    return true;
  }

  // Reads one response whose body has a Content-Length (or none). Interim 1xx responses are
  // returned like any other. nullopt when the connection ends or times out first.
  std::optional<RawResponse> ReadResponse() {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse response;
    std::string_view head(buffer_.data(), header_end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);  // "HTTP/1.1 200 OK"
    if (status_line.size() < 12) return std::nullopt;
    response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    while (line_end != std::string_view::npos) {
      head.remove_prefix(line_end + 2);
      line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (value.starts_with(' ')) value.remove_prefix(1);
      response.headers[std::string(line.substr(0, colon))] = std::string(value);
    }
    size_t length = 0;
    if (auto it = response.headers.find("Content-Length"); it != response.headers.end()) {
      length = std::stoul(it->second);
    }
    size_t body_start = header_end + 4;
    while (buffer_.size() < body_start + length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return response;
  }

  // Every byte until the server closes the connection (or a read times out).
  std::string ReadUntilClose() {
    while (Fill()) {
    }
    return std::exchange(buffer_, {});
  }

  // Whether the server closes the connection (an orderly end or a reset) before the read
  // timeout, with no bytes left unread.
  bool ReadsEnd() {
    if (!buffer_.empty()) return false;
    char byte;
    ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char chunk[16 * 1024];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, n);
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace tarn::http::test
