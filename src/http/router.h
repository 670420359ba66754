// Maps a request's method and path to a handler.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/message.h"
#include "net/asio_fwd.h"

namespace tarn::http {

// A synchronous handler: runs on the server's thread, so it must not block for long.
using Handler = std::function<Response(const Request&)>;

// An awaitable handler, for work that waits without blocking the thread (a write that must
// reach the disk, a long poll). It runs on the server's thread between its suspensions, owns
// its copy of the request, and must not outlive the objects it uses: the app keeps those alive
// until the io_context is done. Its connection waits for it; others are served meanwhile.
using AsyncHandler = std::function<Awaitable<Response>(Request)>;

// A table of routes. Built before serving (not thread-safe to add to while dispatching);
// Dispatch itself is const and may run concurrently.
//
// A pattern is a path whose segments are literal ("/v1/topics") or a `{name}` placeholder that
// matches one non-empty segment ("/v1/topics/{topic}/records"); a matched segment is
// percent-decoded into Request::params. When several patterns match, the one with the most
// literal segments wins, so "/v1/topics/_all" beats "/v1/topics/{topic}".
class Router {
 public:
  // Adds a route. A pattern that does not start with '/', a malformed placeholder, or a method
  // and pattern added twice is a programming error (TARN_CHECK).
  void Add(std::string method, std::string pattern, Handler handler);
  // Adds a route with an awaitable handler, under the same rules.
  void AddAsync(std::string method, std::string pattern, AsyncHandler handler);

  // Finds the route for `request`, fills request.params and runs the handler. Never throws:
  // no matching path is a 404 JSON error, a path known for other methods a 405 (with Allow),
  // a bad escape in a segment a 400, and an exception from the handler a 500 (logged).
  // A route with an awaitable handler is a 500 here: it needs DispatchAsync.
  Response Dispatch(Request& request) const;

  // Dispatch for both kinds of handler: a synchronous one runs at once, an awaitable one is
  // awaited. The same errors, also for an exception thrown while awaiting.
  Awaitable<Response> DispatchAsync(Request request) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the placeholder's name
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments{};
    int literal_count = 0;
    Handler handler{};             // one of these two is set
    AsyncHandler async_handler{};
  };
  void AddRoute(Route route);
  // Whether `route` matches path `segments` (split on '/').
  static bool Matches(const Route& route, const std::vector<std::string_view>& segments);
  // The route for `request`, with request.params filled in, or the error response owed when
  // none fits (404, 405, 400).
  std::variant<const Route*, Response> Match(Request& request) const;

  std::vector<Route> routes_;
};

}  // namespace tarn::http
