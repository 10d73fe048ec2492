#pragma once
// Drains the outbox queue (reflexbot::OutboxQueue, which the store implements): each row with its
// stored transaction id, so a retry or a restart can never post twice; rate limits and outages
// are waited out, nothing is dropped.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/fatal.hpp"
#include "common/outbox_queue.hpp"
#include "matrix/client.hpp"
#include "matrix/e2ee.hpp"
#include "matrix/retry.hpp"

namespace reflexbot::matrix {

/// The fatal error for a token the homeserver no longer accepts.
Fatal token_rejected(const MatrixError& error);

/// Drains the outbox in order.
class Outbox {
 public:
  /// `e2ee` (may be null: no encryption) encrypts the rows of encrypted rooms.
  Outbox(Client& client, OutboxQueue& queue, Sleeper& sleeper, Backoff backoff,
         std::function<std::int64_t()> now_ms, E2ee* e2ee = nullptr);

  /// Sends every pending row; returns when the outbox is empty, the bot stops, or on a fatal error.
  net::asio::awaitable<std::optional<Fatal>> flush();
  /// Runs flush() whenever wake() was called, until stop().
  net::asio::awaitable<std::optional<Fatal>> run(net::asio::io_context& io);
  /// Signals that new rows were committed.
  void wake();
  /// Sends rows of a unit of work that has not committed yet (a reply without waiting for the
  /// disk): each PUT starts at once with the row's transaction id, derived from the event that
  /// caused it, so a replay after a crash before the commit re-sends the same id and the
  /// homeserver answers with the first event. Only when nothing older waits (the drain is idle,
  /// no row committed since it last found the queue empty, no early send in flight), only sends
  /// that are not confidential, and at most one per room (the rest keep their order through the
  /// drain). A send to an encrypted room goes only if its room key needs no sharing first
  /// (E2ee::encrypt_prepared); its ciphertext is made here and not stored. A delivered row is
  /// marked by its transaction id once the answer comes (after the commit); a failed one stays
  /// pending for the drain. Returns how many were started.
  std::size_t send_early(const std::vector<OutboxItem>& items);
  /// Before the next /sync request: if early sends started since the last call, waits until
  /// they are answered (at most `limit`), then, if one of them succeeded, `pause` more (from the
  /// end of the wait). A single-process homeserver
  /// serves the bot's next long-poll on the thread that delivers the reply to the room's
  /// readers; asked at once, it delays that delivery (docs/benchmarks.md, "The next /sync
  /// after a reply"). Nothing is lost by asking later: events that arrive meanwhile come with
  /// the next response.
  net::asio::awaitable<void> settle_early_sends(net::asio::io_context& io,
                                                std::chrono::milliseconds limit,
                                                std::chrono::milliseconds pause);
  void stop();
  /// From now on, with encryption (set once the crypto machine is open, before the first run).
  void enable_encryption(E2ee& e2ee) { e2ee_ = &e2ee; }

 private:
  /// Sends a row; a row of an encrypted room is encrypted first, once: its ciphertext is kept in
  /// `item` for the retries, and stored in the row by flush() when a try fails.
  net::asio::awaitable<MatrixResult<std::string>> deliver(OutboxItem& item);
  /// A media row's file: encrypted (in an encrypted room), uploaded and its URI put into the
  /// event, each step stored as it is done, so that a retry or a restart repeats none that
  /// succeeded (the same URI: one picture, never a second upload once the URI is known).
  net::asio::awaitable<MatrixResult<void>> attach_media(OutboxItem& item);

  Client& client_;
  OutboxQueue& queue_;
  Sleeper& sleeper_;
  Backoff backoff_;
  std::function<std::int64_t()> now_ms_;
  E2ee* e2ee_;
  Wakeup wakeup_;
  Wakeup early_done_;                ///< notified when the last early send is answered
  Wakeup early_settled_;             ///< the same, for settle_early_sends()
  std::size_t in_flight_ = 0;        ///< early sends not yet answered
  bool early_since_settle_ = false;  ///< early sends started since settle_early_sends()
  bool early_landed_ = false;        ///< one of those was answered with success
  bool flushing_ = false;
  bool rows_waiting_ = true;  ///< rows may be pending: committed since a flush found none
  bool stopped_ = false;
};

}  // namespace reflexbot::matrix
