#pragma once
// Time in the pure domain: always passed in, never read from a clock here.

#include <chrono>

namespace reflexbot::core {

/// Wall-clock time with millisecond precision (stored as milliseconds since the epoch).
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

}  // namespace reflexbot::core
