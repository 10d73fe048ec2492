#include "matrix/sync_loop.hpp"

#include <algorithm>
#include <unordered_set>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace reflexbot::matrix {

std::string sync_filter_json(int timeline_limit) {
  const nlohmann::json types = {"m.room.message",      "m.reaction",   "m.room.redaction",
                                "m.room.member",       "m.room.name",  "m.room.create",
                                "m.room.power_levels", "m.room.encryption", "m.room.encrypted"};
  const nlohmann::json filter = {
      {"presence", {{"not_types", {"*"}}}},
      {"account_data", {{"not_types", {"*"}}}},
      {"room",
       {{"timeline", {{"limit", timeline_limit}, {"types", types}}},
        {"state", {{"lazy_load_members", true}, {"types", types}}},
        {"ephemeral", {{"not_types", {"*"}}}},
        {"account_data", {{"not_types", {"*"}}}}}}};
  return filter.dump();
}

SyncLoop::SyncLoop(Client& client, SyncSink& sink, Sleeper& sleeper, Backoff backoff,
                   SyncOptions options, std::function<void()> after_commit)
    : client_(client), sink_(sink), sleeper_(sleeper), backoff_(std::move(backoff)),
      options_(options), after_commit_(std::move(after_commit)) {}

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
    auto delay = retry_delay(id.error(), backoff_).value_or(backoff_.next());
    spdlog::warn("uploading the sync filter failed ({}), retrying in {} ms", id.error().describe(),
                 delay.count());
    if (!co_await sleeper_.sleep(delay)) co_return std::nullopt;
  }
  co_return std::nullopt;
}

net::asio::awaitable<std::optional<Fatal>> SyncLoop::fill_gap(JoinedRoom& room, std::string since) {
  std::vector<Event> missed;  // newest first, as /messages dir=b returns them
  std::string from = room.prev_batch;
  int pages = 0;
  Backoff backoff = backoff_;
  backoff.reset();
  while (!stopped_ && !from.empty()) {
    if (pages == options_.gap_max_pages) {
      spdlog::warn("room {}: gap larger than {} pages; older missed events are skipped",
                   room.room_id, pages);
      break;
    }
    auto page = co_await client_.messages(room.room_id, from, since, options_.gap_page_size);
    if (!page) {
      if (page.error().unknown_token()) co_return token_rejected(page.error());
      auto delay = retry_delay(page.error(), backoff);
      if (!delay) {
        spdlog::error("room {}: filling the timeline gap failed: {}", room.room_id,
                      page.error().describe());
        break;
      }
      spdlog::warn("room {}: /messages failed ({}), retrying in {} ms", room.room_id,
                   page.error().describe(), delay->count());
      if (!co_await sleeper_.sleep(*delay)) co_return std::nullopt;
      continue;
    }
    ++pages;
    backoff.reset();
    for (auto& event : page->chunk) missed.push_back(std::move(event));
    if (page->chunk.empty() || page->end.empty() || page->end == from) break;
    from = page->end;
  }
  std::unordered_set<std::string> present;
  for (const auto& event : room.timeline) present.insert(event.event_id);
  std::vector<Event> timeline;
  timeline.reserve(missed.size() + room.timeline.size());
  for (auto it = missed.rbegin(); it != missed.rend(); ++it) {
    if (present.insert(it->event_id).second) timeline.push_back(std::move(*it));
  }
  spdlog::info("room {}: timeline was limited; filled {} missed events from /messages",
               room.room_id, timeline.size());
  for (auto& event : room.timeline) timeline.push_back(std::move(event));
  room.timeline = std::move(timeline);
  co_return std::nullopt;
}

net::asio::awaitable<std::optional<Fatal>> SyncLoop::step() {
  const auto since = sink_.sync_token();
  for (;;) {
    if (stopped_) co_return std::nullopt;
    // A named request: g++ 12 destroys brace-initialised temporaries in co_await twice.
    SyncRequest request{since, filter_id_, since ? options_.timeout_ms : 0};
    auto batch = co_await client_.sync(std::move(request));
    if (!batch) {
      const MatrixError& error = batch.error();
      if (error.unknown_token()) co_return token_rejected(error);
      if (stopped_) co_return std::nullopt;
      auto delay = retry_delay(error, backoff_).value_or(backoff_.next());
      spdlog::warn("sync failed ({}), retrying in {} ms", error.describe(), delay.count());
      if (!co_await sleeper_.sleep(delay)) co_return std::nullopt;
      if (!error.transient()) {
        if (auto fatal = co_await prepare()) co_return fatal;  // e.g. the filter was lost
      }
      continue;
    }
    if (backoff_.attempt() > 0) spdlog::info("sync recovered");
    backoff_.reset();
    if (since) {
      for (auto& room : batch->joined) {
        if (room.limited && sink_.was_joined(room.room_id)) {
          if (auto fatal = co_await fill_gap(room, *since)) co_return fatal;
        }
      }
    }
    if (stopped_) co_return std::nullopt;
    sink_.apply(*batch, !since.has_value());
    if (after_commit_) after_commit_();
    co_return std::nullopt;
  }
}

net::asio::awaitable<std::optional<Fatal>> SyncLoop::run() {
  if (auto fatal = co_await prepare()) co_return fatal;
  while (!stopped_) {
    if (auto fatal = co_await step()) co_return fatal;
  }
  co_return std::nullopt;
}

}  // namespace reflexbot::matrix
