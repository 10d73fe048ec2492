#include "core/round_text.hpp"

#include <chrono>
#include <cstdio>

#include <algorithm>
#include <utility>

#include "core/digest.hpp"
#include "core/markdown.hpp"
#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

// Typed arguments echoed back are capped so that a long line cannot blow up the notice.
constexpr std::size_t kMaxEchoBytes = 40;

// Line breaks of escaped user text as <br>.
std::string replace_newlines(const std::string& escaped) {
  std::string out;
  for (char c : escaped) {
    if (c == '\n') {
      out += "<br>";
    } else {
      out += c;
    }
  }
  return out;
}

/// Builds a notice paragraph by paragraph: lines in the text, <p> (or given HTML) in the html.
class Paragraphs {
 public:
  void add(const Notice& paragraph) { add(paragraph.text, "<p>" + paragraph.html + "</p>"); }
  void add(std::string_view text, std::string_view html) {
    if (!notice_.text.empty()) notice_.text += '\n';
    notice_.text += text;
    notice_.html += html;
  }
  Notice take() { return std::move(notice_); }

 private:
  Notice notice_;
};

std::string number(std::size_t n) { return std::to_string(n); }

std::string minutes_text(std::chrono::milliseconds duration, const RoundTexts& t) {
  // Whole minutes, rounded up: a reminder fired a few seconds late still says "5 Minuten".
  const auto minutes = std::chrono::ceil<std::chrono::minutes>(duration).count();
  if (minutes == 1) return std::string(t.minutes_one);
  return fill(t.minutes_many, {plain("n", std::to_string(minutes))}).text;
}

std::string template_title(const Template& tmpl, Language language) {
  const std::string& title = tmpl.title.in(language);
  return title.empty() ? tmpl.key : title;
}

std::string phase_title(const Template& tmpl, std::size_t index, Language language) {
  if (index < tmpl.phases.size()) {
    const PhaseTemplate& phase = tmpl.phases[index];
    const std::string& title = phase.title.in(language);
    if (!title.empty()) return title;
    if (!phase.key.empty()) return phase.key;
  }
  return number(index + 1);
}

std::size_t phase_count(const Template& tmpl, std::size_t index) {
  return std::max(tmpl.phases.size(), index + 1);
}

// "12 Beiträge von 5 Personen aus Bonn und Köln." and "Nach Schlagwort: #lehre: 4, …".
void add_summary(Paragraphs& out, const PhaseSummary& summary, std::string_view prefix_pattern,
                 std::string_view nothing, const RoundTexts& t) {
  if (summary.contributions <= 0) {
    out.add(fill(nothing));
    return;
  }
  std::string sentence =
      count_text(summary.contributions, t.contributions_one, t.contributions_many);
  if (summary.participants > 0) {
    sentence +=
        fill(t.summary_people,
             {plain("people", count_text(summary.participants, t.people_one, t.people_many))})
            .text;
  }
  std::vector<std::string> cities;
  for (const auto& city : summary.cities) {
    if (!city.empty()) cities.push_back(city);
  }
  if (!cities.empty()) {
    sentence += fill(t.summary_cities, {plain("cities", join_list(cities, t.list_and))}).text;
  }
  sentence += '.';
  out.add(fill(prefix_pattern, {plain("summary", std::move(sentence))}));

  std::vector<std::pair<std::string, int>> tags;
  for (const auto& [tag, count] : summary.per_tag) {
    if (count > 0) tags.emplace_back(tag, count);
  }
  if (tags.empty()) return;
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> parts;
  for (const auto& [tag, count] : tags) {
    parts.push_back((tag.starts_with('#') ? "" : "#") + tag + ": " + std::to_string(count));
  }
  out.add(fill(t.summary_tags, {plain("tags", join_list(parts, ", "))}));
}

// The share of terms two sorted, de-duplicated sets have in common (Jaccard).
double overlap(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  if (a.empty() || b.empty()) return 0.0;
  std::size_t common = 0;
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

// "Die stärksten Punkte:" and a line per point, quoted as the digest quotes (no hashtags, no ids).
void add_strongest(Paragraphs& out, const PhaseSummary& summary, const RoundTexts& t) {
  const auto points = strongest_points(summary.candidates, kStrongestPoints);
  if (points.empty()) return;
  constexpr std::size_t kQuoteBytes = 100;
  std::string text(t.strongest_points);
  std::string html = "<p>" + html_escape(t.strongest_points) + "</p><ul>";
  for (const std::size_t index : points) {
    const SummaryCandidate& point = summary.candidates[index];
    const std::string quote = quote_text(point.body, kQuoteBytes);
    const Notice line =
        point.votes > 0 ? fill(t.strongest_point_votes,
                               {plain("text", quote), plain("votes", std::to_string(point.votes))})
                        : fill(t.strongest_point, {plain("text", quote)});
    text += "\n• " + line.text;
    html += "<li>" + line.html + "</li>";
  }
  out.add(text, html + "</ul>");
}

std::string echo(std::string_view given) {
  return std::string(truncate_utf8(given, kMaxEchoBytes));
}

/// The question without words that only repeat the phase's title at its start, as typed or
/// emphasised ("**Was war geplant?** Beschreiben Sie …"): the heading above already says them.
/// Empty when the question is the title.
std::string without_title(std::string_view question, std::string_view title) {
  if (title.empty()) return std::string(question);
  std::string_view rest;
  bool found = false;
  for (const std::string_view mark : {"**", "__", "*", "_", ""}) {
    const std::string wrapped = std::string(mark) + std::string(title) + std::string(mark);
    if (question.starts_with(wrapped)) {
      rest = question.substr(wrapped.size());
      found = true;
      break;
    }
  }
  if (!found) return std::string(question);
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\n') return std::string(question);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
  return std::string(rest);
}

}  // namespace

Notice render_phase_start(const Round& round, const Template& tmpl, Language language) {
  const RoundTexts& t = texts(language).round;
  const std::size_t index = round.phase_index;
  Paragraphs out;
  if (index == 0) {
    const std::string title = template_title(tmpl, language);
    Notice intro =
        round.topic.empty()
            ? fill(t.round_begins, {plain("template", title)})
            : fill(t.round_begins_topic, {plain("template", title), plain("topic", round.topic)});
    const Notice note = fill(t.collection_note);
    intro.text += ' ' + note.text;
    intro.html += ' ' + note.html;
    out.add(intro);
  }
  const Notice heading =
      fill(t.phase_heading,
           {plain("n", number(index + 1)), plain("count", number(phase_count(tmpl, index))),
            plain("title", phase_title(tmpl, index, language))});
  out.add(heading.text, "<p><strong>" + heading.html + "</strong></p>");
  if (index < tmpl.phases.size()) {
    const std::string question =
        without_title(tmpl.phases[index].question.in(language), phase_title(tmpl, index, language));
    if (!question.empty()) out.add(markdown_to_plain(question), markdown_to_html(question));
  }
  const auto length = std::chrono::milliseconds(phase_length(round, tmpl, index));
  out.add(fill(t.phase_time, {plain("duration", minutes_text(length, t))}));
  return out.take();
}

Notice render_reminder(const Template& tmpl, const ReminderDue& event, Language language) {
  const RoundTexts& t = texts(language).round;
  return fill(t.reminder, {plain("duration", minutes_text(event.remaining, t)),
                           plain("phase", phase_title(tmpl, event.index, language))});
}

std::vector<std::size_t> strongest_points(std::span<const SummaryCandidate> candidates,
                                          std::size_t max) {
  std::vector<std::vector<std::uint64_t>> terms;
  terms.reserve(candidates.size());
  for (const auto& candidate : candidates) {
    auto sorted = candidate.terms;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    terms.push_back(std::move(sorted));
  }
  std::vector<double> score(candidates.size(), 0.0);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    score[i] += std::max(candidates[i].votes, 0);
    for (std::size_t j = i + 1; j < candidates.size(); ++j) {
      const double shared = overlap(terms[i], terms[j]);
      score[i] += shared;
      score[j] += shared;
    }
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (score[i] > 0.0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  if (order.size() > max) order.resize(max);
  return order;
}

Notice render_phase_end(const Template& tmpl, const PhaseEnded& event, const PhaseSummary& summary,
                        Language language) {
  const RoundTexts& t = texts(language).round;
  Paragraphs out;
  out.add(fill(event.closed_while_offline ? t.phase_closed_offline : t.phase_ended,
               {plain("phase", phase_title(tmpl, event.index, language))}));
  add_summary(out, summary, "{summary}", t.no_contributions_phase, t);
  add_strongest(out, summary, t);
  return out.take();
}

Notice render_round_end(const Template& tmpl, const RoundEnded& event, const PhaseSummary& summary,
                        Language language) {
  const RoundTexts& t = texts(language).round;
  Paragraphs out;
  out.add(fill(event.by_command ? t.round_ended_by_command : t.round_ended,
               {plain("template", template_title(tmpl, language))}));
  add_summary(out, summary, t.round_total, t.no_contributions_round, t);
  add_strongest(out, summary, t);
  return out.take();
}

Notice render_last_phase_and_round_end(const Template& tmpl, const PhaseEnded& phase_event,
                                       const RoundEnded& round_event, const PhaseSummary& round,
                                       Language language) {
  const RoundTexts& t = texts(language).round;
  Paragraphs out;
  out.add(fill(phase_event.closed_while_offline ? t.phase_closed_offline : t.phase_ended,
               {plain("phase", phase_title(tmpl, phase_event.index, language))}));
  out.add(fill(round_event.by_command ? t.round_ended_by_command : t.round_ended,
               {plain("template", template_title(tmpl, language))}));
  add_summary(out, round, t.round_total, t.no_contributions_round, t);
  add_strongest(out, round, t);
  return out.take();
}

namespace {

// "7 Beiträge und 3 Stimmen", "1 Beitrag", "2 Stimmen": both counts, each only if there is one.
Notice render_forget(std::string_view pattern, AuthorCounts counts, Language language) {
  const Texts& t = texts(language);
  std::vector<std::string> stored;
  if (counts.contributions > 0) {
    stored.push_back(count_text(static_cast<int>(counts.contributions), t.round.contributions_one,
                                t.round.contributions_many));
  }
  if (counts.votes > 0) {
    stored.push_back(count_text(static_cast<int>(counts.votes), t.votes_one, t.votes_many));
  }
  if (stored.empty()) return fill(t.forget_nothing);
  return fill(pattern, {plain("stored", join_list(stored, t.round.list_and))});
}

}  // namespace

Notice render_forget_ask(AuthorCounts counts, Language language) {
  return render_forget(texts(language).forget_ask, counts, language);
}

Notice render_forget_done(AuthorCounts counts, Language language) {
  return render_forget(texts(language).forget_done, counts, language);
}

Notice render_templates(std::span<const Template> templates, Language language) {
  const Texts& t = texts(language);
  if (templates.empty()) return fill(t.templates_none);
  Notice notice = fill(t.templates_intro);
  notice.html = "<p>" + notice.html + "</p><ul>";
  for (const auto& tmpl : templates) {
    std::string phases;
    for (const auto& phase : tmpl.phases) {
      if (!phases.empty()) phases += " → ";
      phases += phase.title.in(language);
    }
    notice.text += "\n" + tmpl.key + " – " + tmpl.title.in(language) + " (" + phases + ")";
    notice.html += "<li><code>" + html_escape(tmpl.key) + "</code> – " +
                   html_escape(tmpl.title.in(language)) + " (" + html_escape(phases) + ")</li>";
  }
  notice.html += "</ul>";
  return notice;
}

Notice render_anonymous_only_direct(Language language) {
  return fill(texts(language).anonymous_only_direct);
}

Notice render_anonymous_usage(Language language) { return fill(texts(language).anonymous_usage); }

Notice render_anonymous_unknown_room(std::string_view given, std::span<const std::string> rooms,
                                     Language language) {
  if (rooms.empty()) return fill(texts(language).anonymous_no_rooms);
  return fill(
      texts(language).anonymous_unknown_room,
      {plain("room", std::string(truncate_utf8(given, 60))),
       plain("rooms", join_list({rooms.begin(), rooms.end()}, texts(language).round.list_and))});
}

Notice render_anonymous_ambiguous(std::string_view given, std::span<const std::string> rooms,
                                  Language language) {
  return fill(
      texts(language).anonymous_ambiguous,
      {plain("room", std::string(truncate_utf8(given, 60))),
       plain("rooms", join_list({rooms.begin(), rooms.end()}, texts(language).round.list_and))});
}

Notice render_anonymous_contribution(std::string_view text, Language language) {
  const std::string_view label = texts(language).anonymous_label;
  Notice notice;
  notice.text = std::string(label) + "\n" + std::string(text);
  notice.html = "<p><strong>" + html_escape(label) + "</strong></p><p>" +
                replace_newlines(html_escape(text)) + "</p>";
  return notice;
}

Notice render_anonymous_posted(std::string_view room, Language language) {
  return fill(texts(language).anonymous_posted, {plain("room", std::string(room))});
}

Notice render_mine_only_direct(Language language) { return fill(texts(language).mine_only_direct); }

Notice render_mine(std::span<const Contribution> contributions, Language language) {
  const Texts& t = texts(language);
  if (contributions.empty()) return fill(t.mine_none);
  constexpr std::size_t kShown = 50;
  const std::size_t shown = std::min(contributions.size(), kShown);
  Notice notice = fill(t.mine_intro, {plain("n", std::to_string(contributions.size()))});
  notice.html = "<p>" + notice.html + "</p><ul>";
  for (std::size_t i = contributions.size(); i-- > contributions.size() - shown;) {
    const Contribution& c = contributions[i];
    const auto day = std::chrono::floor<std::chrono::days>(c.written_at);
    const std::chrono::year_month_day date{day};
    char when[16];
    std::snprintf(when, sizeof when, "%02u.%02u.%04d", static_cast<unsigned>(date.day()),
                  static_cast<unsigned>(date.month()), static_cast<int>(date.year()));
    std::string where = c.city;
    if (!c.phase_key.empty()) where += ", " + c.phase_key;
    const std::string text(truncate_utf8(c.body, 300));
    const std::string ellipsis = text.size() < c.body.size() ? " …" : "";
    notice.text += "\n• " + std::string(when) + " (" + where + "): " + text + ellipsis;
    notice.html += "<li>" + std::string(when) + " (" + html_escape(where) +
                   "): " + html_escape(text) + ellipsis + "</li>";
  }
  notice.html += "</ul>";
  if (contributions.size() > shown) {
    const Notice more =
        fill(t.mine_more, {plain("n", std::to_string(contributions.size() - shown))});
    notice.text += "\n" + more.text;
    notice.html += "<p>" + more.html + "</p>";
  }
  return notice;
}

Notice render_paused(const Template& tmpl, const Paused& event, Language language) {
  const RoundTexts& t = texts(language).round;
  return fill(t.paused, {plain("phase", phase_title(tmpl, event.index, language)),
                         plain("remaining", minutes_text(event.remaining, t))});
}

Notice render_resumed(const Template& tmpl, const Resumed& event, Language language) {
  const RoundTexts& t = texts(language).round;
  return fill(t.resumed, {plain("phase", phase_title(tmpl, event.index, language)),
                          plain("remaining", minutes_text(event.remaining, t))});
}

Notice render_extended(const Template& tmpl, const Extended& event, Language language) {
  const RoundTexts& t = texts(language).round;
  return fill(t.extended, {plain("phase", phase_title(tmpl, event.index, language)),
                           plain("added", minutes_text(event.minutes, t)),
                           plain("remaining", minutes_text(event.remaining, t))});
}

Notice render_status(const Round& round, const Template& tmpl, TimePoint now, Language language) {
  const RoundTexts& t = texts(language).round;
  if (round.state == RoundState::ended) return fill(t.no_round);
  Paragraphs out;
  out.add(fill(
      round.state == RoundState::paused ? t.status_paused : t.status_running,
      {plain("template", template_title(tmpl, language)), plain("n", number(round.phase_index + 1)),
       plain("count", number(phase_count(tmpl, round.phase_index))),
       plain("title", phase_title(tmpl, round.phase_index, language)),
       plain("remaining", minutes_text(remaining(round, now), t))}));
  if (!round.topic.empty()) out.add(fill(t.status_topic, {plain("topic", round.topic)}));
  return out.take();
}

Notice render_status_direct(std::span<const RoomRound> rounds, TimePoint now, Language language) {
  const RoundTexts& t = texts(language).round;
  if (rounds.empty()) return fill(t.status_direct_none);
  Paragraphs out;
  for (const RoomRound& entry : rounds) {
    const Notice room = fill(t.status_direct_room, {plain("room", entry.room)});
    const Notice status = render_status(*entry.round, *entry.tmpl, now, language);
    out.add(room.text + "\n" + status.text,
            "<p><strong>" + room.html + "</strong></p>" + status.html);
  }
  return out.take();
}

Notice render_not_moderator(Language language) { return fill(texts(language).round.not_moderator); }

Notice render_no_round(Language language) { return fill(texts(language).round.no_round); }

Notice render_round_already_running(const Round& round, const Template& tmpl, Language language) {
  return fill(
      texts(language).round.round_already_running,
      {plain("template", template_title(tmpl, language)), plain("n", number(round.phase_index + 1)),
       plain("count", number(phase_count(tmpl, round.phase_index)))});
}

Notice render_unknown_template(std::string_view given, std::span<const std::string> available,
                               Language language) {
  const RoundTexts& t = texts(language).round;
  if (available.empty()) return fill(t.no_templates, {plain("given", echo(given))});
  std::string keys;
  for (const auto& key : available) {
    if (!keys.empty()) keys += ", ";
    keys += key;
  }
  return fill(t.unknown_template, {plain("given", echo(given)), plain("available", keys)});
}

Notice render_bad_duration(std::string_view given, Language language) {
  return fill(texts(language).round.bad_duration,
              {plain("given", echo(given)), plain("max", std::to_string(kMaxPhaseLength.count()))});
}

Notice render_usage_start(Language language) { return fill(texts(language).round.usage_start); }

Notice render_usage_extend(Language language) { return fill(texts(language).round.usage_extend); }

Notice render_round_error(RoundError error, Language language) {
  const RoundTexts& t = texts(language).round;
  switch (error) {
    case RoundError::no_phases:
      return fill(t.error_no_phases);
    case RoundError::bad_phase_length:
      return fill(t.error_bad_phase_length,
                  {plain("max", std::to_string(kMaxPhaseLength.count()))});
    case RoundError::bad_extension:
      return fill(t.error_bad_extension, {plain("max", std::to_string(kMaxExtension.count()))});
    case RoundError::round_ended:
      return fill(t.error_round_ended);
    case RoundError::already_paused:
      return fill(t.error_already_paused);
    case RoundError::not_paused:
      return fill(t.error_not_paused);
  }
  return fill(t.error_round_ended);
}

PhaseSummary with_written_tags(PhaseSummary summary, const TagVocabulary& vocabulary) {
  std::map<std::string, std::string> written;
  for (const SummaryCandidate& candidate : summary.candidates) {
    for (auto& tag : parse_written_tags(candidate.body, vocabulary)) {
      written.try_emplace(std::move(tag.key), std::move(tag.written));
    }
  }
  std::map<std::string, int> per_tag;
  for (const auto& [key, count] : summary.per_tag) {
    const auto spelling = written.find(key);
    per_tag[spelling == written.end() ? key : spelling->second] += count;
  }
  summary.per_tag = std::move(per_tag);
  return summary;
}

}  // namespace reflexbot::core
