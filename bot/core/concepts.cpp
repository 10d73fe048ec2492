#include "core/concepts.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace reflexbot::core {
namespace {

// The domain vocabulary of municipal crisis management, German and English. A word (lower case,
// umlauts folded: ä → a, ß → ss) belongs to a concept if it starts with one of its patterns, or,
// for patterns of six letters or more, contains it (German compounds: "Maskenbeschaffung" has
// both "maske" and "beschaff"). A pattern starting with '=' must be the whole word, one starting
// with '^' must start it whatever its length ("^visier" is not in "improvisiert"), and one
// starting with '!' excludes the words it matches from the concept ("!schulung" for "schul").
//
// Written from the domain (what crisis staff talk about), not from any test data.
struct Concept {
  std::string_view key;
  std::string_view patterns;  // space-separated
};

constexpr std::array kConcepts = {
    Concept{"schutzausruestung",
            "maske masken ffp2 ffp3 =ffp =kn95 =psa schutzausrust schutzkleid handschuh kittel "
            "^visier desinfektion desinfek =mask =masks glove gown =ppe protective respirator "
            "!maskenpflicht"},
    Concept{"beschaffung",
            "beschaff vergab einkauf bestell lieferant lieferung lieferket preis wucher =markt "
            "procur supplier purchas tender =price =prices !terminvergab"},
    Concept{"vorrat",
            "vorrat bevorrat =lager lagerbest lagerhal pandemielag ablaufdat abgelauf "
            "stockpil =reserve =reserves expired bestandslist verfallsdat mindestmeng umgewalzt "
            "umwalz rollier =stock"},
    Concept{"recht",
            "allgemeinverfug =av =avs verordnung coronavo schvo rechtsgrundlag rechtsamt ^gericht "
            "verwaltungsgericht =ifsg infektionsschutzgesetz =klage klagen jurist rechtssicher "
            "rechtslag rechtsunsicher eilverfahr =legal =court ordinanc regulation decree =law "
            "erlass auslegungshinweis =vo =vos"},
    Concept{"foederal",
            "landesreg landesregier ministerium ministerprasid =mpk =bund bundesland "
            "bund-land foderal spitzenverband kommunen kommunal landkreis nachbarkreis umland "
            "federal ministry"},
    Concept{"kurzfristig", "kurzfristig ubernacht =nachts vorlauf overnight =notice"},
    Concept{"kontaktverfolgung",
            "kontaktnachverfolg nachverfolg kontaktperson kontaktverfolg sormas excel tabelle "
            "indexfall =index ermittl trac =contacts"},
    Concept{"personalgewinnung",
            "personalgewinn rekrut einstell ausschreib bundeswehr soldat student zeitarbeit "
            "containment =scout =scouts verstark abordn befrist recruit =hire =hired soldier "
            "abgeordnet personalpool pensioniert ruhestand reaktivier"},
    Concept{"einarbeitung",
            "einarbeit schulung checklist onboard einweis einlern mentor =pate "
            "paten lernkurv train handbuch tandem leitfad anleitung"},
    Concept{"belastung",
            "uberstund burnout erschopf belastung =krank krankmeld schicht urlaub =mude psych "
            "erholung supervision exhaust overtime stress =shift =shifts erschopft ausgebrannt "
            "langzeiterkrank"},
    Concept{"bedrohung",
            "bedroh drohbrief droh =hass hassmail hasskommentar anfeind beleidig "
            "beschimpf polizeischutz angriff threat hate harass abuse bespuckt bespuck einschucht"},
    Concept{"krisenstab",
            "krisenstab stabssitz stabsarbeit verwaltungsstab "
            "=kats katastrophenschutz lagebesprech sitzungsrhythm crisis"},
    Concept{"dokumentation",
            "dokumentier dokumentat protokoll einsatztagebuch nachvollzieh entscheidungsvorlag "
            "begrund =record =records =logbook entscheidungsregist beschluss aufgeschrieb "
            "aufschreib untersuchungsausschuss document"},
    Concept{"buergertelefon",
            "burgertelefon hotline telefon anruf warteschleif callcenter "
            "anrufer =call =calls =callers phone"},
    Concept{"oeffentlichkeit",
            "presse social facebook twitter instagram gerucht falschmeld =fake pressemitteil "
            "medien journalist =press =media rumour rumor"},
    Concept{"sprachen",
            "mehrsprach ubersetz dolmetsch fremdsprach =sprachen leichte translat "
            "language interpret turkisch arabisch rumanisch russisch ukrainisch migrant"},
    Concept{"pflege",
            "pflegeheim altenheim =heim =heime heimleit pflege senior bewohner "
            "besuchsverbot besuchsreg angehor =care nursing resident heimaufsicht"},
    Concept{"schule",
            "schule schul =kita kitas kindertag kinder eltern notbetreu unterricht "
            "lehrer school daycare parent child !schulung klassenraum"},
    Concept{"it",
            "homeoffice laptop =vpn =it it-abteil =netz netzwerkkapaz server fachverfahr "
            "rechner hardware remote lizenz diensthandy dienstvereinbar"},
    Concept{"digital",
            "videokonfer video =webex =zoom digital e-akte =eakte online "
            "software =tool =tools ratssitz"},
    Concept{"impfen",
            "impf =termin termine terminverg buchung vaccin booking appointment "
            "=jab =jabs terminbuch"},
    Concept{"testen",
            "=test =tests teststell testzentr schnelltest burgertest abrechn betrug "
            "=testv testing fraud billing"},
    Concept{"ehrenamt",
            "ehrenamt freiwillig helfer nachbarschaftshilf einkaufshilf volunteer "
            "=thw =drk verein !vereinbar helfend"},
    Concept{"quarantaene", "quarantan isolation absonder versorgung lebensmittel quarantine"},
    Concept{"datenschutz",
            "datenschutz =daten =dsgvo personenbezog weitergab datenweiter "
            "=privacy =gdpr =data"},
    Concept{"ordnungsamt",
            "ordnungsamt kontroll bussgeld durchsetz aussendienst streife "
            "veranstaltung =verbot enforc =fine =fines patrol inspect"},
    Concept{"pfadabhaengigkeit",
            "festgelegt pfadabh =pfad vertragsbind vertragslauf ruckgangig korrigier "
            "=lock =locked"},
    Concept{"pandemieplan",
            "pandemieplan krisenplan =plan =plane =ubung ubungen szenario "
            "schwellenwert krisenhandbuch planning exercis prepared"},
    Concept{"unterkunft",
            "obdachlos wohnungslos unterkunft gefluchtet sammelunterkunft "
            "notunterkunft homeless shelter refugee"},
    Concept{"kosten",
            "=kosten kostenerstatt erstatt finanz haushalt =mittel rechnung =geld "
            "=euro =cost =costs reimburs budget =fund =funding rettungsschirm mehrkost "
            "forderrichtlin forderprogramm forderantrag"},
    Concept{"lagebild",
            "lagebild meldeweg =meldung meldungen dashboard statist inzidenz "
            "fallzahl =zahlen kennzahl =rki lagebericht"},
    Concept{"zusammenhalt",
            "stolz zusammenhalt zusammengewachs =netzwerk =netzwerke dankbar proud"},
    Concept{"intern",
            "intranet rundmail newsletter mitarbeiterinfo beschaftigteninfo dienstanweis =interne "
            "=internen internal"},
};

bool contains_word(std::string_view word, std::string_view pattern) {
  if (pattern.starts_with('!')) pattern.remove_prefix(1);
  if (pattern.starts_with('=')) return word == pattern.substr(1);
  if (pattern.starts_with('^')) return word.starts_with(pattern.substr(1));
  if (word.starts_with(pattern)) return true;
  return pattern.size() >= 6 && word.find(pattern) != std::string_view::npos;
}

// Whether a '!' pattern of the concept excludes the word.
bool excluded_from(std::string_view word, std::size_t concept_index) {
  std::string_view rest = kConcepts[concept_index].patterns;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    const std::string_view pattern = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (pattern.starts_with('!') && contains_word(word, pattern)) return true;
  }
  return false;
}

// Typing errors are forgiven only in patterns this long: shorter ones differ from other words
// by one letter too often ("abgeordnet" / "angeordnet", "beschaff" / "beschaft").
constexpr std::size_t kMinTypoPattern = 9;

// Whether `pattern` occurs in `word` at `at` with one typing error: a letter changed, left out,
// added, or two neighbours swapped, after the first three letters (which must be as typed, so
// that "ab-"/"an-" or "be-"/"ge-" words do not meet).
bool one_edit_at(std::string_view word, std::size_t at, std::string_view pattern) {
  const std::string_view rest = word.substr(at);
  const std::size_t m = pattern.size();
  std::size_t same = 0;
  while (same < m && same < rest.size() && rest[same] == pattern[same]) ++same;
  if (same < 3 || same >= m) return false;
  // Whether the pattern from `from_pattern` on follows in the word at `from_word`.
  const auto rest_is = [&](std::size_t from_word, std::size_t from_pattern) {
    return from_word <= rest.size() &&
           rest.substr(from_word).starts_with(pattern.substr(from_pattern));
  };
  if (rest_is(same + 1, same + 1) || rest_is(same, same + 1) || rest_is(same + 1, same)) {
    return true;
  }
  return same + 1 < m && same + 1 < rest.size() && rest[same] == pattern[same + 1] &&
         rest[same + 1] == pattern[same] && rest_is(same + 2, same + 2);
}

// The patterns long enough for typing errors, with their concept.
struct TypoPattern {
  std::size_t concept_index = 0;
  std::string_view text;
  bool anchored = false;
};

// The long patterns by their first three letters (which a typing error must leave alone), so a
// word is checked only against the patterns that start somewhere in it.
struct TypoIndex {
  std::vector<TypoPattern> patterns;
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> by_prefix;
};

const TypoIndex& typo_index() {
  static const TypoIndex index = [] {
    TypoIndex out_index;
    std::vector<TypoPattern>& out = out_index.patterns;
    for (std::size_t c = 0; c < kConcepts.size(); ++c) {
      std::string_view rest = kConcepts[c].patterns;
      while (!rest.empty()) {
        const auto space = rest.find(' ');
        std::string_view pattern = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
        if (pattern.starts_with('=') || pattern.starts_with('!')) continue;
        const bool anchored = pattern.starts_with('^');
        if (anchored) pattern.remove_prefix(1);
        if (pattern.size() >= kMinTypoPattern) out.push_back({c, pattern, anchored});
      }
    }
    for (std::uint32_t p = 0; p < out.size(); ++p) {
      out_index.by_prefix[out[p].text.substr(0, 3)].push_back(p);
    }
    return out_index;
  }();
  return index;
}

}  // namespace

std::vector<std::string_view> concepts_of(std::string_view folded_word) {
  std::vector<std::string_view> out;
  for (const Concept& concept_entry : kConcepts) {
    std::string_view patterns = concept_entry.patterns;
    bool matched = false;
    bool excluded = false;
    while (!patterns.empty() && !excluded) {
      const auto space = patterns.find(' ');
      const std::string_view pattern = patterns.substr(0, space);
      patterns = space == std::string_view::npos ? std::string_view{} : patterns.substr(space + 1);
      if (pattern.empty() || !contains_word(folded_word, pattern)) continue;
      if (pattern.starts_with('!')) {
        excluded = true;
      } else {
        matched = true;
      }
    }
    if (matched && !excluded) out.push_back(concept_entry.key);
  }
  return out;
}

std::vector<std::string_view> concepts_of_with_one_edit(std::string_view folded_word) {
  std::vector<std::string_view> out;
  const TypoIndex& index = typo_index();
  // The patterns that occur with one typing error, in the table's order.
  std::vector<std::uint32_t> hits;
  for (std::size_t at = 0; at + 3 <= folded_word.size(); ++at) {
    const auto found = index.by_prefix.find(folded_word.substr(at, 3));
    if (found == index.by_prefix.end()) continue;
    for (const std::uint32_t p : found->second) {
      const TypoPattern& pattern = index.patterns[p];
      if ((at == 0 || !pattern.anchored) && one_edit_at(folded_word, at, pattern.text)) {
        hits.push_back(p);
      }
    }
  }
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  for (const std::uint32_t p : hits) {
    const TypoPattern& pattern = index.patterns[p];
    const std::string_view key = kConcepts[pattern.concept_index].key;
    if (!out.empty() && out.back() == key) continue;
    if (!excluded_from(folded_word, pattern.concept_index)) out.push_back(key);
  }
  return out;
}

std::string concepts_fingerprint() {
  std::string out;
  for (const Concept& concept_entry : kConcepts) {
    out.append(concept_entry.key).append(":").append(concept_entry.patterns).append("\n");
  }
  return out;
}

}  // namespace reflexbot::core
