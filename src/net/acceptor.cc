#include "net/acceptor.h"

#include <string>

namespace tarn::net {

Result<asio::ip::tcp::acceptor> OpenAcceptor(IoContext& io, std::string_view host, uint16_t port) {
  using asio::ip::tcp;
  const std::string address = std::string(host) + ":" + std::to_string(port);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(std::string(host), std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Error(Status::InvalidArgument("cannot resolve " + address + ": " +
                                         (ec ? ec.message() : "no address")));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor acceptor(io);
  auto failed = [&](const char* step) {
    return Error(Status::IoError(std::string(step) + " " + address + ": " + ec.message()));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return failed("open");
  if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) return failed("open");
  if (acceptor.bind(endpoint, ec); ec) return failed("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return failed("listen");
  return acceptor;
}

}  // namespace tarn::net
