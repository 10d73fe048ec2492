#pragma once
// Expected remote failures as values: what the homeserver (or the network) said.

#include <chrono>
#include <optional>
#include <string>

#include "common/expected.hpp"
#include "net/transport.hpp"

namespace reflexbot::matrix {

/// A failed client-server API call.
struct MatrixError {
  long http_status = 0;  ///< 0 when no HTTP response arrived
  std::string errcode;   ///< M_LIMIT_EXCEEDED, M_UNKNOWN_TOKEN, ... (or R_* for our own)
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;
  std::optional<net::TransportErrorKind> transport;  ///< set when the request never got a response
  std::string auth_session;  ///< a 401 of user-interactive auth: the session to continue

  /// 429 or M_LIMIT_EXCEEDED.
  bool rate_limited() const { return http_status == 429 || errcode == "M_LIMIT_EXCEEDED"; }
  /// The access token is no longer valid.
  bool unknown_token() const { return errcode == "M_UNKNOWN_TOKEN"; }
  /// Worth retrying: network errors, 5xx, rate limits, bodies we could not read, and a message
  /// that could not be encrypted yet (R_CRYPTO: it is never sent in clear instead).
  bool transient() const {
    return transport.has_value() || http_status >= 500 || rate_limited() ||
           errcode == "R_BAD_BODY" || errcode == "R_CRYPTO";
  }
  /// A short description for logs (never contains request headers).
  std::string describe() const;
};

template <typename T>
using MatrixResult = Expected<T, MatrixError>;

}  // namespace reflexbot::matrix
