#pragma once
// A collected message: what the network's digests are made of. Authors are pseudonyms only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace reflexbot::core {

/// How a message became a contribution.
enum class CollectedVia {
  round,      ///< written in a room while a round ran
  tag,        ///< carried a vocabulary hashtag outside a round
  pin,        ///< someone reacted with 📌
  anonymous,  ///< sent to the bot in a direct message and posted without its author
};

/// A contribution as stored.
struct Contribution {
  std::string event_id;  ///< the Matrix event (unique)
  std::string room_id;
  std::string city;
  std::string author;                 ///< pseudonym; empty for anonymous contributions
  std::optional<std::int64_t> round;  ///< the round it belongs to, if any
  std::string phase_key;              ///< the phase it was written in, if any
  std::string body;
  std::vector<std::string> tags;  ///< canonical tag keys
  TimePoint written_at{};         ///< the message's own time (origin_server_ts)
  TimePoint collected_at{};
  CollectedVia via = CollectedVia::round;

  bool operator==(const Contribution&) const = default;
};

/// A contribution as a summary weighs it: its text, its votes and its index terms (the keys
/// core::TextAnalyzer gives; the digest groups by the same).
struct SummaryCandidate {
  std::string body;
  int votes = 0;
  std::vector<std::uint64_t> terms;
};

/// What a phase (or a whole round) collected, for the summary notices.
struct PhaseSummary {
  std::map<std::string, int> per_tag;  ///< tag name (without '#') → contributions carrying it
  int contributions = 0;
  int participants = 0;             ///< distinct authors; anonymous contributions have none
  std::vector<std::string> cities;  ///< in the order they should be listed
  std::vector<SummaryCandidate> candidates;  ///< the contributions, oldest first
};

/// What "forget me" deletes of one person: their contributions and their votes.
struct AuthorCounts {
  std::int64_t contributions = 0;
  std::int64_t votes = 0;
};

}  // namespace reflexbot::core
