#include "net/host_port.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tarn::net {
namespace {

bool IsHostnameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view address) {
  const std::string quoted = "\"" + std::string(address) + "\"";
  std::string host;
  std::string_view port_text;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos) {
      return Error(Status::InvalidArgument("missing ']' in " + quoted));
    }
    host = std::string(address.substr(1, close - 1));
    if (host.find(':') == std::string::npos) {
      return Error(Status::InvalidArgument("brackets hold only an IPv6 address, got " + quoted));
    }
    if (address.substr(close + 1, 1) != ":") {
      return Error(Status::InvalidArgument("expected [IPv6]:PORT, got " + quoted));
    }
    port_text = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return Error(Status::InvalidArgument("expected HOST:PORT, got " + quoted));
    }
    host = std::string(address.substr(0, colon));
    if (host.find(':') != std::string::npos) {
      return Error(
          Status::InvalidArgument("an IPv6 address goes in brackets ([::1]:9092), got " + quoted));
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsHostnameChar)) {
      return Error(Status::InvalidArgument("bad host in " + quoted));
    }
    port_text = address.substr(colon + 1);
  }
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    return Error(Status::InvalidArgument("bad port in " + quoted + " (expected 0 to 65535)"));
  }
  return std::pair<std::string, uint16_t>(std::move(host), port);
}

std::string FormatHostPort(std::string_view host, uint16_t port) {
  std::string out = host.find(':') == std::string_view::npos ? std::string(host)
                                                             : "[" + std::string(host) + "]";
  return out + ":" + std::to_string(port);
}

}  // namespace tarn::net
