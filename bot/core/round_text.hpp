#pragma once
// The notices of a reflection round: phase prompts, reminders, summaries, refusals and usage
// lines. Texts come from texts.cpp; everything from users or config (topic, titles, tags,
// cities, typed arguments) is escaped in the HTML, guiding questions go through the Markdown
// renderer.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/contribution.hpp"
#include "core/round.hpp"
#include "core/tags.hpp"
#include "core/template.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace reflexbot::core {

/// The prompt of the round's current phase; the first phase also announces the round.
Notice render_phase_start(const Round& round, const Template& tmpl, Language language);

/// "Noch 5 Minuten in der Phase „Rückschau“ …".
Notice render_reminder(const Template& tmpl, const ReminderDue& event, Language language);

/// How many strongest points a summary names at most.
inline constexpr std::size_t kStrongestPoints = 3;

/// The indices of the `max` strongest candidates, strongest first: each scores its votes plus its
/// similarity to the others (the sum of its term sets' Jaccard overlaps with theirs); ties go to
/// the older. Candidates scoring nothing (no vote, nothing in common) are never named.
std::vector<std::size_t> strongest_points(std::span<const SummaryCandidate> candidates,
                                          std::size_t max);

/// The end of a phase with its summary (counts, tags, strongest points); notes when it was
/// closed after an outage.
/// The summary's tags as the contributions wrote them ("#föderal", not the stored key
/// "foederal"): each key gets the spelling of its first contribution that carries it.
PhaseSummary with_written_tags(PhaseSummary summary, const TagVocabulary& vocabulary);

Notice render_phase_end(const Template& tmpl, const PhaseEnded& event, const PhaseSummary& summary,
                        Language language);

/// The end of the round with the summary of all its phases.
Notice render_round_end(const Template& tmpl, const RoundEnded& event, const PhaseSummary& summary,
                        Language language);

/// The last phase and the round closed by one step (!ende, !weiter in the last phase, its timer):
/// one notice with the phase's line, the round's line and total, and the round's strongest
/// points once (the last phase's own count would repeat most of the total).
Notice render_last_phase_and_round_end(const Template& tmpl, const PhaseEnded& phase_event,
                                       const RoundEnded& round_event, const PhaseSummary& round,
                                       Language language);

/// Asks to confirm "forget me", naming both counts of what would be deleted.
Notice render_forget_ask(AuthorCounts counts, Language language);
/// Confirms that "forget me" deleted `counts` (or that there was nothing).
Notice render_forget_done(AuthorCounts counts, Language language);
/// Lists the configured templates with their phases.
Notice render_templates(std::span<const Template> templates, Language language);

/// Refuses !anonym outside a direct chat.
Notice render_anonymous_only_direct(Language language);
/// How to use !anonym.
Notice render_anonymous_usage(Language language);
/// The named room is not one the sender can post to; `rooms` are the names that work (empty:
/// the sender is a member of none).
Notice render_anonymous_unknown_room(std::string_view given, std::span<const std::string> rooms,
                                     Language language);
/// The name fits several rooms; `rooms` are their names.
Notice render_anonymous_ambiguous(std::string_view given, std::span<const std::string> rooms,
                                  Language language);
/// The anonymous contribution as posted in the room (no author).
Notice render_anonymous_contribution(std::string_view text, Language language);
/// Confirms to the sender, in the direct chat, where it was posted.
Notice render_anonymous_posted(std::string_view room, Language language);

/// Refuses !meine outside a direct chat.
Notice render_mine_only_direct(Language language);
/// The sender's own contributions, newest first, at most 50.
Notice render_mine(std::span<const Contribution> contributions, Language language);

/// The round was paused.
Notice render_paused(const Template& tmpl, const Paused& event, Language language);

/// The round was resumed.
Notice render_resumed(const Template& tmpl, const Resumed& event, Language language);

/// The current phase was extended.
Notice render_extended(const Template& tmpl, const Extended& event, Language language);

/// Where a running or paused round stands at `now`.
Notice render_status(const Round& round, const Template& tmpl, TimePoint now, Language language);

/// A round in one of the sender's rooms, for !status in a direct chat: the room by its name.
struct RoomRound {
  std::string room;
  const Round* round = nullptr;
  const Template* tmpl = nullptr;
};

/// !status in a direct chat: where the rounds of the sender's rooms stand at `now`, room by room.
Notice render_status_direct(std::span<const RoomRound> rounds, TimePoint now, Language language);

/// A polite refusal of a moderator command.
Notice render_not_moderator(Language language);

/// There is no round in this room.
Notice render_no_round(Language language);

/// A new round was asked for while `round` is still running.
Notice render_round_already_running(const Round& round, const Template& tmpl, Language language);

/// `given` is no template; lists the keys of the available ones.
Notice render_unknown_template(std::string_view given, std::span<const std::string> available,
                               Language language);

/// `given` is no valid number of minutes.
Notice render_bad_duration(std::string_view given, Language language);

/// How to start a round.
Notice render_usage_start(Language language);

/// How to extend a phase.
Notice render_usage_extend(Language language);

/// Why a round transition was refused.
Notice render_round_error(RoundError error, Language language);

}  // namespace reflexbot::core
