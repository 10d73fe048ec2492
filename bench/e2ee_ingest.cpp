// reflexbot-bench-e2ee EVENTS [--clear] [--repeat K]: one /sync batch of EVENTS room messages
// (three in four tagged, so collected), through the real batch path with encryption: the body's
// to-device room key goes to the bot's crypto machine (matrix-sdk-crypto, its SQLite store in a
// temp dir), every m.room.encrypted event is decrypted and ingested, one committed transaction.
// --clear: the same messages unencrypted, without the machine's work. Prints one line of JSON.
//
// Set-up (untimed): two real machines, the bot and a participant, play out what a homeserver
// would carry between them (key upload, query, claim, the room key as an Olm to-device message);
// the participant encrypts the messages. Also timed: the participant's Megolm encryption of one
// message (encrypt_us), the cost of the sender's side of one encrypted send without HTTP.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "crypto/olm_machine.hpp"
#include "matrix/e2ee.hpp"

namespace {

namespace crypto = reflexbot::crypto;
using nlohmann::json;
using reflexbot::bench::cpu_seconds;
using reflexbot::bench::kOwnUserId;
using reflexbot::bench::proc_status_bytes;

const std::string kAnna = "@anna:example.org";
const std::string kRoom = "!bench:example.org";

/// A transport that never reaches anything: the timed path sends nothing.
class NoTransport final : public reflexbot::net::Transport {
 public:
  reflexbot::net::asio::awaitable<reflexbot::net::Result> perform(
      reflexbot::net::Request) override {
    co_return reflexbot::net::Result(reflexbot::Unexpected{reflexbot::net::TransportError{
        reflexbot::net::TransportErrorKind::other, 0, "the benchmark sends nothing"}});
  }
  void start(reflexbot::net::Request, std::function<void(reflexbot::net::Result)>) override {}
  void shutdown() override {}
};

template <typename T>
T need(crypto::Result<T> result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().message);
  return std::move(result).value();
}

void need(crypto::Result<void> result, const char* what) {
  if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().message);
}

/// Uploads a machine's keys (answered as a homeserver would); returns the upload's body.
json upload_keys(crypto::Machine& machine) {
  for (const auto& request : need(machine.outgoing_requests(), "outgoing requests")) {
    if (request.kind != "keys_upload") continue;
    json body = json::parse(request.body);
    const auto count = body.value("one_time_keys", json::object()).size();
    need(machine.mark_request_as_sent(
             request, json{{"one_time_key_counts", {{"signed_curve25519", count}}}}.dump()),
         "mark keys upload");
    return body;
  }
  throw std::runtime_error("no keys upload");
}

/// The participant learns the bot's device and claims one of its one-time keys (an Olm session).
void meet_the_bot(crypto::Machine& anna, const json& bot_keys) {
  need(anna.update_tracked_users({kOwnUserId}), "track");
  for (const auto& request : need(anna.outgoing_requests(), "outgoing requests")) {
    if (request.kind != "keys_query") continue;
    need(anna.mark_request_as_sent(
             request, json{{"device_keys", {{kOwnUserId, {{"BOTDEV", bot_keys["device_keys"]}}}}},
                           {"failures", json::object()}}
                          .dump()),
         "mark keys query");
  }
  if (auto claim = need(anna.missing_sessions({kOwnUserId}), "missing sessions")) {
    const auto& otks = bot_keys["one_time_keys"];
    json one = json::object();
    one[otks.begin().key()] = otks.begin().value();
    need(
        anna.mark_request_as_sent(*claim, json{{"one_time_keys", {{kOwnUserId, {{"BOTDEV", one}}}}},
                                               {"failures", json::object()}}
                                              .dump()),
        "mark keys claim");
  }
}

/// Shares the participant's current room key with the bot if it is new (the first, or after a
/// rotation: clients rotate every 100 messages); adds the to-device events the bot's sync would
/// carry.
void share_with_bot(crypto::Machine& anna, json& to_device) {
  for (const auto& request :
       need(anna.share_room_key(kRoom, {kAnna, kOwnUserId}, crypto::SharePolicy::all_devices),
            "share room key")) {
    const json body = json::parse(request.body);
    for (const auto& [user, devices] : body["messages"].items()) {
      for (const auto& [device, content] : devices.items()) {
        to_device.push_back(
            {{"type", "m.room.encrypted"}, {"sender", kAnna}, {"content", content}});
      }
    }
    need(anna.mark_request_as_sent(request, "{}"), "mark to-device");
  }
}

json message_content(int i) {
  const std::string text = i % 4 == 3 ? "Beitrag " + std::to_string(i) + " ohne Schlagwort"
                                      : "Beitrag " + std::to_string(i) + " zur Lage #problem";
  return {{"msgtype", "m.text"}, {"body", text}};
}

struct Body {
  std::string text;
  double encrypt_us = 0;  ///< median Megolm encryption of one message by the participant
};

Body make_body(int events, bool clear, crypto::Machine* anna) {
  json to_device = json::array();
  json timeline = json::array();
  std::vector<double> micros;
  for (int i = 0; i < events; ++i) {
    json event = {{"event_id", "$e" + std::to_string(i)},
                  {"sender", kAnna},
                  {"origin_server_ts", 1700000000000 + i}};
    if (clear) {
      event["type"] = "m.room.message";
      event["content"] = message_content(i);
    } else {
      share_with_bot(*anna, to_device);
      const auto start = std::chrono::steady_clock::now();
      auto sealed =
          need(anna->encrypt(kRoom, "m.room.message", message_content(i).dump()), "encrypt");
      micros.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count());
      event["type"] = "m.room.encrypted";
      event["content"] = json::parse(sealed);
    }
    timeline.push_back(std::move(event));
  }
  json body = {{"next_batch", "s1_bench"},
               {"rooms", {{"join", {{kRoom, {{"timeline", {{"events", timeline}}}}}}}}}};
  if (!clear) body["to_device"] = {{"events", to_device}};
  Body out{body.dump(), 0};
  if (!micros.empty()) {
    std::sort(micros.begin(), micros.end());
    out.encrypt_us = micros[micros.size() / 2];
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int events = 0;
  bool clear = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--clear") {
      clear = true;
    } else if (events == 0 && std::atoi(argv[i]) > 0) {
      events = std::atoi(argv[i]);
    } else {
      std::cerr << "usage: reflexbot-bench-e2ee EVENTS [--clear]\n";
      return 2;
    }
  }
  if (events == 0) {
    std::cerr << "usage: reflexbot-bench-e2ee EVENTS [--clear]\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  try {
    const long long rss_baseline = proc_status_bytes("VmRSS");
    reflexbot::bench::TempStore temp;
    const auto& dir = temp.dir();
    auto bot = need(crypto::OlmMachine::open(kOwnUserId, "BOTDEV", (dir / "bot.crypto").string(),
                                             "bench-key-0123456789abcdef"),
                    "open the bot's machine");
    auto anna = need(crypto::OlmMachine::open(kAnna, "ANNADEV", (dir / "anna.crypto").string(),
                                              "bench-key-0123456789abcdef"),
                     "open the participant's machine");
    const json bot_keys = upload_keys(*bot);
    upload_keys(*anna);
    meet_the_bot(*anna, bot_keys);
    Body body = make_body(events, clear, anna.get());
    const std::size_t body_bytes = body.text.size();
    const long long rss_before = proc_status_bytes("VmRSS");

    auto outline = reflexbot::matrix::parse_sync_outline(body.text, kOwnUserId);
    if (!outline) throw std::runtime_error("outline: " + outline.error().message);
    temp.prime(*outline);
    auto dispatcher = reflexbot::bench::make_dispatcher(temp.store());
    reflexbot::net::asio::io_context io;
    NoTransport transport;
    reflexbot::matrix::ClientSettings settings;
    settings.homeserver = "https://hs.invalid";
    settings.user_id = kOwnUserId;
    reflexbot::matrix::Client client(transport, settings);
    reflexbot::matrix::TimerSleeper sleeper(io);
    reflexbot::matrix::E2ee e2ee(
        client, *bot, sleeper,
        reflexbot::matrix::Backoff(reflexbot::matrix::BackoffPolicy{}, [] { return 0.0; }),
        [](const std::string&) { return std::vector<std::string>{}; },
        crypto::SharePolicy::all_devices);

    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    // The timed path: outline, the keys to the machine (its store commits), ingest with
    // decryption, one committed transaction. (The sync loop does the same, plus HTTP.)
    auto timed = reflexbot::matrix::parse_sync_outline(body.text, kOwnUserId);
    if (!timed) throw std::runtime_error("outline: " + timed.error().message);
    if (!clear) need(bot->receive_sync_changes(timed->encryption), "receive the room key");
    auto done =
        reflexbot::matrix::ingest(dispatcher, body.text, *timed, reflexbot::matrix::GapEvents{},
                                  kOwnUserId, false, {}, clear ? nullptr : &e2ee);
    if (!done) throw std::runtime_error("ingest: " + done.error().message);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpu_seconds() - cpu_start;
    const auto& stats = dispatcher.last_stats();
    const long long peak = reflexbot::bench::peak_rss_bytes();
    const reflexbot::bench::BodyRun run{
        stats.events + stats.duplicates, body_bytes, seconds, peak, rss_baseline, rss_before};
    std::printf(
        "{%s,\"mode\":\"%s\",\"new_events\":%zu,\"queued\":%zu,\"undecryptable\":%zu,"
        "\"cpu_seconds\":%.6f,\"encrypt_us\":%.1f}\n",
        reflexbot::bench::body_run_json(run).c_str(), clear ? "clear" : "encrypted", stats.events,
        stats.queued, stats.undecryptable, cpu, body.encrypt_us);
  } catch (const std::exception& e) {
    std::cerr << "reflexbot-bench-e2ee: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
