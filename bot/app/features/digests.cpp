#include "app/features/digests.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "common/metrics.hpp"
#include "core/analyzer.hpp"
#include "core/chart.hpp"
#include "core/digest_view.hpp"
#include "core/lesson.hpp"
#include "core/texts.hpp"
#include "core/time.hpp"
#include "render/chart.hpp"
#include "store/digests.hpp"

namespace reflexbot::app {
namespace {

using core::CommandKind;
using core::TimePoint;
using namespace std::chrono_literals;

constexpr std::size_t kMaxTitleBytes = 200;

// A group as digest `d` listed it (`listed`), as it is now: without the contributions a moderator
// moved out since (!verschieben or !abtrennen on them, after `d` was posted), so that a command
// with the old number does not undo that. A merge or a rename since leaves the members where they
// are.
std::vector<std::string> as_now(store::Store& store, const store::DigestRecord& d,
                                std::vector<std::string> listed) {
  const std::vector<std::string> moved = store::moved_since(store, d, listed);
  std::erase_if(listed, [&](const std::string& e) {
    return std::find(moved.begin(), moved.end(), e) != moved.end();
  });
  return listed;
}

// How moderators name a digest ("D4") and its group ("D4-2").
std::string digest_label(std::int64_t number) { return "D" + std::to_string(number); }
std::string group_label(std::int64_t digest, int group) {
  return digest_label(digest) + "-" + std::to_string(group);
}

constexpr std::size_t kMaxListed = 50;
// Members of a curated group from before a digest's period that still pull new contributions
// into it (its newest ones): enough to carry a theme, few enough for the 100k digest.
constexpr std::size_t kAnchorsPerGroup = 20;

core::Notice text_notice(std::string_view text) {
  return core::Notice{std::string(text), core::html_escape(text)};
}

}  // namespace

DigestSettings digest_settings(const Config& config, NetworkSettings network) {
  DigestSettings settings;
  static_cast<NetworkSettings&>(settings) = std::move(network);
  settings.zone = config.digest.zone;
  settings.schedule = config.digest.schedule;
  settings.room_digests = config.digest.rooms;
  settings.chart = config.digest.chart;
  settings.period_days = config.digest.period_days;
  settings.top = config.digest.top;
  settings.network_room = config.network_room;
  for (const auto& room : config.rooms) settings.rooms.push_back(room.room_id);
  return settings;
}

DigestBuilder::DigestBuilder(store::Store& store, DigestSettings settings)
    : store_(store), settings_(std::move(settings)) {
  for (const auto& [room, city] : settings_.cities) places_.cities.emplace(room, city);
  places_.network_room = settings_.network_room;
}

bool DigestBuilder::is_network(const std::string& room_id) const {
  return !settings_.network_room.empty() && room_id == settings_.network_room;
}

std::string DigestBuilder::scope_room(const std::string& room) const {
  return room.empty() || is_network(room) ? std::string() : room;
}

std::vector<std::string> DigestBuilder::network_rooms() const {
  std::vector<std::string> rooms = settings_.rooms;
  if (!rooms.empty() && !settings_.network_room.empty()) rooms.push_back(settings_.network_room);
  return rooms;
}

store::PhaseName DigestBuilder::phase_title(std::string_view template_key,
                                            std::string_view phase_key) const {
  if (phase_key.empty()) return {};
  if (const core::Template* tmpl = find_template(settings_, template_key)) {
    for (std::size_t i = 0; i < tmpl->phases.size(); ++i) {
      const auto& phase = tmpl->phases[i];
      if (phase.key != phase_key) continue;
      const std::string& title = phase.title.in(settings_.language);
      return {title.empty() ? std::string(phase_key) : title, static_cast<int>(i)};
    }
  }
  return std::string(phase_key);
}

std::vector<std::string> DigestBuilder::rooms_read(const std::string& scope_room) const {
  return scope_room.empty() ? network_rooms() : std::vector<std::string>{};
}

void DigestBuilder::read(const std::string& scope_room, TimePoint from, TimePoint to, bool current,
                         std::vector<core::DigestItem>& items) const {
  const store::PhaseTitle title = [this](std::string_view template_key,
                                         std::string_view phase_key) {
    return phase_title(template_key, phase_key);
  };
  store::digest_items(store_, scope_room, from, to, current, title, items, rooms_read(scope_room),
                      &places_);
}

std::vector<core::DigestItem> DigestBuilder::load_items(const std::string& scope_room,
                                                        TimePoint from, TimePoint to) const {
  std::vector<core::DigestItem> items;
  read(scope_room, from, to, true, items);
  load_previous(scope_room, from, to, items);
  return items;
}

void DigestBuilder::load_previous(const std::string& scope_room, TimePoint from, TimePoint to,
                                  std::vector<core::DigestItem>& items) const {
  read(scope_room, from - (to - from), from, false, items);
}

DigestBuilder::Result DigestBuilder::build(const std::string& room, TimePoint from, TimePoint to,
                                           TimePoint now, bool name_all_groups,
                                           bool complete) const {
  const auto started = std::chrono::steady_clock::now();
  const std::string scope = scope_room(room);
  std::vector<core::DigestItem> items;
  {
    // The titles need the German dictionaries (0.05 s to read): if they are not loaded (the
    // first digest, or one after an idle time), another thread reads them while the period is
    // read from the store, which does not use them.
    std::optional<std::jthread> dictionaries;
    if (!store_.dictionaries_loaded() && store::any_contribution(store_, from, to)) {
      dictionaries.emplace([this] { store_.load_dictionaries(core::Language::de); });
    }
    items = load_items(scope, from, to);
  }
  Result result = build_from(scope, std::move(items), from, to, now, name_all_groups, complete);
  auto& registry = metrics::registry();
  ++registry.digests;
  registry.digest_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return result;
}

DigestBuilder::Result DigestBuilder::build_from(const std::string& scope_room,
                                                std::vector<core::DigestItem> items, TimePoint from,
                                                TimePoint to, TimePoint now, bool name_all_groups,
                                                bool complete) const {
  Result result;
  result.items = std::move(items);
  core::DigestRequest request;
  request.language = settings_.language;
  if (!scope_room.empty()) {
    auto record = store_.room(scope_room);
    store::RoomRecord fallback;
    fallback.room_id = scope_room;
    request.scope = city_of(settings_, record ? *record : fallback);
    // Nothing the bot writes shows a room id: a room without a city or name is "this room".
    if (request.scope.empty()) {
      request.scope = std::string(core::texts(settings_.language).digest.unnamed_room);
    }
  }
  request.from = from;
  request.to = to;
  request.now = now;
  request.zone = settings_.zone;
  request.top = static_cast<std::size_t>(settings_.top);
  request.vocabulary = &settings_.vocabulary;
  request.lexicon = store_.lexicon();
  request.name_all_groups = name_all_groups;
  request.complete = complete;
  // The moderators' corrections: the curated groups' names, and their newest members from
  // before the period as anchors (one query), so a corrected group keeps its name and identity.
  request.curated_names =
      store::curated_context(store_, scope_room, from, kAnchorsPerGroup, result.items);
  const auto lessons = store::lessons(store_, scope_room, rooms_read(scope_room), &places_);
  result.digest = core::build_digest(result.items, lessons, request);
  result.scope_room = scope_room;
  result.from = from;
  result.to = to;
  for (const std::uint32_t id : core::numbered_groups(result.digest)) {
    std::vector<std::string> events;
    for (const std::size_t index : result.digest.groups[id].members) {
      if (result.items[index].current) events.push_back(result.items[index].id);
    }
    result.lesson_groups.push_back(std::move(events));
  }
  return result;
}

Digests::Digests(store::Store& store, DigestSettings settings)
    : store_(store), settings_(std::move(settings)), builder_(store, settings_) {}

std::chrono::year_month_day Digests::today(TimePoint now) const {
  return core::local_day(now, settings_.zone);
}

void Digests::post(const std::string& room_id, Result& result, const matrix::Event* reply_to,
                   const std::string& key, BatchContext context, bool with_chart) {
  // A digest of something gets its number in the room, in the same transaction as its notices:
  // "D4" in its title, its groups and messages kept for !lehre. An empty one gets none.
  std::optional<store::DigestRecord> record;
  if (result.digest.contributions > 0) {
    record = context.scope.create_digest(room_id, result.scope_room, result.from, result.to,
                                         context.now);
    result.digest.request.label = digest_label(record->number);
  }
  result.notices = core::render_digest(result.digest, result.items, settings_.max_event_bytes);
  for (std::size_t i = 0; i < result.notices.size(); ++i) {
    const std::string txn_id = context.out.notice(
        room_id, result.notices[i], i == 0 ? reply_to : nullptr, key + "/" + std::to_string(i));
    if (record) context.scope.add_digest_message(record->id, txn_id);
  }
  if (record) context.scope.save_digest_groups(record->id, result.lesson_groups);
  if (with_chart && settings_.chart && record) {
    post_chart(room_id, result, reply_to, key + "/chart", context);
  }
}

void Digests::post_chart(const std::string& room_id, const Result& result,
                         const matrix::Event* beside, const std::string& key,
                         BatchContext context) {
  const std::string& label = result.digest.request.label;
  const core::ChartData chart = core::digest_chart(core::DigestView(result.digest, result.items));
  if (chart.empty()) {
    spdlog::info("digest {} in {} has no chart: no theme recurs, or no contribution has a city",
                 label, room_id);
    return;
  }
  auto png = render::chart_png(chart);
  if (!png) {
    spdlog::warn("digest {} in {} goes without its chart: {}", label, room_id, png.error());
    return;
  }
  const std::string day = core::iso_date(core::local_day(result.from, settings_.zone));
  const matrix::Image image{
      chart.alt,
      (settings_.language == core::Language::en ? "themes-" : "themen-") + day + ".png",
      "image/png",
      png->width,
      png->height,
      png->bytes.size()};
  context.out.image(room_id, image, png->bytes, beside, key);
}

std::optional<store::DigestRecord> Digests::digest_meant(
    const core::LessonArgs& args, const std::string& reply_to, const store::RoomRecord& room,
    const std::function<void(const core::Notice&)>& reply, std::string_view which_text) {
  const auto& t = core::texts(settings_.language).lesson;
  if (args.digest) {
    auto digest = store::digest_numbered(store_, room.room_id, *args.digest);
    if (!digest)
      reply(core::fill(t.unknown_digest, {core::plain("digest", digest_label(*args.digest))}));
    return digest;
  }
  if (!reply_to.empty()) {
    if (auto digest = store::digest_replied_to(store_, room.room_id, reply_to)) return digest;
  }
  const auto latest = store::latest_digests(store_, room.room_id, 2);
  if (latest.empty()) {
    reply(text_notice(t.no_digest_yet));
    return std::nullopt;
  }
  // Two digests shortly one after the other (a moderator's and the weekly one): a bare number
  // could mean either, so it means neither.
  if (latest.size() == 2 && latest[0].posted_at - latest[1].posted_at < std::chrono::hours(24)) {
    const std::string_view which = which_text.empty() ? t.which_digest : which_text;
    reply(
        core::fill(which, {core::plain("earlier", digest_label(latest[1].number)),
                           core::plain("later", digest_label(latest[0].number)),
                           core::plain("n", std::to_string(std::max(1, args.group.value_or(1))))}));
    return std::nullopt;
  }
  return latest.front();
}

bool Digests::handle_command(const core::Command& command, const matrix::Event& event,
                             const store::RoomRecord& room, BatchContext context) {
  switch (command.kind) {
    case CommandKind::digest:
      on_digest(command, event, room, context);
      return true;
    case CommandKind::lessons:
      on_lessons(event, room, context);
      return true;
    // Moderator commands: the dispatcher has checked who runs them (the command table).
    case CommandKind::lesson:
      on_lesson(command, event, room, context);
      return true;
    case CommandKind::action:
      on_action(command, event, room, context);
      return true;
    case CommandKind::learned:
      on_learned(command, event, room, context);
      return true;
    case CommandKind::correct_lesson:
      on_correct(command, event, room, context);
      return true;
    case CommandKind::remove_lesson:
      on_remove(command, event, room, context);
      return true;
    case CommandKind::merge_groups:
    case CommandKind::move_contribution:
    case CommandKind::split_contribution:
    case CommandKind::rename_group:
      on_curation(command, event, room, context);
      return true;
    default:
      return false;
  }
}

void Digests::on_digest(const core::Command& command, const matrix::Event& event,
                        const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  const std::string key = event.event_id + "/reply";
  const auto args = core::parse_digest_args(command, today(context.now));
  if (!args) {
    const auto problem = core::digest_args_problem(command, today(context.now));
    context.out.notice(
        room.room_id,
        core::render_argument_problem(core::CommandKind::digest, problem, settings_.language),
        &event, key);
    return;
  }
  TimePoint from = context.now - std::chrono::days(args->days);
  TimePoint to = context.now + 1ms;
  if (args->kind == core::DigestArgs::Kind::since) {
    from = std::chrono::time_point_cast<std::chrono::milliseconds>(
        settings_.zone.to_utc(std::chrono::local_days{args->since}));
  } else if (args->kind == core::DigestArgs::Kind::digest) {
    // Everything of a digest of this room: its period and scope, complete.
    const auto record = store::digest_numbered(store_, room.room_id, args->digest);
    if (!record || record->from >= record->to) {
      context.out.notice(
          room.room_id,
          core::fill(t.unknown_digest, {core::plain("digest", digest_label(args->digest))}), &event,
          key);
      return;
    }
    Result result =
        builder_.build(record->scope_room, record->from, record->to, context.now, false, true);
    // The complete text of a digest posted before: its chart went out with it already.
    post(room.room_id, result, &event, event.event_id + "/digest", context);
    return;
  } else if (args->kind == core::DigestArgs::Kind::round) {
    const auto span = args->round ? store::round_span(store_, *args->round)
                                  : store::last_round(store_, room.room_id);
    if (!span || (span->room_id != room.room_id && !is_network(room.room_id))) {
      context.out.notice(room.room_id, text_notice(t.no_round), &event, key);
      return;
    }
    from = span->started_at;
    to = span->ended_at.time_since_epoch().count() > 0 ? span->ended_at + 1ms : to;
    // A round's digest covers the round's room, also when asked for in the network room.
    Result result = builder_.build(span->room_id, from, to, context.now);
    // A round is one room's: a chart of themes by city would have one column.
    post(room.room_id, result, &event, event.event_id + "/digest", context);
    return;
  }
  spdlog::info("digest for {} on request ({})", room.room_id, event.event_id);
  Result result = builder_.build(room.room_id, from, to, context.now);
  post(room.room_id, result, &event, event.event_id + "/digest", context, is_network(room.room_id));
}

void Digests::on_lesson(const core::Command& command, const matrix::Event& event,
                        const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  const std::string key = event.event_id + "/reply";
  auto reply = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, key);
  };
  const core::LessonArgs args = core::parse_lesson_args(command);
  std::vector<std::string> sources;
  const auto* message = std::get_if<matrix::RoomMessage>(&event.content);
  const std::string reply_to =
      message != nullptr && message->relates_to ? message->relates_to->in_reply_to : "";
  std::optional<store::DigestRecord> digest;
  if (!reply_to.empty() && !args.group &&
      store::digest_replied_to(store_, room.room_id, reply_to)) {
    reply(text_notice(t.reply_needs_number));
    return;
  }
  if (!reply_to.empty() && !args.group) {
    // A lesson's source is a contribution of this room; the network room's may come from any of
    // the network's rooms.
    const auto source = store_.contribution(reply_to);
    const auto rooms = builder_.network_rooms();
    const bool allowed = source && (source->room_id == room.room_id ||
                                    (is_network(room.room_id) &&
                                     (rooms.empty() || std::find(rooms.begin(), rooms.end(),
                                                                 source->room_id) != rooms.end())));
    if (!allowed) {
      reply(text_notice(t.not_contribution));
      return;
    }
    sources.push_back(reply_to);
  } else if (args.group) {
    digest = digest_meant(args, reply_to, room, reply);
    if (!digest) return;
    sources = store::digest_group(store_, digest->id, *args.group);
    if (sources.empty()) {
      reply(core::fill(t.no_group, {core::plain("digest", digest_label(digest->number)),
                                    core::plain("n", std::to_string(*args.group))}));
      return;
    }
    // The group as it is now, as the corrections take it: without what was moved out since, with
    // what was moved or merged into its curated group since — of the digest's period only (a
    // curated group lasts across digests: a lesson from D5's group is not also from D3's).
    sources = as_now(store_, *digest, std::move(sources));
    std::set<std::string> taken(sources.begin(), sources.end());
    std::set<std::string> in_groups;  // members of the groups read already: not read again
    for (std::size_t i = 0, listed = sources.size(); i < listed; ++i) {
      if (in_groups.contains(sources[i])) continue;
      const auto group = store::curated_group_of(store_, digest->scope_room, sources[i]);
      if (!group) continue;
      for (const std::string& member : group->members) {
        in_groups.insert(member);
        if (taken.contains(member)) continue;
        const auto c = store_.contribution(member);
        if (c && c->written_at >= digest->from && c->written_at < digest->to) {
          sources.push_back(member);
          taken.insert(member);
        }
      }
    }
    if (sources.empty()) {
      reply(core::fill(core::texts(settings_.language).curation.moved_away,
                       {core::plain("group", group_label(digest->number, *args.group))}));
      return;
    }
  } else {
    reply(text_notice(t.usage_lesson));
    return;
  }

  // The title: as given, else the name moderators gave the group, else the key words the
  // sources share.
  std::string title = core::typed_name(args.title, kMaxTitleBytes);
  // (A reply to one contribution takes a name only its own: one a moderator gave it alone.) Not
  // the contribution's own sentence: a lesson outlives its sources, and a forgotten
  // contribution's words must not stay behind in it.
  if (title.empty()) {
    const std::string scope = digest ? digest->scope_room : builder_.scope_room(room.room_id);
    const auto group = store::curated_group_of(store_, scope, sources.front());
    if (group && (digest || group->members.size() == 1)) title = group->name;
  }
  if (title.empty()) {
    std::vector<core::DigestItem> items;
    for (const auto& id : sources) {
      if (auto c = store_.contribution(id)) {
        items.push_back(core::DigestItem{c->event_id, c->city, c->author, c->body, c->tags, "", 0,
                                         c->written_at, true});
      }
    }
    core::DigestRequest request;
    request.vocabulary = &settings_.vocabulary;
    request.lexicon = store_.lexicon();
    request.name_all_groups = true;
    const core::Digest named = core::build_digest(items, {}, request);
    const core::DigestGroup* largest = nullptr;
    for (const auto& group : named.groups) {
      if (largest == nullptr || group.current > largest->current) largest = &group;
    }
    if (largest != nullptr) title = largest->title();
    if (title.empty() && !items.empty()) title = core::quote_text(items.front().body, 60);
  }
  // A lesson of the room with this title already (the same group twice, or the same words).
  std::optional<std::int64_t> same_title;
  for (const core::Lesson& other : store::lessons(store_, room.room_id)) {
    if (core::lower_case(other.title) == core::lower_case(title)) {
      same_title = other.id;
      break;
    }
  }
  const std::int64_t id =
      context.scope.create_lesson(room.room_id, title, sources, context.now, changed_by(event));
  spdlog::info("lesson L{} identified in {} from {} contributions", id, room.room_id,
               sources.size());
  const auto& d = core::texts(settings_.language).digest;
  const std::string count =
      core::count_text(static_cast<int>(sources.size()), d.contributions_one, d.contributions_many);
  core::Notice hint;
  if (same_title) {
    hint = core::fill(t.same_title, {core::plain("other", std::to_string(*same_title)),
                                     core::plain("id", std::to_string(id))});
  }
  const auto with_hint = [&](core::Notice notice) {
    if (hint.text.empty()) return notice;
    notice.text += "\n" + hint.text;
    notice.html += "<br>" + hint.html;
    return notice;
  };
  if (digest) {
    reply(with_hint(core::fill(
        t.created_from_digest,
        {core::plain("id", std::to_string(id)), core::plain("title", title),
         core::plain("digest", digest_label(digest->number)),
         core::plain("n", std::to_string(*args.group)), core::plain("sources", count)})));
  } else {
    reply(with_hint(
        core::fill(t.created, {core::plain("id", std::to_string(id)), core::plain("title", title),
                               core::plain("sources", count)})));
  }
}

bool Digests::names_contribution(const store::RoomRecord& room, const std::string& event_id) {
  if (event_id.empty()) return false;
  const auto source = store_.contribution(event_id);
  const auto rooms = builder_.network_rooms();
  return source && (source->room_id == room.room_id ||
                    (is_network(room.room_id) &&
                     (rooms.empty() ||
                      std::find(rooms.begin(), rooms.end(), source->room_id) != rooms.end())));
}

void Digests::on_curation(const core::Command& command, const matrix::Event& event,
                          const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).curation;
  const auto& tl = core::texts(settings_.language).lesson;
  const std::string key = event.event_id + "/reply";
  auto reply = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, key);
  };
  const CommandKind kind = command.kind;
  const std::string_view usage = kind == CommandKind::merge_groups         ? t.usage_merge
                                 : kind == CommandKind::move_contribution  ? t.usage_move
                                 : kind == CommandKind::split_contribution ? t.usage_split
                                                                           : t.usage_rename;
  const auto args = core::parse_curation_args(command);
  if (!args) {
    // Two groups of two digests ("D1-3 D4-2"): say so, not only how it goes.
    if (const auto& other = args.error().other_digest) {
      reply(core::fill(t.two_digests, {core::plain("digest", digest_label(*other))}));
    } else {
      reply(text_notice(usage));
    }
    return;
  }
  const auto* message = std::get_if<matrix::RoomMessage>(&event.content);
  const std::string reply_to =
      message != nullptr && message->relates_to ? message->relates_to->in_reply_to : "";
  const bool on_contribution =
      kind == CommandKind::move_contribution || kind == CommandKind::split_contribution;
  if (on_contribution && reply_to.empty()) {
    reply(text_notice(usage));
    return;
  }
  if (on_contribution && !names_contribution(room, reply_to)) {
    reply(text_notice(tl.not_contribution));
    return;
  }

  // The digest the groups are numbered in, and each named group's contributions.
  std::optional<store::DigestRecord> digest;
  std::vector<std::vector<std::string>> named;
  if (!args->groups.empty()) {
    core::LessonArgs meant;
    meant.digest = args->groups.front().digest;
    meant.group = args->groups.front().group;
    digest = digest_meant(meant, on_contribution ? std::string() : reply_to, room, reply,
                          t.which_digest);
    if (!digest) return;
    for (const core::GroupRef& ref : args->groups) {
      std::vector<std::string> listed = store::digest_group(store_, digest->id, ref.group);
      if (listed.empty()) {
        reply(core::fill(tl.no_group, {core::plain("digest", digest_label(digest->number)),
                                       core::plain("n", std::to_string(ref.group))}));
        return;
      }
      named.push_back(as_now(store_, *digest, std::move(listed)));
      if (named.back().empty()) {
        reply(core::fill(t.moved_away,
                         {core::plain("group", group_label(digest->number, ref.group))}));
        return;
      }
    }
  }
  // Where the contribution was listed: in the named digest, else the room's newest that did.
  std::optional<int> source_group;
  if (on_contribution) {
    if (digest) {
      source_group = store::digest_group_number(store_, digest->id, reply_to);
    } else if (auto listing = store::digest_listing(store_, room.room_id, reply_to)) {
      digest = listing->first;
      source_group = listing->second;
    }
  }
  const std::string scope = digest ? digest->scope_room : builder_.scope_room(room.room_id);
  const auto without = [&](std::vector<std::string> events) {
    std::erase(events, reply_to);
    return events;
  };
  // Whether all of `events` are pinned to one curated group now (a correction made already).
  const auto pinned_together = [&](const std::vector<std::string>& events) {
    const auto group = store::curated_group_of(store_, scope, events.front());
    return group && std::all_of(events.begin(), events.end(), [&](const std::string& e) {
             return std::find(group->members.begin(), group->members.end(), e) !=
                    group->members.end();
           });
  };
  // The rest of the group the contribution leaves, as it is now; none if a correction since
  // that digest took the contribution out of it already.
  std::vector<std::string> rest;
  if (digest && source_group) {
    auto members = as_now(store_, *digest, store::digest_group(store_, digest->id, *source_group));
    if (std::find(members.begin(), members.end(), reply_to) != members.end()) {
      rest = without(std::move(members));
    } else {
      source_group.reset();
    }
  }

  std::int64_t curated = 0;
  core::Notice header;
  if (kind == CommandKind::merge_groups) {
    const int a = args->groups[0].group;
    const int b = args->groups[1].group;
    if (a == b) {
      reply(core::fill(t.same_group, {core::plain("digest", digest_label(digest->number))}));
      return;
    }
    std::vector<std::string> events = named[0];
    events.insert(events.end(), named[1].begin(), named[1].end());
    if (pinned_together(events)) {
      reply(core::fill(t.already_merged, {core::plain("first", group_label(digest->number, a)),
                                          core::plain("second", group_label(digest->number, b))}));
      return;
    }
    curated = context.scope.curate(scope, events, context.now);
    header = core::fill(t.merged, {core::plain("first", group_label(digest->number, a)),
                                   core::plain("second", group_label(digest->number, b))});
  } else if (kind == CommandKind::rename_group) {
    const std::string name = core::typed_name(args->name, kMaxTitleBytes);
    if (name.empty()) {
      reply(text_notice(usage));
      return;
    }
    curated = context.scope.curate(scope, named[0], context.now);
    context.scope.rename_curated(curated, name, context.now);
    header = core::fill(t.renamed,
                        {core::plain("group", group_label(digest->number, args->groups[0].group))});
  } else if (kind == CommandKind::move_contribution) {
    const int target = args->groups[0].group;
    // Listed in the target and not moved since, or in one curated group with its members now.
    std::vector<std::string> with_target = named[0];
    with_target.push_back(reply_to);
    if (source_group == target || (with_target.size() > 1 && pinned_together(with_target))) {
      reply(
          core::fill(t.already_there, {core::plain("group", group_label(digest->number, target))}));
      return;
    }
    // The group it leaves stays as it is without it (its other members are pinned, so they do
    // not follow it), and it joins the target's curated group.
    if (!rest.empty()) context.scope.curate(scope, rest, context.now);
    curated = context.scope.curate(scope, without(named[0]), context.now);
    context.scope.pin_curated(scope, reply_to, curated, context.now);
    header = core::fill(t.moved, {core::plain("group", group_label(digest->number, target))});
  } else {
    // Alone already: pinned to a group of its own, or (pinned nowhere) listed alone in its digest
    // and alone there still. Nothing changes, so no move is recorded that would make the number
    // a digest gave it since name nothing.
    const auto pinned = store::curated_group_of(store_, scope, reply_to);
    bool alone = pinned && pinned->members.size() == 1;
    if (!pinned && source_group && rest.empty() && digest->from < digest->to) {
      // Listed alone, and alone in the digest as it is built now: a new contribution may sit in a
      // corrected group through that group's older members, which the digest's numbers omit.
      const Result now = builder_.build(digest->scope_room, digest->from, digest->to, context.now);
      for (std::size_t i = 0; i < now.items.size() && i < now.digest.group_of.size(); ++i) {
        if (now.items[i].id != reply_to) continue;
        const std::uint32_t g = now.digest.group_of[i];
        alone = g != core::kNoGroup && now.digest.groups[g].members.size() == 1;
        break;
      }
    }
    if (alone) {
      reply(text_notice(t.already_alone));
      return;
    }
    if (!rest.empty()) context.scope.curate(scope, rest, context.now);
    curated = context.scope.curate_alone(scope, reply_to, context.now);
    header = text_notice(t.split);
  }
  spdlog::info("digest groups corrected in {} ({}): curated group {}", room.room_id, command.name,
               curated);

  // The answer: the group's line in the corrected digest of the same period.
  core::Notice notice = header;
  bool shown = false;
  if (digest && digest->from < digest->to) {
    const Result result =
        builder_.build(digest->scope_room, digest->from, digest->to, context.now, true);
    const core::DigestView view(result.digest, result.items);
    for (const core::DigestGroup& group : result.digest.groups) {
      if (group.curated != curated) continue;
      const std::string title = view.group_title(group);
      const std::string line = view.group_line(group, view.mark(group));
      const bool german = settings_.language == core::Language::de;
      const std::string quoted = (german ? "„" : "“") + title + (german ? "“" : "”");
      notice.text += "\n" + quoted + (line.empty() ? "" : " · " + line);
      notice.html += "<br><b>" + core::html_escape(title) + "</b>" +
                     (line.empty() ? "" : " · " + core::html_escape(line));
      shown = true;
      break;
    }
  }
  const std::string_view after = shown ? t.remembered : t.later;
  notice.text += "\n" + std::string(after);
  notice.html += "<br>" + core::html_escape(after);
  reply(notice);
}

void Digests::on_action(const core::Command& command, const matrix::Event& event,
                        const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  const std::string key = event.event_id + "/reply";
  auto reply = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, key);
  };
  const auto parsed = core::parse_action_args(command, today(context.now));
  if (const auto* error = std::get_if<core::ActionError>(&parsed)) {
    if (error->bad_date.empty()) {
      reply(text_notice(t.usage_action));
    } else if (error->in_the_past) {
      reply(core::fill(t.past_date, {core::plain("given", error->bad_date)}));
    } else {
      reply(core::fill(t.bad_date, {core::plain("given", error->bad_date)}));
    }
    return;
  }
  const auto& args = std::get<core::ActionArgs>(parsed);
  const auto lesson = store::lesson(store_, args.lesson);
  if (!lesson || (lesson->room_id != room.room_id && !is_network(room.room_id))) {
    reply(core::fill(t.unknown, {core::plain("id", std::to_string(args.lesson))}));
    return;
  }
  if (lesson->state == core::LessonState::learned) {
    reply(core::fill(t.already_learned, {core::plain("id", std::to_string(lesson->id))}));
    return;
  }
  const std::string action(core::truncate_utf8(args.action, kMaxTitleBytes * 2));
  const std::string owner(core::truncate_utf8(args.owner, kMaxTitleBytes));
  context.scope.set_action(lesson->id, action, owner, args.due, context.now, changed_by(event));
  const auto& d = core::texts(settings_.language).digest;
  const std::string date = core::shown_date(args.due, settings_.language);
  reply(core::fill(t.action_set,
                   {core::plain("id", std::to_string(lesson->id)), core::plain("action", action),
                    core::plain("owner", owner),
                    core::plain("due", core::fill(d.due, {core::plain("date", date)}).text)}));
}

void Digests::on_learned(const core::Command& command, const matrix::Event& event,
                         const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  const std::string key = event.event_id + "/reply";
  auto reply = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, key);
  };
  const auto id = core::parse_learned_args(command);
  if (!id) {
    reply(text_notice(t.usage_learned));
    return;
  }
  const auto lesson = store::lesson(store_, *id);
  if (!lesson || (lesson->room_id != room.room_id && !is_network(room.room_id))) {
    reply(core::fill(t.unknown, {core::plain("id", std::to_string(*id))}));
    return;
  }
  if (lesson->state == core::LessonState::learned) {
    reply(core::fill(t.already_learned, {core::plain("id", std::to_string(*id))}));
    return;
  }
  context.scope.mark_learned(*id, context.now, changed_by(event));
  reply(core::fill(t.learned,
                   {core::plain("id", std::to_string(*id)), core::plain("title", lesson->title)}));
}

std::string Digests::changed_by(const matrix::Event& event) const {
  return settings_.pseudonym ? settings_.pseudonym(event.sender) : std::string();
}

std::optional<core::Lesson> Digests::lesson_here(
    std::int64_t id, const store::RoomRecord& room,
    const std::function<void(const core::Notice&)>& reply) {
  auto lesson = store::lesson(store_, id);
  if (!lesson || (lesson->room_id != room.room_id && !is_network(room.room_id))) {
    reply(core::fill(core::texts(settings_.language).lesson.unknown,
                     {core::plain("id", std::to_string(id))}));
    return std::nullopt;
  }
  return lesson;
}

void Digests::on_correct(const core::Command& command, const matrix::Event& event,
                         const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  auto reply = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
  };
  const auto parsed = core::parse_correction_args(command, today(context.now));
  if (const auto* error = std::get_if<core::ActionError>(&parsed)) {
    if (error->bad_date.empty()) {
      reply(text_notice(t.usage_correct));
    } else {
      reply(core::fill(error->in_the_past ? t.past_date : t.bad_date,
                       {core::plain("given", error->bad_date)}));
    }
    return;
  }
  const auto& args = std::get<core::CorrectionArgs>(parsed);
  const auto lesson = lesson_here(args.lesson, room, reply);
  if (!lesson) return;
  const std::string id = std::to_string(lesson->id);
  const std::string by = changed_by(event);
  if (args.field == core::LessonField::title) {
    const std::string title = core::typed_name(args.value, kMaxTitleBytes);
    if (title.empty()) {
      reply(text_notice(t.usage_correct));
      return;
    }
    context.scope.retitle_lesson(lesson->id, title, context.now, by);
    reply(core::fill(t.title_corrected, {core::plain("id", id), core::plain("title", title)}));
    return;
  }
  if (lesson->state != core::LessonState::action) {
    reply(lesson->state == core::LessonState::learned
              ? core::fill(t.already_learned, {core::plain("id", id)})
              : core::fill(t.no_action, {core::plain("id", id)}));
    return;
  }
  if (args.field == core::LessonField::owner) {
    const std::string owner(core::truncate_utf8(args.value, kMaxTitleBytes));
    context.scope.set_action_owner(lesson->id, owner, context.now, by);
    reply(core::fill(t.owner_corrected, {core::plain("id", id), core::plain("owner", owner)}));
    return;
  }
  context.scope.set_action_due(lesson->id, *args.due, context.now, by);
  reply(core::fill(t.due_corrected,
                   {core::plain("id", id),
                    core::plain("date", core::shown_date(*args.due, settings_.language))}));
}

void Digests::on_remove(const core::Command& command, const matrix::Event& event,
                        const store::RoomRecord& room, BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  auto reply = [&](const core::Notice& notice) {
    context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
  };
  const auto args = core::parse_removal_args(command);
  if (!args) {
    reply(text_notice(t.usage_remove));
    return;
  }
  const auto lesson = lesson_here(args->lesson, room, reply);
  if (!lesson) return;
  const std::string id = std::to_string(lesson->id);
  if (args->action_only) {
    if (lesson->state != core::LessonState::action) {
      reply(
          core::fill(lesson->state == core::LessonState::learned ? t.already_learned : t.no_action,
                     {core::plain("id", id)}));
      return;
    }
    context.scope.remove_action(lesson->id, context.now, changed_by(event));
    reply(core::fill(t.action_removed, {core::plain("id", id)}));
    return;
  }
  context.scope.remove_lesson(lesson->id, context.now, changed_by(event));
  reply(core::fill(t.removed, {core::plain("id", id), core::plain("title", lesson->title)}));
}

void Digests::on_lessons(const matrix::Event& event, const store::RoomRecord& room,
                         BatchContext context) {
  const auto& t = core::texts(settings_.language).lesson;
  const bool network = is_network(room.room_id);
  // In the network room each lesson names its cities, as the network digest's actions do.
  const auto all =
      network ? store::lessons(store_, std::string(), builder_.network_rooms(), &builder_.places())
              : store::lessons(store_, room.room_id);
  core::Notice notice;
  if (all.empty()) {
    notice = text_notice(t.list_none);
  } else {
    const std::string_view heading = network ? t.list_network : t.list_room;
    notice.text = std::string(heading);
    notice.html = "<p>" + core::html_escape(heading) + "</p><ul>";
    const auto& d = core::texts(settings_.language).digest;
    const auto day = today(context.now);
    for (std::size_t i = 0; i < all.size() && i < kMaxListed; ++i) {
      const core::Lesson& lesson = all[i];
      const std::string_view state = lesson.state == core::LessonState::learned ? t.state_learned
                                     : lesson.state == core::LessonState::action
                                         ? t.state_action
                                         : t.state_identified;
      core::Notice entry = core::fill(t.list_entry, {core::plain("id", std::to_string(lesson.id)),
                                                     core::plain("title", lesson.title),
                                                     core::plain("state", std::string(state))});
      if (lesson.state == core::LessonState::action) {
        std::string detail = " · " + lesson.action + " – " + lesson.owner;
        if (lesson.due) {
          const std::string date = core::shown_date(*lesson.due, settings_.language);
          detail += ", " + core::fill(d.due, {core::plain("date", date)}).text;
          if (core::is_overdue(lesson, day)) detail += " (" + std::string(d.overdue) + ")";
        }
        entry.text += detail;
        entry.html += core::html_escape(detail);
      }
      if (network && !lesson.cities.empty()) {
        const std::string cities = " (" + core::join_list(lesson.cities, d.list_and) + ")";
        entry.text += cities;
        entry.html += core::html_escape(cities);
      }
      notice.text += "\n– " + entry.text;
      notice.html += "<li>" + entry.html + "</li>";
    }
    notice.html += "</ul>";
  }
  context.out.notice(room.room_id, notice, &event, event.event_id + "/reply");
}

std::string Digests::schedule_spec() const {
  return settings_.schedule ? core::schedule_spec(*settings_.schedule) : std::string();
}

TimePoint Digests::schedule_since(store::BatchScope& scope, TimePoint now) const {
  const std::string spec = schedule_spec();
  if (const auto since = store::schedule_active_since(store_, spec)) return *since;
  scope.activate_schedule(spec, now);
  return now;
}

void Digests::tick(BatchContext context) {
  if (!settings_.schedule) return;
  const TimePoint since = schedule_since(context.scope, context.now);
  const auto slot =
      core::due_slot(*settings_.schedule, context.now, store::last_digest_slot(store_), since);
  if (!slot) return;
  // Whole local days: the `period_days` days before the slot's day (Monday 09:00 → the week
  // from Monday to Sunday before it), whatever the clocks did in between.
  const auto slot_day = std::chrono::floor<std::chrono::days>(
      settings_.zone.to_local(std::chrono::floor<std::chrono::seconds>(*slot)));
  const auto local_midnight = [&](std::chrono::local_days day) {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(settings_.zone.to_utc(day));
  };
  const TimePoint from = local_midnight(slot_day - std::chrono::days(settings_.period_days));
  const TimePoint to = local_midnight(slot_day);
  // Transaction ids from the slot's week, not its time of day: one week, one set of messages.
  const std::string key =
      "digest/week/" +
      core::iso_date(std::chrono::year_month_day{core::slot_week(*settings_.schedule, *slot)});
  if (!settings_.network_room.empty()) {
    Result result = builder_.build(settings_.network_room, from, to, context.now);
    post(settings_.network_room, result, nullptr, key + "/network", context, true);
    spdlog::info("weekly digest of slot {} queued for the network room {} ({} notices)",
                 core::to_ms(*slot), settings_.network_room, result.notices.size());
  }
  if (settings_.room_digests) {
    for (const auto& room : settings_.rooms) {
      if (is_network(room)) continue;
      Result result = builder_.build(room, from, to, context.now);
      // A room with nothing in the week gets no digest; the network room's says so.
      if (result.digest.contributions == 0) continue;
      post(room, result, nullptr, key + "/" + room, context, true);
    }
  }
  context.scope.record_digest_slot(*slot, context.now);
}

std::optional<TimePoint> Digests::next_wakeup(TimePoint now) {
  if (!settings_.schedule) return std::nullopt;
  // Asked after a commit, outside any unit of work: a new or changed schedule is stored in one
  // of its own, so its slots count from the first time the bot ran with it, across restarts.
  const std::string spec = schedule_spec();
  std::optional<TimePoint> since = store::schedule_active_since(store_, spec);
  if (!since) {
    store::BatchScope scope(store_);
    scope.activate_schedule(spec, now);
    scope.commit();
    since = now;
  }
  return core::next_digest_time(*settings_.schedule, now, store::last_digest_slot(store_), *since);
}

}  // namespace reflexbot::app
