#pragma once
// What the features of the running bot (rounds, collection, privacy, digests) share: the open
// unit of work they write into, the settings several of them read, and the lookups several of
// them make. Each feature works inside the dispatcher's transaction (Dispatcher::in_transaction
// or a sync batch); the pure rules live in bot/core.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/features/outgoing.hpp"
#include "core/ratelimit.hpp"
#include "core/tags.hpp"
#include "core/template.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// What the features need from the configuration (the digests have their own DigestSettings).
struct FeatureSettings {
  std::string own_user_id;
  core::Language language = core::Language::de;
  std::int64_t moderator_level = 50;
  std::vector<core::Template> templates;
  core::TagVocabulary vocabulary = core::default_vocabulary();
  std::function<std::string(const std::string& user_id)> pseudonym;
  std::map<std::string, std::string> cities;  ///< room id → city (else the room's name)
  std::string ack_reaction = "✅";             ///< empty: collected messages are not acknowledged
  /// Anonymous posts per person (in memory only): a few at once, then one every 10 minutes.
  core::RateLimit anonymous_limit{3, std::chrono::minutes(10), 10000};
};

/// The open unit of work a feature writes into: the store's transaction, the outbox queue of
/// the same transaction, and the time it runs at.
struct BatchContext {
  store::BatchScope& scope;
  Outgoing& out;
  core::TimePoint now;
};

/// The configured template `key`, or nullptr.
const core::Template* find_template(const FeatureSettings& settings, const std::string& key);

/// The room's city: configured, else the room's name, else its id.
std::string city_of(const FeatureSettings& settings, const store::RoomRecord& room);

/// The round and phase a message in `room_id` belongs to now, if a round is open in a phase.
struct OpenPhase {
  std::int64_t round = 0;
  std::string phase_key;
};
std::optional<OpenPhase> open_phase(store::Store& store, const FeatureSettings& settings,
                                    const std::string& room_id);

}  // namespace reflexbot::app
