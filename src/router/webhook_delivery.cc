#include "router/webhook_delivery.h"

// clang-format off
#include "net/asio.h"
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
// clang-format on

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/check.h"
#include "net/host_port.h"

namespace tarn::router {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

constexpr size_t kMaxResponseBytes = 1 << 20;
constexpr size_t kBodyExcerptBytes = 200;

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

struct WebhookDelivery::PauseTimer {
  explicit PauseTimer(IoContext& io) : timer(io) {}
  asio::steady_timer timer;
};

struct WebhookDelivery::Connection {
  explicit Connection(IoContext& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool open = false;
};

WebhookDelivery::WebhookDelivery(IoContext& io, WebhookTarget target)
    : io_(io),
      target_(std::move(target)),
      pause_(std::make_unique<PauseTimer>(io)),
      random_(std::random_device()()) {
  // rule.cc has checked the URL with the same parser.
  Result<http::Url> url = http::ParseUrl(target_.url);
  TARN_CHECK(url.has_value());
  url_ = std::move(*url);
}

WebhookDelivery::~WebhookDelivery() = default;

void WebhookDelivery::Cancel() {
  cancelled_ = true;
  pause_->timer.cancel();
  if (connection_) connection_->stream.close();
}

Awaitable<Result<std::pair<int, std::string>>> WebhookDelivery::Post(std::string body) {
  using Answer = std::pair<int, std::string>;
  beast::error_code ec;
  const auto timeout = std::chrono::milliseconds(target_.timeout_ms);
  for (int attempt = 0; attempt < 2; ++attempt) {  // a kept-alive connection may have gone stale
    const bool reused = connection_ && connection_->open;
    if (!reused) {
      connection_ = std::make_unique<Connection>(io_);
      tcp::resolver resolver(io_);
      auto endpoints = co_await resolver.async_resolve(url_.host, std::to_string(url_.port), redirect_error(use_awaitable, ec));
      if (ec) co_return Error(Status::Unavailable(fmt::format("resolving {}: {}", url_.host, ec.message())));
      connection_->stream.expires_after(timeout);
      co_await connection_->stream.async_connect(endpoints, redirect_error(use_awaitable, ec));
      if (ec) {
        co_return Error(Status::Unavailable(fmt::format("connecting to {}: {}", net::FormatHostPort(url_.host, url_.port), ec.message())));
      }
      connection_->open = true;
    }
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, url_.target, 11};
    request.set(bhttp::field::host, net::FormatHostPort(url_.host, url_.port));
    request.set(bhttp::field::user_agent, "tarn-router");
    request.set(bhttp::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    connection_->stream.expires_after(timeout);
    co_await bhttp::async_write(connection_->stream, request, redirect_error(use_awaitable, ec));
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    if (!ec) {
      co_await bhttp::async_read(connection_->stream, connection_->buffer, parser,
                                 redirect_error(use_awaitable, ec));
    }
    if (ec) {
      connection_->stream.close();
      connection_->open = false;
      if (reused && !cancelled_ && ec != beast::error::timeout) continue;  // try a fresh connection
      co_return Error(ec == beast::error::timeout
                          ? Status::Timeout(fmt::format("{} did not answer within {} ms", target_.url, target_.timeout_ms))
                          : Status::Unavailable(fmt::format("{}: {}", target_.url, ec.message())));
    }
    auto response = parser.release();
    if (!response.keep_alive()) {
      connection_->stream.close();
      connection_->open = false;
    }
    co_return Answer{static_cast<int>(response.result_int()), std::move(response.body())};
  }
  co_return Error(Status::Unavailable(target_.url + ": the connection closed"));
}

Awaitable<Result<DeliveryReport>> WebhookDelivery::Deliver(std::vector<RoutedEvent> events) {
  DeliveryReport report;
  const size_t batch_size = static_cast<size_t>(target_.batch_size);
  for (size_t start = 0; start < events.size(); start += batch_size) {
    const size_t end = std::min(events.size(), start + batch_size);
    std::string body = "[";
    for (size_t i = start; i < end; ++i) {
      if (i > start) body += ',';
      body += *events[i].record->value;
    }
    body += ']';

    const auto first_attempt = std::chrono::steady_clock::now();
    for (int attempt = 0;; ++attempt) {
      if (cancelled_) co_return Error(Status::Unavailable("the router is stopping"));
      Result<std::pair<int, std::string>> answer = co_await Post(body);
      std::string why;
      if (answer && answer->first >= 200 && answer->first < 300) break;
      if (answer && !Retryable(answer->first)) {
        std::string excerpt = answer->second.substr(0, kBodyExcerptBytes);
        for (size_t i = start; i < end; ++i) {
          report.failures.push_back({i, "WebhookRejected",
                                     fmt::format("{} answered {}: {}", target_.url, answer->first, excerpt)});
        }
        break;
      }
      why = answer ? fmt::format("{} answered {}", target_.url, answer->first) : answer.error().message();
      // Exponential backoff with jitter (a random pause between half and all of it); give up
      // once the next try would come after max age.
      const int64_t cap = std::min<int64_t>(
          target_.max_backoff_ms, target_.initial_backoff_ms << std::min(attempt, 30));
      const auto pause = std::chrono::milliseconds(
          std::uniform_int_distribution<int64_t>(cap / 2, cap)(random_));
      const auto age = std::chrono::steady_clock::now() - first_attempt + pause;
      if (age > std::chrono::milliseconds(target_.max_age_ms)) {
        for (size_t i = start; i < end; ++i) {
          report.failures.push_back(
              {i, "WebhookUnavailable",
               fmt::format("gave up after {} attempts over {} ms: {}", attempt + 1,
                           std::chrono::duration_cast<std::chrono::milliseconds>(age - pause).count(), why)});
        }
        break;
      }
      ++report.retries;
      beast::error_code ignored;
      pause_->timer.expires_after(pause);
      co_await pause_->timer.async_wait(redirect_error(use_awaitable, ignored));
    }
  }
  co_return report;
}

}  // namespace tarn::router
