// reflexbot-bench-digest: the cost of a network digest over 10k, 100k and 1M stored contributions
// from 400 cities (issue 4). The store comes from digest_fixture.hpp and is built once per size.
//
//   reflexbot-bench-digest prepare N [N …] [--previous R]
//       builds (or finds) the stores and prints the generator's statistics, one JSON line each.
//   reflexbot-bench-digest run N [--previous R] [--repeat K] [--cache-kib C] [--mmap-mib M]
//       a whole process: opens the store, times app::DigestBuilder::build for the network room
//       (load from SQLite, analyze, group, rank, render) and prints one line of JSON with wall and
//       CPU time and the memory it took; then draws the digest's chart (core::digest_chart +
//       render::chart_png) and reports its time (first and median round), size and dimensions
//       (REFLEXBOT_BENCH_CHART_OUT=FILE writes the PNG). If the store is missing it is built first
//       and the program starts itself again, so the measurement never includes the generator's
//       memory.
//       --cache-kib and --mmap-mib are experiments only: they set PRAGMA cache_size = -C and
//       mmap_size = M MiB on the store's connection (the bot keeps SQLite's defaults: a 2000 KiB
//       cache, no mmap).
//   reflexbot-bench-digest phases N [--previous R] [--repeat K]
//       the same work split by phase with timers (load, analyze, tf-idf, group, then
//       core::build_digest as a whole — whose rank share is its time minus the three before —
//       and render), each phase the fastest of K rounds; one JSON line.
//   reflexbot-bench-digest dump N [--previous R]
//       prints the network digest of the store as text: every group (rank, counts, title,
//       keywords, quotes, member event ids) and the notices' text and HTML, once as posted and once
//       complete with every group named; bench/digest_identical.sh compares two builds' dumps.
//   reflexbot-bench-digest dump-fixture FILE.tsv
//       the same for a labelled fixture of tests/fixtures/digest (as core_tests reads it), in file
//       order, in three fixed shuffles, and without hashtags.
//   reflexbot-bench-digest [--benchmark_… flags]
//       Google Benchmark cases for the phases at 10k and 100k contributions.
//
// N counts the contributions in the digest's week; the previous week holds R · N more (default
// R = 1), which the digest loads too for its growth marks. The stores live in
// REFLEXBOT_BENCH_DIGEST_DIR (default: build dir/digest-stores).
//
// Memory (bytes): rss_baseline is VmRSS at start; rss_before is VmRSS with the store open, before
// the build; peak_rss is the whole-process high-water mark (getrusage ru_maxrss, VmHWM beside it);
// peak_above_baseline = peak_rss − rss_baseline.

#include <benchmark/benchmark.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "../tests/fixtures/digest/labelled.hpp"
#include "bench_support.hpp"
#include "core/chart.hpp"
#include "core/digest.hpp"
#include "core/digest_view.hpp"
#include "digest_fixture.hpp"
#include "lang/lexicon.hpp"
#include "render/chart.hpp"
#include "store/digests.hpp"

namespace {

using reflexbot::bench::cpu_seconds;
using reflexbot::bench::DigestFixture;
using reflexbot::bench::DigestFixtureSpec;
using reflexbot::bench::peak_rss_bytes;
using reflexbot::bench::proc_status_bytes;
namespace app = reflexbot::app;
namespace core = reflexbot::core;
namespace fixtures = reflexbot::fixtures;
namespace store = reflexbot::store;

std::string store_directory() {
  if (const char* dir = std::getenv("REFLEXBOT_BENCH_DIGEST_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  return REFLEXBOT_BENCH_DIGEST_DIR;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

// Wall and CPU seconds of one section.
class Stopwatch {
 public:
  Stopwatch() : wall_(std::chrono::steady_clock::now()), cpu_(cpu_seconds()) {}
  std::pair<double, double> lap() {
    const auto wall = std::chrono::steady_clock::now();
    const double cpu = cpu_seconds();
    const std::pair<double, double> out{std::chrono::duration<double>(wall - wall_).count(),
                                        cpu - cpu_};
    wall_ = wall;
    cpu_ = cpu;
    return out;
  }

 private:
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

// The request app::DigestBuilder::build makes for the network room.
core::DigestRequest network_request(const DigestFixture& fixture,
                                    const app::DigestSettings& settings, core::Lexicon* lexicon) {
  core::DigestRequest request;
  request.lexicon = lexicon;
  request.language = settings.language;
  request.from = fixture.from;
  request.to = fixture.to;
  request.now = fixture.now;
  request.zone = settings.zone;
  request.top = static_cast<std::size_t>(settings.top);
  request.vocabulary = &settings.vocabulary;
  // Experiments only (the phases' grouping): REFLEXBOT_BENCH_THREADS=N, the grouping's threads.
  if (const char* threads = std::getenv("REFLEXBOT_BENCH_THREADS")) {
    request.grouping.threads = static_cast<std::size_t>(std::atoi(threads));
  }
  // Experiments only: REFLEXBOT_BENCH_GROUPING="probe_terms,postings_scanned,sum_terms".
  if (const char* bounds = std::getenv("REFLEXBOT_BENCH_GROUPING")) {
    std::size_t probe = 0, postings = 0, sum_terms = 0;
    if (std::sscanf(bounds, "%zu,%zu,%zu", &probe, &postings, &sum_terms) == 3) {
      request.grouping.probe_terms = probe;
      request.grouping.postings_scanned = postings;
      request.grouping.sum_terms = sum_terms;
    }
  }
  return request;
}

// What app::DigestBuilder::build loads: the period, the previous period and the open lessons.
struct Loaded {
  std::vector<core::DigestItem> items;
  std::vector<core::Lesson> lessons;
};

Loaded load(store::Store& db, const DigestFixture& fixture, const app::DigestSettings& settings) {
  Loaded out;
  app::DigestBuilder digests(db, settings);
  out.items = digests.load_items("", fixture.from, fixture.to);
  out.lessons = store::lessons(db, "");
  return out;
}

// The first step of core::build_digest on its own: items in time order, their terms (the
// stored keys as dense ids, topic tags) and the boosts.
using Analysis = core::DigestTerms;
Analysis analyze(const std::vector<core::DigestItem>& items, const core::DigestRequest& request) {
  return core::digest_terms(items, request);
}

struct Options {
  std::vector<std::size_t> sizes;
  double previous_ratio = 1.0;
  int repeat = 1;
  long cache_kib = 0;
  long mmap_mib = 0;
};

int usage() {
  std::cerr << "usage: reflexbot-bench-digest prepare N [N …] [--previous R]\n"
               "       reflexbot-bench-digest run N [--previous R] [--repeat K] [--cache-kib C]"
               " [--mmap-mib M]\n"
               "       reflexbot-bench-digest phases N [--previous R] [--repeat K]\n"
               "       reflexbot-bench-digest dump N [--previous R]\n"
               "       reflexbot-bench-digest dump-fixture FILE.tsv\n"
               "       reflexbot-bench-digest [--benchmark_… flags]\n";
  return 2;
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--previous" && i + 1 < argc) {
      options.previous_ratio = std::atof(argv[++i]);
      if (options.previous_ratio < 0) return false;
    } else if (arg == "--cache-kib" && i + 1 < argc) {
      options.cache_kib = std::atol(argv[++i]);
      if (options.cache_kib < 1) return false;
    } else if (arg == "--mmap-mib" && i + 1 < argc) {
      options.mmap_mib = std::atol(argv[++i]);
      if (options.mmap_mib < 1) return false;
    } else if (arg == "--repeat" && i + 1 < argc) {
      options.repeat = std::atoi(argv[++i]);
      if (options.repeat < 1) return false;
    } else if (!arg.empty() && arg[0] != '-') {
      const long long n = std::atoll(arg.c_str());
      if (n < 1) return false;
      options.sizes.push_back(static_cast<std::size_t>(n));
    } else {
      return false;
    }
  }
  return !options.sizes.empty();
}

DigestFixtureSpec spec_for(std::size_t n, double previous_ratio) {
  DigestFixtureSpec spec;
  spec.contributions = n;
  spec.previous_ratio = previous_ratio;
  return spec;
}

int prepare(const Options& options) {
  for (const std::size_t n : options.sizes) {
    const auto start = std::chrono::steady_clock::now();
    bool built = false;
    const DigestFixture fixture = reflexbot::bench::digest_fixture(
        spec_for(n, options.previous_ratio), store_directory(), &built);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(fixture.path, ec);
    std::cerr << (built ? "built " : "found ") << fixture.path << " in " << seconds << " s\n";
    std::printf(
        "{\"path\":\"%s\",\"built\":%s,\"build_seconds\":%.1f,\"file_bytes\":%llu,"
        "\"stats\":%s}\n",
        fixture.path.c_str(), built ? "true" : "false", seconds,
        static_cast<unsigned long long>(ec ? 0 : bytes),
        reflexbot::bench::digest_fixture_stats(fixture).c_str());
    std::fflush(stdout);
  }
  return 0;
}

// Sizes of what a digest produced.
std::string digest_summary(const core::Digest& digest, std::size_t items,
                           const std::vector<core::Notice>& notices) {
  std::size_t multi = 0;
  std::size_t largest = 0;
  std::size_t singletons = 0;
  for (const auto& group : digest.groups) {
    const auto size = static_cast<std::size_t>(group.current);
    if (size >= 2) ++multi;
    if (size == 1 && group.previous == 0) ++singletons;
    largest = std::max(largest, size);
  }
  std::size_t bytes = 0;
  for (const auto& notice : notices) bytes += notice.text.size() + notice.html.size();
  char buffer[512];
  std::snprintf(buffer, sizeof buffer,
                "\"items\":%zu,\"digest_contributions\":%d,\"participants\":%d,\"cities\":%zu,"
                "\"groups\":%zu,\"groups_2plus\":%zu,\"singleton_groups\":%zu,"
                "\"largest_group\":%zu,\"lessons_listed\":%zu,\"open_actions\":%zu,"
                "\"notices\":%zu,\"notice_bytes\":%zu",
                items, digest.contributions, digest.participants, digest.cities.size(),
                digest.groups.size(), multi, singletons, largest, digest.lessons.size(),
                digest.open_actions.size(), notices.size(), bytes);
  return buffer;
}

// The store of options' size, generated if it is not there yet; after generating it the
// process starts again (same arguments), so that nothing of the generator's memory or caches is in
// what it measures.
DigestFixture fixture_or_restart(const Options& options, char** argv) {
  bool built = false;
  DigestFixture fixture = reflexbot::bench::digest_fixture(
      spec_for(options.sizes.front(), options.previous_ratio), store_directory(), &built);
  if (built) {
    std::fflush(nullptr);
    ::execv("/proc/self/exe", argv);
    throw std::runtime_error("cannot restart after generating the store");
  }
  return fixture;
}

int run(const Options& options, char** argv) {
  if (options.sizes.size() != 1) return usage();
  const long long rss_baseline = proc_status_bytes("VmRSS");
  const DigestFixture fixture = fixture_or_restart(options, argv);
  const double load_before = load_average();
  store::Store db(fixture.path);
  if (options.cache_kib > 0)
    db.connection().exec("PRAGMA cache_size = -" + std::to_string(options.cache_kib));
  if (options.mmap_mib > 0)
    db.connection().exec("PRAGMA mmap_size = " + std::to_string(options.mmap_mib * 1024 * 1024));
  app::DigestBuilder digests(db, reflexbot::bench::digest_settings(fixture));
  const long long rss_before = proc_status_bytes("VmRSS");

  std::vector<double> wall;
  std::vector<double> cpu;
  std::vector<double> chart_wall;
  std::string summary;
  reflexbot::render::Png png;
  std::string chart_error;
  for (int r = 0; r < options.repeat; ++r) {
    Stopwatch watch;
    app::DigestBuilder::Result result =
        digests.build(fixture.network_room, fixture.from, fixture.to, fixture.now);
    // The bot renders when it posts (under the digest's number); measured here as before.
    result.notices =
        core::render_digest(result.digest, result.items, digests.settings().max_event_bytes);
    const auto [w, c] = watch.lap();
    wall.push_back(w);
    cpu.push_back(c);
    if (r == 0) summary = digest_summary(result.digest, result.items.size(), result.notices);
    // The chart the weekly digest posts after its text (app::Digests::post_chart), timed on its
    // own: the first round includes loading the fonts, as the bot's first chart does.
    Stopwatch chart_watch;
    auto drawn = reflexbot::render::chart_png(
        core::digest_chart(core::DigestView(result.digest, result.items)));
    chart_wall.push_back(chart_watch.lap().first);
    if (drawn) {
      png = std::move(drawn).value();
    } else {
      chart_error = drawn.error();
      std::replace(chart_error.begin(), chart_error.end(), '"', '\'');
    }
  }
  if (const char* out = std::getenv("REFLEXBOT_BENCH_CHART_OUT"); out != nullptr && *out != '\0') {
    std::ofstream(out, std::ios::binary) << png.bytes;
  }
  const double chart_first = chart_wall.front();
  std::sort(chart_wall.begin(), chart_wall.end());
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  const long long peak = peak_rss_bytes();
  const long long hwm = proc_status_bytes("VmHWM");
  const long long rss_end = proc_status_bytes("VmRSS");
  const double n = static_cast<double>(fixture.spec.contributions);
  const double seconds = wall[wall.size() / 2];
  std::printf(
      "{\"contributions\":%zu,\"previous\":%zu,\"seconds\":%.6f,\"cpu_seconds\":%.6f,"
      "\"us_per_contribution\":%.3f,\"cpu_us_per_contribution\":%.3f,\"repeat\":%d,"
      "\"peak_rss_bytes\":%lld,\"vm_hwm_bytes\":%lld,\"rss_baseline_bytes\":%lld,"
      "\"rss_before_bytes\":%lld,\"peak_above_baseline_bytes\":%lld,\"rss_end_bytes\":%lld,"
      "\"load1_before\":%.2f,\"load1_after\":%.2f,\"cpu\":%d,\"cache_kib\":%ld,"
      "\"mmap_mib\":%ld,\"chart_first_seconds\":%.6f,\"chart_seconds\":%.6f,"
      "\"chart_bytes\":%zu,\"chart_width\":%d,\"chart_height\":%d,\"chart_error\":\"%s\",%s}\n",
      fixture.spec.contributions, fixture.previous, seconds, cpu[cpu.size() / 2], seconds / n * 1e6,
      cpu[cpu.size() / 2] / n * 1e6, options.repeat, peak, hwm, rss_baseline, rss_before,
      peak - rss_baseline, rss_end, load_before, load_average(), sched_getcpu(), options.cache_kib,
      options.mmap_mib, chart_first, chart_wall[chart_wall.size() / 2], png.bytes.size(), png.width,
      png.height, chart_error.c_str(), summary.c_str());
  return 0;
}

int phases(const Options& options, char** argv) {
  if (options.sizes.size() != 1) return usage();
  const DigestFixture fixture = fixture_or_restart(options, argv);
  const double load_before = load_average();
  store::Store db(fixture.path);
  const app::DigestSettings settings = reflexbot::bench::digest_settings(fixture);
  const core::DigestRequest request = network_request(fixture, settings, db.lexicon());

  // Each phase's fastest of `repeat` rounds (the least disturbed by other work on the machine).
  static constexpr const char* kPhases[] = {"load",  "analyze",      "tfidf",
                                            "group", "build_digest", "render"};
  std::map<std::string, std::pair<double, double>> best;
  std::map<std::string, long long> rss;
  auto record = [&](const char* name, std::pair<double, double> lap) {
    auto [it, inserted] = best.try_emplace(name, lap);
    if (!inserted) {
      it->second.first = std::min(it->second.first, lap.first);
      it->second.second = std::min(it->second.second, lap.second);
    }
    rss[name] = proc_status_bytes("VmRSS");
  };
  std::string summary;
  std::size_t terms = 0;
  std::uint32_t raw_groups = 0;
  for (int round = 0; round < options.repeat; ++round) {
    Stopwatch watch;
    const Loaded loaded = load(db, fixture, settings);
    record(kPhases[0], watch.lap());
    Analysis analysis = analyze(loaded.items, request);
    record(kPhases[1], watch.lap());
    const auto vectors = core::tfidf_vectors(analysis.terms, analysis.boost, request.idf_prior);
    record(kPhases[2], watch.lap());
    const auto groups = core::group_documents(vectors, request.grouping, analysis.leaders);
    record(kPhases[3], watch.lap());
    terms = 0;
    for (const auto& doc : analysis.terms) terms += doc.size();
    raw_groups = 0;
    for (const auto g : groups) {
      if (g != core::kNoGroupFound) raw_groups = std::max(raw_groups, g + 1);
    }
    analysis = {};
    watch.lap();
    const core::Digest digest = core::build_digest(loaded.items, loaded.lessons, request);
    record(kPhases[4], watch.lap());
    const auto notices = core::render_digest(digest, loaded.items, settings.max_event_bytes);
    record(kPhases[5], watch.lap());
    summary = digest_summary(digest, loaded.items.size(), notices);
  }
  std::string out = "{\"contributions\":" + std::to_string(fixture.spec.contributions) +
                    ",\"previous\":" + std::to_string(fixture.previous) +
                    ",\"repeat\":" + std::to_string(options.repeat);
  for (const char* name : kPhases) {
    char buffer[160];
    std::snprintf(buffer, sizeof buffer,
                  ",\"%s\":{\"seconds\":%.6f,\"cpu_seconds\":%.6f,\"rss_bytes\":%lld}", name,
                  best[name].first, best[name].second, rss[name]);
    out += buffer;
  }
  out += ",\"terms\":" + std::to_string(terms) + ",\"raw_groups\":" + std::to_string(raw_groups) +
         "," + summary;
  char tail[128];
  std::snprintf(tail, sizeof tail,
                ",\"peak_rss_bytes\":%lld,\"load1_before\":%.2f,"
                "\"load1_after\":%.2f}\n",
                peak_rss_bytes(), load_before, load_average());
  out += tail;
  std::fputs(out.c_str(), stdout);
  return 0;
}

// A digest as text, everything that a reader or a later command could see: the groups in rank
// order with their counts, titles, keywords, quotes and members, then the sections and the
// rendered notices.
void print_digest(std::ostream& out, const core::Digest& digest,
                  std::span<const core::DigestItem> items,
                  const std::vector<core::Notice>& notices) {
  out << "contributions " << digest.contributions << " participants " << digest.participants
      << " anonymous " << digest.anonymous << " groups " << digest.groups.size() << "\n";
  for (const auto& group : digest.groups) {
    out << "group " << group.id << " current " << group.current << " previous " << group.previous
        << " participants " << group.participants << " anonymous " << group.anonymous << " votes "
        << group.votes << " curated " << group.curated << " title [" << group.title() << "]";
    for (const auto& keyword : group.keywords) out << " kw [" << keyword << "]";
    for (const auto& city : group.cities) out << " city [" << city << "]";
    for (const std::size_t q : group.quotes) out << " quote " << items[q].id;
    out << "\n members";
    for (const std::size_t m : group.members) out << " " << items[m].id;
    out << "\n";
  }
  const auto list = [&](const char* name, const std::vector<std::uint32_t>& ids) {
    out << name;
    for (const auto id : ids) out << " " << id;
    out << "\n";
  };
  list("lessons", digest.lessons);
  list("went_well", digest.went_well);
  list("was_hard", digest.was_hard);
  list("ideas", digest.ideas);
  out << "group_of";
  for (const auto g : digest.group_of) out << " " << g;
  out << "\n";
  for (const auto& notice : notices)
    out << "--- text\n" << notice.text << "\n--- html\n" << notice.html << "\n";
}

int dump(const Options& options, char** argv) {
  if (options.sizes.size() != 1) return usage();
  const DigestFixture fixture = fixture_or_restart(options, argv);
  store::Store db(fixture.path);
  app::DigestBuilder digests(db, reflexbot::bench::digest_settings(fixture));
  for (const bool complete : {false, true}) {
    auto result = digests.build(fixture.network_room, fixture.from, fixture.to, fixture.now,
                                complete, complete);
    const auto notices =
        core::render_digest(result.digest, result.items, digests.settings().max_event_bytes);
    std::cout << "=== " << (complete ? "complete, every group named" : "as posted") << "\n";
    print_digest(std::cout, result.digest, result.items, notices);
  }
  return 0;
}

int dump_fixture(const std::string& path) {
  reflexbot::lang::DebianLexicon lexicon;
  const std::vector<core::DigestItem> items = fixtures::read_labelled(path).items;
  const std::vector<core::DigestItem> bare = fixtures::without_hashtags(items);
  const auto print = [&](const char* what, std::vector<core::DigestItem> list) {
    core::DigestRequest request;
    request.lexicon = &lexicon;
    request.name_all_groups = true;
    const core::Digest digest = core::build_digest(list, {}, request);
    std::cout << "=== " << path << " " << what << "\n";
    print_digest(std::cout, digest, list, core::render_digest(digest, list));
  };
  print("file order", items);
  print("without hashtags", bare);
  std::mt19937 random(42);
  for (int round = 0; round < 3; ++round) {
    std::vector<core::DigestItem> shuffled = items;
    for (std::size_t i = shuffled.size(); i > 1; --i) {
      std::swap(shuffled[i - 1], shuffled[random() % i]);
    }
    for (std::size_t i = 0; i < shuffled.size(); ++i) {
      shuffled[i].written_at = core::TimePoint{std::chrono::minutes(i)};
    }
    print(("shuffle " + std::to_string(round)).c_str(), std::move(shuffled));
  }
  return 0;
}

// Google Benchmark: the phases at 10k and 100k, on data loaded once per size.
struct Prepared {
  DigestFixture fixture;
  std::unique_ptr<store::Store> db;
  app::DigestSettings settings;
  core::DigestRequest request;
  Loaded loaded;
  std::vector<core::SparseVector> vectors;
  std::size_t leaders = 0;
  core::Digest digest;
};

Prepared& prepared(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Prepared>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<Prepared>();
  Prepared& p = *slot;
  p.fixture = reflexbot::bench::digest_fixture(spec_for(n, 1.0), store_directory());
  p.db = std::make_unique<store::Store>(p.fixture.path);
  p.settings = reflexbot::bench::digest_settings(p.fixture);
  p.request = network_request(p.fixture, p.settings, p.db->lexicon());
  p.loaded = load(*p.db, p.fixture, p.settings);
  const Analysis analysis = analyze(p.loaded.items, p.request);
  p.vectors = core::tfidf_vectors(analysis.terms, analysis.boost, p.request.idf_prior);
  p.leaders = analysis.leaders;
  p.digest = core::build_digest(p.loaded.items, p.loaded.lessons, p.request);
  return p;
}

void set_items(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Load(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Loaded loaded = load(*p.db, p.fixture, p.settings);
    benchmark::DoNotOptimize(loaded.items.data());
  }
  set_items(state);
}

void BM_Analyze(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Analysis analysis = analyze(p.loaded.items, p.request);
    benchmark::DoNotOptimize(analysis.terms.data());
  }
  set_items(state);
}

void BM_AnalyzeTfidf(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    const Analysis analysis = analyze(p.loaded.items, p.request);
    auto vectors = core::tfidf_vectors(analysis.terms, analysis.boost, p.request.idf_prior);
    benchmark::DoNotOptimize(vectors.data());
  }
  set_items(state);
}

void BM_Group(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto groups = core::group_documents(p.vectors, p.request.grouping, p.leaders);
    benchmark::DoNotOptimize(groups.data());
  }
  set_items(state);
}

// core::build_digest as a whole: analyze + tf-idf + group + rank and sections.
void BM_BuildDigest(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    core::Digest digest = core::build_digest(p.loaded.items, p.loaded.lessons, p.request);
    benchmark::DoNotOptimize(digest.groups.data());
  }
  set_items(state);
}

void BM_Render(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto notices = core::render_digest(p.digest, p.loaded.items, p.settings.max_event_bytes);
    benchmark::DoNotOptimize(notices.data());
  }
  set_items(state);
}

// app::DigestBuilder::build and the rendering: everything (what `run` measures once per
// process).
void BM_DigestsBuild(benchmark::State& state) {
  Prepared& p = prepared(static_cast<std::size_t>(state.range(0)));
  app::DigestBuilder digests(*p.db, p.settings);
  for (auto _ : state) {
    auto result =
        digests.build(p.fixture.network_room, p.fixture.from, p.fixture.to, p.fixture.now);
    result.notices = core::render_digest(result.digest, result.items, p.settings.max_event_bytes);
    benchmark::DoNotOptimize(result.notices.data());
  }
  set_items(state);
}

BENCHMARK(BM_Load)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Analyze)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AnalyzeTfidf)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Group)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildDigest)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Render)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DigestsBuild)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "dump-fixture") {
      if (argc != 3) return usage();
      return dump_fixture(argv[2]);
    }
    if (mode == "prepare" || mode == "run" || mode == "phases" || mode == "dump") {
      Options options;
      if (!parse_options(argc, argv, options)) return usage();
      if (mode == "prepare") return prepare(options);
      if (mode == "run") return run(options, argv);
      if (mode == "dump") return dump(options, argv);
      return phases(options, argv);
    }
    if (!mode.empty() && mode[0] != '-') return usage();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::cerr << "reflexbot-bench-digest: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
