#include "net/frame_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "net/asio.h"

namespace tarn::net {
namespace {

using asio::ip::tcp;

// Echoes each frame. A frame "sleep:N..." answers after N milliseconds, "big:N" answers with N
// bytes, "silent" gets no response, and "fail" closes the connection. Counts the frames handled.
class EchoHandler : public FrameHandler {
 public:
  EchoHandler(IoContext& io, std::atomic<int>& handled) : io_(io), handled_(handled) {}
  Awaitable<Result<std::optional<Bytes>>> Handle(Bytes frame) override {
    ++handled_;
    std::string text(frame.begin(), frame.end());
    if (text.starts_with("big:")) co_return Bytes(std::stoul(text.substr(4)), 'x');
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
  std::atomic<int>& handled_;
};

class FrameServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(Options()); }
  virtual FrameServerOptions Options() {
    FrameServerOptions options;
    options.max_frame_bytes = 2 << 20;
    options.idle_timeout = std::chrono::milliseconds(0);
    return options;
  }
  void StartServer(const FrameServerOptions& options) {
    server_ = std::make_unique<FrameServer>(io_, options, [this](const ConnectionInfo&) {
      return std::make_unique<EchoHandler>(io_, handled_);
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
  std::atomic<int> handled_{0};
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

TEST_F(FrameServerTest, FrameArrivingInPiecesIsHandledWhole) {
  auto s = Connect();
  std::string body(1 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  uint8_t prefix[4];
  StoreBigEndian<int32_t>(prefix, static_cast<int32_t>(body.size()));
  asio::write(s, asio::buffer(prefix));
  for (size_t at = 0; at < body.size(); at += 100'000) {
    asio::write(s, asio::buffer(body.data() + at, std::min<size_t>(100'000, body.size() - at)));
  }
  EXPECT_EQ(Receive(s), body);
}

TEST_F(FrameServerTest, LyingSizePrefixWaitsForTheBytesAndBlocksNoOne) {
  auto liar = Connect();
  uint8_t prefix[4];
  StoreBigEndian<int32_t>(prefix, 2 << 20);  // promises 2 MiB, sends 3 bytes
  asio::write(liar, asio::buffer(prefix));
  asio::write(liar, asio::buffer("abc", 3));
  auto good = Connect();
  Send(good, "unaffected");
  EXPECT_EQ(Receive(good), "unaffected");
}

// A reader that does not take its responses stops being read: the server holds a bounded
// amount for it, and every response still arrives, in order, once the peer reads.
class SlowReaderTest : public FrameServerTest {
  FrameServerOptions Options() override {
    FrameServerOptions options = FrameServerTest::Options();
    options.max_unwritten_bytes = 4 << 20;
    return options;
  }
};

TEST_F(SlowReaderTest, StopsReadingWhileResponsesPileUp) {
  auto s = Connect();
  constexpr int kRequests = 300;
  constexpr size_t kResponseBytes = 1 << 20;
  for (int i = 0; i < kRequests; ++i) Send(s, "big:" + std::to_string(kResponseBytes));
  // Wait (bounded) until the server stops handling: kernel buffers plus the 4 MiB allowance
  // hold a few dozen 1 MiB responses, far below all of them.
  int last = -1;
  for (int i = 0; i < 50 && handled_.load() != last; ++i) {
    last = handled_.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_LT(handled_.load(), 100);
  std::string body;
  for (int i = 0; i < kRequests; ++i) {
    body = Receive(s);
    ASSERT_EQ(body.size(), kResponseBytes) << "response " << i;
  }
  EXPECT_EQ(handled_.load(), kRequests);
}

class IdleTimeoutTest : public FrameServerTest {
  FrameServerOptions Options() override {
    FrameServerOptions options = FrameServerTest::Options();
    options.idle_timeout = std::chrono::milliseconds(300);
    return options;
  }
};

TEST_F(IdleTimeoutTest, ClosesIdleConnectionsButNotBusyOnes) {
  auto idle = Connect();
  auto busy = Connect();
  Send(busy, "sleep:900 long poll");  // in flight for three idle timeouts
  EXPECT_TRUE(ClosedByPeer(idle));
  EXPECT_EQ(Receive(busy), "sleep:900 long poll");
  EXPECT_TRUE(ClosedByPeer(busy));  // and closed once it too has been idle
}

}  // namespace
}  // namespace tarn::net
