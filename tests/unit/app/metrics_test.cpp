#include "app/runtime/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace reflexbot::app {
namespace {

// name{labels} -> value, and the TYPE of every family, read line by line as a scraper would.
struct Parsed {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;
};

Parsed parse(const std::string& text) {
  Parsed parsed;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ")) {
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      parsed.types[rest.substr(0, space)] = rest.substr(space + 1);
    } else if (!line.starts_with("#") && !line.empty()) {
      const auto space = line.rfind(' ');
      parsed.samples[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return parsed;
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfEqualToCount) {
  metrics::Registry registry;
  registry.digest_seconds.observe(0.003);
  registry.digest_seconds.observe(0.2);
  registry.digest_seconds.observe(0.2);
  registry.digest_seconds.observe(120.0);  // above the last bucket: only in +Inf
  const auto parsed = parse(render_metrics(registry, {}, {}, 0));
  EXPECT_EQ(parsed.types.at("reflexbot_digest_build_seconds"), "histogram");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_bucket{le=\"0.005\"}"), "1");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_bucket{le=\"0.1\"}"), "1");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_bucket{le=\"0.25\"}"), "3");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_bucket{le=\"60\"}"), "3");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_bucket{le=\"+Inf\"}"), "4");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_count"), "4");
  EXPECT_EQ(parsed.samples.at("reflexbot_digest_build_seconds_sum"), "120.403");
}

TEST(Metrics, StoreGaugesAndAgesComeFromTheScrapeTime) {
  store::LiveGauges store;
  store.last_sync_ms = 1'700'000'000'500;
  store.outbox_pending = 3;
  store.oldest_pending_ms = 1'700'000'000'000;
  store.quarantined = 2;
  const auto parsed = parse(render_metrics({}, store, {}, 1'700'000'090'000));
  EXPECT_EQ(parsed.samples.at("reflexbot_last_sync_timestamp_seconds"), "1700000000.5");
  EXPECT_EQ(parsed.samples.at("reflexbot_outbox_pending"), "3");
  EXPECT_EQ(parsed.samples.at("reflexbot_outbox_oldest_pending_age_seconds"), "90");
  EXPECT_EQ(parsed.samples.at("reflexbot_quarantined_events"), "2");
  EXPECT_EQ(parsed.types.at("reflexbot_outbox_pending"), "gauge");
  // No weekly digest configured or posted yet: no sample rather than a misleading 0.
  EXPECT_FALSE(parsed.types.contains("reflexbot_last_weekly_digest_timestamp_seconds"));
}

TEST(Metrics, CountersAndLabelsAreOurs) {
  metrics::Registry registry;
  registry.commands["digest"][static_cast<std::size_t>(metrics::CommandOutcome::refused)] = 2;
  registry.requests[static_cast<std::size_t>(metrics::Outcome::rate_limited)] = 5;
  registry.rate_limit_wait_ms = 2500;
  registry.events[static_cast<std::size_t>(metrics::EventKind::malformed)] = 1;
  const auto parsed = parse(render_metrics(registry, {}, {}, 0));
  EXPECT_EQ(parsed.samples.at("reflexbot_commands_total{command=\"digest\",outcome=\"refused\"}"),
            "2");
  EXPECT_FALSE(
      parsed.samples.contains("reflexbot_commands_total{command=\"digest\",outcome=\"answered\"}"));
  EXPECT_EQ(parsed.samples.at("reflexbot_homeserver_requests_total{outcome=\"rate_limited\"}"),
            "5");
  EXPECT_EQ(parsed.samples.at("reflexbot_rate_limit_wait_seconds_total"), "2.5");
  EXPECT_EQ(parsed.samples.at("reflexbot_events_total{kind=\"malformed\"}"), "1");
  for (const auto& [name, type] : parsed.types) {
    if (type == "counter") EXPECT_TRUE(name.ends_with("_total")) << name;
  }
}

TEST(Metrics, TheProcessReadsItsOwnFigures) {
  const ProcessFigures figures = read_process_figures();
  EXPECT_GT(figures.resident_bytes, 1'000'000);
  EXPECT_GT(figures.start_time_seconds, 1'600'000'000.0);
  EXPECT_GE(figures.open_fds, 3);
}

}  // namespace
}  // namespace reflexbot::app
