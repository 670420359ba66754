// A blocking HTTP/1.1 client for the command line: one request per connection, plain values in
// and out (Beast stays in client.cc, as in server.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/message.h"

namespace tarn::http {

// Where a request goes.
struct Url {
  std::string host;          // no brackets around an IPv6 address
  uint16_t port = 80;
  std::string target = "/";  // path and query, as sent on the request line
};

// "http://host:port/path?query", "http://host/path" (port 80), "host:port" and "host:port/path"
// (http assumed); an IPv6 host in brackets ("[::1]:8080"). InvalidArgument says what is wrong:
// another scheme (https is not supported), a bad host or port, port 0, a fragment.
Result<Url> ParseUrl(std::string_view text);

struct ClientRequest {
  std::string method = "GET";
  // A URL or "host:port" (see ParseUrl).
  std::string url;
  // Appended to the URL's path when not empty: url "host:8080/api" and target "/v1/x?y=1" send
  // "/api/v1/x?y=1". Path segments taken from user input must be PercentEncode()d.
  std::string target;
  // Sent as given; Host, Content-Length and Connection: close are added. A body without a
  // Content-Type header is sent as application/json.
  Headers headers;
  std::string body;
  // For the whole exchange: connect, send, and read the response to its end.
  std::chrono::milliseconds timeout{10000};
  // A longer response body fails with ResourceExhausted.
  size_t max_response_bytes = 64 * 1024 * 1024;
};

struct ClientResponse {
  int status = 0;
  Headers headers;  // a repeated header's values are joined with ", "
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
};

// Sends `request` on a new connection and returns the server's response, whatever its status
// (a 404 is a response, not an error). Blocks until the response has been read or the timeout
// has passed. Errors: InvalidArgument for a bad URL; Unavailable when the address does not
// resolve, the connection is refused or closes before a whole response ("cannot connect to
// 127.0.0.1:8080: Connection refused"); Timeout naming the address and the time allowed;
// Corruption for a response that is not HTTP; ResourceExhausted over max_response_bytes.
// Name resolution uses the system resolver and is not cut short by the timeout.
Result<ClientResponse> Send(const ClientRequest& request);

}  // namespace tarn::http
