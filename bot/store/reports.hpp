#pragma once
// What reports read (`reflexbot export`): a read snapshot that every query of one report shares,
// and a period's contributions with where each came from (room, round, phase, way in), which the
// digest itself does not need. Only reads; runs beside the bot (SQLite WAL).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/digest.hpp"
#include "store/digests.hpp"
#include "store/store.hpp"

namespace reflexbot::store {

/// A read transaction (BEGIN DEFERRED … ROLLBACK): every read inside it sees the same state of
/// the store, whatever the running bot commits meanwhile.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Store& store);
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  ~ReadSnapshot();

 private:
  Connection& connection_;
};

/// Where a contribution of a report came from, beyond what the digest reads.
struct ReportSource {
  std::string room_id;
  std::string phase_key;
  std::optional<std::int64_t> round;
  std::string via;  ///< "round", "tag", "pin" or "anonymous"
};

/// A period's contributions: the digest's items (of this period, phases titled) and, index for
/// index, their sources.
struct PeriodReport {
  std::vector<core::DigestItem> items;
  std::vector<ReportSource> sources;
};

/// The contributions written in [from, to) as digest_items() reads them for a digest of `room`
/// (empty: the network, limited to `network_rooms` if given), with their sources; oldest first.
PeriodReport period_report(Store& store, const std::string& room, core::TimePoint from,
                           core::TimePoint to, const PhaseTitle& phase_title,
                           const std::vector<std::string>& network_rooms = {},
                           const RoomPlaces* places = nullptr);

}  // namespace reflexbot::store
