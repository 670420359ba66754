// The only file of the module that sees Asio and Beast: they stay out of headers because they
// are slow to compile.
#include "http/server.h"

// Asio comes in through net/asio.h, before Beast includes any of it.
// clang-format off
#include "net/acceptor.h"
#include "net/asio.h"
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
// clang-format on

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <exception>
#include <optional>
#include <unordered_set>

namespace tarn::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using BeastRequest = bhttp::request<bhttp::string_body>;

// How long, and for how many bytes, to keep reading and discarding after an error response
// before closing: closing with unread input makes the kernel send a reset, which can destroy
// the response before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 4 * 1024 * 1024;
// How long the accept loop waits after a failed accept (out of descriptors, say).
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// The completion of a detached coroutine: an exception escaping one is a bug, logged here at
// the edge rather than lost; the server keeps serving.
auto LogIfThrew(const char* what) {
  return [what](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("http: {} failed: {}", what, e.what());
    } catch (...) {
      spdlog::error("http: {} failed with a non-standard exception", what);
    }
  };
}

// The response owed for a failed read, or none when the connection just ended (closed by the
// client, timed out, reset, stopped).
std::optional<Response> ReadErrorResponse(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return JsonError(413, "payload_too_large", "the request body is over the size limit");
  }
  if (ec == bhttp::error::header_limit) {
    return JsonError(431, "header_too_large", "the request header is over the size limit");
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
    return std::nullopt;
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return JsonError(400, "bad_request", "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

Result<Request> ToRequest(BeastRequest&& in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  std::string_view target = out.target;
  size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    TARN_ASSIGN_OR_RETURN(out.query, ParseQuery(target.substr(question + 1)));
  }
  for (const auto& field : in) {
    auto [it, inserted] =
        out.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    if (!inserted) {
      it->second += ", ";
      it->second.append(field.value().data(), field.value().size());
    }
  }
  out.body = std::move(in.body());
  return out;
}

// Where a request meets its handler, synchronous or awaitable (the connection waits for the
// latter while others are served).
awaitable<Response> Respond(const Router& router, BeastRequest beast_request) {
  Result<Request> request = ToRequest(std::move(beast_request));
  if (!request) co_return StatusResponse(request.error());
  co_return co_await router.DispatchAsync(std::move(*request));
}

// Whether `text` can go into a header line without ending it early (response splitting).
bool IsHeaderSafe(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The status line and headers of `response` on `out`; an invalid status becomes a 500.
template <typename Body>
void SetHead(Response& response, unsigned version, bhttp::response<Body>& out) {
  if (response.status < 200 || response.status > 599) {
    spdlog::error("http: handler returned status {}; sending 500", response.status);
    response = JsonError(500, "internal", "the handler returned an invalid status");
  }
  out.version(version);
  out.result(static_cast<unsigned>(response.status));
  out.set(bhttp::field::server, "tarn");
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || !IsHeaderSafe(name) || !IsHeaderSafe(value)) {
      spdlog::error("http: dropped a response header holding a line break or NUL");
      continue;
    }
    out.insert(name, value);
  }
}

bhttp::response<bhttp::string_body> ToBeastResponse(Response response, unsigned version,
                                                    bool keep_alive) {
  bhttp::response<bhttp::string_body> out;
  SetHead(response, version, out);
  out.keep_alive(keep_alive);
  if (response.status == 204 || response.status == 304) return out;  // no body, no length
  if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
  out.body() = std::move(response.body);
  out.prepare_payload();
  return out;
}

}  // namespace

// What the server and its coroutines share. Touched on the io_context's thread only, but for
// `stopped`, which Stop may set from any thread.
struct ServerState {
  ServerState(asio::io_context& io, ServerOptions options) : io(io), options(options) {}

  // Closes the acceptor and every connection. On the io_context's thread.
  void CloseAll() {
    beast::error_code ignored;
    if (acceptor) acceptor->close(ignored);
    for (beast::tcp_stream* stream : connections) stream->close();
  }

  asio::io_context& io;
  const ServerOptions options;
  Router router;
  std::optional<tcp::acceptor> acceptor;               // set by Listen
  std::unordered_set<beast::tcp_stream*> connections;  // open ones, for Stop; io thread only
  std::atomic<bool> stopped{false};
};

namespace {

// Closes after an error response: no more sending, then input is read and dropped until the
// client closes, kLingerTime passes or kLingerBytes arrive.
awaitable<void> LingeringClose(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTime);
  std::array<char, 64 * 1024> discard;
  for (size_t total = 0; !ec && total < kLingerBytes;) {
    total +=
        co_await stream.async_read_some(asio::buffer(discard), redirect_error(use_awaitable, ec));
  }
  stream.close();
}

awaitable<beast::error_code> Write(beast::tcp_stream& stream, const ServerOptions& options,
                                   bhttp::response<bhttp::string_body> response) {
  beast::error_code ec;
  stream.expires_after(options.request_timeout);
  co_await bhttp::async_write(stream, response, redirect_error(use_awaitable, ec));
  co_return ec;
}

// Writes a streamed response's pieces as they come, each within the request timeout.
class StreamWriter : public BodyWriter {
 public:
  StreamWriter(beast::tcp_stream& stream, const ServerState& state) : stream_(stream), state_(state) {}

  awaitable<bool> Write(std::string data) override {
    if (failed_ || state_.stopped) co_return false;
    beast::error_code ec;
    stream_.expires_after(state_.options.request_timeout);
    co_await asio::async_write(stream_, asio::buffer(data), redirect_error(use_awaitable, ec));
    if (ec) failed_ = true;
    co_return !failed_ && !state_.stopped;
  }

 private:
  beast::tcp_stream& stream_;
  const ServerState& state_;
  bool failed_ = false;
};

// Sends a streamed response: its head (no length: the body ends when the connection closes),
// then whatever its stream writes; the connection is closed after.
awaitable<void> WriteStream(beast::tcp_stream& stream, const ServerState& state,
                            Response response, unsigned version) {
  bhttp::response<bhttp::empty_body> head;
  SetHead(response, version, head);
  head.keep_alive(false);
  if (!response.content_type.empty()) head.set(bhttp::field::content_type, response.content_type);
  head.set(bhttp::field::cache_control, "no-cache");
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  beast::error_code ec;
  stream.expires_after(state.options.request_timeout);
  co_await bhttp::async_write_header(stream, serializer, redirect_error(use_awaitable, ec));
  if (!ec && !state.stopped && response.stream) {
    StreamWriter writer(stream, state);
    co_await response.stream(writer);
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
}

awaitable<void> ServeConnection(std::shared_ptr<ServerState> state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  if (state->stopped) co_return;
  state->connections.insert(&stream);
  struct Unregister {
    ServerState& state;
    beast::tcp_stream* stream;
    ~Unregister() { state.connections.erase(stream); }
  } unregister{*state, &stream};

  const ServerOptions& options = state->options;
  beast::flat_buffer buffer;
  while (true) {
    beast::error_code ec;
    // The idle timeout runs until the next request's first bytes; a pipelined request may be
    // in the buffer already.
    if (buffer.size() == 0) {
      stream.expires_after(options.idle_timeout);
      size_t n =
          co_await stream.async_read_some(buffer.prepare(4096), redirect_error(use_awaitable, ec));
      if (ec || state->stopped) co_return;
      buffer.commit(n);
    }

    stream.expires_after(options.request_timeout);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    co_await bhttp::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      const BeastRequest& header = parser.get();
      if (header.version() == 11 && beast::iequals(header[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        co_await bhttp::async_write(stream, go_on, redirect_error(use_awaitable, ec));
      }
      if (!ec)
        co_await bhttp::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    }
    if (state->stopped) co_return;
    if (ec) {
      std::optional<Response> error = ReadErrorResponse(ec);
      if (!error) co_return;
      ec = co_await Write(stream, options, ToBeastResponse(std::move(*error), 11, false));
      if (!ec && !state->stopped) co_await LingeringClose(stream);
      co_return;
    }

    BeastRequest request = parser.release();
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    Response response = co_await Respond(state->router, std::move(request));
    if (state->stopped) co_return;
    if (response.stream) {
      co_await WriteStream(stream, *state, std::move(response), version);
      co_return;
    }
    ec = co_await Write(stream, options, ToBeastResponse(std::move(response), version, keep_alive));
    if (ec) co_return;
    if (!keep_alive) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

awaitable<void> AcceptLoop(std::shared_ptr<ServerState> state) {
  while (true) {
    beast::error_code ec;
    tcp::socket socket = co_await state->acceptor->async_accept(redirect_error(use_awaitable, ec));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("http: accept failed: {}", ec.message());
      asio::steady_timer delay(state->io, kAcceptRetryDelay);
      co_await delay.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(state->io, ServeConnection(state, std::move(socket)), LogIfThrew("connection"));
  }
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options)
    : state_(std::make_shared<ServerState>(io, options)) {}

Server::~Server() { Stop(); }

void Server::Route(std::string method, std::string pattern, Handler handler) {
  state_->router.Add(std::move(method), std::move(pattern), std::move(handler));
}

void Server::RouteAsync(std::string method, std::string pattern, AsyncHandler handler) {
  state_->router.AddAsync(std::move(method), std::move(pattern), std::move(handler));
}

Result<uint16_t> Server::Listen(std::string_view host, uint16_t port) {
  ServerState& state = *state_;
  if (state.acceptor || state.stopped) {
    return Error(Status::FailedPrecondition("http server is already listening or stopped"));
  }
  auto opened = net::OpenAcceptor(state.io, host, port);
  if (!opened.has_value()) return Error(opened.error().WithContext("http"));
  tcp::acceptor acceptor = std::move(*opened);
  beast::error_code ec;
  const uint16_t bound_port = acceptor.local_endpoint(ec).port();
  if (ec) return Error(Status::IoError("http: listen: " + ec.message()));

  state.acceptor.emplace(std::move(acceptor));
  asio::co_spawn(state.io, AcceptLoop(state_), LogIfThrew("accept loop"));
  return bound_port;
}

void Server::Stop() {
  if (state_->stopped.exchange(true)) return;
  asio::dispatch(state_->io, [state = state_] { state->CloseAll(); });
}

}  // namespace tarn::http
