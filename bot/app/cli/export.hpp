#pragma once
// `reflexbot export`: the digest of a period and every contribution of it, as Markdown, CSV,
// JSON or a printable HTML report for the network's reports. Authors appear only as "Person n",
// numbered anew in every export in the order of their first contribution (never the stored
// pseudonym, which is the same everywhere), or as anonymous; event ids only on request (audits).
// Quotes have Matrix ids and links removed by the chat digest's own core::quote_text, but the
// contributions themselves are exported as their authors wrote them. Only reads the store, inside
// one read transaction, so it runs beside the bot (SQLite WAL).

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "app/config/config.hpp"
#include "app/features/digests.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace reflexbot::app {

/// The file format of an export.
enum class ExportFormat { markdown, csv, json, html };

/// How a CSV export is written: RFC 4180 (commas, CRLF), or as Excel writes it with German
/// settings, which LibreOffice opens the same way (semicolons, UTF-8 with a byte order mark, CRLF).
enum class CsvDialect { rfc4180, excel_de };

/// What to export.
struct ExportOptions {
  ExportFormat format = ExportFormat::markdown;
  CsvDialect csv_dialect = CsvDialect::rfc4180;
  /// First and last day (local dates in the digest zone, both included). Without `since`: the
  /// 7 days before `until` (without either: the last 7 days up to now); without `until`: up to
  /// now.
  std::optional<std::chrono::year_month_day> since;
  std::optional<std::chrono::year_month_day> until;
  std::string room;  ///< a room id or a configured city; empty or the network room: all rooms
  /// For audits: add the Matrix event ids (which tie rows to accounts) to every format.
  bool with_event_ids = false;
  core::TimePoint now{};
};

/// Options that cannot be exported (unknown room or city, an empty period).
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The export's period as instants: [from, to).
struct ExportPeriod {
  core::TimePoint from{};
  core::TimePoint to{};
};

/// "markdown" (or "md"), "csv", "json", "html"; nullopt for anything else.
std::optional<ExportFormat> parse_export_format(std::string_view text);

/// "rfc4180" or "excel-de"; nullopt for anything else.
std::optional<CsvDialect> parse_csv_dialect(std::string_view text);

/// A date as given on the command line: 2026-05-04 or 04.05.2026; nullopt otherwise.
std::optional<std::chrono::year_month_day> parse_export_date(std::string_view text);

/// The period the options ask for. Throws ExportError if it is empty (since after until, or
/// since in the future).
ExportPeriod export_period(const DigestSettings& settings, const ExportOptions& options);

/// The export as text (UTF-8). Throws ExportError for bad options, store::StoreError.
std::string export_digest(store::Store& store, const DigestSettings& settings,
                          const ExportOptions& options);

/// Writes `content` to `file` through a temporary file in the same folder and a rename, with
/// mode 0600 (exports contain contribution texts). Throws std::runtime_error naming the file.
void write_private_file(const std::filesystem::path& file, std::string_view content);

}  // namespace reflexbot::app
