#include "app/runtime/bot.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>

#include "app/runtime/dispatcher.hpp"
#include "app/runtime/metrics.hpp"
#include "app/runtime/notify.hpp"
#include "app/runtime/pace.hpp"
#include "app/runtime/pseudonym.hpp"
#include "app/runtime/retention.hpp"
#include "crypto/olm_machine.hpp"
#include "matrix/client.hpp"
#include "matrix/e2ee.hpp"
#include "matrix/sync_loop.hpp"
#include "net/curl_transport.hpp"
#include "store/store.hpp"

namespace reflexbot::app {
namespace {

namespace asio = net::asio;
using std::chrono::milliseconds;

// The next /sync after early replies (matrix::Outbox::settle_early_sends): it waits for their
// answers at most this long (a homeserver that is slow to answer a PUT, a remote one, must not
// hold the sync for long: the local Synapse of the benchmark answers in about 15 ms)...
constexpr milliseconds kEarlyAnswerLimit{100};
// ...and then this long, while the homeserver delivers them to the room's readers.
constexpr milliseconds kAfterRepliesPause{5};

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

FeatureSettings feature_settings(const Config& config, NetworkSettings network) {
  FeatureSettings settings;
  static_cast<NetworkSettings&>(settings) = std::move(network);
  settings.moderator_level = config.moderator_level;
  settings.pseudonym = [pseudonymizer = Pseudonymizer(load_or_create_pseudonym_key(
                            config.pseudonym_key, config.database))](const std::string& user) {
    return pseudonymizer(user);
  };
  settings.ack_reaction = config.ack_reaction;
  return settings;
}

// The dispatcher's settings: the network settings are built once, for the features and the
// digests alike.
DispatcherSettings dispatcher_settings(const Config& config, std::vector<core::Template> templates,
                                       std::function<bool(const std::string&)> invite_allowed) {
  const NetworkSettings network = network_settings(config, std::move(templates));
  return DispatcherSettings{
      config.user_id,
      config.language,
      std::move(invite_allowed),
      feature_settings(config, network),
      digest_settings(config, network),
      core::RateLimit{config.command_limit.burst,
                      std::chrono::seconds(config.command_limit.refill_seconds)}};
}

matrix::SyncOptions sync_options(const Config& config) {
  matrix::SyncOptions options{config.sync.timeout_ms, config.sync.timeline_limit};
  options.undecryptable_give_up = std::chrono::hours(config.encryption.undecryptable_hours);
  return options;
}

// Everything the running bot owns, so the coroutines can refer to it for the whole run.
struct Runtime {
  Runtime(const Config& settings, std::vector<core::Template> templates, asio::io_context& io)
      : config(settings),
        store(config.database.string()),
        retention(store, config.retention_days, io, wall_clock_ms),
        transport(io),
        client(transport,
               matrix::ClientSettings{config.homeserver, config.user_id, config.access_token,
                                      config.password, config.device_id,
                                      milliseconds(config.sync.request_timeout_ms),
                                      milliseconds(config.sync.request_timeout_ms)}),
        sleeper(io),
        policy{milliseconds(config.retry.initial_ms), milliseconds(config.retry.max_ms)},
        dispatcher(store,
                   dispatcher_settings(config, std::move(templates),
                                       [this](const std::string& inviter) {
                                         return invite_allowed(this->config, inviter);
                                       }),
                   wall_clock_ms),
        outbox(client, store, sleeper, matrix::Backoff(policy, matrix::default_random01()),
               wall_clock_ms),
        sync(client, dispatcher, sleeper, matrix::Backoff(policy, matrix::default_random01()),
             sync_options(config),
             [this] {
               // Wipes what a redaction or "forget me" erased, and a direct chat's traces.
               retention.after_commit(dispatcher.erased_direct_traces());
               outbox.wake();
               pins.notify();
               members.notify();
               pace.committed();
               indexing.notify();
               arm_round_timer();
             }),
        round_timer(io),
        dictionary_timer(io),
        systemd(io) {}

  // Every five minutes: the dictionaries of the text analysis (about 14 MiB per language) are
  // freed when nothing was analysed for ten minutes, and read again by the next contribution.
  void arm_dictionary_timer() {
    if (stopping) return;
    dictionary_timer.expires_after(std::chrono::minutes(5));
    dictionary_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      if (store.release_dictionaries_if_idle(std::chrono::minutes(10))) {
        spdlog::debug("text analysis dictionaries freed after ten idle minutes");
      }
      arm_dictionary_timer();
    });
  }

  // One timer for all rounds: it fires at the earliest reminder or deadline of any open round.
  void arm_round_timer() {
    if (stopping) return;
    auto wakeup = dispatcher.next_wakeup();
    if (!wakeup) {
      round_timer.cancel();
      return;
    }
    round_timer.expires_at(*wakeup);
    round_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      dispatcher.tick();
      outbox.wake();
      arm_round_timer();
    });
  }

  // The operators' endpoint, when configured: started before the login, so an outage of the
  // homeserver shows in the metrics (the last sync's time stops moving).
  void start_metrics(asio::io_context& io) {
    if (!config.metrics.enabled()) return;
    metrics_server.emplace(io, [this] {
      return render_metrics(metrics::registry(), store::read_live_gauges(store),
                            read_process_figures(), wall_clock_ms());
    });
    if (auto error = metrics_server->start(config.metrics.address, config.metrics.port)) {
      // The bot's work matters more than its figures: it runs on, and says so.
      spdlog::error("metrics endpoint {}:{} cannot listen ({}); running without it",
                    config.metrics.address, config.metrics.port, *error);
      metrics_server.reset();
      return;
    }
    const auto address = asio::ip::make_address(config.metrics.address);
    spdlog::info("metrics endpoint: http://{}{}{}:{}/metrics{}", address.is_v6() ? "[" : "",
                 config.metrics.address, address.is_v6() ? "]" : "", metrics_server->port(),
                 address.is_loopback() ? "" : " (not loopback: reachable from other hosts)");
  }

  void stop() {
    if (stopping) return;
    stopping = true;
    if (metrics_server) metrics_server->stop();
    sync.stop();
    outbox.stop();
    pins.stop();
    members.stop();
    indexing.stop();
    pace.stop();
    round_timer.cancel();
    dictionary_timer.cancel();
    retention.stop();
    sleeper.stop();
    transport.shutdown();
    systemd.stopping();  // systemd: STOPPING=1, and the watchdog timer ends
  }

  void fail(const Fatal& fatal) {
    if (exit_code == 0) exit_code = fatal.exit_code;
    spdlog::critical("{}", fatal.message);
    stop();
  }

  const Config& config;
  store::Store store;
  Retention retention;  ///< purge at start and daily; scrub after erasures
  net::CurlTransport transport;
  matrix::Client client;
  matrix::TimerSleeper sleeper;
  matrix::BackoffPolicy policy;
  Dispatcher dispatcher;
  matrix::Outbox outbox;
  matrix::SyncLoop sync;
  std::unique_ptr<crypto::Machine> machine;  ///< opened once the device id is known
  std::optional<matrix::E2ee> e2ee;
  std::optional<MetricsServer> metrics_server;
  asio::system_timer round_timer;
  asio::steady_timer dictionary_timer;
  matrix::Wakeup pins;      ///< wakes the 📌 collector after each commit
  matrix::Wakeup members;   ///< wakes the member-list fetcher after each commit
  matrix::Wakeup indexing;  ///< wakes the indexing of new contributions' terms after each commit
  IndexingPace pace;        ///< the next /sync after a large body waits for that indexing
  bool stopping = false;
  int exit_code = 0;
  // systemd (Type=notify): READY=1 and STOPPING=1, and WATCHDOG=1 from a timer on this io_context
  // from the start, so the pings prove the loop runs, also while backing off from an outage.
  SystemdLink systemd;
};

// Confirms who we are: login with the password when there is no token, else /whoami (which
// re-logs in by itself on a rejected token when a password is configured).
asio::awaitable<std::optional<Fatal>> establish_identity(Runtime& rt, std::string& device_id) {
  matrix::Backoff backoff(rt.policy, matrix::default_random01());
  while (!rt.stopping) {
    // No co_await inside ?: — g++ 12 destroys the temporary twice there.
    matrix::MatrixResult<matrix::Identity> identity = Unexpected{matrix::MatrixError{}};
    if (rt.client.has_access_token()) {
      identity = co_await rt.client.whoami();
    } else {
      identity = co_await rt.client.login();
    }
    if (identity) {
      if (identity->user_id != rt.config.user_id) {
        co_return Fatal{kExitConfig, "the access token belongs to " + identity->user_id +
                                         ", not to " + rt.config.user_id + " (user_id in " +
                                         rt.config.path.string() + ")"};
      }
      spdlog::info("logged in as {} (device {})", identity->user_id, identity->device_id);
      device_id = identity->device_id;
      co_return std::nullopt;
    }
    if (identity.error().unknown_token() || identity.error().errcode == "M_FORBIDDEN") {
      co_return matrix::token_rejected(identity.error());
    }
    auto delay = matrix::retry_or_backoff(identity.error(), backoff);
    spdlog::warn("cannot reach the homeserver yet ({}), retrying in {} ms",
                 identity.error().describe(), delay.count());
    if (!co_await rt.sleeper.sleep(delay)) break;
  }
  co_return std::nullopt;
}

std::filesystem::path crypto_store_dir(const Config& config) {
  return config.encryption.store.empty()
             ? std::filesystem::path(config.database.string() + ".crypto")
             : config.encryption.store;
}

// Whether the crypto machine opens at start. It does when the bot has a crypto account (its keys
// may be on the server: to-device messages and device-list changes for it must not pass by) or
// knows an encrypted room it is in. Otherwise it opens when a sync first needs it
// (SyncLoop::start_encryption_when_needed): until then the crypto library is not even loaded.
bool encryption_needed_at_start(Runtime& rt) {
  std::error_code error;
  if (std::filesystem::exists(crypto_store_dir(rt.config), error) || error) return true;
  const auto rooms = rt.store.joined_rooms();
  return std::any_of(rooms.begin(), rooms.end(),
                     [](const store::RoomRecord& room) { return room.encrypted; });
}

// Loads the crypto library, opens the crypto store for this device, uploads its keys on the
// first start and cross-signs it; `reflexbot status` shows the result.
asio::awaitable<std::optional<Fatal>> start_encryption(Runtime& rt, std::string device_id) {
  const Config& config = rt.config;
  const std::filesystem::path store_dir = crypto_store_dir(config);
  const std::string key = load_or_create_key(
      config.crypto_key, config.database.string() + ".crypto-key", "crypto store key");
  // As hex: the store takes a text passphrase; a key file holds raw bytes.
  auto machine =
      crypto::OlmMachine::open(config.user_id, device_id, store_dir.string(), to_hex(key));
  if (!machine) {
    if (machine.error().message.starts_with("the crypto library "))
      co_return Fatal{kExitConfig, machine.error().message +
                                       "; it is part of Reflexbot (cmake --install puts it in "
                                       "place). See docs/operations.md, \"Build and install\""};
    co_return Fatal{kExitConfig, "the crypto store " + store_dir.string() + " cannot be opened (" +
                                     machine.error().message +
                                     "); is it another device's, or was the crypto key changed? "
                                     "See docs/operations.md, \"Encryption\""};
  }
  rt.machine = std::move(machine).value();
  rt.e2ee.emplace(
      rt.client, *rt.machine, rt.sleeper, matrix::Backoff(rt.policy, matrix::default_random01()),
      [&rt](const std::string& room_id) { return rt.store.joined_members(room_id); },
      config.encryption.cross_signed_only ? crypto::SharePolicy::cross_signed_only
                                          : crypto::SharePolicy::all_devices);
  rt.e2ee->use_recovery_key(config.recovery_key);
  rt.outbox.enable_encryption(*rt.e2ee);
  rt.sync.enable_encryption(*rt.e2ee);
  if (auto fatal = co_await rt.e2ee->send_requests()) co_return fatal;  // device keys, first start
  if (auto fatal = co_await rt.e2ee->ensure_cross_signed()) co_return fatal;
  auto own = rt.e2ee->identity();
  if (!own) {
    spdlog::error("the crypto machine has no identity: {}", own.error().message);
    co_return std::nullopt;
  }
  store::BatchScope scope(rt.store);
  scope.set_crypto_identity({own->device_id, own->ed25519, own->device_cross_signed,
                             wall_clock_ms(), rt.e2ee->recovery_state()});
  scope.commit();
  spdlog::info("encryption ready: device {}, Ed25519 {}, {}", own->device_id, own->ed25519,
               own->device_cross_signed ? "cross-signed by its account" : "not cross-signed");
  co_return std::nullopt;
}

asio::awaitable<void> run_outbox(Runtime& rt, asio::io_context& io) {
  if (auto fatal = co_await rt.outbox.run(io)) rt.fail(*fatal);
}

// A fetched event as it reads: an encrypted one decrypted in place. The reason if it cannot be.
std::optional<std::string> make_readable(Runtime& rt, matrix::Event& event) {
  if (!rt.e2ee || !std::holds_alternative<matrix::Encrypted>(event.content)) return std::nullopt;
  auto plain = rt.e2ee->decrypt(event);
  if (!plain) return plain.error().reason;
  event = std::move(plain).value();
  return std::nullopt;
}

// Fetches an event the bot asks for after a commit (a 📌's message, an edit and its original),
// decrypted where the room is encrypted. One that cannot be decrypted comes back as the error
// R_UNDECRYPTABLE: asking again will not help.
asio::awaitable<matrix::MatrixResult<matrix::Event>> fetch_readable(Runtime& rt,
                                                                    std::string room_id,
                                                                    std::string event_id) {
  auto event = co_await rt.client.event(room_id, event_id);
  if (!event) co_return event;
  if (auto reason = make_readable(rt, *event)) {
    matrix::MatrixError error;
    error.errcode = "R_UNDECRYPTABLE";
    error.message = std::move(*reason);
    co_return Unexpected(std::move(error));
  }
  co_return event;
}

// What to do after a fetch failed: nullopt to give the request up, else how long to wait before
// the pending list is read again. `unreadable` counts bodies that arrived but could not be read:
// after a few tries (a body cut short on the way is worth another) such a request is given up, so
// it cannot hold back every request behind it.
std::optional<std::chrono::milliseconds> after_failure(const matrix::MatrixError& error,
                                                       const std::string& key,
                                                       matrix::Backoff& backoff,
                                                       std::map<std::string, int>& unreadable) {
  if (error.errcode == "R_UNDECRYPTABLE") return std::nullopt;
  auto delay = matrix::retry_delay(error, backoff);
  if (error.errcode == "R_BAD_BODY" && ++unreadable[key] >= 3) {
    delay.reset();
    unreadable.erase(key);
  }
  return delay;
}

// Fetches the messages people pinned with 📌 and the originals of edits that may make a message
// a contribution, and collects them, one transaction each.
asio::awaitable<void> run_pins(Runtime& rt, asio::io_context& io) {
  matrix::Backoff backoff(rt.policy, matrix::default_random01());
  std::map<std::string, int>
      unreadable;  ///< requests whose event came back unreadable, and how often
  while (!rt.stopping) {
    co_await rt.pins.wait(io);
    bool again = true;
    while (again && !rt.stopping) {
      again = false;
      for (const auto& [room_id, event_id] : rt.dispatcher.pending_pins()) {
        auto event = co_await fetch_readable(rt, room_id, event_id);
        // The message as it is now: its edits too (the fetched event is the first version).
        std::vector<matrix::Event> edits;
        if (event) {
          auto found = co_await rt.client.edits(room_id, event_id);
          if (found) {
            for (auto& edit : *found) {
              // An edit nobody can read changes nothing we could show.
              if (!make_readable(rt, edit)) edits.push_back(std::move(edit));
            }
          } else {
            event = Unexpected{found.error()};
          }
        }
        if (event) {
          rt.dispatcher.collect_pinned(*event, edits);
          backoff.reset();
          again = true;
          continue;
        }
        if (event.error().unknown_token()) {
          rt.fail(matrix::token_rejected(event.error()));
          co_return;
        }
        const auto delay = after_failure(event.error(), event_id, backoff, unreadable);
        if (!delay) {
          spdlog::warn("pinned event {} in {} cannot be read ({}); not collected", event_id,
                       room_id, event.error().describe());
          rt.dispatcher.drop_pin(event_id);
          again = true;
          continue;
        }
        if (!co_await rt.sleeper.sleep(*delay)) co_return;
        again = true;
        break;  // read the pending list again and retry
      }
      for (const auto& request : rt.dispatcher.pending_edits()) {
        if (rt.stopping) co_return;
        auto edit = co_await fetch_readable(rt, request.room_id, request.edit_event_id);
        matrix::MatrixResult<matrix::Event> original = Unexpected{matrix::MatrixError{}};
        if (edit)
          original = co_await fetch_readable(rt, request.room_id, request.original_event_id);
        if (edit && original) {
          rt.dispatcher.collect_edited(*original, *edit);
          backoff.reset();
          again = true;
          continue;
        }
        const matrix::MatrixError error = edit ? original.error() : edit.error();
        if (error.unknown_token()) {
          rt.fail(matrix::token_rejected(error));
          co_return;
        }
        const auto delay = after_failure(error, request.edit_event_id, backoff, unreadable);
        if (!delay) {
          spdlog::warn("edit {} in {} cannot be read ({}); not collected", request.edit_event_id,
                       request.room_id, error.describe());
          rt.dispatcher.drop_edit(request.edit_event_id);
          again = true;
          continue;
        }
        if (!co_await rt.sleeper.sleep(*delay)) co_return;
        again = true;
        break;
      }
      if (again) {
        rt.outbox.wake();
        rt.indexing.notify();
      }
    }
  }
}

// The index terms of new and edited contributions, made after their commit (the text analysis
// and its dictionaries stay off the sync batch), a slice at a time: a sync, a reply or a timer
// runs between two slices. What a crash leaves unindexed is indexed at the next start. Then the
// checkpoint, when the WAL is long enough.
asio::awaitable<void> run_indexing(Runtime& rt, asio::io_context& io) {
  constexpr std::size_t kSlice = 250;
  while (!rt.stopping) {
    co_await rt.indexing.wait(io);
    while (!rt.stopping && rt.store.index_pending(kSlice) == static_cast<std::int64_t>(kSlice)) {
      co_await asio::post(io, asio::use_awaitable);
    }
    // Then the WAL into the database file, off the commit (Store::checkpoint_if_due).
    if (!rt.stopping) rt.store.checkpoint_if_due();
    rt.pace.indexed();
  }
}

// Fetches the member lists of joined rooms that have none yet (rooms joined before the bot kept
// them, or just joined: lazy-loaded sync state names only those who spoke). After that, the
// timeline's membership events keep them current.
asio::awaitable<void> run_members(Runtime& rt, asio::io_context& io) {
  matrix::Backoff backoff(rt.policy, matrix::default_random01());
  while (!rt.stopping) {
    co_await rt.members.wait(io);
    auto rooms = rt.dispatcher.rooms_without_members();
    while (!rooms.empty() && !rt.stopping) {
      for (const auto& room_id : rooms) {
        auto members = co_await rt.client.joined_members(room_id);
        if (members) {
          rt.dispatcher.set_members(room_id, *members);
          backoff.reset();
          continue;
        }
        if (members.error().unknown_token()) {
          rt.fail(matrix::token_rejected(members.error()));
          co_return;
        }
        auto delay = matrix::retry_delay(members.error(), backoff);
        if (!delay) {
          // Stored as empty, so it is not asked for again and again; membership events of the
          // timeline fill it from now on.
          spdlog::warn("members of {} cannot be fetched ({})", room_id, members.error().describe());
          rt.dispatcher.set_members(room_id, {});
          continue;
        }
        if (!co_await rt.sleeper.sleep(*delay)) co_return;
        break;
      }
      rooms = rt.dispatcher.rooms_without_members();
    }
  }
}

#ifdef REFLEXBOT_E2E_HOOKS
// For the end-to-end tests only (built with -DREFLEXBOT_E2E_HOOKS=ON, which a bot for use is not):
// with REFLEXBOT_E2E_HOLD_BEFORE_COMMIT set, the first batch whose replies went out early stops
// before its commit, for good, so that the test can kill the bot exactly there.
void hold_before_commit_for_tests(std::size_t started) {
  static const bool hold = std::getenv("REFLEXBOT_E2E_HOLD_BEFORE_COMMIT") != nullptr;
  if (!hold || started == 0) return;
  spdlog::warn("e2e hook: {} early sends started; holding before the commit", started);
  spdlog::default_logger()->flush();
  for (;;) ::pause();
}
#else
void hold_before_commit_for_tests(std::size_t /*started*/) {}
#endif

asio::awaitable<void> run_main(Runtime& rt, asio::io_context& io) {
  std::string device_id;
  if (auto fatal = co_await establish_identity(rt, device_id)) {
    rt.fail(*fatal);
    co_return;
  }
  if (rt.stopping) co_return;
  if (encryption_needed_at_start(rt)) {
    if (auto fatal = co_await start_encryption(rt, device_id)) {
      rt.fail(*fatal);
      co_return;
    }
  } else {
    spdlog::info("no encrypted room yet: the crypto library is loaded when the first one comes");
    rt.sync.start_encryption_when_needed([&rt, device_id]() {
      spdlog::info("a sync needs encryption: loading the crypto library");
      return start_encryption(rt, device_id);
    });
  }
  if (rt.stopping) co_return;
  rt.systemd.ready("logged in as " + rt.config.user_id + ", syncing");  // store open, identity ok
  rt.arm_round_timer();  // rounds that ran before a restart resume; overdue phases close now
  rt.arm_dictionary_timer();
  asio::co_spawn(io, run_pins(rt, io), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  asio::co_spawn(io, run_members(rt, io), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  rt.members.notify();
  asio::co_spawn(io, run_indexing(rt, io), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  // After a batch whose replies went early, the next /sync waits until they are answered and
  // 5 ms more, so that the homeserver delivers them to the room before it serves the bot's own
  // next long-poll (on one Synapse: Reflexbot's replies reached the pinger first in 40–43 % of
  // pairs with a nio bot when asked at once, 62–89 % with the pause; docs/benchmarks.md). After a
  // large body the next one is not received beside the dictionaries its indexing loads.
  rt.sync.pace_requests([&rt, &io]() -> asio::awaitable<void> {
    co_await rt.outbox.settle_early_sends(io, kEarlyAnswerLimit, kAfterRepliesPause);
    co_await rt.pace.before_request(io, rt.dispatcher.last_body_bytes(), Dispatcher::kLargeBody);
  });
  asio::co_spawn(io, run_outbox(rt, io), [&rt](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
    rt.stop();
  });
  if (auto fatal = co_await rt.sync.run()) rt.fail(*fatal);
  rt.stop();
}

}  // namespace

int run_bot(const Config& config, std::vector<core::Template> templates) {
  asio::io_context io(1);
  Runtime rt(config, std::move(templates), io);
  // A sync batch's replies leave before its commit (matrix::Outbox::send_early).
  rt.dispatcher.connect_outbox(
      [&rt](const std::vector<OutboxItem>& rows) {
        const std::size_t started = rt.outbox.send_early(rows);
        hold_before_commit_for_tests(started);
        return started;
      },
      [&rt] { rt.outbox.wake(); });
#ifdef REFLEXBOT_E2E_HOOKS
  spdlog::warn("built with the end-to-end tests' hooks (REFLEXBOT_E2E_HOOKS): not for use");
#endif
  spdlog::info("reflexbot {} starting: homeserver {}, store {}", REFLEXBOT_VERSION,
               config.homeserver, config.database.string());

  rt.retention.start();  // before login: a purge must not wait for the homeserver
  rt.start_metrics(io);
  {
    // Index terms for digests: none missing normally; all of them after the analysis changed.
    const auto started = std::chrono::steady_clock::now();
    if (const std::int64_t indexed = rt.store.index_contributions(); indexed > 0) {
      spdlog::info("indexed {} stored contributions for digests in {} ms", indexed,
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count());
    }
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&rt](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    spdlog::info("signal {} received, stopping", signal_number);
    rt.stop();
  });

  asio::co_spawn(io, run_main(rt, io), [&](std::exception_ptr error) {
    signals.cancel();
    if (error) std::rethrow_exception(error);
  });
  io.run();
  spdlog::info("reflexbot stopped");
  return rt.exit_code;
}

}  // namespace reflexbot::app
