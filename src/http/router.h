// Maps a request's method and path to a handler.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace tarn::http {

// A synchronous handler: runs on the server's thread, so it must not block for long.
using Handler = std::function<Response(const Request&)>;

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

  // Finds the route for `request`, fills request.params and runs the handler. Never throws:
  // no matching path is a 404 JSON error, a path known for other methods a 405 (with Allow),
  // a bad escape in a segment a 400, and an exception from the handler a 500 (logged).
  Response Dispatch(Request& request) const;

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
    Handler handler{};
  };
  // Whether `route` matches path `segments` (split on '/').
  static bool Matches(const Route& route, const std::vector<std::string_view>& segments);

  std::vector<Route> routes_;
};

}  // namespace tarn::http
