#pragma once
// The bot's operational counters, for the optional Prometheus endpoint (app/runtime/metrics.cpp
// renders and serves them). One process-wide set, written from the bot's one io_context thread
// (so plain integers, no atomics), read by the endpoint on the same thread.
//
// Trust: nothing here holds a room id, a user id or a text. Labels are closed sets chosen by us
// (an event kind, an outcome, a command's canonical name), never a value a remote party sends,
// so no one can grow the label space or read a person into it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace reflexbot::metrics {

/// Latency buckets in seconds (upper bounds; +Inf is implied), as the Prometheus clients' defaults
/// extended to one minute: a long-poll /sync or a 100k digest still lands in a bucket.
inline constexpr std::array<double, 13> kSecondsBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0};

struct Histogram {
  std::array<std::uint64_t, kSecondsBuckets.size()> buckets{};  ///< not cumulative
  std::uint64_t count = 0;
  double sum = 0.0;

  void observe(double seconds) {
    for (std::size_t i = 0; i < kSecondsBuckets.size(); ++i) {
      if (seconds <= kSecondsBuckets[i]) {
        ++buckets[i];
        break;
      }
    }
    ++count;
    sum += seconds;
  }
};

/// How one HTTP request to the homeserver ended.
enum class Outcome : std::uint8_t {
  ok,            ///< 2xx
  rate_limited,  ///< 429 or M_LIMIT_EXCEEDED
  client_error,  ///< other 4xx
  server_error,  ///< 5xx
  network,       ///< no HTTP answer (connect, timeout, TLS, a body cut short)
};
inline constexpr std::size_t kOutcomes = 5;

/// Timeline events by what they are (matrix::EventContent's alternatives, plus the malformed).
enum class EventKind : std::uint8_t {
  message,
  reaction,
  redaction,
  member,
  state,      ///< power levels, encryption, name, create
  encrypted,  ///< still encrypted when it reached the bot (its key had not come)
  other,
  malformed,
};
inline constexpr std::size_t kEventKinds = 8;

/// How a command ended.
enum class CommandOutcome : std::uint8_t {
  answered,      ///< handed to its feature
  refused,       ///< not a moderator, or not in this kind of room
  rate_limited,  ///< over the per-person command limit
  unknown,       ///< no such command
};
inline constexpr std::size_t kCommandOutcomes = 4;

/// Everything the endpoint shows that the bot counts as it runs (gauges the store knows, such
/// as the outbox depth, are read when scraped).
struct Registry {
  // /sync
  std::uint64_t syncs = 0;          ///< batches committed
  std::uint64_t sync_failures = 0;  ///< /sync requests that failed (each retry counts)
  Histogram sync_seconds;           ///< from the /sync answer to its batch committed

  // what the batches held (counted when their unit of work commits)
  std::array<std::uint64_t, kEventKinds> events{};
  std::uint64_t duplicates = 0;  ///< events seen before (a replayed batch, a gap overlap)
  std::uint64_t contributions = 0;
  std::map<std::string, std::array<std::uint64_t, kCommandOutcomes>, std::less<>> commands;

  // the homeserver and the outbox
  std::array<std::uint64_t, kOutcomes> requests{};
  std::uint64_t rate_limit_wait_ms = 0;  ///< waited because the homeserver asked us to
  std::uint64_t sends = 0;               ///< outbox rows delivered
  std::uint64_t send_retries = 0;        ///< outbox deliveries tried again after an error
  std::uint64_t sends_failed = 0;        ///< outbox rows given up
  std::uint64_t kept_for_keys = 0;  ///< encrypted events kept because their room key had not come

  // digests
  Histogram digest_seconds;  ///< building one digest (read, group, rank, name)
  std::uint64_t digests = 0;
};

/// The process's registry.
inline Registry& registry() {
  static Registry instance;
  return instance;
}

inline void count_request(Outcome outcome) {
  ++registry().requests[static_cast<std::size_t>(outcome)];
}

}  // namespace reflexbot::metrics
