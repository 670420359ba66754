#include "net/frame_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "net/asio.h"

namespace tarn::net {
namespace {

using asio::ip::tcp;

// Echoes each frame. A frame "sleep:N..." answers after N milliseconds, "silent" gets no
// response, and "fail" closes the connection.
class EchoHandler : public FrameHandler {
 public:
  explicit EchoHandler(IoContext& io) : io_(io) {}
  Awaitable<Result<std::optional<Bytes>>> Handle(Bytes frame) override {
    std::string text(frame.begin(), frame.end());
    if (text == "fail") co_return Error(Status::InvalidArgument("told to fail"));
    if (text == "silent") co_return std::optional<Bytes>();
    if (text.starts_with("sleep:")) {
      asio::steady_timer timer(io_, std::chrono::milliseconds(std::stoi(text.substr(6))));
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return std::optional<Bytes>(std::move(frame));
  }

 private:
  IoContext& io_;
};

class FrameServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FrameServerOptions options;
    options.max_frame_bytes = 1024;
    server_ = std::make_unique<FrameServer>(io_, options, [this](const ConnectionInfo&) {
      return std::make_unique<EchoHandler>(io_);
    });
    auto port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.has_value()) << port.error().ToString();
    port_ = *port;
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); io_.stop(); });
    thread_.join();
  }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }
  static void Send(tcp::socket& s, std::string_view body) {
    uint8_t prefix[4];
    StoreBigEndian<int32_t>(prefix, static_cast<int32_t>(body.size()));
    asio::write(s, asio::buffer(prefix));
    asio::write(s, asio::buffer(body.data(), body.size()));
  }
  static std::string Receive(tcp::socket& s) {
    uint8_t prefix[4];
    asio::read(s, asio::buffer(prefix));
    std::string body(LoadBigEndian<int32_t>(prefix), '\0');
    asio::read(s, asio::buffer(body.data(), body.size()));
    return body;
  }
  static bool ClosedByPeer(tcp::socket& s) {
    uint8_t byte;
    boost::system::error_code ec;
    asio::read(s, asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  IoContext io_;
  IoContext client_io_;
  std::unique_ptr<FrameServer> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(FrameServerTest, RepliesInRequestOrderEvenWhenHandlersFinishOutOfOrder) {
  auto s = Connect();
  Send(s, "sleep:200 first");
  Send(s, "silent");
  Send(s, "sleep:50 second");
  Send(s, "third");
  EXPECT_EQ(Receive(s), "sleep:200 first");
  EXPECT_EQ(Receive(s), "sleep:50 second");
  EXPECT_EQ(Receive(s), "third");
}

TEST_F(FrameServerTest, OversizedFrameClosesOnlyThatConnection) {
  auto bad = Connect();
  auto good = Connect();
  uint8_t prefix[4];
  StoreBigEndian<int32_t>(prefix, 1 << 30);
  asio::write(bad, asio::buffer(prefix));
  EXPECT_TRUE(ClosedByPeer(bad));
  Send(good, "still here");
  EXPECT_EQ(Receive(good), "still here");
}

TEST_F(FrameServerTest, NegativeLengthCloses) {
  auto bad = Connect();
  uint8_t prefix[4];
  StoreBigEndian<int32_t>(prefix, -5);
  asio::write(bad, asio::buffer(prefix));
  EXPECT_TRUE(ClosedByPeer(bad));
}

TEST_F(FrameServerTest, HandlerErrorClosesAfterEarlierResponses) {
  auto s = Connect();
  Send(s, "sleep:20 before");
  Send(s, "fail");
  Send(s, "after");
  EXPECT_EQ(Receive(s), "sleep:20 before");
  EXPECT_TRUE(ClosedByPeer(s));
}

TEST_F(FrameServerTest, TruncatedFrameThenDisconnectLeavesServerServing) {
  {
    auto s = Connect();
    uint8_t prefix[4];
    StoreBigEndian<int32_t>(prefix, 100);
    asio::write(s, asio::buffer(prefix));
    asio::write(s, asio::buffer("abc", 3));
  }
  auto s = Connect();
  Send(s, "ok");
  EXPECT_EQ(Receive(s), "ok");
}

TEST_F(FrameServerTest, ManyConnectionsAtOnce) {
  std::vector<tcp::socket> sockets;
  for (int i = 0; i < 200; ++i) sockets.push_back(Connect());
  for (int i = 0; i < 200; ++i) Send(sockets[i], "n" + std::to_string(i));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(Receive(sockets[i]), "n" + std::to_string(i));
}

}  // namespace
}  // namespace tarn::net
