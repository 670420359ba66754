#include "hub/http_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "hub/http_response.h"
#include "hub/payload.h"

namespace tarn::bench {
namespace {

constexpr std::string_view kOk =
    "HTTP/1.1 200 OK\r\nServer: tarn\r\nContent-Type: application/json\r\n"
    "Content-Length: 62\r\n\r\n"
    R"({"events":[{"id":"a","topic":"bus","partition":0,"offset":4}]})";

TEST(HttpResponseParserTest, ReadsAWholeResponse) {
  HttpResponseParser parser;
  Result<bool> complete = parser.Feed(kOk);
  ASSERT_TRUE(complete.has_value());
  ASSERT_TRUE(*complete);
  HttpResponse response = parser.Take();
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.close);
  EXPECT_EQ(CountEventPositions(response.body), 1);
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(HttpResponseParserTest, ReadsAResponseSplitAnywhere) {
  for (size_t cut = 0; cut <= kOk.size(); ++cut) {
    HttpResponseParser parser;
    Result<bool> first = parser.Feed(kOk.substr(0, cut));
    ASSERT_TRUE(first.has_value()) << cut;
    EXPECT_EQ(*first, cut == kOk.size()) << cut;
    Result<bool> second = parser.Feed(kOk.substr(cut));
    ASSERT_TRUE(second.has_value() && *second) << cut;
    EXPECT_EQ(parser.Take().body.size(), 62u) << cut;
  }
}

TEST(HttpResponseParserTest, KeepsWhatFollowsAResponse) {
  HttpResponseParser parser;
  std::string two = std::string(kOk) +
                    "HTTP/1.1 422 Unprocessable Entity\r\ncontent-length: 2\r\n"
                    "connection: Close\r\n\r\n{}";
  ASSERT_TRUE(*parser.Feed(two));
  EXPECT_EQ(parser.Take().status, 200);
  ASSERT_TRUE(*parser.Feed({}));
  HttpResponse second = parser.Take();
  EXPECT_EQ(second.status, 422);
  EXPECT_TRUE(second.close);
  EXPECT_EQ(second.body, "{}");
  EXPECT_FALSE(*parser.Feed({}));
}

TEST(HttpResponseParserTest, SkipsInterimResponsesAndReadsEmptyBodies) {
  HttpResponseParser parser;
  ASSERT_TRUE(*parser.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"));
  HttpResponse response = parser.Take();
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.body, "");
}

TEST(HttpResponseParserTest, RefusesWhatItCannotRead) {
  EXPECT_EQ(HttpResponseParser().Feed("SSH-2.0-OpenSSH\r\n\r\n").error().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(HttpResponseParser().Feed("HTTP/1.1 2x0 OK\r\n\r\n").error().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(
      HttpResponseParser().Feed("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n").error().code(),
      StatusCode::kCorruption);
  EXPECT_EQ(HttpResponseParser().Feed("HTTP/1.1 200 OK\r\nno colon\r\n\r\n").error().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(HttpResponseParser()
                .Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                .error()
                .code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(HttpResponseParser().Feed("HTTP/1.0 200 OK\r\n\r\n").error().code(),
            StatusCode::kUnsupported);
  HttpResponseParser endless;
  Result<bool> fed = endless.Feed(std::string(70 * 1024, 'a'));
  EXPECT_EQ(fed.error().code(), StatusCode::kCorruption);
}

TEST(HttpResponseParserTest, CountsEventPositions) {
  EXPECT_EQ(CountEventPositions(R"({"events":[]})"), 0);
  std::string body = R"({"events":[)";
  for (int i = 0; i < 100; ++i) {
    body += (i ? "," : "") + std::string(R"({"id":"e","topic":"bus","partition":0,"offset":)") +
            std::to_string(i) + "}";
  }
  body += "]}";
  EXPECT_EQ(CountEventPositions(body), 100);
}

TEST(RequestHeadTest, NamesHostTypeAndLength) {
  EXPECT_EQ(RequestHead("POST", "/v1/events", "127.0.0.1", 8080, "application/json", 12),
            "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json"
            "\r\nContent-Length: 12\r\n\r\n");
}

// A server of one connection on 127.0.0.1: reads one request (head and the body its
// Content-Length gives), then writes `reply` in two pieces.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    bind(listener_, reinterpret_cast<sockaddr*>(&address), size);
    listen(listener_, 1);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() {
    thread_.join();
    close(listener_);
  }
  int port() const { return port_; }
  // What the client sent; after the exchange.
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    int fd = accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    char buffer[4096];
    size_t wanted = std::string::npos;
    while (request_.size() < wanted) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      request_.append(buffer, static_cast<size_t>(n));
      size_t end = request_.find("\r\n\r\n");
      size_t length = request_.find("Content-Length: ");
      if (end != std::string::npos && length != std::string::npos) {
        wanted = end + 4 + std::stoul(request_.substr(length + 16));
      }
    }
    size_t half = reply_.size() / 2;
    (void)!write(fd, reply_.data(), half);
    std::this_thread::yield();
    (void)!write(fd, reply_.data() + half, reply_.size() - half);
    close(fd);
  }

  std::string reply_;
  int listener_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(HttpConnectionTest, ExchangeSendsTheRequestAndReadsTheResponse) {
  OneShotServer server{std::string(kOk)};
  Result<HttpConnection> connection =
      HttpConnection::Connect("127.0.0.1", server.port(), MonotonicNs() + 5'000'000'000);
  ASSERT_TRUE(connection.has_value()) << connection.error().ToString();
  const std::string body(100'000, 'x');  // more than one write's worth on some systems
  const std::string head = RequestHead("POST", "/v1/events", "127.0.0.1", server.port(),
                                       "application/json", body.size());
  Result<HttpResponse> response = connection->Exchange(head, body, MonotonicNs() + 5'000'000'000);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(CountEventPositions(response->body), 1);
  EXPECT_EQ(server.request(), head + body);
}

TEST(HttpConnectionTest, ConnectRefusesNamesAndReportsRefusals) {
  EXPECT_EQ(HttpConnection::Connect("localhost", 80, MonotonicNs() + 1'000'000'000).error().code(),
            StatusCode::kInvalidArgument);
  int port = 0;
  {
    OneShotServer server{""};  // takes its one connection and closes
    port = server.port();
    (void)HttpConnection::Connect("127.0.0.1", port, MonotonicNs() + 1'000'000'000);
  }
  EXPECT_EQ(
      HttpConnection::Connect("127.0.0.1", port, MonotonicNs() + 1'000'000'000).error().code(),
      StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tarn::bench
