#include "http/client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "http/test_server.h"

namespace tarn::http {
namespace {

using test::TestServer;
using ::testing::HasSubstr;

// A TCP socket on 127.0.0.1 at a free port: listening (connections queue up and are never
// accepted unless Serve is called) or only bound (connections are refused).
class LocalSocket {
 public:
  explicit LocalSocket(bool listening) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (listening) ::listen(fd_, 4);
  }
  ~LocalSocket() {
    if (server_.joinable()) server_.join();
    ::close(fd_);
  }

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // On a thread: accepts one connection, reads the request's header, writes `reply` and closes.
  void ServeOnce(std::string reply) {
    server_ = std::thread([this, reply = std::move(reply)] {
      int connection = ::accept(fd_, nullptr, nullptr);
      if (connection < 0) return;
      std::string received;
      char chunk[4096];
      while (received.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(connection, chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        received.append(chunk, n);
      }
      if (!reply.empty()) ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(connection);
    });
  }

 private:
  int fd_;
  uint16_t port_ = 0;
  std::thread server_;
};

void AddEchoRoutes(Server& server) {
  // Answers with what it received, as JSON.
  auto echo = [](const Request& request) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : request.headers) headers[name] = value;
    nlohmann::json body = {{"method", request.method},
                           {"target", request.target},
                           {"headers", headers},
                           {"body", request.body}};
    return Response{.body = body.dump(), .headers = {{"X-Echo", "yes"}}};
  };
  server.Route("GET", "/echo", echo);
  server.Route("POST", "/echo", echo);
  server.Route("PUT", "/api/things/{name}", echo);
  server.Route("GET", "/big", [](const Request&) {
    return Response{.content_type = "text/plain", .body = std::string(100'000, 'x')};
  });
}

ClientRequest To(const TestServer& server, std::string method, std::string target) {
  return ClientRequest{.method = std::move(method),
                       .url = "127.0.0.1:" + std::to_string(server.port()),
                       .target = std::move(target)};
}

TEST(ParseUrlTest, AcceptsUrlsAndHostPort) {
  Url url = ParseUrl("http://example.com:8080/v1/x?y=1").value();
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.target, "/v1/x?y=1");

  url = ParseUrl("HTTP://example.com").value();
  EXPECT_EQ(url.port, 80);
  EXPECT_EQ(url.target, "/");

  url = ParseUrl("127.0.0.1:8081").value();
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 8081);
  EXPECT_EQ(url.target, "/");

  url = ParseUrl("[::1]:9000/api").value();
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 9000);
  EXPECT_EQ(url.target, "/api");

  url = ParseUrl("http://[::1]?a=b").value();
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 80);
  EXPECT_EQ(url.target, "/?a=b");
}

TEST(ParseUrlTest, RefusesWithAReason) {
  EXPECT_THAT(ParseUrl("https://example.com").error().message(), HasSubstr("only http://"));
  EXPECT_THAT(ParseUrl("host:0").error().message(), HasSubstr("port 0"));
  EXPECT_THAT(ParseUrl("host:99999").error().message(), HasSubstr("bad port"));
  EXPECT_THAT(ParseUrl("http://").error().message(), HasSubstr("no host"));
  EXPECT_THAT(ParseUrl("http://user@host:1/").error().message(), HasSubstr("'@'"));
  EXPECT_THAT(ParseUrl("host:1/#top").error().message(), HasSubstr("fragment"));
  EXPECT_THAT(ParseUrl("bad host:1").error().message(), HasSubstr("bad host"));
  EXPECT_EQ(ParseUrl("::1:80").error().code(), StatusCode::kInvalidArgument);
}

TEST(ClientTest, SendsMethodTargetHeadersAndBody) {
  TestServer server(AddEchoRoutes);
  ClientRequest request = To(server, "POST", "/echo?verbose=true");
  request.headers = {{"X-Custom", "v"}, {"Content-Type", "application/x-ndjson"}};
  request.body = "{\"a\":1}\n{\"a\":2}\n";
  Result<ClientResponse> response = Send(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->ok());
  EXPECT_EQ(response->headers["x-echo"], "yes");
  EXPECT_EQ(response->headers["Content-Type"], "application/json");

  nlohmann::json echoed = nlohmann::json::parse(response->body);
  EXPECT_EQ(echoed["method"], "POST");
  EXPECT_EQ(echoed["target"], "/echo?verbose=true");
  EXPECT_EQ(echoed["body"], request.body);
  EXPECT_EQ(echoed["headers"]["X-Custom"], "v");
  EXPECT_EQ(echoed["headers"]["Content-Type"], "application/x-ndjson");
  EXPECT_EQ(echoed["headers"]["Host"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(echoed["headers"]["Connection"], "close");
}

TEST(ClientTest, ABodyIsJsonUnlessSaidOtherwise) {
  TestServer server(AddEchoRoutes);
  ClientRequest request = To(server, "POST", "/echo");
  request.body = "{}";
  nlohmann::json echoed = nlohmann::json::parse(Send(request).value().body);
  EXPECT_EQ(echoed["headers"]["Content-Type"], "application/json");
}

TEST(ClientTest, JoinsTheUrlPathAndTheTarget) {
  TestServer server(AddEchoRoutes);
  ClientRequest request = To(server, "PUT", "things/" + PercentEncode("a b/c"));
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/api/";
  Result<ClientResponse> response = Send(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["target"], "/api/things/a%20b%2Fc");

  // With no target, the URL's own path.
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  request.method = "GET";
  request.target = "";
  EXPECT_EQ(nlohmann::json::parse(Send(request).value().body)["target"], "/echo");
}

TEST(ClientTest, AnErrorStatusIsAResponse) {
  TestServer server(AddEchoRoutes);
  Result<ClientResponse> response = Send(To(server, "GET", "/nope"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_FALSE(response->ok());
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"]["code"], "not_found");
}

TEST(ClientTest, ResponseBodyLimit) {
  TestServer server(AddEchoRoutes);
  ClientRequest request = To(server, "GET", "/big");
  EXPECT_EQ(Send(request).value().body.size(), 100'000u);
  request.max_response_bytes = 1000;
  Result<ClientResponse> response = Send(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kResourceExhausted);
}

TEST(ClientTest, RefusedConnectionIsUnavailableAndNamesTheAddress) {
  LocalSocket bound(/*listening=*/false);
  Result<ClientResponse> response = Send(ClientRequest{.url = bound.address()});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.error().message(), HasSubstr("cannot connect to " + bound.address()));
  EXPECT_THAT(response.error().message(), HasSubstr("refused"));
}

TEST(ClientTest, SilentServerTimesOut) {
  LocalSocket silent(/*listening=*/true);  // the kernel accepts; nobody answers
  auto start = std::chrono::steady_clock::now();
  Result<ClientResponse> response =
      Send(ClientRequest{.url = silent.address(), .timeout = std::chrono::milliseconds(200)});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kTimeout);
  EXPECT_THAT(response.error().message(), HasSubstr(silent.address()));
  EXPECT_THAT(response.error().message(), HasSubstr("200 ms"));
  EXPECT_GE(elapsed, std::chrono::milliseconds(200));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(ClientTest, ConnectionClosedBeforeAResponseIsUnavailable) {
  LocalSocket server(/*listening=*/true);
  server.ServeOnce("");
  Result<ClientResponse> response = Send(ClientRequest{.url = server.address()});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.error().message(), HasSubstr("closed the connection"));
}

TEST(ClientTest, MalformedResponseIsCorruption) {
  LocalSocket server(/*listening=*/true);
  server.ServeOnce("SMTP ready\r\n\r\n");
  Result<ClientResponse> response = Send(ClientRequest{.url = server.address()});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), StatusCode::kCorruption);
}

TEST(ClientTest, ReadsABodyThatEndsWithTheConnection) {
  LocalSocket server(/*listening=*/true);
  server.ServeOnce("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
  Result<ClientResponse> response = Send(ClientRequest{.url = server.address()});
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->body, "until the end");
}

}  // namespace
}  // namespace tarn::http
