#include "store/reports.hpp"

#include <algorithm>

namespace reflexbot::store {

ReadSnapshot::ReadSnapshot(Store& store) : connection_(store.connection()) {
  connection_.exec("BEGIN DEFERRED");
}

ReadSnapshot::~ReadSnapshot() {
  try {
    connection_.exec("ROLLBACK");  // nothing was written
  } catch (const StoreError&) {
    // The transaction is gone already.
  }
}

PeriodReport period_report(Store& store, const std::string& room, core::TimePoint from,
                           core::TimePoint to, const PhaseTitle& phase_title,
                           const std::vector<std::string>& network_rooms,
                           const RoomPlaces* places) {
  PeriodReport report;
  for (DigestRow& row : digest_rows(store, room, from, to)) {
    // digest_rows() leaves out only direct chats; a network digest reads the listed rooms.
    if (room.empty() && !network_rooms.empty() &&
        std::find(network_rooms.begin(), network_rooms.end(), row.room_id) == network_rooms.end()) {
      continue;
    }
    if (!row.phase_key.empty()) {
      PhaseName name = phase_title(row.template_key, row.phase_key);
      row.item.phase = std::move(name.title);
      row.item.phase_index = name.index;
      row.item.round_template = row.template_key;
    }
    if (places != nullptr) {
      const auto [city, network_room] = places->of(row.room_id);
      row.item.city = city;
      row.item.network_room = network_room;
    }
    report.items.push_back(std::move(row.item));
    report.sources.push_back(ReportSource{std::move(row.room_id), std::move(row.phase_key),
                                          row.round, std::move(row.via)});
  }
  return report;
}

}  // namespace reflexbot::store
