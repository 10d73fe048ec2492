#pragma once
// What the features of the running bot (rounds, collection, privacy, digests) share: the open
// unit of work they write into, the settings all of them read (NetworkSettings, built once from
// the Config), and the lookups several of them make. Each feature works inside the dispatcher's
// transaction (Dispatcher::in_transaction or a sync batch); the pure rules live in bot/core.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config/config.hpp"
#include "app/features/outgoing.hpp"
#include "core/ratelimit.hpp"
#include "core/tags.hpp"
#include "core/template.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// What every feature reads from the configuration, the digests included: declared here only,
/// built once (network_settings()) and embedded in FeatureSettings and DigestSettings.
struct NetworkSettings {
  core::Language language = core::Language::de;
  std::map<std::string, std::string> cities;  ///< room id → city (else the room's name)
  std::vector<core::Template> templates;      ///< rounds, and the digests' phase titles
  core::TagVocabulary vocabulary = core::default_vocabulary();
};

/// The network settings a configuration gives, with the templates loaded for it.
NetworkSettings network_settings(const Config& config, std::vector<core::Template> templates);

/// What rounds, collection and privacy need beyond the network settings (the digests have
/// DigestSettings).
struct FeatureSettings : NetworkSettings {
  std::string own_user_id;
  std::int64_t moderator_level = 50;
  std::function<std::string(const std::string& user_id)> pseudonym;
  std::string ack_reaction = "✅";  ///< empty: collected messages are not acknowledged
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
const core::Template* find_template(const NetworkSettings& settings, std::string_view key);

/// The room's city: configured, else the room's name, else empty (never the room's id).
std::string city_of(const NetworkSettings& settings, const store::RoomRecord& room);

/// The round and phase a message in `room_id` belongs to now, if a round is open in a phase.
struct OpenPhase {
  std::int64_t round = 0;
  std::string phase_key;
  bool paused = false;  ///< the round was paused (a break: only tagged messages count)
};
std::optional<OpenPhase> open_phase(store::Store& store, const NetworkSettings& settings,
                                    const std::string& room_id);

/// The round and phase that were open in `room_id` at `at` (a message's time), if any: a message
/// read late belongs to the phase it was written in.
std::optional<OpenPhase> phase_at(store::Store& store, const NetworkSettings& settings,
                                  const std::string& room_id, core::TimePoint at);

}  // namespace reflexbot::app
