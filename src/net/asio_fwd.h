// The Asio types that appear in our headers, without all of Asio: the coroutine type and a
// declaration of io_context. Source files that run coroutines include "net/asio.h".
#pragma once

#include <utility>  // before awaitable.hpp: Boost 1.74 forgets it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tarn {
using IoContext = boost::asio::io_context;
template <typename T>
using Awaitable = boost::asio::awaitable<T, boost::asio::any_io_executor>;
}  // namespace tarn
