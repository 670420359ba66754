// HttpResponseParser: the HTTP/1.1 responses on a client connection, read as bytes arrive.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tarn::bench {

struct HttpResponse {
  int status = 0;
  bool close = false;  // the server said Connection: close
  std::string body;
};

// Collects a connection's bytes and cuts them into responses. Bodies must be sized by
// Content-Length (what Tarn's server sends); 1xx interim responses are skipped; a response to
// HEAD is not supported. Keeps bytes past a response for the next. One connection, one thread.
class HttpResponseParser {
 public:
  // Adds bytes from the connection (none: looks again at what is held). True once a whole
  // response is buffered: Take() it, then Feed({}) for any that follows it. kCorruption for
  // bytes that are not an HTTP/1.x response or a header section over 64 KiB, kUnsupported for
  // a chunked body or one that runs to the end of the connection; after either the connection
  // cannot be read further.
  Result<bool> Feed(std::string_view data);
  // Removes the complete response at the front; only after Feed returned true.
  HttpResponse Take();
  // Bytes held that belong to no complete response yet.
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  size_t scanned_ = 0;     // buffer_ bytes searched for the end of the headers
  size_t head_bytes_ = 0;  // of the complete response at the front, when Scan said true
  size_t body_bytes_ = 0;
  int status_ = 0;
  bool close_ = false;
};

// How many published events a `POST /v1/events` 200 body lists (its "offset" members).
int CountEventPositions(std::string_view body);

}  // namespace tarn::bench
