// Opening a listening socket, shared by every server: resolve host and port (port 0 picks a
// free one), open, bind, listen. Include only from .cc files: it brings in Asio.
#pragma once

#include <string_view>

#include "base/result.h"
#include "net/asio.h"
#include "net/asio_fwd.h"

namespace tarn::net {

// A listening acceptor on host:port. kInvalidArgument when the host does not resolve;
// kIoError naming the step and address when the system refuses (the port is taken, say).
Result<asio::ip::tcp::acceptor> OpenAcceptor(IoContext& io, std::string_view host, uint16_t port);

}  // namespace tarn::net
