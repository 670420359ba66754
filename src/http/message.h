// HTTP requests and responses as handlers see them: plain values, no Beast types.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "net/asio_fwd.h"

namespace tarn::http {

// Orders header names ignoring ASCII case, as HTTP compares them.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;  // "GET", as sent
  std::string target;  // "/v1/topics/orders?limit=10", as sent
  std::string path;    // "/v1/topics/orders": the target before '?', not decoded
  std::map<std::string, std::string> query;   // decoded; a repeated key keeps its last value
  std::map<std::string, std::string> params;  // decoded `{name}` segments of the route pattern
  Headers headers;                            // a repeated header's values are joined with ", "
  std::string body;
};

// Where a streamed response writes its body (see Response::stream).
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Sends `data` to the client. False once the client has gone, a write has timed out or the
  // server is stopping: the stream should end.
  virtual Awaitable<bool> Write(std::string data) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body{};
  std::vector<std::pair<std::string, std::string>> headers{};  // extra headers, in order
  // A body sent piece by piece (server-sent events): when set, `body` is ignored, the status
  // and headers go out at once, then `stream` writes until it returns, and the connection
  // closes (the body ends with it). It must not outlive what it captures; the app keeps those
  // alive until the io_context is done.
  std::function<Awaitable<void>(BodyWriter&)> stream{};
};

// A JSON error response: {"error":{"code":"<code>","message":"<message>"}}.
Response JsonError(int status, std::string_view code, std::string_view message);

// The one mapping from a Status to an HTTP error response: the status code follows the
// usual gRPC-to-HTTP table (InvalidArgument 400, NotFound 404, AlreadyExists 409,
// ResourceExhausted 429, Unavailable 503, Timeout 504, ...); the error code is the snake_case
// StatusCode name ("not_found"); the message is the Status message.
Response StatusResponse(const Status& status);

// Decodes %XX escapes, and '+' as a space when `plus_is_space` (query strings).
// InvalidArgument on a truncated or non-hex escape.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

// Escapes every byte but the unreserved ones (letters, digits, "-._~") as %XX, so that `text`
// can be one path segment or query value: "a b/c" -> "a%20b%2Fc". PercentDecode reverses it.
std::string PercentEncode(std::string_view text);

// Parses "a=1&b=x%20y&flag" into {a: "1", b: "x y", flag: ""}.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace tarn::http
