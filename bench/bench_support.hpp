#pragma once
// Shared by the benchmarks: a fresh store in a temp dir, primed so the body's rooms are joined and
// a sync token exists (events are then acted on, as in a running bot), one run of the real batch
// path (outline, ingest, commit), and the process's CPU time and memory figures.

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "app/config/templates.hpp"
#include "app/runtime/dispatcher.hpp"
#include "app/runtime/pseudonym.hpp"
#include "matrix/parse.hpp"
#include "matrix/sync_loop.hpp"
#include "store/store.hpp"

namespace reflexbot::bench {

/// The bot's own user id in every benchmark (the generated bodies never use it).
inline const std::string kOwnUserId = "@reflexbot:example.org";

/// A field of /proc/self/status in bytes (the kernel reports kB); -1 if absent.
inline long long proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1) * 1024;
  }
  return -1;
}

/// User + system CPU time of this process so far, in seconds.
inline double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

/// The whole process's resident-set high-water mark (getrusage ru_maxrss) in bytes.
inline long long peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<long long>(usage.ru_maxrss) * 1024;
}

/// What one parse of a body took, as reflexbot-bench-sync and reflexbot-bench-dom both report it.
struct BodyRun {
  std::size_t events = 0;
  std::size_t body_bytes = 0;
  double seconds = 0;
  long long peak_rss = 0;      ///< peak_rss_bytes() after the run
  long long rss_baseline = 0;  ///< VmRSS at start, before the body was read
  long long rss_before = 0;    ///< VmRSS with the body read, before parsing
};

/// The JSON members both tools print first (without the braces): events, bytes, seconds,
/// events_per_second and the memory figures (see sync_ingest.cpp).
inline std::string body_run_json(const BodyRun& run) {
  const auto body = static_cast<double>(run.body_bytes);
  char buffer[512];
  std::snprintf(buffer, sizeof buffer,
                "\"events\":%zu,\"bytes\":%zu,\"seconds\":%.6f,\"events_per_second\":%.0f,"
                "\"peak_rss_bytes\":%lld,\"rss_baseline_bytes\":%lld,\"rss_before_bytes\":%lld,"
                "\"peak_above_baseline_bytes\":%lld,\"body_bytes\":%zu,"
                "\"peak_above_baseline_per_body\":%.3f,\"peak_rss_per_body\":%.3f",
                run.events, run.body_bytes, run.seconds,
                static_cast<double>(run.events) / run.seconds, run.peak_rss, run.rss_baseline,
                run.rss_before, run.peak_rss - run.rss_baseline, run.body_bytes,
                static_cast<double>(run.peak_rss - run.rss_baseline) / body,
                static_cast<double>(run.peak_rss) / body);
  return buffer;
}

/// Reads a whole file with room for simdjson's padding behind it.
inline std::string read_body(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  std::string body;
  body.reserve(size + 64);
  body.resize(size);
  if (!in.read(body.data(), static_cast<std::streamsize>(size)))
    throw std::runtime_error("cannot read " + path);
  return body;
}

/// A store in its own temp directory, removed again on destruction.
class TempStore {
 public:
  TempStore() {
    static std::uint64_t counter = 0;
    auto base = std::filesystem::temp_directory_path();
    for (;;) {
      dir_ = base /
             ("reflexbot-bench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
      std::error_code ec;
      if (std::filesystem::create_directory(dir_, ec)) break;
      if (ec) throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
    }
    store_ = std::make_unique<store::Store>((dir_ / "bench.db").string());
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  store::Store& store() { return *store_; }
  const std::filesystem::path& dir() const { return dir_; }

  /// Marks the outline's joined rooms as joined before this batch and stores a sync token, as
  /// after earlier syncs of a running bot, so the batch's events are acted on.
  void prime(const matrix::SyncBatch& outline) {
    store::BatchScope scope(*store_);
    for (const auto& joined : outline.joined) {
      store::RoomRecord room;
      room.room_id = joined.room_id;
      room.membership = "join";
      scope.put_room(room);
    }
    scope.set_sync_token("s0_bench");
    scope.commit();
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

/// A fresh store primed for the body's rooms: the untimed set-up before each timed batch run.
/// `cache_kib` > 0 sets PRAGMA cache_size = -cache_kib first (an experiment; the bot keeps
/// SQLite's default). `warm` analyses one text after the priming, so the text analysis's
/// dictionaries are loaded before the batch, as in a bot that analysed anything in the last ten
/// minutes (they are freed after ten idle minutes and read again by the next contribution); the
/// set-up's outline then runs in a thread of its own, whose parser buffers go with it, so that
/// the batch finds the dictionaries loaded but no parser buffers of the body's size (as the bot
/// does: it releases them after every large body). Throws if the body does not parse.
inline std::unique_ptr<TempStore> primed_store(std::string& body, long cache_kib = 0,
                                               bool warm = false) {
  auto temp = std::make_unique<TempStore>();
  if (cache_kib > 0) {
    temp->store().connection().exec("PRAGMA cache_size = -" + std::to_string(cache_kib));
  }
  std::optional<Expected<matrix::SyncBatch, matrix::ParseError>> outline;
  if (warm) {
    std::thread([&] { outline.emplace(matrix::parse_sync_outline(body, kOwnUserId)); }).join();
  } else {
    outline.emplace(matrix::parse_sync_outline(body, kOwnUserId));
  }
  if (!*outline) throw std::runtime_error("outline: " + (*outline).error().message);
  temp->prime(**outline);
  if (warm) {  // both languages' dictionaries (the bodies have German and English texts)
    temp->store().index_terms("Die Lagebesprechung mit der Feuerwehr");
    temp->store().index_terms("The handover to the night shift was unclear");
  }
  return temp;
}

/// The dispatcher as the bot builds it: the shipped templates, the built-in tag vocabulary and
/// HMAC pseudonyms (invites allowed from anyone; the bodies carry none).
inline app::Dispatcher make_dispatcher(store::Store& store) {
  app::FeatureSettings reflection;
  reflection.templates = app::load_templates(REFLEXBOT_TEMPLATES_SOURCE);
  reflection.pseudonym = [pseudonymizer = app::Pseudonymizer("bench-key-0123456789abcdef")](
                             const std::string& user) { return pseudonymizer(user); };
  return app::Dispatcher(store,
                         app::DispatcherSettings{kOwnUserId,
                                                 core::Language::de,
                                                 [](const std::string&) { return true; },
                                                 std::move(reflection),
                                                 {},
                                                 core::RateLimit{}},
                         [] {
                           return std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                               .count();
                         });
}

/// The real path of one /sync batch: outline, then the events streamed into one transaction that
/// commits with next_batch. Throws if the body does not parse.
inline const app::BatchStats& run_batch(app::Dispatcher& dispatcher, std::string& body) {
  auto outline = matrix::parse_sync_outline(body, kOwnUserId);
  if (!outline) throw std::runtime_error("outline: " + outline.error().message);
  auto done = matrix::ingest(dispatcher, body, *outline, matrix::GapEvents{}, kOwnUserId,
                             /*initial=*/false);
  if (!done) throw std::runtime_error("ingest: " + done.error().message);
  return dispatcher.last_stats();
}

}  // namespace reflexbot::bench
