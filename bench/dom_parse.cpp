// reflexbot-bench-dom BODY_FILE: the reference the bot's parser is compared with. Parses the
// same /sync body into a nlohmann::json DOM, counts the timeline events, and prints one line of
// JSON with the same memory fields as reflexbot-bench-sync (see there).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_support.hpp"

using reflexbot::bench::proc_status_bytes;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: reflexbot-bench-dom BODY_FILE\n";
    return 2;
  }
  try {
    const long long rss_baseline = proc_status_bytes("VmRSS");
    std::string body = reflexbot::bench::read_body(argv[1]);
    const long long rss_before = proc_status_bytes("VmRSS");

    const auto start = std::chrono::steady_clock::now();
    auto doc = nlohmann::json::parse(body);
    std::size_t events = 0;
    for (const auto& [room_id, room] : doc.at("rooms").at("join").items()) {
      events += room.at("timeline").at("events").size();
    }
    const auto stop = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(stop - start).count();
    const long long rss_dom = proc_status_bytes("VmRSS");
    const reflexbot::bench::BodyRun run{
        events, body.size(), seconds, reflexbot::bench::peak_rss_bytes(), rss_baseline, rss_before};
    const double body_bytes = static_cast<double>(body.size());

    std::printf("{%s,\"dom_above_body_bytes\":%lld,\"dom_per_body\":%.3f}\n",
                reflexbot::bench::body_run_json(run).c_str(), rss_dom - rss_before,
                static_cast<double>(rss_dom - rss_before) / body_bytes);
  } catch (const std::exception& e) {
    std::cerr << "reflexbot-bench-dom: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
