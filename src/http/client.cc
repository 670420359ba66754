// Beast and Asio stay in this file, as in server.cc.
#include "http/client.h"

// Asio comes in through net/asio.h, before Beast includes any of it.
// clang-format off
#include "net/asio.h"
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
// clang-format on

#include <cctype>
#include <exception>
#include <optional>

#include "net/asio_fwd.h"
#include "net/host_port.h"
#include "net/run_to_completion.h"

namespace tarn::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

Status BadUrl(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("bad URL \"" + std::string(text) + "\": " + std::string(why));
}

// The URL's path and the request's target as one: "/api" + "/v1/x" -> "/api/v1/x".
std::string JoinTarget(std::string_view base, std::string_view target) {
  if (target.empty()) return std::string(base);
  if (base.ends_with('/')) base.remove_suffix(1);
  if (!target.starts_with('/')) return std::string(base) + "/" + std::string(target);
  return std::string(base) + std::string(target);
}

// One exchange on one connection. The objects it uses belong to Send, which outlives every
// handler; `timed_out` is set by Send's deadline timer, which closes the socket.
struct Exchange {
  tcp::resolver& resolver;
  tcp::socket& socket;
  const bool& timed_out;
  const ClientRequest& request;
  const Url& url;
  std::string address;  // "host:port", for messages

  // The Status for a failed step: a time-out when the deadline closed the socket, else what
  // the step's error says.
  Status Failed(std::string_view step, const ErrorCode& ec) const {
    if (timed_out) {
      return Status::Timeout("no response from " + address + " within " +
                             std::to_string(request.timeout.count()) + " ms (" +
                             std::string(step) + ")");
    }
    if (ec == bhttp::error::body_limit) {
      return Status::ResourceExhausted("the response from " + address + " is over " +
                                       std::to_string(request.max_response_bytes) + " bytes");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return Status::Unavailable(address + " closed the connection before a whole response");
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
      return Status::Corruption("malformed HTTP response from " + address + ": " + ec.message());
    }
    return Status::Unavailable("cannot " + std::string(step) + " " + address + ": " +
                               ec.message());
  }

  bhttp::request<bhttp::string_body> BeastRequest() const {
    bhttp::request<bhttp::string_body> out;
    out.version(11);
    out.method_string(request.method);
    out.target(JoinTarget(url.target, request.target));
    out.set(bhttp::field::host, address);
    for (const auto& [name, value] : request.headers) out.set(name, value);
    if (!request.body.empty() && request.headers.find("Content-Type") == request.headers.end()) {
      out.set(bhttp::field::content_type, "application/json");
    }
    out.keep_alive(false);
    out.body() = request.body;
    out.prepare_payload();
    return out;
  }

  Awaitable<Result<ClientResponse>> Run() const {
    ErrorCode ec;
    auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                     redirect_error(use_awaitable, ec));
    if (ec) {
      if (timed_out) co_return Error(Failed("resolve", ec));
      co_return Error(Status::Unavailable("cannot resolve \"" + url.host + "\": " + ec.message()));
    }
    co_await asio::async_connect(socket, endpoints, redirect_error(use_awaitable, ec));
    if (ec) co_return Error(Failed("connect to", ec));

    bhttp::request<bhttp::string_body> out = BeastRequest();
    co_await bhttp::async_write(socket, out, redirect_error(use_awaitable, ec));
    // A server that answers early (413) may close before reading everything: read anyway.
    const bool write_failed = static_cast<bool>(ec);

    beast::flat_buffer buffer;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    do {  // interim 1xx responses are skipped
      parser.emplace();
      parser->body_limit(request.max_response_bytes);
      if (request.method == "HEAD") parser->skip(true);
      co_await bhttp::async_read(socket, buffer, *parser, redirect_error(use_awaitable, ec));
      if (ec) co_return Error(Failed(write_failed ? "send to" : "read the response from", ec));
    } while (parser->get().result_int() / 100 == 1);

    bhttp::response<bhttp::string_body> in = parser->release();
    if (in.body().size() > request.max_response_bytes) {
      co_return Error(Failed("read the response from", bhttp::error::body_limit));
    }
    ClientResponse response;
    response.status = static_cast<int>(in.result_int());
    for (const auto& field : in) {
      auto [it, inserted] =
          response.headers.emplace(std::string(field.name_string()), std::string(field.value()));
      if (!inserted) {
        it->second += ", ";
        it->second.append(field.value().data(), field.value().size());
      }
    }
    response.body = std::move(in.body());
    co_return response;
  }
};

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  std::string_view rest = text;
  if (size_t scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    std::string scheme(rest.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http") return Error(BadUrl(text, "only http:// is supported"));
    rest.remove_prefix(scheme_end + 3);
  }
  if (rest.find('#') != std::string_view::npos) return Error(BadUrl(text, "a fragment ('#')"));
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  Url url;
  if (path_start != std::string_view::npos) {
    url.target = std::string(rest.substr(path_start));
    if (url.target.front() == '?') url.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return Error(BadUrl(text, "user information ('@') is not supported"));
  }
  if (authority.empty()) return Error(BadUrl(text, "no host"));
  // A port is there when a ':' follows the host (after the brackets of an IPv6 address).
  // Without one, the default port is added so that the host gets the same checks.
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  Result<std::pair<std::string, uint16_t>> host_port =
      net::ParseHostPort(has_port ? std::string(authority) : std::string(authority) + ":80");
  if (!host_port.has_value()) return Error(BadUrl(text, host_port.error().message()));
  if (host_port->second == 0) return Error(BadUrl(text, "port 0"));
  url.host = std::move(host_port->first);
  url.port = host_port->second;
  return url;
}

Result<ClientResponse> Send(const ClientRequest& request) {
  TARN_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
  IoContext io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);
  asio::steady_timer deadline(io, request.timeout);
  bool timed_out = false;
  deadline.async_wait([&](const ErrorCode& ec) {
    if (ec) return;  // cancelled: the exchange finished first
    timed_out = true;
    resolver.cancel();
    ErrorCode ignored;
    socket.close(ignored);
  });
  Exchange exchange{.resolver = resolver,
                    .socket = socket,
                    .timed_out = timed_out,
                    .request = request,
                    .url = url,
                    .address = net::FormatHostPort(url.host, url.port)};
  try {
    Result<ClientResponse> response = net::RunToCompletion(io, exchange.Run());
    deadline.cancel();
    return response;
  } catch (const std::exception& e) {  // Beast's and Asio's, at their edge
    return Error(Status::Internal("HTTP request to " + exchange.address + " failed: " + e.what()));
  }
}

}  // namespace tarn::http
