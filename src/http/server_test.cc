#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "http/test_server.h"

namespace tarn::http {
namespace {

using test::RawClient;
using test::RawResponse;
using test::TestServer;
using ::testing::HasSubstr;

std::string Get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n\r\n";
}

std::string Post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

std::string ErrorCode(const RawResponse& response) {
  return nlohmann::json::parse(response.body).at("error").at("code").get<std::string>();
}

void AddTestRoutes(Server& server) {
  server.Route("GET", "/hello", [](const Request&) {
    return Response{.content_type = "text/plain", .body = "hello"};
  });
  server.Route("POST", "/echo", [](const Request& request) {
    return Response{.content_type = "text/plain", .body = request.body};
  });
  server.Route("GET", "/v1/topics/{topic}", [](const Request& request) {
    nlohmann::json body = {
        {"topic", request.params.at("topic")},
        {"limit", request.query.count("limit") ? request.query.at("limit") : ""},
        {"agent", request.headers.count("user-agent") ? request.headers.at("USER-AGENT") : ""}};
    return Response{.body = body.dump(), .headers = {{"X-Topic", request.params.at("topic")}}};
  });
  server.Route("GET", "/throw",
               [](const Request&) -> Response { throw std::runtime_error("handler bug"); });
}

ServerOptions SmallLimits() {
  return ServerOptions{.max_body_bytes = 1024,
                       .request_timeout = std::chrono::milliseconds(300),
                       .idle_timeout = std::chrono::milliseconds(300)};
}

TEST(ServerTest, KeepAliveServesRequestsOnOneConnection) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.connected());

  ASSERT_TRUE(client.Send(Get("/hello")));
  std::optional<RawResponse> first = client.ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "hello");
  EXPECT_EQ(first->headers["Content-Type"], "text/plain");

  ASSERT_TRUE(client.Send(Post("/echo", "payload")));
  std::optional<RawResponse> second = client.ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "payload");
}

TEST(ServerTest, AnswersPipelinedRequestsInOrder) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Post("/echo", "one") + Post("/echo", "two")));
  EXPECT_EQ(client.ReadResponse().value().body, "one");
  EXPECT_EQ(client.ReadResponse().value().body, "two");
}

TEST(ServerTest, PassesParamsQueryAndHeadersToTheHandler) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(
      "GET /v1/topics/my%20topic?limit=10&x HTTP/1.1\r\nHost: t\r\nUser-Agent: kcat\r\n\r\n"));
  std::optional<RawResponse> response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["Content-Type"], "application/json");
  EXPECT_EQ(response->headers["X-Topic"], "my topic");
  EXPECT_EQ(nlohmann::json::parse(response->body),
            (nlohmann::json{{"topic", "my topic"}, {"limit", "10"}, {"agent", "kcat"}}));
}

TEST(ServerTest, UnknownPathIs404AndWrongMethodIs405) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());

  ASSERT_TRUE(client.Send(Get("/nope")));
  RawResponse not_found = client.ReadResponse().value();
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.headers["Content-Type"], "application/json");
  EXPECT_EQ(ErrorCode(not_found), "not_found");

  ASSERT_TRUE(client.Send(Post("/hello", "")));
  RawResponse wrong_method = client.ReadResponse().value();
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["Allow"], "GET");
  EXPECT_EQ(ErrorCode(wrong_method), "method_not_allowed");

  // Neither closes the connection.
  ASSERT_TRUE(client.Send(Get("/hello")));
  EXPECT_EQ(client.ReadResponse().value().status, 200);
}

TEST(ServerTest, DeclaredOversizedBodyIs413AndCloses) {
  TestServer server(AddTestRoutes, SmallLimits());
  RawClient client(server.port());
  // Refused on the header alone: the body need not be sent.
  ASSERT_TRUE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\nab"));
  RawResponse response = client.ReadResponse().value();
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(ErrorCode(response), "payload_too_large");
  EXPECT_EQ(response.headers["Connection"], "close");
  EXPECT_TRUE(client.ReadsEnd());
}

TEST(ServerTest, ChunkedBodyOverTheLimitIs413) {
  TestServer server(AddTestRoutes, SmallLimits());
  RawClient client(server.port());
  std::string chunk(800, 'x');
  ASSERT_TRUE(
      client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "320\r\n" +
                  chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().value().status, 413);
  EXPECT_TRUE(client.ReadsEnd());
}

TEST(ServerTest, BodyAtTheLimitIsAccepted) {
  TestServer server(AddTestRoutes, SmallLimits());
  RawClient client(server.port());
  std::string body(1024, 'b');
  ASSERT_TRUE(client.Send(Post("/echo", body)));
  EXPECT_EQ(client.ReadResponse().value().body, body);
}

TEST(ServerTest, ExpectContinueGetsAnInterimResponse) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().value().status, 100);
  ASSERT_TRUE(client.Send("body"));
  EXPECT_EQ(client.ReadResponse().value().body, "body");
}

TEST(ServerTest, MalformedRequestIs400AndCloses) {
  TestServer server(AddTestRoutes);
  for (std::string_view garbage :
       {"NOT A REQUEST\r\n\r\n", "GET /hello HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    RawClient client(server.port());
    ASSERT_TRUE(client.Send(garbage));
    RawResponse response = client.ReadResponse().value();
    EXPECT_EQ(response.status, 400) << garbage;
    EXPECT_EQ(ErrorCode(response), "bad_request");
    EXPECT_TRUE(client.ReadsEnd());
  }
}

TEST(ServerTest, BadEscapeInQueryIs400AndKeepsTheConnection) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Get("/hello?x=%zz")));
  EXPECT_EQ(client.ReadResponse().value().status, 400);
  ASSERT_TRUE(client.Send(Get("/hello")));
  EXPECT_EQ(client.ReadResponse().value().status, 200);
}

TEST(ServerTest, HandlerThrowingIs500AndServerKeepsServing) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Get("/throw")));
  RawResponse response = client.ReadResponse().value();
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorCode(response), "internal");
  EXPECT_THAT(response.body, ::testing::Not(HasSubstr("handler bug")));  // internals stay in logs

  ASSERT_TRUE(client.Send(Get("/hello")));
  EXPECT_EQ(client.ReadResponse().value().body, "hello");
}

TEST(ServerTest, Http10ClosesAfterTheResponse) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().value().body, "hello");
  EXPECT_TRUE(client.ReadsEnd());
}

TEST(ServerTest, ConnectionCloseIsHonoured) {
  TestServer server(AddTestRoutes);
  RawClient client(server.port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().value().headers["Connection"], "close");
  EXPECT_TRUE(client.ReadsEnd());
}

TEST(ServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  TestServer server(AddTestRoutes, SmallLimits());
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Get("/hello")));
  EXPECT_EQ(client.ReadResponse().value().status, 200);
  EXPECT_TRUE(client.ReadsEnd());  // within the client's 5 s read timeout; the idle one is 0.3 s
}

TEST(ServerTest, SlowRequestIsClosedWithoutAResponse) {
  TestServer server(AddTestRoutes, SmallLimits());
  RawClient client(server.port());
  ASSERT_TRUE(client.Send("GET /hello HTTP/1.1\r\nHost:"));  // and nothing more
  EXPECT_TRUE(client.ReadsEnd());
}

// A handler that answers after `delay`, as one waiting for a disk write would.
AsyncHandler AnswerAfter(std::chrono::milliseconds delay, std::string body) {
  return [delay, body](Request) -> Awaitable<Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    co_return Response{.content_type = "text/plain", .body = body};
  };
}

TEST(ServerTest, AwaitableHandlerDoesNotHoldUpOtherConnections) {
  TestServer server([](Server& s) {
    AddTestRoutes(s);
    s.RouteAsync("POST", "/slow", AnswerAfter(std::chrono::milliseconds(300), "slow"));
  });
  RawClient slow(server.port());
  RawClient fast(server.port());
  ASSERT_TRUE(slow.Send(Post("/slow", "")));
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(fast.Send(Get("/hello")));
  std::optional<RawResponse> fast_response = fast.ReadResponse();
  ASSERT_TRUE(fast_response.has_value());
  EXPECT_EQ(fast_response->body, "hello");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(250));
  std::optional<RawResponse> slow_response = slow.ReadResponse();
  ASSERT_TRUE(slow_response.has_value());
  EXPECT_EQ(slow_response->status, 200);
  EXPECT_EQ(slow_response->body, "slow");
  // The connection is kept alive after an awaited response, and pipelining keeps its order.
  ASSERT_TRUE(slow.Send(Post("/slow", "") + Get("/hello")));
  EXPECT_EQ(slow.ReadResponse().value().body, "slow");
  EXPECT_EQ(slow.ReadResponse().value().body, "hello");
}

TEST(ServerTest, AwaitableHandlerThrowingIs500) {
  TestServer server([](Server& s) {
    s.RouteAsync("GET", "/throw", [](Request) -> Awaitable<Response> {
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
      co_await timer.async_wait(asio::use_awaitable);
      throw std::runtime_error("handler bug");
    });
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Get("/throw")));
  std::optional<RawResponse> response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(ErrorCode(*response), "internal");
}

TEST(ServerTest, StopDuringAnAwaitableHandlerClosesWithoutAResponse) {
  std::promise<void> started;
  TestServer server([&](Server& s) {
    s.RouteAsync("POST", "/slow", [&started](Request request) -> Awaitable<Response> {
      started.set_value();
      co_return co_await AnswerAfter(std::chrono::milliseconds(200), "slow")(std::move(request));
    });
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Post("/slow", "")));
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(server.StopAndWait());
  EXPECT_TRUE(client.ReadsEnd());
}

TEST(ServerTest, StopClosesIdleConnectionsAndLeavesNoWork) {
  TestServer server(AddTestRoutes);  // default timeouts: only Stop can close the client
  RawClient idle(server.port());
  ASSERT_TRUE(idle.Send(Get("/hello")));
  EXPECT_EQ(idle.ReadResponse().value().status, 200);
  RawClient silent(server.port());  // connected, never sent a byte

  EXPECT_TRUE(server.StopAndWait());
  EXPECT_TRUE(idle.ReadsEnd());
  EXPECT_TRUE(silent.ReadsEnd());
  EXPECT_FALSE(RawClient(server.port()).connected());
}

// A stream that writes `pieces`, one every few milliseconds.
AsyncHandler StreamOf(std::vector<std::string> pieces) {
  return [pieces](Request) -> Awaitable<Response> {
    Response response{.status = 200, .content_type = "text/event-stream"};
    response.stream = [pieces](BodyWriter& writer) -> Awaitable<void> {
      for (const std::string& piece : pieces) {
        asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
        co_await timer.async_wait(asio::use_awaitable);
        if (!co_await writer.Write(piece)) co_return;
      }
    };
    co_return response;
  };
}

TEST(ServerTest, AStreamedResponseSendsItsPiecesThenCloses) {
  TestServer server([](Server& s) { s.RouteAsync("GET", "/stream", StreamOf({"a\n", "bb\n", "ccc\n"})); });
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Get("/stream")));
  std::string all = client.ReadUntilClose();
  EXPECT_TRUE(all.starts_with("HTTP/1.1 200 OK\r\n")) << all;
  EXPECT_NE(all.find("Content-Type: text/event-stream\r\n"), std::string::npos) << all;
  EXPECT_NE(all.find("Connection: close\r\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("Content-Length"), std::string::npos) << all;
  EXPECT_TRUE(all.ends_with("\r\n\r\na\nbb\nccc\n")) << all;
}

TEST(ServerTest, AStreamEndsWhenItsClientGoesAway) {
  std::promise<int> ended;
  TestServer server([&](Server& s) {
    s.RouteAsync("GET", "/forever", [&ended](Request) -> Awaitable<Response> {
      Response response{.status = 200, .content_type = "text/plain"};
      response.stream = [&ended](BodyWriter& writer) -> Awaitable<void> {
        for (int writes = 0; writes < 100000; ++writes) {
          asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(2));
          co_await timer.async_wait(asio::use_awaitable);
          if (!co_await writer.Write(std::string(1024, 'x'))) {
            ended.set_value(writes);
            co_return;
          }
        }
        ended.set_value(-1);
      };
      co_return response;
    });
  });
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.Send(Get("/forever")));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto future = ended.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_GE(future.get(), 0);
  EXPECT_TRUE(server.StopAndWait());
}

TEST(ServerTest, StopEndsAStream) {
  TestServer server([](Server& s) {
    s.RouteAsync("GET", "/stream", StreamOf(std::vector<std::string>(2000, "tick\n")));
  });
  RawClient client(server.port());
  ASSERT_TRUE(client.Send(Get("/stream")));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(server.StopAndWait());
  std::string all = client.ReadUntilClose();
  EXPECT_TRUE(all.starts_with("HTTP/1.1 200 OK")) << all;
}

TEST(ServerTest, ListenFailsClearlyOnATakenAddress) {
  TestServer first(AddTestRoutes);
  asio::io_context io;
  Server second(io);
  Result<uint16_t> port = second.Listen("127.0.0.1", first.port());
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().code(), StatusCode::kIoError);
  EXPECT_THAT(port.error().message(), HasSubstr("bind 127.0.0.1:" + std::to_string(first.port())));

  Server third(io);
  ASSERT_TRUE(third.Listen("127.0.0.1", 0).has_value());
  EXPECT_EQ(third.Listen("127.0.0.1", 0).error().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tarn::http
