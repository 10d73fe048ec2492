#include "matrix/sync_loop.hpp"

#include <algorithm>
#include <unordered_set>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/metrics.hpp"

namespace reflexbot::matrix {

std::string sync_filter_json(int timeline_limit) {
  const nlohmann::json types = {"m.room.message", "m.reaction", "m.room.redaction", "m.room.member",
                                "m.room.name", "m.room.create", "m.room.power_levels",
                                "m.room.encryption", "m.room.encrypted",
                                // Answers to the bot's polls (stable and as Element sends them).
                                "m.poll.response", "org.matrix.msc3381.poll.response", "m.poll.end",
                                "org.matrix.msc3381.poll.end"};
  const nlohmann::json filter = {{"presence", {{"not_types", {"*"}}}},
                                 {"account_data", {{"not_types", {"*"}}}},
                                 {"room",
                                  {{"timeline", {{"limit", timeline_limit}, {"types", types}}},
                                   {"state", {{"lazy_load_members", true}, {"types", types}}},
                                   {"ephemeral", {{"not_types", {"*"}}}},
                                   {"account_data", {{"not_types", {"*"}}}}}}};
  return filter.dump();
}

SyncLoop::SyncLoop(Client& client, SyncSink& sink, Sleeper& sleeper, Backoff backoff,
                   SyncOptions options, std::function<void()> after_commit, E2ee* e2ee)
    : client_(client),
      sink_(sink),
      sleeper_(sleeper),
      backoff_(std::move(backoff)),
      options_(options),
      after_commit_(std::move(after_commit)),
      e2ee_(e2ee) {}

net::asio::awaitable<std::optional<Fatal>> SyncLoop::prepare() {
  while (!stopped_) {
    auto id = co_await client_.upload_filter(sync_filter_json(options_.timeline_limit));
    if (id) {
      filter_id_ = *id;
      backoff_.reset();
      co_return std::nullopt;
    }
    if (id.error().unknown_token()) co_return token_rejected(id.error());
    // A filter the server refuses is a bug of ours, but syncing on must not spin: back off.
    auto delay = retry_or_backoff(id.error(), backoff_);
    spdlog::warn("uploading the sync filter failed ({}), retrying in {} ms", id.error().describe(),
                 delay.count());
    if (!co_await wait_before_retry(id.error(), delay)) co_return std::nullopt;
  }
  co_return std::nullopt;
}

net::asio::awaitable<bool> SyncLoop::wait_before_retry(MatrixError error,
                                                       std::chrono::milliseconds delay) {
  const std::chrono::milliseconds interval(options_.probe_interval_ms);
  // A rate limit says how long to wait, and an unreadable body comes from a server that answers:
  // only an error that may mean the homeserver is away is worth probing for.
  const bool maybe_away =
      !error.rate_limited() && (error.transport.has_value() || error.http_status >= 500);
  if (!maybe_away || interval.count() <= 0 || delay <= interval) {
    co_return co_await sleeper_.sleep(delay);
  }
  // "Back" needs proof that it was away: a connection that could not be made, or a failed probe.
  // A homeserver that answers the first probe had its own trouble (a 500, a timeout, a body too
  // large): for that the backoff runs in full, or every retry would come 2 s after the last.
  bool was_away = error.transport == net::TransportErrorKind::connect;
  const std::chrono::milliseconds timeout(std::max(1, options_.probe_timeout_ms));
  auto remaining = delay;
  int probes = 0;
  while (remaining > interval) {
    if (!co_await sleeper_.sleep(interval)) co_return false;
    remaining -= interval;
    if (stopped_) co_return false;
    auto answered = co_await client_.versions(timeout);
    ++probes;
    if (answered) {
      if (was_away) {
        spdlog::info("the homeserver answers again (probe {} of /versions); retrying now", probes);
        co_return true;
      }
      break;
    }
    was_away = true;
  }
  co_return co_await sleeper_.sleep(remaining);
}

namespace {

// Hands an event to the sink; an encrypted one as the event it carries, or kept for later.
// Without a machine, `met_encryption` notes events that say a room is encrypted.
// The bot's own encrypted events (the echo of every reply and ✅) go on as they are, unread: the
// sink never acts on them and keeps nothing of their content, and each decryption costs the
// machine a few milliseconds of store reads.
void deliver_event(SyncSink& sink, E2ee* e2ee, const Event& event, bool* met_encryption,
                   const std::string& own_user_id) {
  if (e2ee == nullptr || !std::holds_alternative<Encrypted>(event.content) ||
      event.sender == own_user_id) {
    if (e2ee == nullptr && met_encryption != nullptr &&
        (std::holds_alternative<Encrypted>(event.content) ||
         std::holds_alternative<Encryption>(event.content)))
      *met_encryption = true;
    sink.timeline_event(event);
    return;
  }
  auto decrypted = e2ee->decrypt(event);
  if (decrypted) {
    sink.timeline_event(*decrypted);
  } else if (decrypted.error().retry) {
    sink.undecryptable(event, decrypted.error());
  } else {
    // Never readable (redacted, malformed, not for us): seen, and nothing else. No ids: this
    // may be a direct chat.
    spdlog::warn("an encrypted event cannot be decrypted: {}", decrypted.error().reason);
    sink.timeline_event(event);
  }
}

}  // namespace

Expected<void, ParseError> ingest(SyncSink& sink, std::string& body, const SyncBatch& outline,
                                  const GapEvents& gaps, const std::string& own_user_id,
                                  bool initial, const std::vector<MalformedEvent>& gap_malformed,
                                  E2ee* e2ee, bool* met_encryption) {
  sink.begin(outline, initial);
  std::unordered_set<std::string> visited;
  auto emit_gap = [&](const std::string& room_id) {
    visited.insert(room_id);
    sink.room_timeline(room_id);
    auto it = gaps.find(room_id);
    if (it == gaps.end()) return;
    for (const auto& event : it->second) {
      deliver_event(sink, e2ee, event, met_encryption, own_user_id);
    }
  };
  auto malformed = stream_sync_timelines(body, own_user_id, emit_gap, [&](Event& event) {
    deliver_event(sink, e2ee, event, met_encryption, own_user_id);
  });
  if (!malformed) {
    sink.abort();
    return Unexpected(std::move(malformed.error()));
  }
  // A limited room whose synced timeline was empty still gets its missed events.
  for (const auto& [room_id, events] : gaps) {
    if (!visited.contains(room_id)) emit_gap(room_id);
  }
  for (const auto& bad : outline.malformed) sink.malformed(bad);
  for (const auto& bad : gap_malformed) sink.malformed(bad);
  for (const auto& bad : *malformed) sink.malformed(bad);
  sink.commit(outline.next_batch);
  return {};
}

bool outline_needs_encryption(const SyncBatch& outline) {
  if (outline.encryption.has_to_device_events()) return true;
  for (const auto& invite : outline.invites) {
    if (invite.encrypted) return true;
  }
  for (const auto& room : outline.joined) {
    for (const auto& event : room.state) {
      if (std::holds_alternative<Encryption>(event.content)) return true;
    }
  }
  return false;
}

std::size_t retry_kept(SyncSink& sink, E2ee& e2ee, std::chrono::milliseconds give_up_after,
                       std::int64_t now_ms) {
  auto kept = sink.kept_events(500);
  const auto token = sink.sync_token();
  if (kept.empty() || !token) return 0;
  SyncBatch none;
  none.next_batch = *token;
  std::size_t decrypted = 0;
  std::size_t given_up = 0;
  sink.begin(none, false);
  try {
    for (auto& entry : kept) {
      auto envelope = parse_event(entry.event_json, entry.room_id);
      auto event = envelope ? e2ee.decrypt(*envelope)
                            : Unexpected(crypto::Undecryptable{false, "unreadable", {}});
      if (event) {
        sink.timeline_event(*event);
        sink.drop_kept(entry.event_id);
        ++decrypted;
      } else if (!event.error().retry || now_ms - entry.kept_ms >= give_up_after.count()) {
        sink.drop_kept(entry.event_id);
        ++given_up;
      }
    }
    sink.commit(*token);
  } catch (...) {
    sink.abort();
    throw;
  }
  if (decrypted > 0 || given_up > 0) {
    // Counts only: which event and whose it was stay out of the log.
    spdlog::info("encrypted events whose keys came late: {} decrypted now, {} given up, {} wait",
                 decrypted, given_up, kept.size() - decrypted - given_up);
  }
  return decrypted;
}

net::asio::awaitable<Expected<SyncLoop::Gap, Fatal>> SyncLoop::fill_gap(std::string room_id,
                                                                        std::string prev_batch,
                                                                        std::string since) {
  std::vector<Event> missed;              // newest first, as /messages dir=b returns them
  std::vector<MalformedEvent> malformed;  // likewise
  std::string from = std::move(prev_batch);
  int pages = 0;
  std::size_t repaired = 0;
  Backoff backoff = backoff_;
  backoff.reset();
  while (!stopped_ && !from.empty()) {
    if (pages == options_.gap_max_pages) {
      spdlog::warn("room {}: gap larger than {} pages; older missed events are skipped", room_id,
                   pages);
      break;
    }
    auto page = co_await client_.messages(room_id, from, since, options_.gap_page_size);
    if (!page) {
      if (page.error().unknown_token()) co_return Unexpected{token_rejected(page.error())};
      auto delay = retry_delay(page.error(), backoff);
      if (!delay) {
        spdlog::error("room {}: filling the timeline gap failed: {}", room_id,
                      page.error().describe());
        break;
      }
      spdlog::warn("room {}: /messages failed ({}), retrying in {} ms", room_id,
                   page.error().describe(), delay->count());
      if (!co_await wait_before_retry(page.error(), *delay)) break;
      continue;
    }
    ++pages;
    backoff.reset();
    repaired += page->repaired_utf8;
    for (auto& event : page->chunk) missed.push_back(std::move(event));
    for (auto& bad : page->malformed) malformed.push_back(std::move(bad));
    if (page->chunk.empty() || page->end.empty() || page->end == from) break;
    from = page->end;
  }
  if (repaired > 0) {
    spdlog::warn("room {}: /messages held {} invalid UTF-8 sequences; replaced with U+FFFD",
                 room_id, repaired);
  }
  Gap gap;
  gap.events.assign(std::make_move_iterator(missed.rbegin()),
                    std::make_move_iterator(missed.rend()));
  gap.malformed.assign(std::make_move_iterator(malformed.rbegin()),
                       std::make_move_iterator(malformed.rend()));
  spdlog::info(
      "room {}: timeline was limited; fetched {} missed events from /messages ({} malformed)",
      room_id, gap.events.size(), gap.malformed.size());
  co_return gap;
}

net::asio::awaitable<std::optional<Fatal>> SyncLoop::step() {
  if (pace_) co_await pace_();
  const auto since = sink_.sync_token();
  for (;;) {
    if (stopped_) co_return std::nullopt;
    // A named request: g++ 12 destroys brace-initialised temporaries in co_await twice.
    SyncRequest request{since, filter_id_, since ? options_.timeout_ms : 0};
    auto body = co_await client_.sync(std::move(request));
    const auto answered = std::chrono::steady_clock::now();
    std::optional<SyncBatch> outline;
    if (body) {
      sink_.received(body->size());
      auto parsed = parse_sync_outline(*body, client_.user_id());
      if (parsed) {
        outline = std::move(parsed).value();
        // Once per batch, without content: the events carry U+FFFD where the bytes were.
        if (outline->repaired_utf8 > 0) {
          spdlog::warn("sync: the body held {} invalid UTF-8 sequences; replaced with U+FFFD",
                       outline->repaired_utf8);
        }
      } else {
        MatrixError error;
        error.errcode = "R_BAD_BODY";
        error.message = "sync: " + parsed.error().message;
        body = Unexpected{std::move(error)};
      }
    }
    if (!body) {
      const MatrixError& error = body.error();
      ++metrics::registry().sync_failures;
      if (error.unknown_token()) co_return token_rejected(error);
      if (stopped_) co_return std::nullopt;
      auto delay = retry_or_backoff(error, backoff_);
      spdlog::warn("sync failed ({}), retrying in {} ms", error.describe(), delay.count());
      if (!co_await wait_before_retry(error, delay)) co_return std::nullopt;
      if (!error.transient()) {
        if (auto fatal = co_await prepare()) co_return fatal;  // e.g. the filter was lost
      }
      continue;
    }
    if (backoff_.attempt() > 0) spdlog::info("sync recovered");
    backoff_.reset();
    if (e2ee_ == nullptr && start_encryption_ && outline_needs_encryption(*outline)) {
      if (auto fatal = co_await start_encryption_()) co_return fatal;
    }
    std::vector<crypto::RoomKey> room_keys;
    // The machine that takes this sync's encryption parts after the batch, if any (not one that
    // starts only after the commit: this sync's parts were not meant for a device without keys).
    E2ee* const crypto_after =
        e2ee_ != nullptr && !E2ee::needed_before_batch(outline->encryption) ? e2ee_ : nullptr;
    if (e2ee_ != nullptr && crypto_after == nullptr) {
      // Keys first: the crypto store commits them before this batch's events are decrypted.
      auto keys = co_await e2ee_->receive(outline->encryption);
      if (!keys) co_return keys.error();
      room_keys = std::move(keys).value();
    }
    GapEvents gaps;
    std::vector<MalformedEvent> gap_malformed;
    if (since) {
      for (const auto& room : outline->joined) {
        if (!room.limited || !sink_.was_joined(room.room_id)) continue;
        auto missed = co_await fill_gap(room.room_id, room.prev_batch, *since);
        if (!missed) co_return missed.error();
        for (auto& bad : missed->malformed) gap_malformed.push_back(std::move(bad));
        gaps.emplace(room.room_id, std::move(missed->events));
      }
    }
    if (stopped_) co_return std::nullopt;
    bool met_encryption = false;
    if (auto ingested = ingest(sink_, *body, *outline, gaps, client_.user_id(), !since,
                               gap_malformed, e2ee_, &met_encryption)) {
      auto& registry = metrics::registry();
      ++registry.syncs;
      registry.sync_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - answered).count());
      if (crypto_after != nullptr) {
        // Key counts only (they come again with every sync), or nothing new: the batch's replies
        // have left, its commit is done, and no room key waits on this.
        auto after = co_await crypto_after->receive(outline->encryption);
        if (!after) co_return after.error();
      }
      retry_kept_if_due(!room_keys.empty());
      if (met_encryption && e2ee_ == nullptr && start_encryption_) {
        if (auto fatal = co_await start_encryption_()) co_return fatal;
      }
      if (after_commit_) after_commit_();
      co_return std::nullopt;
    } else {
      // The outline parsed but the timelines did not: the batch was rolled back; sync again.
      auto delay = backoff_.next();
      spdlog::error("sync body could not be read ({}), retrying in {} ms", ingested.error().message,
                    delay.count());
      if (!co_await sleeper_.sleep(delay)) co_return std::nullopt;
    }
  }
}

void SyncLoop::retry_kept_if_due(bool keys_arrived) {
  if (e2ee_ == nullptr) return;
  // At the start (keys may have come just before a restart), when keys came, and now and then
  // so that events whose keys never come are given up.
  if (!keys_arrived && batches_since_retry_ >= 0 && ++batches_since_retry_ < 20) return;
  batches_since_retry_ = 0;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  retry_kept(sink_, *e2ee_, options_.undecryptable_give_up, now.count());
}

net::asio::awaitable<std::optional<Fatal>> SyncLoop::run() {
  if (auto fatal = co_await prepare()) co_return fatal;
  while (!stopped_) {
    if (auto fatal = co_await step()) co_return fatal;
  }
  co_return std::nullopt;
}

}  // namespace reflexbot::matrix
