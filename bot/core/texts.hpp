#pragma once
// Every text users read, in one place per language (German is the default).

#include <string>
#include <string_view>

#include "core/text.hpp"

namespace reflexbot::core {

/// The texts of reflection rounds. Placeholders in braces ({phase}, {n} …) are filled in by
/// round_text.cpp; a text without a placeholder is used as it stands.
struct RoundTexts {
  std::string_view round_begins;        ///< {template}
  std::string_view round_begins_topic;  ///< {template}, {topic}
  std::string_view collection_note;
  std::string_view phase_heading;  ///< {n}, {count}, {title}
  std::string_view phase_time;     ///< {duration}
  std::string_view minutes_one;
  std::string_view minutes_many;          ///< {n}
  std::string_view reminder;              ///< {duration}, {phase}
  std::string_view phase_ended;           ///< {phase}
  std::string_view phase_closed_offline;  ///< {phase}
  std::string_view contributions_one;
  std::string_view contributions_many;  ///< {n}
  std::string_view people_one;
  std::string_view people_many;            ///< {n}
  std::string_view summary_people;         ///< follows the contributions: {people}
  std::string_view summary_cities;         ///< follows contributions and people: {cities}
  std::string_view list_and;               ///< joins the last two items of a list
  std::string_view summary_tags;           ///< {tags}
  std::string_view strongest_points;       ///< heads the strongest points of a summary
  std::string_view strongest_point;        ///< {text}
  std::string_view strongest_point_votes;  ///< {text}, {votes}
  std::string_view no_contributions_phase;
  std::string_view no_contributions_round;
  std::string_view round_ended;             ///< {template}
  std::string_view round_ended_by_command;  ///< {template}
  std::string_view round_total;             ///< {summary}
  std::string_view paused;                  ///< {phase}, {remaining}
  std::string_view resumed;                 ///< {phase}, {remaining}
  std::string_view extended;                ///< {phase}, {added}, {remaining}
  std::string_view status_running;          ///< {template}, {n}, {count}, {title}, {remaining}
  std::string_view status_paused;           ///< {template}, {n}, {count}, {title}, {remaining}
  std::string_view status_topic;            ///< {topic}
  std::string_view status_direct_room;      ///< {room}: heads a room's status in a direct chat
  std::string_view status_direct_none;      ///< !status in a direct chat, no round in their rooms
  std::string_view not_moderator;
  std::string_view no_round;
  std::string_view round_already_running;  ///< {template}, {n}, {count}
  std::string_view unknown_template;       ///< {given}, {available}
  std::string_view no_templates;           ///< {given}
  std::string_view bad_duration;           ///< {given}, {max}: !runde's minutes per phase
  std::string_view usage_start;
  std::string_view usage_extend;
  std::string_view bad_extension_given;  ///< {given}, {max}: !verlängern's minutes
  std::string_view error_no_phases;
  std::string_view error_bad_phase_length;  ///< {max}
  std::string_view error_bad_extension;     ///< {max}
  std::string_view error_round_ended;
  std::string_view error_already_paused;
  std::string_view error_not_paused;
};

/// One line of the help: how the command is typed and what it does.
struct HelpEntry {
  std::string_view usage;  ///< e.g. "!runde <Vorlage> [Thema] [Minuten je Phase]"
  std::string_view description;
};

/// The help's lines, one per command (core/commands.cpp's table says which command has which).
struct HelpTexts {
  std::string_view for_everyone;    ///< heading
  std::string_view for_moderators;  ///< heading
  HelpEntry status;
  HelpEntry templates;
  HelpEntry my_contributions;
  HelpEntry forget_me;
  HelpEntry anonymous;
  HelpEntry start_round;
  HelpEntry next_phase;
  HelpEntry pause;
  HelpEntry resume;
  HelpEntry extend;
  HelpEntry end_round;
  HelpEntry poll;
  HelpEntry digest;
  HelpEntry lessons;
  HelpEntry lesson;
  HelpEntry action;
  HelpEntry learned;
  HelpEntry correct_lesson;
  HelpEntry remove_lesson;
  HelpEntry merge_groups;
  HelpEntry move_contribution;
  HelpEntry split_contribution;
  HelpEntry rename_group;
  HelpEntry help;
  HelpEntry ping;
  std::string_view collecting;  ///< hashtags, 📌 and 👍
};

/// The texts of digests. Placeholders are filled in by digest.cpp.
struct DigestTexts {
  std::string_view title_room;     ///< {scope}
  std::string_view unnamed_room;   ///< {scope} of a room with neither a city nor a name
  std::string_view title_network;  ///< the network-wide digest
  std::string_view period;         ///< {from}, {to}
  std::string_view part;           ///< {i}, {n}: added to the title of split digests
  std::string_view overview;       ///< {counts}{cities}: contributions and people, then the cities
  std::string_view overview_details;  ///< {list}: of the contributions, e.g. from the network room
  std::string_view overview_details_all;  ///< {list}: the same when all of them are anonymous
  std::string_view anonymous_some;        ///< {n}: contributions without an author
  std::string_view anonymous_all;
  std::string_view overview_people;    ///< {people}
  std::string_view overview_cities;    ///< {cities}, {list}
  std::string_view from_network_room;  ///< {n}
  std::string_view network_room;       ///< where a quote from the network room comes from
  std::string_view contributions_one;
  std::string_view contributions_many;  ///< {n}
  std::string_view people_one;
  std::string_view people_many;  ///< {n}
  std::string_view cities_one;
  std::string_view cities_many;  ///< {n}
  std::string_view list_and;
  std::string_view list_or;  ///< " oder "
  std::string_view nothing;
  std::string_view open_lessons;  ///< {lessons}{overdue}: after `nothing`, lessons not learned
  std::string_view lessons_one;
  std::string_view lessons_many;            ///< {n}
  std::string_view open_overdue;            ///< {n}: how many of the open lessons are overdue
  std::string_view heading_lessons;         ///< the numbered groups of two contributions or more
  std::string_view heading_marked_lessons;  ///< groups with #lehre not listed above
  std::string_view heading_went_well;
  std::string_view heading_was_hard;
  std::string_view heading_ideas;
  std::string_view heading_singles;  ///< a complete digest's untagged single contributions
  std::string_view heading_actions;
  std::string_view heading_numbers;
  std::string_view no_lessons;
  std::string_view all_new;  ///< after the heading when every numbered group is new
  std::string_view mark_new;
  std::string_view mark_growing;  ///< {n}: members in the period before
  std::string_view signal;        ///< {n}, {tag}: members carrying a signal tag
  std::string_view not_shown;     ///< {list}: what no section lists
  std::string_view show_all;      ///< {label}: the command that shows everything
  std::string_view too_many;      ///< after not_shown in a complete digest: where the rest is
  std::string_view complete;      ///< after the title of a complete digest
  std::string_view more_groups_one;
  std::string_view more_groups_many;  ///< {n}
  std::string_view more_singles_one;
  std::string_view more_singles_many;  ///< {n}
  std::string_view more_actions;       ///< {n}: open actions the short digest leaves out
  std::string_view more_quotes;     ///< {n}: a group's contributions a complete digest leaves out
  std::string_view votes;           ///< {n}
  std::string_view quote;           ///< {text}, {city}
  std::string_view quote_unplaced;  ///< {text}: from a room without a city
  std::string_view person;          ///< {n}: an author in an export, numbered anew in every export
  std::string_view tagged;  ///< {n}: contributions of the group carrying the section's {tags}
  std::string_view action;  ///< {id}, {title}, {action}, {owner}, {due}
  std::string_view due;     ///< {date}
  std::string_view no_due;
  std::string_view overdue;
  std::string_view no_action;  ///< {id}, {title}: a lesson identified without an action yet
  std::string_view no_actions;
  std::string_view phases;              ///< {list}
  std::string_view phase_count;         ///< {phase}, {n}
  std::string_view phases_of_template;  ///< {template}, {list}
  std::string_view topics;              ///< {list}
  std::string_view no_phase;
  std::string_view footer;
  std::string_view footer_label;  ///< {label}: the footer of a numbered digest
};

/// The texts of the lesson commands and the on-demand digest.
struct LessonTexts {
  std::string_view created;              ///< {id}, {title}, {sources}
  std::string_view created_from_digest;  ///< {id}, {title}, {digest}, {n}, {sources}
  std::string_view same_title;  ///< {other}, {id}: a lesson of the room has the new one's title
  std::string_view usage_lesson;
  std::string_view no_group;        ///< {digest}, {n}
  std::string_view no_digest_yet;   ///< the room has no digest with groups
  std::string_view unknown_digest;  ///< {digest}: not one of the room's kept digests
  std::string_view which_digest;    ///< {earlier}, {later}, {n}: two digests came close together
  std::string_view reply_needs_number;  ///< "!lehre" as a reply to a digest, without a number
  std::string_view not_contribution;
  std::string_view unknown;  ///< {id}
  std::string_view usage_action;
  std::string_view bad_date;    ///< {given}
  std::string_view past_date;   ///< {given}: a due date before today
  std::string_view action_set;  ///< {id}, {action}, {owner}, {due}
  std::string_view usage_correct;
  std::string_view usage_remove;
  std::string_view title_corrected;  ///< {id}, {title}
  std::string_view owner_corrected;  ///< {id}, {owner}
  std::string_view due_corrected;    ///< {id}, {date}
  std::string_view no_action;        ///< {id}: owner or due date of a lesson without an action
  std::string_view removed;          ///< {id}, {title}
  std::string_view action_removed;   ///< {id}
  std::string_view usage_learned;
  std::string_view learned;          ///< {id}, {title}
  std::string_view already_learned;  ///< {id}
  std::string_view list_room;
  std::string_view list_network;
  std::string_view list_none;
  std::string_view state_identified;
  std::string_view state_action;
  std::string_view state_learned;
  std::string_view list_entry;  ///< {id}, {title}, {state}
  std::string_view usage_digest;
  std::string_view digest_bad_days;      ///< {given}, {max}
  std::string_view digest_not_a_date;    ///< {given}, {example}
  std::string_view digest_no_such_date;  ///< {given}, {nearest}
  std::string_view digest_future_date;   ///< {given}, {today}
  std::string_view no_round;
};

/// The texts of the moderators' corrections of digest groups.
struct CurationTexts {
  std::string_view usage_merge;
  std::string_view usage_move;
  std::string_view usage_split;
  std::string_view usage_rename;
  std::string_view same_group;      ///< {digest}: a merge named one group twice
  std::string_view already_there;   ///< {group}: the contribution to move is in it
  std::string_view already_merged;  ///< {first}, {second}: a merge of groups that are one
  std::string_view already_alone;   ///< a split of a contribution that is a group of its own
  std::string_view two_digests;     ///< {digest}: a merge named groups of two digests
  std::string_view which_digest;    ///< {earlier}, {later}, {n}: as the lesson's, for corrections
  std::string_view moved_away;      ///< {group}: its contributions were all moved out since
  std::string_view merged;          ///< {first}, {second}
  std::string_view moved;           ///< {group}
  std::string_view split;
  std::string_view renamed;     ///< {group}
  std::string_view later;       ///< the corrected group is not in the digest's period now
  std::string_view remembered;  ///< after the group's line: later digests keep it
};

/// The texts of one language.
struct Texts {
  std::string_view pong;
  std::string_view help_intro;
  std::string_view help_footer;
  HelpTexts help;
  std::string_view unknown_command_before;  ///< text before the command name
  std::string_view unknown_command_after;   ///< text after it
  std::string_view unknown_command_guess;   ///< after it, when a known command is close:
                                            ///< {command} is that command
  std::string_view unknown_tag_guess;  ///< {typed}, {tag}: an unknown hashtag close to a known one
  std::string_view unknown_tag;        ///< {typed}, {tags}: an unknown hashtag, nothing close
  std::string_view unsupported_encryption;    ///< the room uses an algorithm we cannot handle
  std::string_view welcome_room;              ///< {level}: once, when the bot joins a room
  std::string_view direct_chat_hello;         ///< before the direct chat's commands: once a day
  std::string_view direct_chat_hello_footer;  ///< after them
  std::string_view rate_limited;  ///< {seconds}: the first command over the per-person limit
  RoundTexts round;
  std::string_view poll_question;  ///< the question of a poll from a phase's contributions
  std::string_view poll_none;      ///< the phase has no contributions to vote on
  std::string_view poll_ended;     ///< the text of a poll's end
  std::string_view poll_no_open;   ///< "!umfrage ende" without an open poll
  std::string_view poll_not_sent;  ///< "!umfrage ende" while the poll is still being sent
  std::string_view forget_ask;     ///< {stored}: "7 Beiträge und 3 Stimmen", what would be deleted
  std::string_view forget_done;    ///< {stored}
  std::string_view votes_one;
  std::string_view votes_many;  ///< {n}
  std::string_view forget_nothing;
  std::string_view templates_intro;
  std::string_view templates_none;
  std::string_view anonymous_only_direct;
  std::string_view anonymous_usage;
  std::string_view anonymous_unknown_room;  ///< {room}, {rooms}: the sender's rooms
  std::string_view anonymous_no_rooms;      ///< the sender is in no configured room
  std::string_view anonymous_ambiguous;     ///< {room}, {rooms}
  std::string_view anonymous_slow_down;     ///< {minutes}: over the anonymous-post limit
  std::string_view direct_chat_only_own;    ///< a room command in a direct chat
  std::string_view anonymous_label;         ///< precedes the text in the room
  std::string_view anonymous_posted;        ///< {room}
  std::string_view mine_only_direct;
  std::string_view mine_none;
  std::string_view mine_intro;  ///< {n}
  std::string_view mine_more;   ///< {n}: entries not shown
  DigestTexts digest;
  LessonTexts lesson;
  CurationTexts curation;
};

/// The texts for `language`.
const Texts& texts(Language language);

}  // namespace reflexbot::core
