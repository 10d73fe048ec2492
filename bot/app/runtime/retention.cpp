#include "app/runtime/retention.hpp"

#include <spdlog/spdlog.h>

namespace reflexbot::app {
namespace {

constexpr auto kDaily = std::chrono::hours(24);
constexpr auto kRetryAfterFailure = std::chrono::hours(1);

}  // namespace

Retention::Retention(store::Store& store, int retention_days, net::asio::io_context& io,
                     std::function<std::int64_t()> now_ms)
    : store_(store),
      policy_(store::retention_policy(retention_days)),
      days_(retention_days),
      scrubber_(store),
      timer_(io),
      now_ms_(std::move(now_ms)) {}

void Retention::start() { arm(std::chrono::steady_clock::duration::zero()); }

void Retention::stop() {
  stopped_ = true;
  timer_.cancel();
}

void Retention::arm(std::chrono::steady_clock::duration delay) {
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    try {
      purge();
      arm(kDaily);
    } catch (const store::StoreError& error) {
      spdlog::error("retention: the purge failed ({}); retrying in an hour", error.what());
      arm(kRetryAfterFailure);
    }
  });
}

store::PurgeCounts Retention::purge() {
  const core::TimePoint now{std::chrono::milliseconds(now_ms_())};
  const store::PurgeCounts purged = store::purge_expired(store_, policy_, now);
  // Counts only: what was deleted is nobody's business, not even the log's.
  spdlog::info(
      "retention ({} days): deleted {} contributions, {} ended rounds, {} quarantined events, {} "
      "delivered messages, {} seen event ids, {} encrypted events that never decrypted; emptied "
      "{} delivered messages",
      days_, purged.contributions, purged.rounds, purged.quarantined, purged.outbox_rows,
      purged.seen_events, purged.undecrypted, purged.outbox_contents);
  scrub();
  return purged;
}

void Retention::after_commit(bool direct_traces) {
  try {
    if (direct_traces && !store::checkpoint_truncate(store_)) {
      spdlog::debug("erasure: a reader kept the WAL from being truncated after a direct chat");
    }
    scrub();
  } catch (const store::StoreError& error) {
    spdlog::error(
        "erasure: wiping erased data from the database files failed ({}); retrying "
        "after the next sync",
        error.what());
  }
}

void Retention::scrub() {
  const store::ScrubResult result = scrubber_.scrub();
  if (!result.ran) return;
  if (result.complete) {
    spdlog::info("erasure: erased data wiped from the database file and its WAL");
  } else {
    spdlog::warn(
        "erasure: a reader (reflexbot status or backup?) kept the WAL from being truncated; "
        "erased data stays in the WAL until the next sync retries");
  }
}

}  // namespace reflexbot::app
