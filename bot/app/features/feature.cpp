#include "app/features/feature.hpp"

#include <algorithm>
#include <utility>

namespace reflexbot::app {

NetworkSettings network_settings(const Config& config, std::vector<core::Template> templates) {
  NetworkSettings settings;
  settings.language = config.language;
  for (const auto& room : config.rooms) settings.cities[room.room_id] = room.city;
  settings.templates = std::move(templates);
  settings.vocabulary = config.vocabulary;
  return settings;
}

const core::Template* find_template(const NetworkSettings& settings, std::string_view key) {
  auto it = std::find_if(settings.templates.begin(), settings.templates.end(),
                         [&](const core::Template& t) { return t.key == key; });
  return it == settings.templates.end() ? nullptr : &*it;
}

std::string city_of(const NetworkSettings& settings, const store::RoomRecord& room) {
  if (auto it = settings.cities.find(room.room_id); it != settings.cities.end()) return it->second;
  return room.name;  // never the room's id: a room with no name has no city
}

std::optional<OpenPhase> open_phase(store::Store& store, const NetworkSettings& settings,
                                    const std::string& room_id) {
  auto open = store.open_round(room_id);
  const core::Template* tmpl = open ? find_template(settings, open->template_key) : nullptr;
  if (!open || tmpl == nullptr || open->phase_index >= tmpl->phases.size()) return std::nullopt;
  return OpenPhase{open->id, tmpl->phases[open->phase_index].key,
                   open->state == core::RoundState::paused};
}

std::optional<OpenPhase> phase_at(store::Store& store, const NetworkSettings& settings,
                                  const std::string& room_id, core::TimePoint at) {
  const auto span = store.round_span_at(room_id, at);
  const core::Template* tmpl = span ? find_template(settings, span->template_key) : nullptr;
  if (!span || tmpl == nullptr || span->phase_index >= tmpl->phases.size()) return std::nullopt;
  return OpenPhase{span->round_id, tmpl->phases[span->phase_index].key, span->paused};
}

}  // namespace reflexbot::app
