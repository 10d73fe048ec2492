#pragma once
// The one way to include Boost.Asio: g++ 12 in C++20 mode needs <utility> before Asio's headers.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reflexbot::net {
namespace asio = boost::asio;
}  // namespace reflexbot::net
