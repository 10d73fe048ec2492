#include "matrix/outbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/metrics.hpp"
#include "matrix/content.hpp"

namespace reflexbot::matrix {

Fatal token_rejected(const MatrixError& error) {
  return Fatal{kExitConfig,
               "the homeserver rejected the access token (" + error.describe() +
                   "); put a valid token into the configured token file or credential, or "
                   "configure a password so the bot can log in again"};
}

Outbox::Outbox(Client& client, OutboxQueue& queue, Sleeper& sleeper, Backoff backoff,
               std::function<std::int64_t()> now_ms, E2ee* e2ee)
    : client_(client),
      queue_(queue),
      sleeper_(sleeper),
      backoff_(std::move(backoff)),
      now_ms_(std::move(now_ms)),
      e2ee_(e2ee) {}

namespace {

const std::string kEncryptedType = "m.room.encrypted";

MatrixError crypto_off() {
  MatrixError off;
  off.errcode = "R_CRYPTO";
  off.message = "the room is encrypted and encryption is not available";
  return off;
}

}  // namespace

net::asio::awaitable<MatrixResult<void>> Outbox::attach_media(OutboxItem& item) {
  auto media = queue_.outbox_media(item.id);
  if (media) {
    // In an encrypted room the homeserver gets only ciphertext. A file uploaded in clear before
    // the room turned encrypted is encrypted and uploaded again.
    if (item.encrypted && media->file_info.empty()) {
      if (e2ee_ == nullptr) co_return Unexpected{crypto_off()};
      auto file = e2ee_->encrypt_attachment(media->bytes);
      if (!file) co_return Unexpected{file.error()};
      queue_.outbox_media_encrypted(item.id, media->bytes, *file);
      media->file_info = std::move(file).value();
      media->content_uri.clear();
    }
    if (media->content_uri.empty()) {
      const bool sealed = !media->file_info.empty();
      // An encrypted file goes up without its type or name: the homeserver learns nothing.
      // Named first: GCC 12 destroys conditional temporaries in a co_await's arguments twice.
      std::string type = sealed ? std::string("application/octet-stream") : media->mimetype;
      std::string name = sealed ? std::string() : media->filename;
      auto uri = co_await client_.upload(media->bytes, std::move(type), std::move(name));
      if (!uri) co_return Unexpected{uri.error()};
      queue_.outbox_media_uploaded(item.id, *uri);
      media->content_uri = std::move(uri).value();
    }
    item.content = with_media(item.content, media->content_uri, media->file_info);
    queue_.outbox_media_attached(item.id, item.content);
  }
  item.media = false;
  co_return MatrixResult<void>{};
}

net::asio::awaitable<MatrixResult<std::string>> Outbox::deliver(OutboxItem& item) {
  switch (item.kind) {
    case OutboxKind::send:
      if (item.media) {
        auto attached = co_await attach_media(item);
        if (!attached) co_return Unexpected{attached.error()};
      }
      if (item.encrypted && item.event_type != kEncryptedType) {
        // Never in clear into an encrypted room: without encryption the row waits.
        if (e2ee_ == nullptr) co_return Unexpected{crypto_off()};
        // The ciphertext replaces the row's content in memory; the store gets it only if this
        // try fails (flush), so a send that succeeds at once costs no commit of its own.
        auto sealed = co_await e2ee_->encrypt(item.room_id, item.event_type, item.content);
        if (!sealed) co_return Unexpected{sealed.error()};
        item.event_type = kEncryptedType;
        item.content = std::move(sealed).value();
      }
      co_return co_await client_.send(item.room_id, item.event_type, item.txn_id, item.content);
    case OutboxKind::join: {
      auto joined = co_await client_.join(item.room_id);
      if (!joined) co_return Unexpected{joined.error()};
      co_return std::string{};
    }
    case OutboxKind::leave: {
      auto left = co_await client_.leave(item.room_id);
      if (!left) co_return Unexpected{left.error()};
      co_return std::string{};
    }
  }
  co_return std::string{};
}

std::size_t Outbox::send_early(const std::vector<OutboxItem>& items) {
  if (stopped_ || flushing_ || rows_waiting_ || in_flight_ > 0) return 0;
  std::vector<const std::string*> rooms;
  std::size_t started = 0;
  for (const auto& item : items) {
    if (item.kind != OutboxKind::send || item.confidential) continue;
    if (std::find_if(rooms.begin(), rooms.end(), [&](const std::string* room) {
          return *room == item.room_id;
        }) != rooms.end()) {
      continue;
    }
    // The first row of a room decides: if it cannot go now, none of the room's rows passes it.
    rooms.push_back(&item.room_id);
    std::string type = item.event_type;
    std::string content = item.content;
    if (item.encrypted && item.event_type != kEncryptedType) {
      // Encrypted now only if the room key went to the members' devices already and nothing
      // changed since (sharing it would need requests of its own). The ciphertext is not
      // stored: if this send fails, the drain encrypts the row again (the same transaction id).
      if (e2ee_ == nullptr) continue;
      auto sealed = e2ee_->encrypt_prepared(item.room_id, item.event_type, item.content);
      if (!sealed) continue;
      type = kEncryptedType;
      content = std::move(*sealed);
    }
    ++in_flight_;
    ++started;
    if (!early_since_settle_) early_landed_ = false;
    early_since_settle_ = true;
    client_.start_send(item.room_id, type, item.txn_id, std::move(content),
                       [this, txn_id = item.txn_id, room_id = item.room_id,
                        ack_of = item.ack_of](MatrixResult<std::string> result) {
                         if (result) {
                           if (ack_of.empty()) {
                             queue_.outbox_sent_txn(txn_id, *result, now_ms_());
                           } else {
                             queue_.outbox_ack_done(room_id, ack_of);
                           }
                           ++metrics::registry().sends;
                           early_landed_ = true;
                         } else {
                           // The drain sends it again with the same transaction id (and waits out a
                           // 429).
                           spdlog::debug("an early send failed ({}); the outbox retries it",
                                         result.error().describe());
                         }
                         if (--in_flight_ == 0) {
                           early_done_.notify();
                           early_settled_.notify();
                         }
                       });
  }
  return started;
}

net::asio::awaitable<std::optional<Fatal>> Outbox::flush() {
  flushing_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{flushing_};
  while (!stopped_) {
    auto items = queue_.pending_outbox(64);
    if (items.empty()) {
      rows_waiting_ = false;
      co_return std::nullopt;
    }
    for (auto& item : items) {
      for (;;) {
        const bool clear = item.encrypted && item.event_type != kEncryptedType;
        auto result = co_await deliver(item);
        if (result) {
          if (item.ack_of.empty()) {
            queue_.outbox_sent(item.id, *result, now_ms_());
          } else {
            queue_.outbox_ack_done(item.room_id, item.ack_of);
          }
          ++metrics::registry().sends;
          backoff_.reset();
          // An anonymous post or a direct chat's row: no id, room or time pairs in the log.
          if (!item.confidential) {
            spdlog::debug("outbox {} delivered to {} {}", item.id, item.room_id, *result);
          }
          break;
        }
        const MatrixError& error = result.error();
        if (error.unknown_token()) co_return token_rejected(error);
        auto delay = retry_delay(error, backoff_);
        if (!delay) {
          // Permanent (e.g. M_FORBIDDEN after a kick): give the row up so later ones go out.
          if (item.confidential) {
            spdlog::error("a confidential outbox row failed permanently: {}", error.describe());
          } else {
            spdlog::error("outbox {} to {} failed permanently: {}", item.id, item.room_id,
                          error.describe());
          }
          if (item.ack_of.empty()) {
            queue_.outbox_failed(item.id, error.describe(), true);
          } else {
            queue_.outbox_ack_done(item.room_id, item.ack_of);
          }
          ++metrics::registry().sends_failed;
          break;
        }
        if (error.rate_limited()) {
          spdlog::warn("rate limited ({}) sending to {}, retrying in {} ms",
                       error.errcode.empty() ? "HTTP 429" : error.errcode,
                       item.confidential ? "a confidential room" : item.room_id, delay->count());
        } else {
          spdlog::warn("sending to {} failed ({}), retrying in {} ms",
                       item.confidential ? "a confidential room" : item.room_id, error.describe(),
                       delay->count());
        }
        // Encrypted by this try: the retry, or the next start, sends this ciphertext again with
        // the same transaction id (not a new one under a later Megolm index).
        // A ✅ owed by a contribution has no row to record either in: this loop keeps its
        // ciphertext, a restart encrypts it again (the same transaction id, as an early send).
        if (item.ack_of.empty()) {
          if (clear && item.event_type == kEncryptedType) {
            queue_.outbox_encrypted(item.id, item.event_type, item.content);
          }
          queue_.outbox_failed(item.id, error.describe(), false);
        }
        ++metrics::registry().send_retries;
        if (!co_await sleeper_.sleep(*delay)) co_return std::nullopt;
      }
      if (stopped_) co_return std::nullopt;
      // After a leave, look again: replies queued meanwhile go before the remaining leaves.
      if (item.kind == OutboxKind::leave) break;
    }
  }
  co_return std::nullopt;
}

net::asio::awaitable<std::optional<Fatal>> Outbox::run(net::asio::io_context& io) {
  while (!stopped_) {
    co_await wakeup_.wait(io);
    if (stopped_) break;
    // Early sends first: their rows are marked by their answers, and later rows of their rooms
    // must not pass them.
    while (in_flight_ > 0 && !stopped_) co_await early_done_.wait(io);
    if (stopped_) break;
    if (auto fatal = co_await flush()) co_return fatal;
  }
  co_return std::nullopt;
}

void Outbox::wake() {
  rows_waiting_ = true;
  wakeup_.notify();
}

net::asio::awaitable<void> Outbox::settle_early_sends(net::asio::io_context& io,
                                                      std::chrono::milliseconds limit,
                                                      std::chrono::milliseconds pause) {
  if (!early_since_settle_) co_return;
  early_since_settle_ = false;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (in_flight_ > 0 && !stopped_) {
    if (!co_await early_settled_.wait_until(io, deadline)) co_return;  // no answer yet: sync on
  }
  if (stopped_ || !early_landed_) co_return;  // failed: nothing for the homeserver to deliver
  co_await sleeper_.sleep(pause);
}

void Outbox::stop() {
  stopped_ = true;
  wakeup_.stop();
  early_done_.stop();
  early_settled_.stop();
}

}  // namespace reflexbot::matrix
