// reflexbot-bench: Google Benchmark of the /sync hot path for 1k, 10k and 100k-event bodies.
//
//   BM_ParseOutline   the first pass (rooms, state; timeline events skipped)
//   BM_Ingest         outline + ingest into the dispatcher + the committed SQLite transaction
//   BM_NlohmannDom    reference: nlohmann::json DOM parse of the same body
//
// Bodies: with REFLEXBOT_BENCH_BODIES=DIR the files DIR/sync_1k.json, sync_10k.json and
// sync_100k.json (from tests/fixtures/sync/generate_sync.py, see bench/run.sh) are used;
// otherwise an in-process generator of the same shape and mix writes them (50 rooms).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"

namespace {

using reflexbot::bench::kOwnUserId;

// Same shape and mix as generate_sync.py: 85 % m.room.message (some HTML, some replies), 10 %
// m.reaction, 5 % m.room.member; about 330 bytes per event.
std::string generate_body(std::size_t events, std::size_t rooms, std::uint64_t seed = 1) {
  static const char* const kSentences[] = {
      "Die Übergabe an der Einsatzstelle hat gut geklappt",
      "Funkverbindung im Keller war schwierig, wir mussten auf Melder ausweichen",
      "Lagekarte fehlte zu Beginn – nächstes Mal vorher ausdrucken",
      "Verpflegung kam pünktlich, großes Lob an die Küche",
      "Wer übernimmt die Nachbesprechung am Donnerstag?",
      "The handover to the night shift was unclear",
      "Straßensperrung wurde zu spät kommuniziert",
      "Atemschutzüberwachung lief reibungslos 👍",
      "Kommunikation mit der Verwaltung dauerte über zwei Stunden",
      "Freiwillige Helfer*innen brauchen eine klarere Einweisung",
      "Ölspur auf der B27, Bindemittel reichte nicht aus",
      "Schöne Grüße aus dem Bereitstellungsraum ☕",
  };
  static const char* const kTags[] = {"#lehre", "#problem",       "#erfolg",   "#idee", "#frust",
                                      "#stolz", "#kommunikation", "#personal", ""};
  static const char* const kReactions[] = {"👍", "📌", "✅", "❤️", "😂"};
  static const char kIdChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto chance = [&] { return std::uniform_real_distribution<double>(0, 1)(rng); };
  auto event_id = [&] {
    std::string id = "$";
    for (int i = 0; i < 43; ++i) id += kIdChars[pick(sizeof kIdChars - 1)];
    return id;
  };
  std::vector<std::string> room_ids;
  for (std::size_t i = 0; i < rooms; ++i) {
    std::string id = "!room" + std::to_string(1000 + i).substr(0);
    for (int k = 0; k < 12; ++k) id += kIdChars[pick(52)];
    room_ids.push_back(id + ":example.org");
  }
  std::vector<std::string> timelines(rooms);
  std::vector<std::vector<std::string>> recent(rooms);
  std::int64_t ts = 1718000000000;
  for (std::size_t n = 0; n < events; ++n) {
    const std::size_t r = n % rooms;
    char sender[32];
    std::snprintf(sender, sizeof sender, "@user%03zu:example.org", pick(200));
    ts += static_cast<std::int64_t>(1 + pick(900));
    const std::string eid = event_id();
    const double roll = chance();
    std::string ev;
    if (roll < 0.85) {
      std::string body = kSentences[pick(12)];
      const std::string tag = kTags[pick(9)];
      if (!tag.empty()) body += " " + tag;
      ev = R"({"type":"m.room.message","content":{"msgtype":"m.text","body":")" + body +
           R"(","m.mentions":{})";
      if (chance() < 0.1)
        ev += R"(,"format":"org.matrix.custom.html","formatted_body":"<p>)" + body + R"(</p>")";
      if (!recent[r].empty() && chance() < 0.1)
        ev += R"(,"m.relates_to":{"m.in_reply_to":{"event_id":")" +
              recent[r][pick(recent[r].size())] + R"("}})";
      ev += "}";
    } else if (roll < 0.95 && !recent[r].empty()) {
      ev =
          R"({"type":"m.reaction","content":{"m.relates_to":{"rel_type":"m.annotation","event_id":")" +
          recent[r][pick(recent[r].size())] + R"(","key":")" + kReactions[pick(5)] + R"("}})";
    } else {
      ev = R"({"type":"m.room.member","state_key":")" + std::string(sender) +
           R"(","content":{"membership":"join","displayname":"User"})";
    }
    ev += R"(,"sender":")" + std::string(sender) + R"(","origin_server_ts":)" + std::to_string(ts) +
          R"(,"event_id":")" + eid + R"(","unsigned":{"age":)" + std::to_string(10 + pick(100000)) +
          R"(,"membership":"join"}})";
    if (!timelines[r].empty()) timelines[r] += ",";
    timelines[r] += ev;
    recent[r].push_back(eid);
    if (recent[r].size() > 20) recent[r].erase(recent[r].begin());
  }
  std::string out =
      R"({"account_data":{"events":[]},"to_device":{"events":[]},"device_lists":{"changed":[],"left":[]},"presence":{"events":[]},"rooms":{"join":{)";
  for (std::size_t r = 0; r < rooms; ++r) {
    if (r > 0) out += ",";
    out +=
        "\"" + room_ids[r] + R"(":{"timeline":{"events":[)" + timelines[r] +
        R"(],"limited":false,"prev_batch":"t1-1_0_0"},"state":{"events":[]},"ephemeral":{"events":[]},"account_data":{"events":[]},"unread_notifications":{"highlight_count":0,"notification_count":0},"summary":{}})";
  }
  out +=
      R"(},"invite":{},"leave":{}},"next_batch":"s)" + std::to_string(events) + R"(_4483_1934"})";
  return out;
}

// The body for n events, generated or read once and kept (with simdjson's padding).
const std::string& body_for(std::int64_t events) {
  static std::map<std::int64_t, std::string> bodies;
  auto it = bodies.find(events);
  if (it != bodies.end()) return it->second;
  std::string body;
  if (const char* dir = std::getenv("REFLEXBOT_BENCH_BODIES"); dir != nullptr && *dir != '\0') {
    body = reflexbot::bench::read_body(std::string(dir) + "/sync_" + std::to_string(events / 1000) +
                                       "k.json");
  } else {
    body = generate_body(static_cast<std::size_t>(events), 50);
    body.reserve(body.size() + 64);
  }
  return bodies.emplace(events, std::move(body)).first->second;
}

void set_counters(benchmark::State& state, const std::string& body) {
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

void BM_ParseOutline(benchmark::State& state) {
  std::string body = body_for(state.range(0));
  body.reserve(body.size() + 64);
  for (auto _ : state) {
    auto outline = reflexbot::matrix::parse_sync_outline(body, kOwnUserId);
    if (!outline) state.SkipWithError(outline.error().message.c_str());
    benchmark::DoNotOptimize(outline);
  }
  set_counters(state, body);
}

void BM_Ingest(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  std::string body = body_for(state.range(0));
  body.reserve(body.size() + 64);
  for (auto _ : state) {
    // A fresh store per iteration (else every event is a duplicate); setup is not timed.
    state.PauseTiming();
    {
      auto temp = reflexbot::bench::primed_store(body);
      auto dispatcher = reflexbot::bench::make_dispatcher(temp->store());
      state.ResumeTiming();
      const auto& stats = reflexbot::bench::run_batch(dispatcher, body);
      state.PauseTiming();
      if (stats.events != static_cast<std::size_t>(state.range(0)))
        state.SkipWithError("not every event was new");
    }
    state.ResumeTiming();
  }
  set_counters(state, body);
}

void BM_NlohmannDom(benchmark::State& state) {
  const std::string& body = body_for(state.range(0));
  for (auto _ : state) {
    auto doc = nlohmann::json::parse(body);
    benchmark::DoNotOptimize(doc);
  }
  set_counters(state, body);
}

BENCHMARK(BM_ParseOutline)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Ingest)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_NlohmannDom)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
