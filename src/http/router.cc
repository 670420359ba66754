#include "http/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "base/check.h"

namespace tarn::http {
namespace {

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// Runs the handler; an exception stops at this edge and becomes a 500.
Response HandlerFailed(const Request& request, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("http: {} {} failed: {}", request.method, request.path, e.what());
  } catch (...) {
    spdlog::error("http: {} {} failed with a non-standard exception", request.method, request.path);
  }
  return JsonError(500, "internal", "the request handler failed");
}

Response RunHandler(const Handler& handler, const Request& request) {
  try {
    return handler(request);
  } catch (...) {
    return HandlerFailed(request, std::current_exception());
  }
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  TARN_CHECK(handler);
  AddRoute(Route{.method = std::move(method), .pattern = std::move(pattern),
                 .handler = std::move(handler)});
}

void Router::AddAsync(std::string method, std::string pattern, AsyncHandler handler) {
  TARN_CHECK(handler);
  AddRoute(Route{.method = std::move(method), .pattern = std::move(pattern),
                 .async_handler = std::move(handler)});
}

void Router::AddRoute(Route route) {
  TARN_CHECK_MSG(route.pattern.starts_with('/'), route.pattern.c_str());
  for (std::string_view text : SplitPath(route.pattern)) {
    bool is_param = text.starts_with('{');
    if (is_param) {
      TARN_CHECK_MSG(text.size() > 2 && text.ends_with('}'), route.pattern.c_str());
      text = text.substr(1, text.size() - 2);
    } else {
      TARN_CHECK_MSG(text.find_first_of("{}") == std::string_view::npos, route.pattern.c_str());
      ++route.literal_count;
    }
    route.segments.push_back(Segment{std::string(text), is_param});
  }
  for (const Route& other : routes_) {
    TARN_CHECK_MSG(other.method != route.method || other.pattern != route.pattern,
                   route.pattern.c_str());
  }
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, const std::vector<std::string_view>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = route.segments[i];
    if (segment.is_param ? segments[i].empty() : segments[i] != segment.text) return false;
  }
  return true;
}

std::variant<const Router::Route*, Response> Router::Match(Request& request) const {
  const std::vector<std::string_view> segments = SplitPath(request.path);
  const Route* best = nullptr;
  std::vector<std::string_view> allowed;  // methods of routes whose pattern matches, for a 405
  for (const Route& route : routes_) {
    if (!Matches(route, segments)) continue;
    if (route.method != request.method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.push_back(route.method);
      }
    } else if (best == nullptr || route.literal_count > best->literal_count) {
      best = &route;
    }
  }
  if (best == nullptr) {
    if (allowed.empty()) return JsonError(404, "not_found", "no route for " + request.path);
    Response response =
        JsonError(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
    std::string allow;
    for (std::string_view method : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
  }
  request.params.clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (!best->segments[i].is_param) continue;
    Result<std::string> value = PercentDecode(segments[i]);
    if (!value) return StatusResponse(value.error());
    request.params[best->segments[i].text] = std::move(*value);
  }
  return best;
}

Response Router::Dispatch(Request& request) const {
  auto match = Match(request);
  if (auto* response = std::get_if<Response>(&match)) return std::move(*response);
  const Route& route = *std::get<const Route*>(match);
  if (!route.handler) {
    spdlog::error("http: {} {} has an awaitable handler but was dispatched synchronously",
                  request.method, route.pattern);
    return JsonError(500, "internal", "the request handler failed");
  }
  return RunHandler(route.handler, request);
}

Awaitable<Response> Router::DispatchAsync(Request request) const {
  auto match = Match(request);
  if (auto* response = std::get_if<Response>(&match)) co_return std::move(*response);
  const Route& route = *std::get<const Route*>(match);
  if (route.handler) co_return RunHandler(route.handler, request);
  // The handler gets a copy: on an exception this frame still needs the method and path.
  std::exception_ptr error;
  try {
    co_return co_await route.async_handler(request);
  } catch (...) {
    error = std::current_exception();
  }
  co_return HandlerFailed(request, error);
}

}  // namespace tarn::http
