#include "app/features/feature.hpp"

#include <algorithm>

namespace reflexbot::app {

const core::Template* find_template(const FeatureSettings& settings, const std::string& key) {
  auto it = std::find_if(settings.templates.begin(), settings.templates.end(),
                         [&](const core::Template& t) { return t.key == key; });
  return it == settings.templates.end() ? nullptr : &*it;
}

std::string city_of(const FeatureSettings& settings, const store::RoomRecord& room) {
  if (auto it = settings.cities.find(room.room_id); it != settings.cities.end()) return it->second;
  return room.name.empty() ? room.room_id : room.name;
}

std::optional<OpenPhase> open_phase(store::Store& store, const FeatureSettings& settings,
                                    const std::string& room_id) {
  auto open = store.open_round(room_id);
  const core::Template* tmpl = open ? find_template(settings, open->template_key) : nullptr;
  if (!open || tmpl == nullptr || open->phase_index >= tmpl->phases.size()) return std::nullopt;
  return OpenPhase{open->id, tmpl->phases[open->phase_index].key};
}

}  // namespace reflexbot::app
