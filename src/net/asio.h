// The one way to include Boost.Asio. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, so it comes first. Include this only in .cc files: Asio is heavy.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace tarn {
namespace asio = boost::asio;
}  // namespace tarn
