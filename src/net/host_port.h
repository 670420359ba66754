// "HOST:PORT" addresses, as listeners and broker lists take them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"

namespace tarn::net {

// "127.0.0.1:9092", "localhost:0", "[::1]:9092" -> host and port. The host keeps no brackets.
// Port 0 is allowed (bind a free port). InvalidArgument says what is wrong.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view address);

// The reverse: "host:port", with an IPv6 address in brackets ("[::1]:9092").
std::string FormatHostPort(std::string_view host, uint16_t port);

}  // namespace tarn::net
