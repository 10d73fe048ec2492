#pragma once
// A store full of contributions for the digest benchmark: N contributions from 400 cities in the
// digest's week and a previous week of `previous_ratio` · N (the growth comparison), written
// through the real store API (BatchScope::add_contribution, add_vote, save_round, put_room,
// create_lesson). The texts are composed from a few hundred phrases of municipal crisis
// management chat (German, about 8 % English) with city-specific words, numbers, typos, hashtags
// and a long tail of compound nouns, so the vocabulary follows a Zipf-like curve.
//
// Deterministic for a given spec: the file is built once and kept as
// DIR/digest-<N>-p<ratio>-v<version>.db, with the generator's statistics next to it (.json).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/features/digests.hpp"
#include "core/time.hpp"

namespace reflexbot::bench {

/// Bumped whenever the generator's output changes, so cached stores are rebuilt.
inline constexpr int kDigestFixtureVersion = 1;

/// What to generate.
struct DigestFixtureSpec {
  std::size_t contributions = 10000;  ///< in the digest's period
  double previous_ratio = 1.0;        ///< the previous period holds ratio · contributions
  std::uint64_t seed = 4;
};

/// A generated store and the period its digest covers.
struct DigestFixture {
  DigestFixtureSpec spec;
  std::string path;          ///< the SQLite file
  core::TimePoint from{};    ///< the digest's period is [from, to)
  core::TimePoint to{};      ///
  core::TimePoint now{};     ///< when the digest is built (an hour after `to`)
  std::size_t previous = 0;  ///< contributions in [from - (to - from), from)
  std::string network_room;  ///< the digest of this room covers all cities
  std::vector<std::pair<std::string, std::string>> rooms;  ///< room id, city (400)
};

/// The fixture for `spec` under `directory`; builds the store first if it is not there (the
/// build writes a temporary file and renames it, so concurrent builds do not clash). `built` is
/// set to whether this call built it (or indexed an older store: migrated to the schema and
/// indexed like the bot does at start).
DigestFixture digest_fixture(const DigestFixtureSpec& spec, const std::string& directory,
                             bool* built = nullptr);

/// The store's path for `spec` (whether or not it exists yet).
std::string digest_fixture_path(const DigestFixtureSpec& spec, const std::string& directory);

/// The generator's statistics of a built store as one line of JSON (vocabulary, lengths, tags).
std::string digest_fixture_stats(const DigestFixture& fixture);

/// Digest settings as the bot would have them for the fixture's rooms: German, Europe/Berlin,
/// the shipped templates (phase titles), the built-in tags, top 5.
app::DigestSettings digest_settings(const DigestFixture& fixture);

}  // namespace reflexbot::bench
