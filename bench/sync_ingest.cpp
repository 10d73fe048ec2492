// reflexbot-bench-sync BODY_FILE [--repeat K] [--cache-kib N] [--warm] [--statements]: feeds one
// /sync body from a file through the real batch path (outline, ingest into the dispatcher, one
// committed SQLite transaction in WAL mode) and prints one line of JSON with the rate and the
// memory it took.
//
// Memory: rss_baseline_bytes is VmRSS at start, before the file is read; rss_before_bytes is
// VmRSS after reading the file, before parsing; peak_rss_bytes is the whole-process high-water
// mark (getrusage ru_maxrss); peak_above_baseline_bytes is peak minus baseline, i.e. what the
// body, the store and the parse took on top of the bare process.
//
// Each repetition opens a fresh store in a temp dir (TMPDIR), marks the body's rooms joined and
// stores a sync token (untimed), then times outline + ingest + commit. seconds is the median wall
// time; cpu_seconds the median user + system CPU time of the same section (less sensitive to other
// load on the machine).
// --cache-kib N is an experiment only: it sets PRAGMA cache_size = -N on the store's connection
// (the bot keeps SQLite's default of 2000 KiB) to show what the page cache costs and saves.
// --warm loads the text analysis's dictionaries in the untimed set-up (a bot that analysed
// anything in the last ten minutes has them); without it the batch's first contribution loads
// them, as after ten idle minutes or a start.
// After the timed batch, the work the bot does after a commit is timed on its own: the index terms
// of the new contributions (Store::index_contributions) and the checkpoint
// (Store::checkpoint_if_due); after_commit_seconds and after_commit_cpu_seconds, medians. Before
// both were taken out of the batch, that work was in it. The body is freed before that work, as
// in the bot (each run reads it again, untimed). wal_pages: the WAL after the batch.
// The dispatcher's early send is connected as in the bot (the rows it hands over are made; nothing
// is sent), and it hears of the body's size before the outline, as from the sync loop.
// --before-sql SQL (a diagnosis) runs SQL on the primed store before the timed batch, e.g. DROP
// INDEX x to see what writing that index costs the batch. --dbstat prints, on stderr, the pages,
// cells and bytes of each table and index after the first timed batch (SQLite's dbstat table).
// --receive reads the file 16 KiB at a time into a string that grows as the bot's transport grows a
// body of unknown length (net::append_response_body: a chunked or gzip-compressed /sync, which
// announces no Content-Length); without it the body is read into a buffer of its size, as the
// transport reserves for an announced length. The body's peak shows as the "read" phase.
// --statements counts the SQL statements the batch ran (sqlite3_trace_v2: each statement's
// first step, and each trigger program it ran) and reports them per event.
// --phases (a diagnosis: it resets the kernel's high-water mark VmHWM between phases; getrusage's
// peak_rss_bytes kept the whole run's peak here, but take the figures from runs without it) prints,
// on stderr, the peak above baseline of each phase of the first run on its own: reading the body,
// the untimed set-up (its outline and the store), the batch's outline, its ingest (timelines
// streamed, dispatched, committed), the index terms after the commit and the checkpoint; each with
// what is resident at its end.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "bench_support.hpp"
#include "net/curl_transport.hpp"

namespace {

using reflexbot::bench::cpu_seconds;
using reflexbot::bench::proc_status_bytes;

// The peak of one phase (--phases): the kernel's high-water mark is reset before it
// (/proc/self/clear_refs, Linux ≥ 4.0) and read after it.
class Phases {
 public:
  Phases(bool on, long long baseline) : on_(on), baseline_(baseline) { start(); }
  void start() {
    if (!on_) return;
    std::ofstream("/proc/self/clear_refs") << "5";
  }
  void end(const char* name, std::size_t body_bytes) {
    if (!on_) return;
    const long long peak = proc_status_bytes("VmHWM") - baseline_;
    const long long resident = proc_status_bytes("VmRSS") - baseline_;
    std::fprintf(stderr,
                 "phase %-12s peak above baseline %7.1f MiB (%.2fx body), at its end %7.1f MiB\n",
                 name, static_cast<double>(peak) / 1048576.0,
                 static_cast<double>(peak) / static_cast<double>(body_bytes),
                 static_cast<double>(resident) / 1048576.0);
    start();
  }

 private:
  bool on_;
  long long baseline_;
};

// The body as the transport receives one without Content-Length (--receive).
std::string receive_body(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string body;
  char chunk[16 * 1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    reflexbot::net::append_response_body(
        body, std::string_view(chunk, static_cast<std::size_t>(in.gcount())),
        reflexbot::net::default_max_response_body);
  }
  return body;
}

int usage() {
  std::cerr << "usage: reflexbot-bench-sync BODY_FILE [--repeat K] [--cache-kib N] [--warm] "
               "[--statements] [--phases] [--receive] [--before-sql SQL] [--dbstat]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int repeat = 1;
  long cache_kib = 0;
  bool warm = false;
  bool statements = false;
  bool phases_on = false;
  bool receive = false;
  std::string before_sql;
  bool dbstat = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
      if (repeat < 1) return usage();
    } else if (arg == "--cache-kib" && i + 1 < argc) {
      cache_kib = std::atol(argv[++i]);
      if (cache_kib < 1) return usage();
    } else if (arg == "--warm") {
      warm = true;
    } else if (arg == "--statements") {
      statements = true;
    } else if (arg == "--phases") {
      phases_on = true;
    } else if (arg == "--receive") {
      receive = true;
    } else if (arg == "--dbstat") {
      dbstat = true;
    } else if (arg == "--before-sql" && i + 1 < argc) {
      before_sql = argv[++i];
    } else if (path.empty() && arg.rfind("--", 0) != 0) {
      path = arg;
    } else {
      return usage();
    }
  }
  if (path.empty()) return usage();
  spdlog::set_level(spdlog::level::warn);

  try {
    const long long rss_baseline = proc_status_bytes("VmRSS");
    Phases phases(phases_on, rss_baseline);
    std::string body = receive ? receive_body(path) : reflexbot::bench::read_body(path);
    const std::size_t body_bytes = body.size();
    phases.end("read", body_bytes);
    const long long rss_before = proc_status_bytes("VmRSS");

    std::vector<double> seconds;
    std::vector<double> cpu;
    std::vector<double> after_seconds;
    std::vector<double> after_cpu;
    std::int64_t statements_run = 0;
    int wal_pages = 0;
    reflexbot::app::BatchStats stats;
    for (int run = 0; run < repeat; ++run) {
      if (body.empty()) body = receive ? receive_body(path) : reflexbot::bench::read_body(path);
      const auto temp = reflexbot::bench::primed_store(body, cache_kib, warm);
      if (!before_sql.empty()) temp->store().connection().exec(before_sql);
      auto dispatcher = reflexbot::bench::make_dispatcher(temp->store());
      // As in the bot (app/runtime/bot.cpp): at the commit the dispatcher hands the batch's new
      // rows to the outbox's early send; here nothing is sent, but what is handed over is made.
      dispatcher.connect_outbox(
          [](const std::vector<reflexbot::OutboxItem>& rows) { return rows.size(); }, [] {});
      if (run == 0) phases.end("set-up", body_bytes);
      if (statements) {
        statements_run = 0;
        sqlite3_trace_v2(
            temp->store().connection().handle(), SQLITE_TRACE_STMT,
            [](unsigned, void* count, void*, void*) {
              ++*static_cast<std::int64_t*>(count);
              return 0;
            },
            &statements_run);
      }
      const double cpu_start = cpu_seconds();
      const auto start = std::chrono::steady_clock::now();
      dispatcher.received(body.size());  // as the sync loop tells it before the outline
      if (phases_on && run == 0) {
        auto outline = reflexbot::matrix::parse_sync_outline(body, reflexbot::bench::kOwnUserId);
        if (!outline) throw std::runtime_error("outline: " + outline.error().message);
        phases.end("outline", body_bytes);
        auto done =
            reflexbot::matrix::ingest(dispatcher, body, *outline, reflexbot::matrix::GapEvents{},
                                      reflexbot::bench::kOwnUserId, /*initial=*/false);
        if (!done) throw std::runtime_error("ingest: " + done.error().message);
        phases.end("ingest", body_bytes);
        stats = dispatcher.last_stats();
      } else {
        stats = reflexbot::bench::run_batch(dispatcher, body);
      }
      const auto stop = std::chrono::steady_clock::now();
      wal_pages = temp->store().wal_pages();
      if (dbstat && run == 0) {
        reflexbot::store::Statement pages(
            temp->store().connection(),
            "SELECT name, COUNT(*), SUM(ncell), SUM(pgsize - unused) FROM dbstat GROUP BY name "
            "ORDER BY COUNT(*) DESC");
        while (pages.step()) {
          std::cerr << "dbstat " << pages.column_text(0) << " pages " << pages.column_int(1)
                    << " cells " << pages.column_int(2) << " bytes used " << pages.column_int(3)
                    << "\n";
        }
      }
      cpu.push_back(cpu_seconds() - cpu_start);
      seconds.push_back(std::chrono::duration<double>(stop - start).count());
      if (statements) sqlite3_trace_v2(temp->store().connection().handle(), 0, nullptr, nullptr);
      // As in the bot: its sync step returns, freeing the body, before the indexing runs, and
      // after a large body the next /sync request waits for that indexing (app/runtime/pace.hpp),
      // so no body is held beside the dictionaries it loads. (The next run reads it again.)
      std::string().swap(body);
      const double after_cpu_start = cpu_seconds();
      temp->store().index_contributions();
      if (run == 0) phases.end("index terms", body_bytes);
      temp->store().checkpoint_if_due();
      if (run == 0) phases.end("checkpoint", body_bytes);
      after_cpu.push_back(cpu_seconds() - after_cpu_start);
      after_seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - stop).count());
    }
    std::sort(seconds.begin(), seconds.end());
    std::sort(cpu.begin(), cpu.end());
    std::sort(after_seconds.begin(), after_seconds.end());
    std::sort(after_cpu.begin(), after_cpu.end());
    const double median = seconds[seconds.size() / 2];
    const double cpu_median = cpu[cpu.size() / 2];
    const long long peak = reflexbot::bench::peak_rss_bytes();
    // After the batch, the store closed: what stays (the parsers keep their buffers for the next
    // batch).
    const long long rss_end = proc_status_bytes("VmRSS");
    const long long rss_end_anon = proc_status_bytes("RssAnon");
    const long long rss_end_file = proc_status_bytes("RssFile");
    const std::size_t events = stats.events + stats.duplicates + stats.quarantined;

    const reflexbot::bench::BodyRun run{events, body_bytes, median, peak, rss_baseline, rss_before};
    std::printf(
        "{%s,\"new_events\":%zu,\"queued\":%zu,\"quarantined\":%zu,\"repeat\":%d,"
        "\"cache_kib\":%ld,\"warm\":%s,\"cpu_seconds\":%.6f,\"rss_end_bytes\":%lld,\"rss_end_anon_"
        "bytes\":%lld,"
        "\"rss_end_file_bytes\":%lld,\"after_commit_seconds\":%.6f,"
        "\"after_commit_cpu_seconds\":%.6f,\"statements\":%lld,\"statements_per_event\":%.2f,"
        "\"wal_pages\":%d,\"receive\":%s}\n",
        reflexbot::bench::body_run_json(run).c_str(), stats.events, stats.queued, stats.quarantined,
        repeat, cache_kib, warm ? "true" : "false", cpu_median, rss_end, rss_end_anon, rss_end_file,
        after_seconds[after_seconds.size() / 2], after_cpu[after_cpu.size() / 2],
        static_cast<long long>(statements_run),
        events > 0 ? static_cast<double>(statements_run) / static_cast<double>(events) : 0.0,
        wal_pages, receive ? "true" : "false");
  } catch (const std::exception& e) {
    std::cerr << "reflexbot-bench-sync: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
