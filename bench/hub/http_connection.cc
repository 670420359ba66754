#include "hub/http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "hub/payload.h"

namespace tarn::bench {
namespace {

Status SocketError(std::string_view what) {
  return Status::Unavailable(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

std::string RequestHead(std::string_view method, std::string_view target, std::string_view host,
                        int port, std::string_view content_type, size_t body_bytes) {
  std::string head;
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  head.append(host).append(":").append(std::to_string(port)).append("\r\n");
  if (!content_type.empty()) head.append("Content-Type: ").append(content_type).append("\r\n");
  head.append("Content-Length: ").append(std::to_string(body_bytes)).append("\r\n\r\n");
  return head;
}

Result<HttpConnection> HttpConnection::Connect(const std::string& host, int port,
                                               int64_t deadline_ns) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return Error(Status::InvalidArgument("not an IPv4 address: " + host));
  }
  const std::string where = host + ":" + std::to_string(port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(SocketError("socket"));
  HttpConnection connection(fd);
  int64_t left_us = std::max<int64_t>((deadline_ns - MonotonicNs()) / 1000, 1000);
  timeval timeout{.tv_sec = left_us / 1'000'000, .tv_usec = left_us % 1'000'000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return Error(SocketError("cannot connect to " + where));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    return Error(SocketError("fcntl " + where));
  }
  return connection;
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      head_(other.head_),
      body_(other.body_),
      sent_(other.sent_),
      parser_(std::move(other.parser_)) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    head_ = other.head_;
    body_ = other.body_;
    sent_ = other.sent_;
    parser_ = std::move(other.parser_);
  }
  return *this;
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

void HttpConnection::StartRequest(std::string_view head, std::string_view body) {
  head_ = head;
  body_ = body;
  sent_ = 0;
}

Result<bool> HttpConnection::Flush() {
  const size_t total = head_.size() + body_.size();
  while (sent_ < total) {
    std::array<iovec, 2> parts;
    size_t count = 0;
    if (sent_ < head_.size()) {
      parts[count++] = {const_cast<char*>(head_.data() + sent_), head_.size() - sent_};
    }
    const size_t body_from = sent_ > head_.size() ? sent_ - head_.size() : 0;
    if (body_from < body_.size()) {
      parts[count++] = {const_cast<char*>(body_.data() + body_from), body_.size() - body_from};
    }
    msghdr message{};
    message.msg_iov = parts.data();
    message.msg_iovlen = count;
    ssize_t n = sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      return Error(SocketError("send"));
    }
    sent_ += static_cast<size_t>(n);
  }
  return true;
}

Result<bool> HttpConnection::Read() {
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      TARN_ASSIGN_OR_RETURN(bool complete,
                            parser_.Feed(std::string_view(buffer, static_cast<size_t>(n))));
      if (complete) return true;
      continue;
    }
    if (n == 0) return Error(Status::Unavailable("the server closed the connection"));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    return Error(SocketError("recv"));
  }
}

Result<HttpResponse> HttpConnection::Exchange(std::string_view head, std::string_view body,
                                              int64_t deadline_ns) {
  StartRequest(head, body);
  TARN_ASSIGN_OR_RETURN(bool sent, Flush());
  while (true) {
    if (sent) {
      TARN_ASSIGN_OR_RETURN(bool complete, Read());
      if (complete) return TakeResponse();
    }
    const int64_t left_ms = (deadline_ns - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) return Error(Status::Timeout("no HTTP response in time"));
    pollfd wait{.fd = fd_, .events = static_cast<short>(sent ? POLLIN : POLLOUT), .revents = 0};
    if (poll(&wait, 1, static_cast<int>(std::min<int64_t>(left_ms, 1000))) < 0 && errno != EINTR) {
      return Error(SocketError("poll"));
    }
    if (!sent) {
      TARN_ASSIGN_OR_RETURN(sent, Flush());
    }
  }
}

}  // namespace tarn::bench
