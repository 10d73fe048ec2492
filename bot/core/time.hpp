#pragma once
// Time in the pure domain: always passed in, never read from a clock here.

#include <chrono>
#include <cstdint>

namespace reflexbot::core {

/// Wall-clock time with millisecond precision (stored as milliseconds since the epoch).
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Milliseconds since the epoch, as the store and the Matrix API write time.
constexpr std::int64_t to_ms(TimePoint time) { return time.time_since_epoch().count(); }
constexpr TimePoint from_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace reflexbot::core
