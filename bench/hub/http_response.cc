#include "hub/http_response.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace tarn::bench {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr std::string_view kEndOfHead = "\r\n\r\n";

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

bool ContainsIgnoringCase(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(),
                     [](char x, char y) { return Lower(x) == Lower(y); }) != text.end();
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// What the head of a response says about its body.
struct Head {
  int status = 0;
  std::optional<size_t> content_length;
  bool chunked = false;
  bool close = false;
};

Result<Head> ParseHead(std::string_view head) {
  // "HTTP/1.1 200 OK"
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    return Error(
        Status::Corruption("not an HTTP/1.x status line: " + std::string(line.substr(0, 80))));
  }
  Head out;
  auto [end, error] = std::from_chars(line.data() + 9, line.data() + 12, out.status);
  if (error != std::errc() || end != line.data() + 12 || out.status < 100) {
    return Error(Status::Corruption("bad status code in: " + std::string(line.substr(0, 80))));
  }
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t next = rest.find("\r\n");
    std::string_view field = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
    if (field.empty()) continue;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error(Status::Corruption("bad header line: " + std::string(field.substr(0, 80))));
    }
    std::string_view name = field.substr(0, colon);
    std::string_view value = Trim(field.substr(colon + 1));
    if (EqualsIgnoringCase(name, "content-length")) {
      size_t length = 0;
      auto [at, bad] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (bad != std::errc() || at != value.data() + value.size()) {
        return Error(Status::Corruption("bad Content-Length: " + std::string(value)));
      }
      out.content_length = length;
    } else if (EqualsIgnoringCase(name, "transfer-encoding")) {
      out.chunked = ContainsIgnoringCase(value, "chunked");
    } else if (EqualsIgnoringCase(name, "connection")) {
      out.close = ContainsIgnoringCase(value, "close");
    }
  }
  return out;
}

}  // namespace

Result<bool> HttpResponseParser::Feed(std::string_view data) {
  buffer_.append(data);
  while (head_bytes_ == 0) {
    size_t from = scanned_ >= kEndOfHead.size() ? scanned_ - (kEndOfHead.size() - 1) : 0;
    size_t end = buffer_.find(kEndOfHead, from);
    if (end == std::string::npos) {
      scanned_ = buffer_.size();
      if (buffer_.size() > kMaxHeadBytes) {
        return Error(Status::Corruption("response headers over 64 KiB"));
      }
      return false;
    }
    const size_t head_bytes = end + kEndOfHead.size();
    TARN_ASSIGN_OR_RETURN(Head head, ParseHead(std::string_view(buffer_).substr(0, end)));
    if (head.status < 200) {  // 100 Continue and the like: the real response follows
      buffer_.erase(0, head_bytes);
      scanned_ = 0;
      continue;
    }
    if (head.chunked)
      return Error(Status::Unsupported("chunked response bodies are not supported"));
    if (!head.content_length && head.status != 204 && head.status != 304) {
      return Error(Status::Unsupported("a response body without Content-Length"));
    }
    head_bytes_ = head_bytes;
    body_bytes_ = head.content_length.value_or(0);
    status_ = head.status;
    close_ = head.close;
  }
  return buffer_.size() >= head_bytes_ + body_bytes_;
}

HttpResponse HttpResponseParser::Take() {
  HttpResponse out{
      .status = status_, .close = close_, .body = buffer_.substr(head_bytes_, body_bytes_)};
  buffer_.erase(0, head_bytes_ + body_bytes_);
  head_bytes_ = body_bytes_ = 0;
  scanned_ = 0;
  status_ = 0;
  close_ = false;
  return out;
}

int CountEventPositions(std::string_view body) {
  constexpr std::string_view kOffset = "\"offset\":";
  int count = 0;
  for (size_t at = body.find(kOffset); at != std::string_view::npos;
       at = body.find(kOffset, at + kOffset.size())) {
    ++count;
  }
  return count;
}

}  // namespace tarn::bench
