#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

// One voice: the bot answers in the first person ("ich", "I") and addresses people with "Sie";
// the help is a reference and names "den Bot". One word for one thing: "die Moderation" (the
// moderators), "Direktnachricht" (direct message), "Schlagwort" (tag), "Beitrag" (contribution).
constexpr Texts kGerman{
    .pong = "Pong! Reflexbot ist da und hört zu.",
    .help_intro = "Reflexbot begleitet Reflexionsrunden in den Räumen des Netzwerks. Befehle:",
    .help_footer = "Englische Befehle (!help …) funktionieren ebenso.",
    .help =
        {
            .for_everyone = "Für alle:",
            .for_moderators = "Für die Moderation:",
            .status = {"!status",
                       "zeigt, welche Runde läuft, in welcher Phase sie ist und wie "
                       "viel Zeit noch bleibt"},
            .templates = {"!vorlagen", "listet die verfügbaren Vorlagen für Reflexionsrunden auf"},
            .my_contributions = {"!meine",
                                 "zeigt Ihnen Ihre Beiträge (in einer Direktnachricht an den Bot)"},
            .forget_me = {"!vergessen",
                          "löscht nach Ihrer Bestätigung (!vergessen bestätigen) "
                          "alle Ihre Beiträge und Stimmen"},
            .anonymous = {"!anonym <Raum> <Text>",
                          "in einer Direktnachricht an den Bot: stellt Ihren Text als anonymen "
                          "Beitrag in den genannten Raum (Stadt, oder der Raumname in "
                          "Anführungszeichen; in seine laufende Runde, wenn eine läuft), wenn Sie "
                          "dort Mitglied sind; der Bot speichert nicht, von wem er stammt"},
            .start_round = {"!runde <Vorlage> [Thema] [Minuten je Phase] [thread]",
                            "startet eine Reflexionsrunde"},
            .next_phase = {"!weiter", "schließt die aktuelle Phase ab und beginnt die nächste"},
            .pause = {"!pause",
                      "hält die Runde an; die Zeit der Phase läuft so lange nicht "
                      "weiter"},
            .resume = {"!fortsetzen", "setzt eine pausierte Runde fort"},
            .extend = {"!verlängern <Minuten>", "verlängert die laufende Phase"},
            .end_round = {"!ende", "beendet die Runde und fasst die Beiträge zusammen"},
            .poll = {"!umfrage [ende]",
                     "stellt die Beiträge der laufenden Phase zur Abstimmung (eine Stimme je "
                     "Person, zählt wie 👍); !umfrage ende schließt sie"},
            .digest = {"!digest [seit <Datum> | runde | <Tage> Tage | D<Nr.>]",
                       "fasst zusammen, was gesammelt wurde (Standard: die letzten 7 Tage); im "
                       "Netzwerkraum für alle Städte; D4 zeigt alles aus Digest D4"},
            .lessons = {"!lehren", "listet die festgehaltenen Lehren und ihre Maßnahmen auf"},
            .lesson = {"!lehre D<Digest>-<Nr.> [Titel]",
                       "hält eine Gruppe eines Digests als Lehre fest (als Antwort auf den Digest "
                       "genügt !lehre <Nr.>, als Antwort auf einen Beitrag !lehre)"},
            .action = {"!maßnahme L<Nr> <Datum> <Verantwortlich>: <Maßnahme>",
                       "gibt einer Lehre eine Maßnahme mit Verantwortlichen und Termin"},
            .learned = {"!gelernt L<Nr>", "vermerkt eine Lehre als gelernt (Maßnahme geprüft)"},
            .correct_lesson = {"!korrigieren L<Nr> titel|verantwortlich|frist <Neu>",
                               "ändert den Titel einer Lehre, die Verantwortlichen oder den "
                               "Termin ihrer Maßnahme (der Verlauf bleibt gespeichert)"},
            .remove_lesson = {"!entfernen L<Nr> [maßnahme]",
                              "entfernt eine falsche Lehre (oder nur ihre Maßnahme) aus Liste und "
                              "Export"},
            .merge_groups = {"!zusammenführen D<Digest>-<Nr.> D<Digest>-<Nr.>",
                             "führt zwei Gruppen eines Digests zusammen; der Bot merkt es sich "
                             "für spätere Digests"},
            .move_contribution = {"!verschieben D<Digest>-<Nr.>",
                                  "als Antwort auf einen Beitrag: verschiebt ihn in diese Gruppe"},
            .split_contribution = {"!abtrennen",
                                   "als Antwort auf einen Beitrag: löst ihn aus seiner Gruppe, er "
                                   "wird eine eigene"},
            .rename_group = {"!umbenennen D<Digest>-<Nr.> <Titel>",
                             "gibt einer Gruppe einen Titel, auch in späteren Digests"},
            .help = {"!hilfe", "zeigt alle Befehle"},
            .ping = {"!ping", "prüft, ob der Bot erreichbar ist"},
            .collecting =
                "Beiträge sammeln: Während einer Runde zählt jede Nachricht in diesem Raum als "
                "Beitrag. Außerhalb einer Runde sammelt der Bot Nachrichten mit einem Schlagwort "
                "wie #lehre, #problem, #erfolg oder #idee. Mit der Reaktion 📌 lässt sich jede "
                "Nachricht nachträglich sammeln, mit 👍 geben Sie einem Beitrag Ihre Stimme.",
        },
    .unknown_command_before = "Den Befehl „!",
    .unknown_command_after = "“ kenne ich nicht. Mit !hilfe sehen Sie alle Befehle.",
    .unknown_command_guess =
        "“ kenne ich nicht. Meinten Sie !{command}? Mit !hilfe sehen Sie alle "
        "Befehle.",
    .unknown_tag_guess =
        "#{typed} ist kein Schlagwort des Bots; meinten Sie #{tag}? Wenn Sie Ihre Nachricht so "
        "bearbeiten, wird sie gesammelt.",
    .unknown_tag =
        "#{typed} ist kein Schlagwort des Bots, die Nachricht wurde nicht gesammelt. Schlagwörter "
        "sind z. B. {tags}; wenn Sie Ihre Nachricht damit bearbeiten, wird sie gesammelt.",
    .unsupported_encryption =
        "Hinweis: Dieser Raum ist mit einem Verfahren verschlüsselt, das ich nicht kenne. Ich "
        "kann hier daher keine Beiträge sammeln und nicht auf Befehle antworten. Räume mit der "
        "üblichen Verschlüsselung von Element (Megolm) unterstütze ich.",
    .welcome_room =
        "Guten Tag, ich bin Reflexbot. Ich begleite in diesem Raum Reflexionsrunden: Die "
        "Moderation (ab Berechtigungsstufe {level}) startet und steuert sie, alle anderen "
        "schreiben einfach mit. Während einer Runde sammle ich jede Nachricht als Beitrag, sonst "
        "nur Nachrichten mit einem Schlagwort wie #lehre oder #idee und solche, die jemand mit 📌 "
        "markiert. Ich speichere Text, Zeit und Stadt, statt Ihres Namens nur ein Pseudonym; "
        "Digests nennen Städte, keine Personen. Alle Befehle zeigt !hilfe.",
    .direct_chat_hello =
        "Guten Tag, ich bin Reflexbot. Nachrichten ohne Befehl sammle ich in einer "
        "Direktnachricht nicht. Hier können Sie:",
    .direct_chat_hello_footer = "Runden und Digests finden in den Räumen des Netzwerks statt.",
    .rate_limited =
        "Sie senden zu viele Befehle auf einmal. In etwa {seconds} Sekunden antworte ich Ihnen "
        "wieder; bis dahin bleiben weitere Befehle unbeantwortet. Beiträge mit Schlagwort "
        "sammle ich weiterhin.",
    .round =
        {
            .round_begins = "Die Reflexionsrunde „{template}“ beginnt.",
            .round_begins_topic = "Die Reflexionsrunde „{template}“ zum Thema „{topic}“ beginnt.",
            .collection_note = "Bis zum Ende der Runde wird jede Nachricht in diesem Raum als "
                               "Beitrag zur laufenden Phase gesammelt.",
            .phase_heading = "Phase {n} von {count}: {title}",
            .phase_time = "Zeit für diese Phase: {duration}.",
            .minutes_one = "1 Minute",
            .minutes_many = "{n} Minuten",
            .reminder = "Noch {duration} in der Phase „{phase}“. Wer noch etwas beitragen möchte, "
                        "hat jetzt Gelegenheit dazu.",
            .phase_ended = "Die Phase „{phase}“ ist abgeschlossen.",
            .phase_closed_offline = "Die Phase „{phase}“ ist abgelaufen, während ich nicht "
                                    "erreichbar war. Ich schließe sie hiermit nachträglich ab.",
            .contributions_one = "1 Beitrag",
            .contributions_many = "{n} Beiträge",
            .people_one = "1 Person",
            .people_many = "{n} Personen",
            .summary_people = " von {people}",
            .summary_cities = " aus {cities}",
            .list_and = " und ",
            .summary_tags = "Nach Schlagwort: {tags}",
            .strongest_points = "Die stärksten Punkte:",
            .strongest_point = "„{text}“",
            .strongest_point_votes = "„{text}“ ({votes} 👍)",
            .no_contributions_phase = "In dieser Phase sind keine Beiträge eingegangen.",
            .no_contributions_round = "In dieser Runde sind keine Beiträge eingegangen.",
            .round_ended = "Die Reflexionsrunde „{template}“ ist abgeschlossen. Vielen Dank für "
                           "Ihre Beiträge!",
            .round_ended_by_command = "Die Moderation hat die Reflexionsrunde „{template}“ "
                                      "beendet. Vielen Dank für Ihre Beiträge!",
            .round_total = "Insgesamt: {summary}",
            .paused = "Die Runde ist pausiert. In der Phase „{phase}“ bleiben noch {remaining}; "
                      "die Zeit läuft erst weiter, wenn die Runde fortgesetzt wird. In der Pause "
                      "wird nur gesammelt, was ein Schlagwort trägt (etwa #idee); es zählt zur "
                      "Phase „{phase}“.",
            .resumed = "Es geht weiter: Die Phase „{phase}“ läuft noch {remaining}.",
            .extended = "Die Phase „{phase}“ wurde um {added} verlängert. Verbleibende Zeit: "
                        "{remaining}.",
            .status_running = "Laufende Reflexionsrunde: „{template}“, Phase {n} von {count} "
                              "(„{title}“), noch {remaining}.",
            .status_paused = "Die Reflexionsrunde „{template}“ ist pausiert, Phase {n} von "
                             "{count} („{title}“); es bleiben noch {remaining}.",
            .status_topic = "Thema: {topic}",
            .status_direct_room = "Raum „{room}“",
            .status_direct_none = "In Ihren Räumen läuft derzeit keine Reflexionsrunde.",
            .not_moderator = "Diesen Befehl kann nur die Moderation dieses Raums verwenden. Bitte "
                             "wenden Sie sich an die Moderation.",
            .no_round = "In diesem Raum läuft derzeit keine Reflexionsrunde. Die Moderation kann "
                        "mit !runde <Vorlage> eine starten.",
            .round_already_running =
                "In diesem Raum läuft bereits eine Reflexionsrunde („{template}“, Phase {n} von "
                "{count}). Pro Raum ist immer nur eine Runde möglich; bitte beenden Sie die "
                "laufende zuerst mit !ende.",
            .unknown_template = "Die Vorlage „{given}“ gibt es nicht. Verfügbar sind: {available}.",
            .no_templates = "Die Vorlage „{given}“ gibt es nicht, und derzeit sind keine Vorlagen "
                            "eingerichtet. Bitte wenden Sie sich an die Administration.",
            .bad_duration = "„{given}“ Minuten je Phase gehen nicht: Eine Phase dauert 1 bis {max} "
                            "Minuten, zum Beispiel !runde aar Hochwasser 20.",
            .usage_start = "So starten Sie eine Runde: !runde <Vorlage> [Thema] [Minuten je "
                           "Phase] [thread], zum Beispiel !runde panreflex Hochwasser 20 thread "
                           "(mit „thread“ läuft die Runde in einem eigenen Thread)",
            .usage_extend = "So verlängern Sie die laufende Phase: !verlängern <Minuten>, zum "
                            "Beispiel !verlängern 10",
            .bad_extension_given = "Um „{given}“ Minuten lässt sich eine Phase nicht verlängern: "
                                   "Möglich sind 1 bis {max} Minuten, zum Beispiel !verlängern 10.",
            .error_no_phases = "Diese Vorlage enthält keine Phasen und kann daher nicht gestartet "
                               "werden. Bitte wenden Sie sich an die Administration.",
            .error_bad_phase_length = "Eine Phase kann zwischen 1 und {max} Minuten dauern.",
            .error_bad_extension = "Eine Phase lässt sich um 1 bis {max} Minuten verlängern.",
            .error_round_ended = "Diese Reflexionsrunde ist bereits beendet.",
            .error_already_paused = "Die Runde ist bereits pausiert. Mit !fortsetzen geht es "
                                    "weiter.",
            .error_not_paused = "Die Runde ist nicht pausiert, sie läuft bereits.",
        },
    .poll_question = "Welche Beiträge sollen wir zuerst angehen? (eine Stimme je Person)",
    .poll_none = "In dieser Phase gibt es noch keine Beiträge zum Abstimmen.",
    .poll_ended = "Die Umfrage ist beendet.",
    .poll_no_open = "Hier läuft keine Umfrage.",
    .poll_not_sent = "Die Umfrage wird noch gesendet; bitte gleich noch einmal.",
    .forget_ask =
        "Von Ihnen gespeichert sind: {stored}. Wenn Sie „!vergessen bestätigen“ schreiben, "
        "lösche ich das endgültig aus meiner Datenbank. Ihre Nachrichten im Raum selbst "
        "bleiben davon unberührt.",
    .forget_done = "Erledigt. Gelöscht sind: {stored}.",
    .votes_one = "1 Stimme",
    .votes_many = "{n} Stimmen",
    .forget_nothing = "Von Ihnen ist nichts gespeichert.",
    .templates_intro = "Diese Vorlagen stehen für Reflexionsrunden bereit (!runde <Vorlage>):",
    .templates_none =
        "Es sind keine Vorlagen eingerichtet. Bitte wenden Sie sich an die "
        "Administration.",
    .anonymous_only_direct =
        "Anonyme Beiträge nehme ich nur in einer Direktnachricht an, damit "
        "niemand sieht, von wem sie stammen. Schreiben Sie mir dort: "
        "!anonym <Raum> <Text>",
    .anonymous_usage =
        "So senden Sie einen anonymen Beitrag: !anonym <Raum> <Text>, zum Beispiel "
        "!anonym Köln Die Abstimmung mit dem Land kam zu spät.",
    .anonymous_unknown_room =
        "Den Raum „{room}“ finde ich nicht unter den Räumen, in denen Sie Mitglied sind. "
        "Möglich sind: {rooms}.",
    .anonymous_no_rooms =
        "Sie sind in keinem Raum des Netzwerks Mitglied, in den ich anonyme Beiträge stellen "
        "kann. Anonym schreiben können Sie nur in Räume, denen Sie selbst angehören.",
    .anonymous_ambiguous =
        "„{room}“ passt auf mehrere Räume: {rooms}. Bitte schreiben Sie den Namen des Raums in "
        "Anführungszeichen, zum Beispiel: !anonym „Name des Raums“ <Text>",
    .anonymous_slow_down =
        "Sie haben gerade schon mehrere anonyme Beiträge gesendet. Der nächste ist in etwa "
        "{minutes} Minuten möglich.",
    .direct_chat_only_own =
        "Dieser Befehl gehört in einen Raum des Netzwerks, nicht in eine Direktnachricht. Hier "
        "können Sie: !anonym <Raum> <Text>, !meine, !vergessen und !hilfe.",
    .anonymous_label = "Anonymer Beitrag:",
    .anonymous_posted =
        "Danke. Ihr Beitrag steht jetzt ohne Ihren Namen im Raum {room}. "
        "Gespeichert ist nur der Text, nicht, von wem er kam.",
    .mine_only_direct =
        "Ihre Beiträge zeige ich Ihnen nur in einer Direktnachricht. Schreiben "
        "Sie mir dort !meine.",
    .mine_none = "Von Ihnen ist kein Beitrag gespeichert.",
    .mine_intro =
        "Diese {n} Beiträge von Ihnen sind gespeichert (anonyme Beiträge sind nicht "
        "dabei, sie sind niemandem zugeordnet):",
    .mine_more = "… und {n} ältere.",
    .digest =
        {
            .title_room = "Digest für {scope}",
            .unnamed_room = "diesen Raum",
            .title_network = "Digest des Netzwerks",
            .period = "{from} – {to}",
            .part = "Teil {i}/{n}",
            .overview = "{counts}{cities}.",
            .overview_details = " (davon {list})",
            .overview_details_all = " ({list})",
            .anonymous_some = "{n} anonym",
            .anonymous_all = "alle anonym",
            .overview_people = " von {people}",
            .overview_cities = " aus {cities}: {list}",
            .from_network_room = "{n} aus dem Netzwerkraum",
            .network_room = "Netzwerkraum",
            .contributions_one = "1 Beitrag",
            .contributions_many = "{n} Beiträge",
            .people_one = "1 Person",
            .people_many = "{n} Personen",
            .cities_one = "1 Stadt",
            .cities_many = "{n} Städten",
            .list_and = " und ",
            .list_or = " oder ",
            .nothing = "In diesem Zeitraum wurde nichts gesammelt.",
            .open_lessons = "Offen: {lessons}{overdue} (!lehren).",
            .lessons_one = "1 Lehre",
            .lessons_many = "{n} Lehren",
            .open_overdue = ", {n} davon überfällig",
            .heading_lessons = "Mehrfach genannt",
            .heading_marked_lessons = "Als Lehre markiert",
            .heading_went_well = "Was gut lief",
            .heading_was_hard = "Was schwer war",
            .heading_ideas = "Ideen",
            .heading_singles = "Einzelne Beiträge",
            .heading_actions = "Offene Maßnahmen",
            .heading_numbers = "Zahlen",
            .no_lessons = "Nichts wurde mehr als einmal genannt.",
            .all_new = "alle neu",
            .mark_new = "neu",
            .mark_growing = "wächst, vorher {n}",
            .signal = "{n} × {tag}",
            .not_shown = "Nicht gezeigt: {list}.",
            .show_all = "Alles zeigt !digest {label}.",
            .too_many = "Zu viele für den Chat; vollständig im Export (reflexbot export).",
            .complete = "vollständig",
            .more_groups_one = "1 weitere Gruppe",
            .more_groups_many = "{n} weitere Gruppen",
            .more_singles_one = "1 einzelner Beitrag",
            .more_singles_many = "{n} einzelne Beiträge",
            .more_actions = "… und {n} weitere (!lehren)",
            .more_quotes = "… und {n} weitere Beiträge",
            .votes = "{n} 👍",
            .quote = "„{text}“ ({city})",
            .quote_unplaced = "„{text}“",
            .person = "Person {n}",
            .tagged = "{n} davon als {tags} markiert",
            .action = "L{id} {title}: {action} – {owner}, {due}",
            .due = "bis {date}",
            .no_due = "ohne Termin",
            .overdue = "überfällig",
            .no_action = "L{id} {title}: noch ohne Maßnahme",
            .no_actions = "Keine offenen Maßnahmen.",
            .phases = "Nach Phase: {list}",
            .phase_count = "„{phase}“ {n}",
            .phases_of_template = "{template} – {list}",
            .topics = "Nach Thema: {list}",
            .no_phase = "außerhalb von Runden",
            .footer = "Moderation: !lehre <Nr.> hält eine Gruppe als Lehre fest.",
            .footer_label = "Moderation: !lehre {label}-<Nr.> hält eine Gruppe als Lehre fest; "
                            "als Antwort auf diesen Digest genügt !lehre <Nr.>.",
        },
    .lesson =
        {
            .created = "Lehre L{id} festgehalten: „{title}“ ({sources}).",
            .created_from_digest = "Lehre L{id} festgehalten: „{title}“ ({digest} Nr. {n}, "
                                   "{sources}).",
            .same_title = "L{other} hat denselben Titel. Falls doppelt: !entfernen L{id}",
            .usage_lesson = "So geht es: !lehre D<Digest>-<Nr.> [Titel], als Antwort auf einen "
                            "Digest !lehre <Nr.> [Titel], als Antwort auf einen Beitrag !lehre "
                            "[Titel]",
            .no_group = "Der Digest {digest} hat keine Nr. {n}.",
            .no_digest_yet =
                "In diesem Raum gab es noch keinen Digest mit nummerierten Gruppen (erst "
                "!digest). Einen einzelnen Beitrag halten Sie fest, indem Sie mit !lehre "
                "auf ihn antworten.",
            .unknown_digest = "Einen Digest {digest} gibt es in diesem Raum nicht (mehr).",
            .which_digest = "Hier kamen kurz nacheinander {earlier} und {later}. Welcher ist "
                            "gemeint? Antworten Sie auf den Digest mit !lehre {n} oder schreiben "
                            "Sie !lehre {later}-{n} (bzw. {earlier}-{n}).",
            .reply_needs_number = "Welche Gruppe? Als Antwort auf einen Digest: !lehre <Nr.> "
                                  "[Titel].",
            .not_contribution =
                "Die Nachricht, auf die Sie antworten, ist kein gesammelter Beitrag.",
            .unknown = "Eine Lehre L{id} gibt es hier nicht. !lehren zeigt alle.",
            .usage_action = "So geht es: !maßnahme L<Nr> <Datum> <Verantwortlich>: <Maßnahme>, "
                            "z. B. !maßnahme L3 15.12.2026 Gesundheitsamt: Schutzausrüstung "
                            "zentral lagern",
            .bad_date = "„{given}“ ist kein Datum. Bitte so: 15.12.2026, 15.12. oder 2026-12-15.",
            .past_date =
                "Der {given} liegt in der Vergangenheit. Bitte ein Datum ab heute angeben.",
            .action_set = "Maßnahme für L{id}: {action} – {owner}, {due}.",
            .usage_correct = "So geht es: !korrigieren L<Nr> titel <Titel>, !korrigieren L<Nr> "
                             "verantwortlich <Verantwortlich> oder !korrigieren L<Nr> frist "
                             "<Datum>",
            .usage_remove = "So geht es: !entfernen L<Nr> (die Lehre) oder !entfernen L<Nr> "
                            "maßnahme (nur ihre Maßnahme)",
            .title_corrected = "L{id} heißt jetzt „{title}“.",
            .owner_corrected = "Verantwortlich für die Maßnahme von L{id}: {owner}.",
            .due_corrected = "Die Maßnahme von L{id} ist jetzt am {date} fällig.",
            .no_action = "L{id} hat noch keine Maßnahme. Erst !maßnahme L{id} <Datum> "
                         "<Verantwortlich>: <Maßnahme>.",
            .removed = "L{id} „{title}“ ist entfernt: nicht mehr in !lehren und nicht im Export.",
            .action_removed = "Die Maßnahme von L{id} ist entfernt; die Lehre bleibt erkannt.",
            .usage_learned = "So geht es: !gelernt L<Nr>",
            .learned = "L{id} „{title}“ ist jetzt als gelernt vermerkt.",
            .already_learned = "L{id} ist schon als gelernt vermerkt.",
            .list_room = "Lehren dieses Raums:",
            .list_network = "Lehren im Netzwerk:",
            .list_none = "Noch keine Lehren festgehalten. Die Moderation hält sie mit !lehre fest.",
            .state_identified = "erkannt",
            .state_action = "Maßnahme läuft",
            .state_learned = "gelernt",
            .list_entry = "L{id} {title} – {state}",
            .usage_digest =
                "So geht es: !digest [seit <Datum> | runde [Nr.] | <Tage> Tage | D<Nr.>]",
            .digest_bad_days = "„{given}“ Tage gehen nicht: !digest fasst 1 bis {max} Tage "
                               "zusammen, zum Beispiel !digest 14 Tage.",
            .digest_not_a_date = "„{given}“ ist kein Datum. Schreiben Sie es als TT.MM.JJJJ oder "
                                 "JJJJ-MM-TT, zum Beispiel !digest seit {example}.",
            .digest_no_such_date = "Den {given} gibt es nicht. Der nächste gültige Tag ist der "
                                   "{nearest}: !digest seit {nearest}",
            .digest_future_date = "Der {given} liegt in der Zukunft. !digest seit <Datum> fasst ab "
                                  "einem Tag bis heute ({today}) zusammen.",
            .no_round = "In diesem Raum gab es diese Runde nicht.",
        },
    .curation =
        {
            .usage_merge = "So geht es: !zusammenführen D<Digest>-<Nr.> D<Digest>-<Nr.>, als "
                           "Antwort auf einen Digest !zusammenführen <Nr.> <Nr.>",
            .usage_move = "So geht es: als Antwort auf einen Beitrag !verschieben "
                          "D<Digest>-<Nr.>",
            .usage_split = "So geht es: als Antwort auf einen Beitrag !abtrennen",
            .usage_rename = "So geht es: !umbenennen D<Digest>-<Nr.> <Titel>, als Antwort auf "
                            "einen Digest !umbenennen <Nr.> <Titel>",
            .same_group = "Nennen Sie zwei verschiedene Gruppen, z. B. !zusammenführen "
                          "{digest}-1 {digest}-2.",
            .already_there = "Der Beitrag gehört schon zu {group}.",
            .already_merged = "{first} und {second} sind schon eine Gruppe.",
            .already_alone = "Der Beitrag ist schon eine eigene Gruppe.",
            .two_digests = "Beide Gruppen müssen aus demselben Digest sein, z. B. !zusammenführen "
                           "{digest}-1 {digest}-2.",
            .which_digest = "Hier kamen kurz nacheinander {earlier} und {later}. Welcher ist "
                            "gemeint? Nennen Sie die Gruppe mit ihrem Digest, z. B. {later}-{n} "
                            "(bzw. {earlier}-{n}).",
            .moved_away = "Die Beiträge von {group} sind inzwischen alle in anderen Gruppen. Ein "
                          "neuer Digest (!digest) zeigt die Gruppen, wie sie jetzt sind.",
            .merged = "{first} und {second} sind jetzt eine Gruppe:",
            .moved = "Der Beitrag gehört jetzt zu {group}:",
            .split = "Der Beitrag ist jetzt eine eigene Gruppe:",
            .renamed = "{group} heißt jetzt so:",
            .later = "Im Zeitraum dieses Digests steht die Gruppe nicht mehr; spätere Digests "
                     "zeigen sie so.",
            .remembered = "Spätere Digests behalten das bei.",
        },
};

constexpr Texts kEnglish{
    .pong = "Pong! Reflexbot is here and listening.",
    .help_intro = "Reflexbot guides reflection rounds in the network's rooms. Commands:",
    .help_footer = "German commands (!hilfe …) work as well.",
    .help =
        {
            .for_everyone = "For everyone:",
            .for_moderators = "For moderators:",
            .status = {"!status",
                       "shows which round is running, its current phase and the "
                       "time left"},
            .templates = {"!templates", "lists the templates available for reflection rounds"},
            .my_contributions = {"!mine",
                                 "shows your contributions (in a direct message to the bot)"},
            .forget_me = {"!forgetme",
                          "deletes all your contributions and votes once you "
                          "confirm (!forgetme confirm)"},
            .anonymous = {"!anonymous <room> <text>",
                          "in a direct message to the bot: posts your text to the named room (a "
                          "city, or the room's name in quotes; to its current round if one is "
                          "running) as an anonymous contribution if you are a member there; the "
                          "bot does not store who sent it"},
            .start_round = {"!round <template> [topic] [minutes per phase] [thread]",
                            "starts a reflection round"},
            .next_phase = {"!next", "closes the current phase and starts the next one"},
            .pause = {"!pause", "pauses the round; the phase clock stops until it resumes"},
            .resume = {"!resume", "resumes a paused round"},
            .extend = {"!extend <minutes>", "adds time to the current phase"},
            .end_round = {"!end", "ends the round and sums up the contributions"},
            .poll = {"!poll [end]",
                     "puts the current phase's contributions to a vote (one vote per person, "
                     "counted like 👍); !poll end closes it"},
            .digest = {"!digest [since <date> | round | <days> days | D<no.>]",
                       "summarises what was collected (default: the last 7 days); in the network "
                       "room for all cities; D4 shows everything of digest D4"},
            .lessons = {"!lessons", "lists the recorded lessons and their actions"},
            .lesson = {"!lesson D<digest>-<no.> [title]",
                       "records a group of a digest as a lesson (in a reply to the digest "
                       "!lesson <no.> will do, in a reply to a contribution !lesson)"},
            .action = {"!action L<no> <date> <owner>: <action>",
                       "gives a lesson an action with an owner and a due date"},
            .learned = {"!learned L<no>", "marks a lesson as learned (action validated)"},
            .correct_lesson = {"!correct L<no> title|owner|due <new>",
                               "changes a lesson's title, or its action's owner or due date (the "
                               "history is kept)"},
            .remove_lesson = {"!remove L<no> [action]",
                              "removes a wrong lesson (or only its action) from the list and "
                              "the export"},
            .merge_groups = {"!merge D<digest>-<no.> D<digest>-<no.>",
                             "merges two groups of a digest; the bot remembers it for later "
                             "digests"},
            .move_contribution = {"!move D<digest>-<no.>",
                                  "in a reply to a contribution: moves it into that group"},
            .split_contribution = {"!split",
                                   "in a reply to a contribution: takes it out of its group, it "
                                   "becomes one of its own"},
            .rename_group = {"!rename D<digest>-<no.> <title>",
                             "gives a group a title, in later digests too"},
            .help = {"!help", "shows all commands"},
            .ping = {"!ping", "checks that the bot is reachable"},
            .collecting =
                "Collecting: during a round, every message in this room counts as a "
                "contribution. Outside a round, the bot collects messages with a tag such as "
                "#lesson, #problem, #success or #idea. React with 📌 to collect any message "
                "afterwards, and with 👍 to vote for a contribution.",
        },
    .unknown_command_before = "I don't know the command \"!",
    .unknown_command_after = "\". Send !help to see all commands.",
    .unknown_command_guess = "\". Did you mean !{command}? Send !help to see all commands.",
    .unknown_tag_guess =
        "#{typed} is not one of the bot's tags; did you mean #{tag}? Edit your "
        "message that way and it is collected.",
    .unknown_tag =
        "#{typed} is not one of the bot's tags, so the message was not collected. Tags "
        "are e.g. {tags}; edit your message with one and it is collected.",
    .unsupported_encryption =
        "Note: this room is encrypted with a method I do not know, so I cannot collect "
        "contributions or answer commands here. I support rooms with Element's usual "
        "encryption (Megolm).",
    .welcome_room =
        "Hello, I am Reflexbot. I support reflection rounds in this room: the moderators (power "
        "level {level} and above) start and steer them, everyone else simply writes. During a "
        "round I collect every message as a contribution; otherwise only messages with a tag "
        "such as #lesson or #idea and those someone marks with 📌. I store the text, the time "
        "and the city, and a pseudonym instead of your name; digests name cities, not people. "
        "!help shows all commands.",
    .direct_chat_hello =
        "Hello, I am Reflexbot. I do not collect messages without a command in a direct "
        "message. Here you can:",
    .direct_chat_hello_footer = "Rounds and digests take place in the network's rooms.",
    .rate_limited =
        "You are sending too many commands at once. I will answer you again in about {seconds} "
        "seconds; until then further commands go unanswered. Tagged contributions are still "
        "collected.",
    .round =
        {
            .round_begins = "The reflection round \"{template}\" is starting.",
            .round_begins_topic = "The reflection round \"{template}\" on \"{topic}\" is "
                                  "starting.",
            .collection_note = "Until the round ends, every message in this room is collected as "
                               "a contribution to the current phase.",
            .phase_heading = "Phase {n} of {count}: {title}",
            .phase_time = "Time for this phase: {duration}.",
            .minutes_one = "1 minute",
            .minutes_many = "{n} minutes",
            .reminder = "{duration} left in the \"{phase}\" phase. If you'd still like to "
                        "contribute, now is a good time.",
            .phase_ended = "The \"{phase}\" phase is over.",
            .phase_closed_offline = "The \"{phase}\" phase ran out while I was offline, so I am "
                                    "closing it now.",
            .contributions_one = "1 contribution",
            .contributions_many = "{n} contributions",
            .people_one = "1 person",
            .people_many = "{n} people",
            .summary_people = " from {people}",
            .summary_cities = " in {cities}",
            .list_and = " and ",
            .summary_tags = "By tag: {tags}",
            .strongest_points = "The strongest points:",
            .strongest_point = "\"{text}\"",
            .strongest_point_votes = "\"{text}\" ({votes} 👍)",
            .no_contributions_phase = "No contributions came in during this phase.",
            .no_contributions_round = "No contributions came in during this round.",
            .round_ended = "The reflection round \"{template}\" is complete. Thank you for your "
                           "contributions!",
            .round_ended_by_command = "The moderators have ended the reflection round "
                                      "\"{template}\". Thank you for your contributions!",
            .round_total = "In total: {summary}",
            .paused = "The round is paused with {remaining} left in the \"{phase}\" phase; the "
                      "clock stops until the round is resumed. During the pause only tagged "
                      "messages (such as #idea) are collected; they count for the \"{phase}\" "
                      "phase.",
            .resumed = "We're continuing: the \"{phase}\" phase has {remaining} left.",
            .extended = "The \"{phase}\" phase has been extended by {added}. Time left: "
                        "{remaining}.",
            .status_running = "Reflection round \"{template}\" is running: phase {n} of {count} "
                              "(\"{title}\"), {remaining} left.",
            .status_paused = "Reflection round \"{template}\" is paused in phase {n} of {count} "
                             "(\"{title}\") with {remaining} left.",
            .status_topic = "Topic: {topic}",
            .status_direct_room = "Room \"{room}\"",
            .status_direct_none = "There is no reflection round running in your rooms.",
            .not_moderator = "Only the moderators of this room can use this command. Please ask "
                             "them.",
            .no_round = "There is no reflection round running in this room. The moderators can "
                        "start one with !round <template>.",
            .round_already_running =
                "A reflection round is already running in this room (\"{template}\", phase {n} "
                "of {count}). Only one round per room can run at a time; please end it first "
                "with !end.",
            .unknown_template = "There is no template called \"{given}\". Available templates: "
                                "{available}.",
            .no_templates = "There is no template called \"{given}\", and no templates are set "
                            "up at the moment. Please contact your administrator.",
            .bad_duration = "\"{given}\" minutes per phase will not work: a phase lasts 1 to {max} "
                            "minutes, for example !round aar Flood 20.",
            .usage_start = "To start a round: !round <template> [topic] [minutes per phase] "
                           "[thread], for example !round panreflex flooding 20 thread (with "
                           "\"thread\" the round runs in a thread of its own)",
            .usage_extend = "To extend the current phase: !extend <minutes>, for example !extend "
                            "10",
            .bad_extension_given = "A phase cannot be extended by \"{given}\" minutes: 1 to {max} "
                                   "minutes are possible, for example !extend 10.",
            .error_no_phases = "This template has no phases, so it cannot be started. Please "
                               "contact your administrator.",
            .error_bad_phase_length = "A phase can last between 1 and {max} minutes.",
            .error_bad_extension = "A phase can be extended by 1 to {max} minutes.",
            .error_round_ended = "This reflection round has already ended.",
            .error_already_paused = "The round is already paused. Use !resume to continue.",
            .error_not_paused = "The round isn't paused; it is already running.",
        },
    .poll_question = "Which contributions should we take up first? (one vote each)",
    .poll_none = "This phase has no contributions to vote on yet.",
    .poll_ended = "The poll is closed.",
    .poll_no_open = "There is no open poll here.",
    .poll_not_sent = "The poll is still being sent; please try again in a moment.",
    .forget_ask =
        "Stored from you: {stored}. If you write \"!forgetme confirm\", I will delete this "
        "from my database for good. Your messages in the room itself are not affected.",
    .forget_done = "Done. Deleted: {stored}.",
    .votes_one = "1 vote",
    .votes_many = "{n} votes",
    .forget_nothing = "Nothing of yours is stored.",
    .templates_intro = "These templates are available for reflection rounds (!round <template>):",
    .templates_none = "No templates are set up. Please contact your administrator.",
    .anonymous_only_direct =
        "I only take anonymous contributions in a direct message, so that "
        "nobody sees who sent them. Write to me there: !anon <room> <text>",
    .anonymous_usage =
        "To send an anonymous contribution: !anon <room> <text>, for example "
        "!anon Köln The coordination with the state came too late.",
    .anonymous_unknown_room =
        "I can't find the room \"{room}\" among the rooms you are a member of. Possible rooms: "
        "{rooms}.",
    .anonymous_no_rooms =
        "You are not a member of any network room I can post anonymous contributions to. You "
        "can only write anonymously to rooms you belong to.",
    .anonymous_ambiguous =
        "\"{room}\" matches several rooms: {rooms}. Please write the room's name in quotes, for "
        "example: !anon \"Name of the room\" <text>",
    .anonymous_slow_down =
        "You have just sent several anonymous contributions. The next one is possible in about "
        "{minutes} minutes.",
    .direct_chat_only_own =
        "This command belongs in a network room, not in a direct message. Here you can use: "
        "!anon <room> <text>, !mine, !forgetme and !help.",
    .anonymous_label = "Anonymous contribution:",
    .anonymous_posted =
        "Thank you. Your contribution is now in the room {room}, without your "
        "name. Only the text is stored, not who sent it.",
    .mine_only_direct =
        "I only show you your contributions in a direct message. Write !mine to "
        "me there.",
    .mine_none = "No contribution of yours is stored.",
    .mine_intro =
        "These {n} contributions of yours are stored (anonymous ones are not included; "
        "they belong to no one):",
    .mine_more = "… and {n} older ones.",
    .digest =
        {
            .title_room = "Digest for {scope}",
            .unnamed_room = "this room",
            .title_network = "Network digest",
            .period = "{from} – {to}",
            .part = "part {i}/{n}",
            .overview = "{counts}{cities}.",
            .overview_details = " ({list})",
            .overview_details_all = " ({list})",
            .anonymous_some = "{n} anonymous",
            .anonymous_all = "all anonymous",
            .overview_people = " from {people}",
            .overview_cities = " in {cities}: {list}",
            .from_network_room = "{n} from the network room",
            .network_room = "network room",
            .contributions_one = "1 contribution",
            .contributions_many = "{n} contributions",
            .people_one = "1 person",
            .people_many = "{n} people",
            .cities_one = "1 city",
            .cities_many = "{n} cities",
            .list_and = " and ",
            .list_or = " or ",
            .nothing = "Nothing was collected in this period.",
            .open_lessons = "Open: {lessons}{overdue} (!lessons).",
            .lessons_one = "1 lesson",
            .lessons_many = "{n} lessons",
            .open_overdue = ", {n} of them overdue",
            .heading_lessons = "Raised more than once",
            .heading_marked_lessons = "Marked as lessons",
            .heading_went_well = "What went well",
            .heading_was_hard = "What was hard",
            .heading_ideas = "Ideas",
            .heading_singles = "Single contributions",
            .heading_actions = "Open actions",
            .heading_numbers = "Figures",
            .no_lessons = "Nothing was raised more than once.",
            .all_new = "all new",
            .mark_new = "new",
            .mark_growing = "growing, {n} before",
            .signal = "{n} × {tag}",
            .not_shown = "Not shown: {list}.",
            .show_all = "!digest {label} shows everything.",
            .too_many = "Too many for the chat; the export has everything (reflexbot export).",
            .complete = "complete",
            .more_groups_one = "1 more group",
            .more_groups_many = "{n} more groups",
            .more_singles_one = "1 single contribution",
            .more_singles_many = "{n} single contributions",
            .more_actions = "… and {n} more (!lessons)",
            .more_quotes = "… and {n} more contributions",
            .votes = "{n} 👍",
            .quote = "“{text}” ({city})",
            .quote_unplaced = "“{text}”",
            .person = "Person {n}",
            .tagged = "{n} of them marked as {tags}",
            .action = "L{id} {title}: {action} – {owner}, {due}",
            .due = "due {date}",
            .no_due = "no due date",
            .overdue = "overdue",
            .no_action = "L{id} {title}: no action yet",
            .no_actions = "No open actions.",
            .phases = "By phase: {list}",
            .phase_count = "“{phase}” {n}",
            .phases_of_template = "{template} – {list}",
            .topics = "By topic: {list}",
            .no_phase = "outside rounds",
            .footer = "Moderators: !lesson <no.> records a group as a lesson.",
            .footer_label = "Moderators: !lesson {label}-<no.> records a group as a lesson; in a "
                            "reply to this digest, !lesson <no.> will do.",
        },
    .lesson =
        {
            .created = "Lesson L{id} recorded: “{title}” ({sources}).",
            .created_from_digest = "Lesson L{id} recorded: “{title}” ({digest} no. {n}, "
                                   "{sources}).",
            .same_title = "L{other} has the same title. If it is a duplicate: !remove L{id}",
            .usage_lesson = "Usage: !lesson D<digest>-<no.> [title]; in a reply to a digest "
                            "!lesson <no.> [title]; in a reply to a contribution !lesson [title]",
            .no_group = "Digest {digest} has no number {n}.",
            .no_digest_yet = "This room has had no digest with numbered groups yet (run !digest "
                             "first). To record a single contribution, reply to it with !lesson.",
            .unknown_digest = "There is no digest {digest} in this room (any more).",
            .which_digest = "{earlier} and {later} came shortly one after the other here. Which "
                            "one do you mean? Reply to the digest with !lesson {n} or write "
                            "!lesson {later}-{n} (or {earlier}-{n}).",
            .reply_needs_number = "Which group? In a reply to a digest: !lesson <no.> [title].",
            .not_contribution = "The message you reply to is not a collected contribution.",
            .unknown = "There is no lesson L{id} here. !lessons lists them all.",
            .usage_action = "Usage: !action L<no> <date> <owner>: <action>, e.g. !action L3 "
                            "2026-12-15 Health office: store protective equipment centrally",
            .bad_date = "“{given}” is not a date. Please write 2026-12-15 or 15.12.2026.",
            .past_date = "{given} is in the past. Please give a date from today on.",
            .action_set = "Action for L{id}: {action} – {owner}, {due}.",
            .usage_correct = "Usage: !correct L<no> title <title>, !correct L<no> owner "
                             "<owner> or !correct L<no> due <date>",
            .usage_remove = "Usage: !remove L<no> (the lesson) or !remove L<no> action (only its "
                            "action)",
            .title_corrected = "L{id} is now called “{title}”.",
            .owner_corrected = "Owner of L{id}'s action: {owner}.",
            .due_corrected = "L{id}'s action is now due {date}.",
            .no_action = "L{id} has no action yet. First !action L{id} <date> <owner>: <action>.",
            .removed = "L{id} “{title}” is removed: no longer in !lessons or the export.",
            .action_removed = "L{id}'s action is removed; the lesson stays identified.",
            .usage_learned = "Usage: !learned L<no>",
            .learned = "L{id} “{title}” is now marked as learned.",
            .already_learned = "L{id} is already marked as learned.",
            .list_room = "Lessons of this room:",
            .list_network = "Lessons in the network:",
            .list_none = "No lessons recorded yet. Moderators add them with !lesson.",
            .state_identified = "identified",
            .state_action = "action under way",
            .state_learned = "learned",
            .list_entry = "L{id} {title} – {state}",
            .usage_digest = "Usage: !digest [since <date> | round [no.] | <days> days | D<no.>]",
            .digest_bad_days = "\"{given}\" days will not work: !digest covers 1 to {max} days, "
                               "for example !digest 14 days.",
            .digest_not_a_date = "\"{given}\" is not a date. Write it as YYYY-MM-DD or DD.MM.YYYY, "
                                 "for example !digest since {example}.",
            .digest_no_such_date = "There is no {given}. The nearest valid day is {nearest}: "
                                   "!digest since {nearest}",
            .digest_future_date =
                "{given} is in the future. !digest since <date> covers from a day "
                "up to today ({today}).",
            .no_round = "There was no such round in this room.",
        },
    .curation =
        {
            .usage_merge = "Usage: !merge D<digest>-<no.> D<digest>-<no.>; in a reply to a "
                           "digest !merge <no.> <no.>",
            .usage_move = "Usage: in a reply to a contribution !move D<digest>-<no.>",
            .usage_split = "Usage: in a reply to a contribution !split",
            .usage_rename = "Usage: !rename D<digest>-<no.> <title>; in a reply to a digest "
                            "!rename <no.> <title>",
            .same_group = "Name two different groups, e.g. !merge {digest}-1 {digest}-2.",
            .already_there = "The contribution belongs to {group} already.",
            .already_merged = "{first} and {second} are one group already.",
            .already_alone = "The contribution is a group of its own already.",
            .two_digests = "Both groups must be from the same digest, e.g. !merge {digest}-1 "
                           "{digest}-2.",
            .which_digest = "{earlier} and {later} came shortly one after the other here. Which "
                            "one do you mean? Name the group with its digest, e.g. {later}-{n} "
                            "(or {earlier}-{n}).",
            .moved_away = "The contributions of {group} are all in other groups by now. A new "
                          "digest (!digest) shows the groups as they are now.",
            .merged = "{first} and {second} are one group now:",
            .moved = "The contribution belongs to {group} now:",
            .split = "The contribution is a group of its own now:",
            .renamed = "{group} is called this now:",
            .later = "The group is no longer in this digest's period; later digests show it so.",
            .remembered = "Later digests keep this.",
        },
};

}  // namespace

const Texts& texts(Language language) { return language == Language::en ? kEnglish : kGerman; }

}  // namespace reflexbot::core
