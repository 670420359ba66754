#include "net/frame_server.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <unordered_set>

#include "net/acceptor.h"
#include "net/asio.h"
#include "net/signal.h"

namespace tarn::net {
namespace {

using asio::ip::tcp;

struct Slot {
  bool done = false;
  Result<std::optional<Bytes>> result;
};

// A frame's buffer grows by at most this much ahead of the bytes that have arrived.
constexpr size_t kFrameReadChunk = 256 * 1024;

std::string PeerName(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(IoContext& io, tcp::socket socket, const FrameServerOptions& options, ConnectionInfo info)
      : io_(io), socket_(std::move(socket)), options_(options), info_(std::move(info)), changed_(io) {}

  void Start(std::unique_ptr<FrameHandler> handler) {
    handler_ = std::move(handler);
    auto self = shared_from_this();
    Touch();
    asio::co_spawn(io_, [self]() { return self->ReadLoop(); }, asio::detached);
    asio::co_spawn(io_, [self]() { return self->WriteLoop(); }, asio::detached);
    if (options_.idle_timeout.count() > 0) {
      asio::co_spawn(io_, [self]() { return self->IdleWatch(); }, asio::detached);
    }
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    idle_timer_.cancel();
    changed_.NotifyAll();
  }

  bool closed() const { return closed_; }
  std::function<void()> on_close;

 private:
  Awaitable<void> ReadLoop() {
    auto self = shared_from_this();
    try {
      while (!closed_) {
        uint8_t prefix[4];
        co_await asio::async_read(socket_, asio::buffer(prefix), asio::use_awaitable);
        Touch();
        int32_t size = LoadBigEndian<int32_t>(prefix);
        if (size < 0 || size > options_.max_frame_bytes) {
          spdlog::warn("connection {} from {}: frame of {} bytes exceeds the limit of {}; closing",
                       info_.id, info_.peer, size, options_.max_frame_bytes);
          break;
        }
        Bytes frame = co_await ReadFrameBody(static_cast<size_t>(size));
        while (!closed_ && (queue_.size() >= options_.max_in_flight ||
                            unwritten_bytes_ >= options_.max_unwritten_bytes)) {
          co_await changed_.Wait();
        }
        if (closed_) break;
        auto slot = std::make_shared<Slot>();
        queue_.push_back(slot);
        asio::co_spawn(io_, RunHandler(slot, std::move(frame)), asio::detached);
      }
    } catch (const boost::system::system_error& e) {
      if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted &&
          e.code() != asio::error::connection_reset) {
        spdlog::debug("connection {} from {}: read failed: {}", info_.id, info_.peer, e.what());
      }
    }
    reading_done_ = true;
    changed_.NotifyAll();
  }

  // Reads `size` bytes, growing the buffer only as they arrive.
  Awaitable<Bytes> ReadFrameBody(size_t size) {
    Bytes frame;
    while (frame.size() < size) {
      size_t have = frame.size();
      frame.resize(have + std::min(size - have, std::max(kFrameReadChunk, have)));
      co_await asio::async_read(socket_, asio::buffer(frame.data() + have, frame.size() - have),
                                asio::use_awaitable);
      Touch();
    }
    co_return frame;
  }

  Awaitable<void> RunHandler(std::shared_ptr<Slot> slot, Bytes frame) {
    auto self = shared_from_this();
    try {
      slot->result = co_await handler_->Handle(std::move(frame));
    } catch (const std::exception& e) {
      slot->result = Error(Status::Internal(std::string("request handler failed: ") + e.what()));
    }
    if (slot->result.has_value() && slot->result->has_value()) {
      unwritten_bytes_ += (*slot->result)->size();
    }
    slot->done = true;
    changed_.NotifyAll();
  }

  Awaitable<void> WriteLoop() {
    auto self = shared_from_this();
    std::vector<Bytes> ready;
    std::vector<asio::const_buffer> buffers;
    std::vector<std::array<uint8_t, 4>> prefixes;
    try {
      while (!closed_) {
        // Everything answered at the front of the queue goes out in one write.
        ready.clear();
        bool fail = false;
        while (!queue_.empty() && queue_.front()->done) {
          auto& result = queue_.front()->result;
          if (!result.has_value()) {
            spdlog::info("connection {} from {}: {}; closing", info_.id, info_.peer,
                         result.error().ToString());
            fail = true;
            queue_.pop_front();
            break;
          }
          if (result->has_value()) ready.push_back(std::move(**result));
          queue_.pop_front();
        }
        if (!ready.empty()) {
          changed_.NotifyAll();  // the reader may wait for a free slot
          buffers.clear();
          prefixes.assign(ready.size(), {});
          for (size_t i = 0; i < ready.size(); ++i) {
            StoreBigEndian<int32_t>(prefixes[i].data(), static_cast<int32_t>(ready[i].size()));
            buffers.emplace_back(asio::buffer(prefixes[i]));
            buffers.emplace_back(asio::buffer(ready[i]));
          }
          co_await asio::async_write(socket_, buffers, asio::use_awaitable);
          Touch();
          for (const Bytes& response : ready) unwritten_bytes_ -= response.size();
          changed_.NotifyAll();
        }
        if (fail) break;
        if (ready.empty()) {
          if (reading_done_ && queue_.empty()) break;
          co_await changed_.Wait();
        }
      }
    } catch (const boost::system::system_error& e) {
      spdlog::debug("connection {} from {}: write failed: {}", info_.id, info_.peer, e.what());
    }
    Close();
    if (on_close) on_close();
  }

  // Closes the connection once it has had nothing in flight and no bytes moved for the idle
  // timeout. A request in flight (a long poll, say) is not idleness.
  Awaitable<void> IdleWatch() {
    auto self = shared_from_this();
    while (!closed_) {
      idle_timer_.expires_at(last_activity_ + options_.idle_timeout);
      boost::system::error_code ec;
      co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (closed_) break;
      auto now = std::chrono::steady_clock::now();
      if (queue_.empty() && now - last_activity_ >= options_.idle_timeout) {
        spdlog::info("connection {} from {}: idle for {} ms; closing", info_.id, info_.peer,
                     options_.idle_timeout.count());
        Close();
        break;
      }
      if (!queue_.empty()) Touch();  // busy: look again a whole timeout from now
    }
  }

  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  IoContext& io_;
  tcp::socket socket_;
  const FrameServerOptions options_;
  ConnectionInfo info_;
  std::unique_ptr<FrameHandler> handler_;
  std::deque<std::shared_ptr<Slot>> queue_;
  size_t unwritten_bytes_ = 0;  // responses answered but not yet written to the socket
  std::chrono::steady_clock::time_point last_activity_;
  asio::steady_timer idle_timer_{io_};
  Signal changed_;
  bool reading_done_ = false;
  bool closed_ = false;
};

class FrameServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(IoContext& io, FrameServerOptions options, FrameHandlerFactory factory)
      : io_(io), options_(options), factory_(std::move(factory)), acceptor_(io) {}

  Result<uint16_t> Listen(std::string_view host, uint16_t port) {
    TARN_ASSIGN_OR_RETURN(acceptor_, OpenAcceptor(io_, host, port));
    uint16_t bound = acceptor_.local_endpoint().port();
    auto self = shared_from_this();
    asio::co_spawn(io_, [self]() { return self->AcceptLoop(); }, asio::detached);
    return bound;
  }

  void Stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    auto connections = connections_;
    for (auto& c : connections) c->Close();
  }

  size_t open_connections() const { return connections_.size(); }

 private:
  Awaitable<void> AcceptLoop() {
    auto self = shared_from_this();
    while (acceptor_.is_open()) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
        spdlog::warn("accept failed: {}", ec.message());
        // Out of descriptors and similar: back off briefly instead of spinning.
        asio::steady_timer timer(io_, std::chrono::milliseconds(50));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      ConnectionInfo info{++next_id_, PeerName(socket)};
      auto connection = std::make_shared<Connection>(io_, std::move(socket), options_, info);
      connections_.insert(connection);
      std::weak_ptr<Impl> weak = self;
      Connection* raw = connection.get();
      connection->on_close = [weak, raw] {
        if (auto impl = weak.lock()) {
          std::erase_if(impl->connections_, [raw](const auto& c) { return c.get() == raw; });
        }
      };
      connection->Start(factory_(info));
    }
  }

  IoContext& io_;
  FrameServerOptions options_;
  FrameHandlerFactory factory_;
  tcp::acceptor acceptor_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  uint64_t next_id_ = 0;
};

FrameServer::FrameServer(IoContext& io, FrameServerOptions options, FrameHandlerFactory factory)
    : impl_(std::make_shared<Impl>(io, options, std::move(factory))) {}

FrameServer::~FrameServer() { impl_->Stop(); }

Result<uint16_t> FrameServer::Listen(std::string_view host, uint16_t port) {
  return impl_->Listen(host, port);
}

void FrameServer::Stop() { impl_->Stop(); }

size_t FrameServer::open_connections() const { return impl_->open_connections(); }

}  // namespace tarn::net
