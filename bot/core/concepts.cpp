#include "core/concepts.hpp"

#include <algorithm>
#include <array>
#include <string>

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

std::string concepts_fingerprint() {
  std::string out;
  for (const Concept& concept_entry : kConcepts) {
    out.append(concept_entry.key).append(":").append(concept_entry.patterns).append("\n");
  }
  return out;
}

}  // namespace reflexbot::core
