// The digest benchmark's store generator; see digest_fixture.hpp.

#include "digest_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "app/config/templates.hpp"
#include "core/tags.hpp"
#include "store/digests.hpp"
#include "store/store.hpp"

namespace reflexbot::bench {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kCities = 400;
constexpr std::size_t kChunk = 20000;  // contributions per committed transaction
constexpr std::size_t kLessons = 40;

// A deterministic generator (mt19937_64 with plain arithmetic on top, so the output does not
// depend on the standard library's distributions).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  std::size_t between(std::size_t lo, std::size_t hi) { return lo + below(hi - lo + 1); }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

 private:
  std::mt19937_64 engine_;
};

// Ranks 0…n-1 drawn with probability ∝ 1 / (rank + 1)^s.
class Zipf {
 public:
  Zipf(std::size_t n, double s) {
    cdf_.reserve(n);
    double total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      total += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_.push_back(total);
    }
  }
  std::size_t operator()(Rng& rng) const {
    const double u = rng.uniform() * cdf_.back();
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return std::min(static_cast<std::size_t>(it - cdf_.begin()), cdf_.size() - 1);
  }
  std::size_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

struct Topic {
  const char* key;
  std::vector<const char*> tags;  // topic hashtags people add to it
  std::vector<const char*> de;
  std::vector<const char*> en;
};

// Topics of municipal crisis management: (key, topic hashtags written with it, German phrases,
// English phrases). Placeholders: {city} {district} {street} {river} {school} {org} {n} {big}
// {pct} {hour} {day} {date}.
const std::vector<Topic>& topics() {
  static const std::vector<Topic> kTopics = {
      {"psa",
       {},
       {"FFP2-Masken haben wir zum {n}-fachen Preis eingekauft, anders war nichts zu bekommen",
        "Die Lieferung Schutzkittel kam wieder nicht, der Lieferant vertröstet uns seit {n} Tagen",
        "Beschaffung über das Land dauert zu lange, wir bestellen jetzt selbst",
        "Im Lager in {district} liegen noch {big} Masken, bitte Ablaufdatum prüfen",
        "Handschuhe und Desinfektionsmittel werden knapp, bitte sparsam verteilen",
        "Das Vergaberecht bremst uns bei der Beschaffung von Schutzausrüstung massiv aus",
        "Gefälschte KN95-Zertifikate sind erst nach der Verteilung an die Heime aufgefallen",
        "Für die PSA fehlt ein Verteilschlüssel, jeder ruft beim Stab an und will mehr",
        "Eine Einkaufsgemeinschaft mit den Nachbarkommunen würde bei Schutzausrüstung Preise "
        "drücken",
        "Händler wollten Vorkasse für Masken aus irgendeiner Lagerhalle, zwei Lieferungen kamen "
        "nie "
        "an"},
       {"We paid {n} times the usual price for masks because nothing else was available",
        "The PPE delivery from our supplier is late again"}},
      {"vorrat",
       {},
       {"Das Pandemielager war da, aber die Hälfte der Masken war abgelaufen",
        "Wir brauchen eine Lagerhaltung mit rollierendem Bestand statt einer Reserve im Keller",
        "Niemand wusste, wer für den Vorrat im Lager {district} zuständig ist",
        "Der Bestand im Katastrophenschutzlager wurde seit {n} Jahren nicht geprüft",
        "Feldbetten und Decken aus der Reserve reichen nur für {big} Personen",
        "Bevorratung von Trinkwasser und Treibstoff gehört in den Krisenplan",
        "Lagerliste in Excel war veraltet, wir haben {n} Stunden gezählt statt verteilt",
        "Die Vorräte in der Feuerwache {district} sind jetzt erfasst"},
       {"Half of the stockpile had expired when we finally needed it",
        "Nobody knew who owned the reserve stock"}},
      {"recht",
       {"recht", "rechtslage"},
       {"Die Allgemeinverfügung war rechtlich wackelig, das Verwaltungsgericht hat sie gekippt",
        "Rechtsamt und Gesundheitsamt waren sich bei der AV nicht einig",
        "Eilverfahren gegen die Verfügung verloren, jetzt müssen wir nachbessern",
        "Die neue Verordnung widerspricht unserer Allgemeinverfügung in {n} Punkten",
        "Juristische Prüfung dauert {n} Tage, die Lage ändert sich aber stündlich",
        "Rechtssicherheit gibt es erst, wenn das Land die Verordnung klarstellt",
        "Klagen gegen das Betretungsverbot in {district} sind eingegangen",
        "Wir haben eine Musterverfügung mit dem Rechtsamt vorbereitet, das hat Zeit gespart",
        "Die Begründung der Verfügung war zu dünn, das Gericht hat das bemängelt"},
       {"The court overturned our emergency ordinance after {n} days",
        "Legal review takes days while the situation changes every hour"}},
      {"land-freitag",
       {"foederal"},
       {"Die Landesverordnung kam wieder Freitagabend um {hour}, gültig ab Montag",
        "Kurzfristig am Wochenende umsetzen, ohne Vorlauf, das geht so nicht",
        "Vom Ministerium kam die Info erst aus der Pressekonferenz",
        "Wir erfahren Änderungen aus den Medien statt vom Land",
        "Über Nacht neue Regeln, die Kollegen im Ordnungsamt wussten Montag früh nichts davon",
        "Bund-Länder-Runde am {day}, danach wieder alles anders",
        "Der Landkreis gibt die Erlasse mit {n} Tagen Verzug weiter",
        "Wir brauchen mindestens {n} Tage Vorlauf für jede neue Verordnung"},
       {"The state ordinance arrived on Friday evening, effective Monday",
        "We learn about new rules from the press, not from the ministry"}},
      {"kontaktverfolgung",
       {"information"},
       {"Kontaktnachverfolgung in Excel-Tabellen ist bei {big} Fällen am Limit",
        "SORMAS läuft endlich, aber die Schnittstelle zum Labor fehlt noch",
        "Die Kontaktpersonen ermitteln dauert im Schnitt {n} Stunden pro Indexfall",
        "Containment-Scouts haben die Nachverfolgung gerettet",
        "Wir hinken bei der Kontaktverfolgung {n} Tage hinterher",
        "Telefonliste der Kontaktpersonen war unvollständig, viele Nummern falsch",
        "Nachverfolgung in {district} nach dem Ausbruch im {school} aufgegeben",
        "Die Tabelle hatte {n} Versionen, keiner wusste welche aktuell ist"},
       {"Contact tracing in spreadsheets does not scale beyond a few hundred cases",
        "We are {n} days behind on tracing contacts"}},
      {"personal",
       {"personal", "personalmangel"},
       {"Wir haben {n} Leute aus anderen Ämtern abgeordnet, das reicht nicht",
        "Personalgewinnung über Zeitarbeit ging schneller als über die eigene Ausschreibung",
        "Die Bundeswehr hat uns mit {n} Soldaten unterstützt, großartig",
        "Studierende als Aushilfen einstellen war die beste Entscheidung",
        "Befristete Verträge schrecken gute Leute ab",
        "Der Personalrat musste jede Abordnung einzeln zustimmen",
        "Ausschreibung lief {n} Wochen, bis dahin war die Welle vorbei",
        "Ohne die Verstärkung aus dem Bürgeramt wäre das Gesundheitsamt untergegangen",
        "Wir suchen dringend Leute für die Hotline, auch Ruheständler"},
       {"Temporary staff from an agency were faster than our own hiring process",
        "The army sent {n} soldiers to help, that made the difference"}},
      {"einarbeitung",
       {"personal"},
       {"Neue Kolleginnen brauchen eine Einarbeitung, sonst machen sie alles doppelt",
        "Eine Checkliste für den ersten Tag hätte viel Zeit gespart",
        "Paten für Neue haben sich bewährt", "Schulung für SORMAS fand erst nach {n} Wochen statt",
        "Das Handbuch für den Stab ist veraltet, keiner findet sich zurecht",
        "Onboarding in der Lage ist schwierig, es fehlt schlicht die Zeit",
        "Einweisung der Aushilfen in {district} lief über WhatsApp-Sprachnachrichten",
        "Wir haben ein Einarbeitungsvideo gedreht, kam gut an"},
       {"New staff need a proper onboarding, otherwise everything is done twice",
        "A first-day checklist would have saved us hours"}},
      {"belastung",
       {"personal"},
       {"Die Kollegen sind nach {n} Wochen Dauereinsatz komplett erschöpft",
        "Überstunden ohne Ende, Urlaub ist gestrichen", "Zwei aus dem Stab sind krank, Burnout",
        "Schichtbetrieb im Gesundheitsamt seit {n} Tagen, das hält keiner lange durch",
        "Supervision für die Mitarbeitenden hat die Stimmung deutlich verbessert",
        "Die Belastung ist ungleich verteilt, manche Ämter merken gar nichts",
        "Niemand achtet auf Pausen, auch die Leitung nicht",
        "Wir haben jetzt feste Ruhetage im Schichtplan"},
       {"People are exhausted after {n} weeks of permanent operation",
        "Overtime without end, all holidays are cancelled"}},
      {"bedrohung",
       {"selbstschutz"},
       {"Drohbriefe an das Gesundheitsamt, die Polizei ermittelt",
        "Hassmails gegen die Amtsleitung nach der Pressekonferenz",
        "Mitarbeitende im Außendienst werden beschimpft und bedrängt",
        "Wir haben die Adressen der Kollegen aus dem Impressum genommen",
        "Die Amtsärztin steht jetzt unter Polizeischutz",
        "Anfeindungen auf Facebook gegen einzelne Namen, das belastet sehr",
        "Nach der Demo in {district} gab es Angriffe auf das Testzentrum",
        "Sicherheitsdienst am Eingang des Rathauses seit {day}"},
       {"Our health department received threats after the press conference",
        "Staff on patrol are harassed almost every day"}},
      {"krisenstab",
       {"entscheidung"},
       {"Der Krisenstab tagt täglich um {hour}, das frisst Zeit",
        "Stabssitzungen dauern zu lang, {n} Leute reden über alles",
        "Wir haben den Sitzungsrhythmus auf zweimal pro Woche reduziert",
        "Lagebesprechung mit klarer Tagesordnung läuft deutlich besser",
        "Verwaltungsstab und Katastrophenschutzstab arbeiten aneinander vorbei",
        "Entscheidungen im Stab werden nicht an die Ämter weitergegeben",
        "Stabsarbeit hatte vorher niemand geübt",
        "Die Stabsrahmenübung im letzten Jahr hat sich jetzt ausgezahlt",
        "Der Stab braucht einen festen Raum, nicht jeden Tag einen anderen"},
       {"The crisis team meets daily at {hour}, which eats up time",
        "Shorter crisis team meetings with a fixed agenda work better"}},
      {"dokumentation",
       {"entscheidung"},
       {"Entscheidungen wurden nicht protokolliert, jetzt weiß keiner mehr warum",
        "Einsatztagebuch konsequent führen, das hat uns bei der Prüfung gerettet",
        "Die Begründung für die Schließung von {school} ist nicht dokumentiert",
        "Protokolle der Stabssitzung kamen erst nach {n} Tagen",
        "Wir dokumentieren jetzt jede Entscheidungsvorlage mit Datum und Quelle",
        "Nachvollziehbarkeit ist wichtig, der Rechnungsprüfer fragt nach",
        "Das Einsatztagebuch lag auf einem privaten Laptop",
        "Dokumentation nebenbei klappt nicht, wir brauchen jemanden nur dafür"},
       {"Nobody recorded why we decided that, now we cannot explain it",
        "Keeping a proper logbook saved us during the audit"}},
      {"buergertelefon",
       {"information"},
       {"Das Bürgertelefon hatte am {day} über {big} Anrufe",
        "Die Hotline war völlig überlastet, Warteschleife über {n} Minuten",
        "Wir haben ein Callcenter beauftragt, das hat die Ämter entlastet",
        "Die Anrufer fragen immer dasselbe, eine FAQ auf der Webseite hilft",
        "Bürgertelefon bis {hour} besetzt, danach läuft die Bandansage",
        "Telefonisten brauchen tagesaktuelle Infos, sonst erzählen sie Falsches",
        "Die Hotline für {district} wurde nach {n} Tagen wieder abgeschaltet",
        "Viele Anrufe von Senioren, die online nichts finden"},
       {"The citizen hotline took more than {big} calls on {day}",
        "Callers ask the same questions, an FAQ page helped a lot"}},
      {"presse",
       {"kommunikation", "krisenkommunikation", "öffentlichkeitsarbeit"},
       {"Die Pressemitteilung kam zu spät, die Gerüchte waren schneller",
        "Falschmeldungen auf Facebook über {district} mussten wir richtigstellen",
        "Social Media am Wochenende nicht besetzt, das war ein Fehler",
        "Die Journalisten haben die Amtsleitung direkt angerufen statt die Pressestelle",
        "Pressekonferenz jeden {day} um {hour}, das schafft Ruhe",
        "Instagram erreicht die Jüngeren besser als die Zeitung",
        "Die Medien haben die Zahlen falsch interpretiert",
        "Ein Gerücht über eine Ausgangssperre ging in WhatsApp-Gruppen herum",
        "Gute Erfahrungen mit kurzen Videos des Bürgermeisters"},
       {"Rumours spread faster than our press release",
        "Nobody covered social media over the weekend"}},
      {"sprachen",
       {"kommunikation", "vulnerabel"},
       {"Informationen gab es nur auf Deutsch, viele haben nichts verstanden",
        "Übersetzungen in {n} Sprachen kamen erst nach Wochen",
        "Dolmetscher am Testzentrum in {district} waren Gold wert",
        "Leichte Sprache fehlte komplett", "Mehrsprachige Flyer über die Moscheegemeinden verteilt",
        "Die Übersetzung der Allgemeinverfügung war fehlerhaft",
        "Migrantenorganisationen als Multiplikatoren eingebunden, das hat gut geklappt"},
       {"Information was only available in German, many people did not understand it",
        "Interpreters at the test centre were invaluable"}},
      {"pflege",
       {"vulnerabel"},
       {"Ausbruch im Pflegeheim in {district}, {n} Bewohner positiv",
        "Besuchsverbot in den Altenheimen war hart für die Angehörigen",
        "Die Heimleitung hat die Meldung {n} Tage zu spät abgegeben",
        "Pflegekräfte fehlen, wir haben Personal aus der Verwaltung geschickt",
        "Besuchsregelung mit Schnelltest am Eingang funktioniert",
        "Die Heimaufsicht war nicht im Stab vertreten",
        "Senioren in der ambulanten Pflege hatten wir gar nicht im Blick",
        "Tablets für Videoanrufe mit Angehörigen in den Heimen verteilt"},
       {"Outbreak in a nursing home in {district}, {n} residents tested positive",
        "The visiting ban was very hard on relatives"}},
      {"schule",
       {"vulnerabel"},
       {"Schulen schließen oder nicht, das Land entscheidet am {day}",
        "Notbetreuung in den Kitas war nach {n} Tagen voll",
        "Eltern haben die Schulleitung mit Anrufen überrannt",
        "Die {school} hat den Unterricht auf Wechselmodell umgestellt",
        "Luftfilter für die Klassenräume kamen erst im Sommer",
        "Kinder ohne Laptop waren im Homeschooling abgehängt",
        "Testpflicht an Schulen ohne genug Schnelltests",
        "Kitas brauchen eigene Ansprechpartner im Stab"},
       {"Emergency daycare was full after {n} days",
        "Parents flooded the school office with calls"}},
      {"it",
       {"verwaltung"},
       {"Homeoffice ging nicht, es gab nur {n} VPN-Zugänge für die ganze Verwaltung",
        "Die Laptops kamen nach {n} Wochen, ohne Lizenzen",
        "Der Server ist unter der Last zusammengebrochen",
        "Fachverfahren laufen nur im Rathaus, nicht remote",
        "Die IT-Abteilung hat Großartiges geleistet, über Nacht {big} Zugänge eingerichtet",
        "Netzwerkkapazität im Gesundheitsamt reicht nicht für Videokonferenzen",
        "Private Rechner im Homeoffice sind ein Datenschutzproblem",
        "Hardware-Bestellung hängt in der Vergabe fest"},
       {"We only had {n} VPN accounts for the whole administration",
        "The IT team set up remote access overnight, brilliant work"}},
      {"digital",
       {"verwaltung"},
       {"Videokonferenzen mit Webex funktionieren, Teams ist nicht freigegeben",
        "Der Stadtrat tagt jetzt online, rechtlich war das lange unklar",
        "Die E-Akte hätte uns viel Papier erspart", "Jeder nutzt ein anderes Tool, keine Übersicht",
        "Online-Terminvergabe für das Bürgeramt entlastet die Hotline",
        "Digitale Lagekarte statt Whiteboard, das hat sich bewährt",
        "Matrix für den Stabschat, endlich alles an einem Ort",
        "Ratssitzung per Zoom war ein Experiment, hat aber geklappt"},
       {"Video meetings work, but Teams is not approved",
        "Everyone uses a different tool, nobody has an overview"}},
      {"impfen",
       {"information"},
       {"Terminvergabe im Impfzentrum ist am ersten Tag zusammengebrochen",
        "Die Hotline für Impftermine war nach {n} Minuten dicht",
        "Impfstoff kam ohne Vorwarnung, {big} Dosen über das Wochenende verimpfen",
        "Mobile Impfteams in {district} erreichen die Älteren viel besser",
        "Das Buchungssystem des Landes hat doppelte Termine vergeben",
        "Restdosen am Abend, keine Liste für Nachrücker",
        "Impfzentrum in der Halle an der {street} schließt Ende des Monats",
        "Impfaktion ohne Termin am {day} war ein voller Erfolg"},
       {"The vaccination booking system crashed on the first day",
        "Mobile vaccination teams reach older people much better"}},
      {"testen",
       {},
       {"Bei den Testzentren gab es Abrechnungsbetrug, wir prüfen jetzt stichprobenartig",
        "Schnelltests für die Verwaltung sind nach {n} Tagen aufgebraucht",
        "Ein Teststellenbetreiber hat {big} Tests abgerechnet, die nie stattfanden",
        "Die Kontrolle der Teststellen liegt bei uns, ohne zusätzliches Personal",
        "Bürgertests am Markt in {district} hatten Schlangen bis um die Ecke",
        "Die Testverordnung ändert sich ständig, keiner blickt mehr durch",
        "PCR-Ergebnisse kommen erst nach {n} Tagen"},
       {"Test centre billing fraud, we now check samples", "PCR results take {n} days to arrive"}},
      {"ehrenamt",
       {"selbstschutz"},
       {"Nachbarschaftshilfe hat den Einkauf für Quarantänehaushalte übernommen",
        "Spontanhelfer wollten sofort loslegen, wir hatten keine Koordination",
        "Das {org} hat mit {n} Ehrenamtlichen die Verpflegung gestemmt",
        "Freiwillige brauchen eine Einweisung und eine Versicherung",
        "Helferbörse auf der Webseite hatte am ersten Tag {big} Anmeldungen",
        "Vereine in {district} haben spontan Hilfe angeboten",
        "Ohne THW und DRK hätten wir das Wochenende nicht geschafft",
        "Die Ehrenamtskoordination muss fest im Stab verankert sein"},
       {"Spontaneous volunteers wanted to help immediately, we had no coordination",
        "The {org} provided {n} volunteers for catering"}},
      {"quarantaene",
       {"vulnerabel"},
       {"Versorgung der Menschen in Quarantäne mit Lebensmitteln lief über die Tafel",
        "Quarantänebescheide per Post kamen erst nach Ende der Quarantäne an",
        "Die Isolation ganzer Wohnblocks in {district} war kaum durchzusetzen",
        "Absonderung ohne Versorgung funktioniert nicht",
        "Wir haben {n} Haushalte täglich angerufen, das war sehr aufwendig",
        "Quarantäne für Erntehelfer in Sammelunterkünften war ein Problem"},
       {"Quarantine orders arrived by post after the quarantine had ended",
        "Isolation without food supply does not work"}},
      {"datenschutz",
       {"recht"},
       {"Der Datenschutzbeauftragte hat die Weitergabe der Listen an die Polizei gestoppt",
        "Personenbezogene Daten in WhatsApp-Gruppen, das darf nicht sein",
        "DSGVO-Prüfung für das neue Tool dauerte {n} Wochen",
        "Datenweitergabe an das Ordnungsamt war rechtlich unklar",
        "Wir haben die Einwilligung nachträglich eingeholt",
        "Listen mit Namen lagen offen im Flur des Gesundheitsamts"},
       {"Our data protection officer stopped sharing the lists with the police",
        "Personal data ended up in messenger groups"}},
      {"ordnungsamt",
       {"verwaltung"},
       {"Das Ordnungsamt kontrolliert mit {n} Leuten die ganze Innenstadt",
        "Bußgelder wurden verhängt, aber kaum bezahlt",
        "Kontrollen in der Gastronomie in {district} am {day} ohne Beanstandungen",
        "Die Streife des Außendienstes wurde von der Polizei unterstützt",
        "Veranstaltungsverbot durchsetzen ist am Wochenende kaum möglich",
        "Kontrollen am Abend sind ohne Zulage nicht zu besetzen",
        "Beschwerden über Partys im Park an der {street}"},
       {"Enforcement officers cannot cover the whole city with {n} people",
        "Fines were issued but rarely paid"}},
      {"pandemieplan",
       {"entscheidung"},
       {"Den Pandemieplan von 2009 hatte niemand mehr gelesen",
        "Der Krisenplan passte nicht auf ein Szenario über Monate",
        "Schwellenwerte im Plan wurden nie festgelegt",
        "Nach der Übung im Herbst haben wir den Plan überarbeitet",
        "Das Krisenhandbuch muss jährlich aktualisiert werden",
        "Ein Plan für den Ausfall von {pct} Prozent des Personals fehlt",
        "Die Übung mit dem Landkreis am {date} hat Lücken gezeigt"},
       {"Nobody had read the pandemic plan from 2009",
        "The exercise last autumn revealed gaps in our plan"}},
      {"unterkunft",
       {"vulnerabel"},
       {"Obdachlose konnten nicht zu Hause bleiben, wir brauchten schnell eine Unterkunft",
        "In der Sammelunterkunft an der {street} gab es einen Ausbruch",
        "Die Notunterkunft in der Sporthalle {district} war nach {n} Stunden belegt",
        "Geflüchtete aus der Ukraine kamen schneller als die Zusagen des Landes",
        "Wohnungslose Menschen in Hotels unterzubringen hat gut funktioniert",
        "Die Belegung der Unterkünfte wird nur auf Papier geführt",
        "Feldbetten, Decken, Hygieneartikel für {big} Personen in {n} Stunden organisiert"},
       {"The emergency shelter in the sports hall was full after {n} hours",
        "Housing homeless people in hotels worked well"}},
      {"kosten",
       {"verwaltung"},
       {"Die Kostenerstattung durch das Land dauert seit {n} Monaten",
        "Rechnungen über {big} Euro liegen ungeprüft beim Kämmerer",
        "Keiner weiß, aus welchem Haushalt die Schnelltests bezahlt werden",
        "Finanzielle Mittel für die Notunterkünfte wurden im Nachtragshaushalt bereitgestellt",
        "Die Abrechnung mit dem {org} ist immer noch offen",
        "Wir müssen Kosten sauber dokumentieren, sonst gibt es nichts erstattet"},
       {"Reimbursement from the state has taken {n} months so far",
        "Nobody knows which budget pays for the tests"}},
      {"lagebild",
       {"information"},
       {"Das Lagebild kam jeden Tag mit anderen Zahlen als das RKI",
        "Meldewege zwischen Gesundheitsamt und Stab waren unklar",
        "Ein Dashboard für die Fallzahlen hat die Lagebesprechung verkürzt",
        "Die Inzidenz für {district} war wegen eines Meldeverzugs falsch",
        "Meldungen vom Landkreis kommen als PDF per Fax",
        "Lagemeldung bis {hour} an das Land, das schafft keiner pünktlich",
        "Die Statistik am Wochenende ist wegen Meldeverzug nicht aussagekräftig",
        "Wir brauchen ein gemeinsames Lagebild mit den Nachbarkreisen"},
       {"The daily situation report never matched the official numbers",
        "A dashboard for case numbers shortened our briefings"}},
      {"zusammenhalt",
       {},
       {"Der Zusammenhalt im Team war großartig, alle haben mitgezogen",
        "Ich bin stolz auf die Kolleginnen und Kollegen im Gesundheitsamt",
        "Ämter, die sich vorher nicht kannten, arbeiten jetzt gemeinsam",
        "Das Netzwerk mit den Nachbarkommunen ist zusammengewachsen",
        "Dankbar für die Unterstützung aus {city}",
        "Viele Kollegen haben freiwillig am Wochenende ausgeholfen",
        "Die Zusammenarbeit mit dem {org} war hervorragend"},
       {"I am proud of my colleagues in the health department",
        "Departments that never worked together now work side by side"}},
      {"intern",
       {"kommunikation", "information"},
       {"Interne Kommunikation lief über Rundmails, die keiner gelesen hat",
        "Mitarbeiterinfo im Intranet war oft veraltet",
        "Die Beschäftigten erfuhren Entscheidungen aus der Zeitung",
        "Ein wöchentlicher Newsletter an alle Mitarbeitenden hat geholfen",
        "Führungskräfte haben Infos nicht an ihre Teams weitergegeben",
        "Wir brauchen einen Kanal für Infos an alle Beschäftigten"},
       {"Staff learned about decisions from the newspaper",
        "A weekly newsletter to all staff helped a lot"}},
      {"hochwasser",
       {"selbstschutz"},
       {"Pegel der {river} stieg bis {hour} auf {big} Zentimeter",
        "Sandsäcke in {district} waren nach {n} Stunden aufgebraucht",
        "Die Warnung vor dem Hochwasser kam zu spät bei den Anwohnern an",
        "Keller an der {street} vollgelaufen, die Feuerwehr pumpt seit {hour}",
        "Deichverteidigung mit {n} Helfern vom {org} die ganze Nacht",
        "Die Hochwasserkarte war veraltet, {district} war gar nicht als Risikogebiet drin",
        "Nach dem Starkregen war die Kanalisation in {district} überlastet",
        "Evakuierung der Häuser an der {river} lief ruhig und geordnet"},
       {"The river {river} rose to {big} centimetres overnight",
        "Sandbags ran out after {n} hours"}},
      {"hitze",
       {"vulnerabel"},
       {"Hitzewelle mit {n} Grad, die Pflegeheime haben keine Klimaanlage",
        "Trinkwasserbrunnen in der Innenstadt wurden gut angenommen",
        "Der Hitzeaktionsplan war nur ein Papier, niemand hat ihn umgesetzt",
        "Kühle Räume in der Bibliothek für Ältere geöffnet",
        "Hitzewarnung des DWD kam, aber keiner wusste, wer sie weitergibt",
        "Obdachlose brauchen im Sommer Wasser und Schatten, nicht nur im Winter Decken"},
       {"Heat wave at {n} degrees, nursing homes have no air conditioning",
        "Our heat action plan only existed on paper"}},
      {"stromausfall",
       {"selbstschutz"},
       {"Stromausfall in {district} für {n} Stunden, die Ampeln waren aus",
        "Das Notstromaggregat im Rathaus sprang nicht an",
        "Treibstoff für die Notstromversorgung reicht nur {n} Stunden",
        "Katastrophenschutz-Leuchttürme in den Feuerwachen waren gut besucht",
        "Ohne Strom kein Telefon, kein Funk im Bürgeramt",
        "Blackout-Übung mit dem Energieversorger hat Lücken gezeigt",
        "Die Tankstelle für die Aggregate hatte selbst keinen Strom"},
       {"Power cut in {district} for {n} hours, traffic lights were out",
        "The backup generator at the town hall did not start"}},
      {"cyber",
       {"verwaltung"},
       {"Nach dem Cyberangriff war die Verwaltung {n} Tage offline",
        "Ransomware auf dem Server des Bürgeramts, alle Fachverfahren gestoppt",
        "Notbetrieb mit Papier und Stempel, wie früher",
        "Die Backups waren verschlüsselt, wir haben {n} Wochen gebraucht",
        "Das BSI hat uns unterstützt, das CERT war schnell da",
        "Keine Telefonliste auf Papier, nach dem Angriff konnte keiner jemanden erreichen"},
       {"After the ransomware attack the administration was offline for {n} days",
        "Our backups were encrypted too"}},
      {"warnung",
       {"kommunikation"},
       {"Die Sirenen in {district} haben am Warntag nicht funktioniert",
        "Cell Broadcast kam auf {pct} Prozent der Handys an",
        "NINA-Warnung ging raus, aber mit falschem Gebiet",
        "Lautsprecherwagen der Feuerwehr erreichen mehr Leute als jede App",
        "Die Warnmeldung war zu lang und zu kompliziert formuliert",
        "Wer darf die Warnung auslösen, das war am {day} nicht klar"},
       {"The sirens in {district} did not work on warning day",
        "Cell broadcast reached only {pct} percent of phones"}},
      {"funk",
       {"kommunikation"},
       {"Digitalfunk im Keller des Rathauses hat keinen Empfang",
        "Rufbereitschaft nicht erreichbar, die Telefonliste war veraltet",
        "Die Erreichbarkeit der Amtsleitungen am Wochenende muss geregelt werden",
        "Funkgeräte für den Stab fehlen, wir haben Handys benutzt",
        "Alarmierung der Stabsmitglieder per SMS dauerte {n} Minuten",
        "Die Telefonanlage ist bei {big} Anrufen gleichzeitig ausgefallen"},
       {"Nobody on call was reachable, the phone list was outdated",
        "Alerting the crisis team by text message took {n} minutes"}},
      {"verkehr",
       {},
       {"Straßensperrung an der {street} wurde zu spät kommuniziert",
        "Umleitung über {district} führte zu kilometerlangem Stau",
        "Der ÖPNV fuhr nach Notfahrplan, das wusste niemand",
        "Busfahrer fehlen wegen Krankheit, {n} Linien eingestellt",
        "Die Brücke über die {river} ist gesperrt, Rettungswege sind länger"},
       {"The road closure was communicated far too late",
        "Public transport ran on an emergency timetable nobody knew about"}},
      {"evakuierung",
       {"entscheidung"},
       {"Bombenentschärfung in {district}, {big} Anwohner evakuiert",
        "Die Evakuierung des Krankenhauses hat {n} Stunden gedauert",
        "Betreuungsstelle in der {school} war gut organisiert",
        "Nicht alle Anwohner haben die Aufforderung zur Evakuierung verstanden",
        "Transport von bettlägerigen Menschen war nicht geplant",
        "Die Rückkehr nach der Evakuierung lief chaotisch"},
       {"Bomb disposal in {district}, {big} residents evacuated",
        "Transport for bedridden people was not planned"}},
  };
  return kTopics;
}

const std::vector<const char*> kOpenersDe = {
    "Kurz aus {city}:",
    "Bei uns in {city} war es so:",
    "Rückmeldung aus dem Stab {city}:",
    "Zur Info:",
    "Moin zusammen,",
    "Hallo in die Runde,",
    "Nachtrag zu gestern:",
    "Ergänzung zu oben:",
    "Aus Sicht des Ordnungsamts:",
    "Aus dem Gesundheitsamt:",
    "Wie schon in der Lage gesagt:",
    "Ehrlich gesagt:",
    "Noch ein Punkt:",
    "Kleiner Hinweis:",
    "Nach der Stabssitzung heute:",
    "Am {day} hatten wir das Thema auch:",
    "In {district} haben wir gemerkt:",
    "Von unserer Seite:",
    "Auch bei uns:",
    "Kurze Frage in die Runde:",
    "Für das Protokoll:",
    "Zum Thema von vorhin:",
    "Aus der Feuerwehr {city}:",
    "Rückblick auf die letzte Woche:",
    "Wichtig für alle:",
    "Update {date}:",
    "Was ich mitnehme:",
    "Sorry für die späte Meldung,",
    "Guten Morgen,",
    "Aus dem Bürgeramt:",
};

const std::vector<const char*> kClosersDe = {
    "Wie macht ihr das?",
    "Hat jemand eine Vorlage?",
    "Danke an alle Beteiligten!",
    "Das sollten wir festhalten.",
    "Nächstes Mal bitte früher.",
    "Mal sehen, wie es weitergeht.",
    "Sonst keine besonderen Vorkommnisse.",
    "Bitte um Rückmeldung bis {day}.",
    "Das hat uns echt Nerven gekostet.",
    "Läuft inzwischen besser.",
    "Wir bleiben dran.",
    "Bin gespannt auf eure Erfahrungen.",
    "Meldung an den Landkreis ist raus.",
    "Details im Einsatztagebuch.",
    "👍",
    "🙈",
    "Grüße aus {city}",
    "LG",
    "VG aus dem Stab",
    "Mehr dazu in der Lage um {hour}.",
    "Das Thema kommt auf die Agenda.",
    "Wer kann da unterstützen?",
    "Bitte weiterleiten.",
    "So nicht noch einmal.",
    "Hat sich bewährt.",
    "Kann ich nur empfehlen.",
    "Dringend!",
    "Danke {org}!",
    "Ich melde mich morgen wieder.",
    "Ist das bei euch auch so?",
};

const std::vector<const char*> kOpenersEn = {
    "Quick update from {city}:",
    "For the record:",
    "From our side:",
    "Same here:",
    "Lesson from last week:",
    "FYI:",
    "Short note:",
    "Hi all,",
};

const std::vector<const char*> kClosersEn = {
    "How do you handle this?",
    "Thanks everyone!",
    "Anyone have a template?",
    "Never again.",
    "Worked well.",
    "Let's discuss at {hour}.",
};

// Signal hashtags as people type them (the vocabulary's aliases included) and how often.
const std::vector<const char*> kSignalTags = {
    "#lehre",       "#problem",         "#idee",      "#erfolg",
    "#frust",       "#stolz",           "#Lehre",     "#Problem",
    "#Idee",        "#LessonsLearned",  "#vorschlag", "#probleme",
    "#erfolge",     "#ärger",           "#bewährt",   "#erkenntnis",
    "#gutgelaufen", "#herausforderung", "#ideen",     "#lessonslearned",
};

// Hashtags that are not in the vocabulary (stay words of the text only).
const std::vector<const char*> kOtherTags = {
    "#corona", "#hochwasser", "#krisenstab", "#covid19", "#blackout", "#warntag", "#hitze",
};

const std::vector<const char*> kOrgs = {
    "THW",       "DRK",        "ASB",        "Malteser Hilfsdienst", "Johanniter",
    "Feuerwehr", "Bundeswehr", "Landkreis",  "Gesundheitsamt",       "Ordnungsamt",
    "Jugendamt", "Sozialamt",  "Stadtwerke",
};

const std::vector<const char*> kDays = {"Montag",  "Dienstag", "Mittwoch", "Donnerstag",
                                        "Freitag", "Samstag",  "Sonntag"};

const std::vector<const char*> kRealCities = {
    "Aachen",
    "Augsburg",
    "Bamberg",
    "Bayreuth",
    "Bielefeld",
    "Bochum",
    "Bonn",
    "Bottrop",
    "Braunschweig",
    "Bremen",
    "Chemnitz",
    "Cottbus",
    "Darmstadt",
    "Dessau",
    "Dortmund",
    "Dresden",
    "Duisburg",
    "Düsseldorf",
    "Erfurt",
    "Erlangen",
    "Essen",
    "Flensburg",
    "Frankfurt",
    "Freiburg",
    "Fulda",
    "Fürth",
    "Gelsenkirchen",
    "Gera",
    "Gießen",
    "Görlitz",
    "Göttingen",
    "Gütersloh",
    "Hagen",
    "Halle",
    "Hamm",
    "Hanau",
    "Hannover",
    "Heidelberg",
    "Heilbronn",
    "Herne",
    "Hildesheim",
    "Ingolstadt",
    "Jena",
    "Jülich",
    "Kaiserslautern",
    "Karlsruhe",
    "Kassel",
    "Kempten",
    "Kiel",
    "Koblenz",
    "Köln",
    "Konstanz",
    "Krefeld",
    "Landshut",
    "Leipzig",
    "Leverkusen",
    "Lörrach",
    "Lübeck",
    "Ludwigshafen",
    "Lüneburg",
    "Magdeburg",
    "Mainz",
    "Mannheim",
    "Marburg",
    "Minden",
    "Moers",
    "Mönchengladbach",
    "Mülheim",
    "München",
    "Münster",
    "Neuss",
    "Nürnberg",
    "Oberhausen",
    "Offenbach",
    "Oldenburg",
    "Osnabrück",
    "Paderborn",
    "Passau",
    "Pforzheim",
    "Potsdam",
    "Regensburg",
    "Remscheid",
    "Reutlingen",
    "Rosenheim",
    "Rostock",
    "Saarbrücken",
    "Salzgitter",
    "Schwerin",
    "Siegen",
    "Solingen",
    "Stralsund",
    "Stuttgart",
    "Trier",
    "Tübingen",
    "Ulm",
    "Weimar",
    "Wiesbaden",
    "Witten",
    "Wolfsburg",
    "Worms",
    "Wuppertal",
    "Würzburg",
    "Zwickau",
};

// Synthetic town names: prefix + stem + suffix.
const std::vector<const char*> kTownPrefixes = {"",     "",       "",     "Bad ",  "Neu",  "Alt",
                                                "Ober", "Nieder", "Groß", "Klein", "Hohen"};
const std::vector<const char*> kTownStems = {
    "linden", "eichen", "buchen", "wald", "rosen",  "stein",  "mühl",  "kirch", "wiesen", "sonnen",
    "erlen",  "hasel",  "birken", "fels", "marien", "frauen", "otter", "wolfs", "hirsch", "falken",
    "kalk",   "salz",   "eisen",  "sand", "tann",   "weiden", "hagen", "brunn", "moos",   "ahorn",
};
const std::vector<const char*> kTownSuffixes = {"burg", "dorf", "heim", "hausen", "stadt",
                                                "feld", "bach", "au",   "ingen",  "rode",
                                                "berg", "hof",  "tal",  "brück",  "kirchen"};

const std::vector<const char*> kSyllables = {"lo",  "ren", "wei", "ler", "ka",  "mpe", "rot",
                                             "sie", "ha",  "gen", "bor", "nau", "til", "mar",
                                             "kel", "sch", "wa",  "ber", "fur", "din", "ste"};
const std::vector<const char*> kPlaceSuffixes = {"viertel", "feld", "heide", "siedlung", "au",
                                                 "hof",     "ried", "kamp",  "winkel"};
const std::vector<const char*> kStreetSuffixes = {"straße", "weg",   "allee",
                                                  "ring",   "gasse", "platz"};
const std::vector<const char*> kRivers = {
    "Rhein", "Elbe",   "Mosel", "Lahn", "Werra", "Fulda",  "Ems",   "Lippe", "Ruhr",  "Saale",
    "Mulde", "Neckar", "Main",  "Isar", "Inn",   "Donau",  "Weser", "Aller", "Leine", "Oker",
    "Havel", "Spree",  "Oder",  "Nahe", "Sieg",  "Wupper", "Erft",  "Iller", "Lech",  "Regen",
};

// Compound parts for the long tail ("Lage" + "bericht", "Sandsack" + "lager" …).
const std::vector<const char*> kCompoundHeads = {
    "Lage",         "Stabs",        "Schutz",         "Wasser",   "Strom",      "Not",
    "Melde",        "Einsatz",      "Bürger",         "Kreis",    "Krisen",     "Hilfs",
    "Feuerwehr",    "Pegel",        "Sandsack",       "Pumpen",   "Schicht",    "Übergabe",
    "Abstimmungs",  "Verteil",      "Test",           "Impf",     "Quarantäne", "Daten",
    "Kosten",       "Personal",     "Dienst",         "Funk",     "Warn",       "Sanitäts",
    "Verpflegungs", "Ordnungs",     "Gesundheits",    "Material", "Fahrzeug",   "Kontakt",
    "Telefon",      "Presse",       "Info",           "Schul",    "Kita",       "Heim",
    "Evakuierungs", "Unterkunfts",  "Hitze",          "Deich",    "Brücken",    "Notstrom",
    "Treibstoff",   "Lebensmittel", "Kommunikations", "Führungs", "Leit",       "Alarm",
    "Reserve",      "Vorrats",
};
const std::vector<const char*> kCompoundTails = {
    "bericht",  "plan",    "liste",   "konzept",      "stelle",  "zentrum",   "team",
    "raum",     "karte",   "lager",   "leitung",      "wache",   "zelt",      "halle",
    "dienst",   "meldung", "übung",   "besprechung",  "vorlage", "gruppe",    "kette",
    "lücke",    "bedarf",  "bestand", "koordination", "runde",   "protokoll", "system",
    "regelung", "pflicht", "ausfall", "engpass",
};

// A city of the network: its room, its own words and its people.
struct City {
  std::string name;
  std::string room_id;
  std::vector<std::string> districts;
  std::string street;
  std::string river;
  std::string school;
  std::vector<std::string> people;  // pseudonyms
};

std::string capitalized(std::string word) {
  if (!word.empty() && word[0] >= 'a' && word[0] <= 'z') word[0] = static_cast<char>(word[0] - 32);
  return word;
}

// `prefix` and `length` random letters and digits ("$" + 43 for an event id).
std::string random_id(Rng& rng, std::size_t length, std::string_view prefix = "") {
  static constexpr std::string_view kChars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(prefix);
  for (std::size_t i = 0; i < length; ++i) out += kChars[rng.below(kChars.size())];
  return out;
}

std::string hex_id(Rng& rng) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx",
                static_cast<unsigned long long>(rng.next()),
                static_cast<unsigned long long>(rng.next()));
  return buffer;
}

// The 400 cities, their rooms and words: the same for every N (own seed).
std::vector<City> make_cities(std::uint64_t seed) {
  Rng rng(seed ^ 0x5eed'c171'e5ULL);
  std::vector<std::string> names(kRealCities.begin(), kRealCities.end());
  std::set<std::string> seen(names.begin(), names.end());
  while (names.size() < kCities) {
    std::string name =
        std::string(rng.pick(kTownPrefixes)) + rng.pick(kTownStems) + rng.pick(kTownSuffixes);
    name = capitalized(name);
    if (name.starts_with("Bad ") || name.size() < 2) {
      // "Bad linden…" → "Bad Linden…"
      if (name.size() > 4) name[4] = static_cast<char>(name[4] - (name[4] >= 'a' ? 32 : 0));
    }
    if (seen.insert(name).second) names.push_back(name);
  }
  // A stable shuffle so real and synthetic names mix in the activity ranking.
  for (std::size_t i = names.size(); i > 1; --i) std::swap(names[i - 1], names[rng.below(i)]);

  std::vector<City> cities;
  for (std::size_t c = 0; c < names.size(); ++c) {
    City city;
    city.name = names[c];
    char room[64];
    std::snprintf(room, sizeof room, "!stab%03zu%s:example.org", c, random_id(rng, 12).c_str());
    city.room_id = room;
    for (int d = 0; d < 2; ++d) {
      std::string word;
      const std::size_t syllables = rng.between(1, 3);
      for (std::size_t s = 0; s < syllables; ++s) word += rng.pick(kSyllables);
      city.districts.push_back(capitalized(word + rng.pick(kPlaceSuffixes)));
    }
    city.street = capitalized(std::string(rng.pick(kTownStems)) + rng.pick(kStreetSuffixes));
    city.river =
        rng.chance(0.7)
            ? std::string(rng.pick(kRivers))
            : capitalized(std::string(rng.pick(kSyllables)) + rng.pick(kSyllables) + "bach");
    city.school = capitalized(std::string(rng.pick(kTownStems)) + "schule");
    // Larger (more active) cities have more people writing.
    const std::size_t people =
        4 + static_cast<std::size_t>(60.0 / std::sqrt(static_cast<double>(c) + 1.0));
    for (std::size_t p = 0; p < people; ++p) city.people.push_back(hex_id(rng));
    cities.push_back(std::move(city));
  }
  return cities;
}

// Fills the placeholders of a phrase.
std::string expand(std::string_view phrase, const City& city, Rng& rng) {
  std::string out;
  out.reserve(phrase.size() + 32);
  std::size_t i = 0;
  while (i < phrase.size()) {
    if (phrase[i] != '{') {
      out += phrase[i++];
      continue;
    }
    const std::size_t close = phrase.find('}', i);
    const std::string_view name = phrase.substr(i + 1, close - i - 1);
    i = close + 1;
    char buffer[32];
    if (name == "city") {
      out += city.name;
    } else if (name == "district") {
      out += city.districts[rng.below(city.districts.size())];
    } else if (name == "street") {
      out += city.street;
    } else if (name == "river") {
      out += city.river;
    } else if (name == "school") {
      out += city.school;
    } else if (name == "org") {
      out += rng.pick(kOrgs);
    } else if (name == "n") {
      out += std::to_string(rng.between(2, 30));
    } else if (name == "big") {
      const double value = 50.0 * std::pow(100.0, rng.uniform());
      const auto rounded = static_cast<long>(value / 10.0) * 10;
      out += std::to_string(rounded);
    } else if (name == "pct") {
      out += std::to_string(rng.between(5, 95));
    } else if (name == "hour") {
      std::snprintf(buffer, sizeof buffer, "%02zu:%02zu", rng.between(6, 22), rng.below(4) * 15);
      out += buffer;
    } else if (name == "day") {
      out += rng.pick(kDays);
    } else if (name == "date") {
      std::snprintf(buffer, sizeof buffer, "%zu.%zu.", rng.between(1, 28), rng.between(1, 12));
      out += buffer;
    } else {
      throw std::logic_error("unknown placeholder " + std::string(name));
    }
  }
  return out;
}

// "Sandsacklager", "Evakuierungskoordination", sometimes three parts.
std::string compound(Rng& rng) {
  static const Zipf heads(kCompoundHeads.size(), 1.0);
  static const Zipf tails(kCompoundTails.size(), 1.0);
  std::string word = kCompoundHeads[heads(rng)];
  if (rng.chance(0.25)) {
    std::string middle = kCompoundHeads[rng.below(kCompoundHeads.size())];
    if (!middle.empty() && middle[0] >= 'A' && middle[0] <= 'Z')
      middle[0] = static_cast<char>(middle[0] + 32);
    if (middle.starts_with("\xC3\x9C")) middle = "\xC3\xBC" + middle.substr(2);  // Ü → ü
    word += middle;
  }
  return word + kCompoundTails[tails(rng)];
}

// A typo in one ASCII word of five letters or more: two letters swapped, one dropped or doubled.
void add_typo(std::string& text, Rng& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> words;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!is_letter(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_letter(text[j])) ++j;
    const bool plain = j == text.size() || static_cast<unsigned char>(text[j]) < 0x80;
    if (j - i >= 5 && plain && (i == 0 || text[i - 1] != '#')) words.emplace_back(i, j - i);
    i = j;
  }
  if (words.empty()) return;
  const auto [start, length] = words[rng.below(words.size())];
  const std::size_t at = start + 1 + rng.below(length - 2);
  switch (rng.below(3)) {
    case 0:
      std::swap(text[at], text[at + 1]);
      break;
    case 1:
      text.erase(at, 1);
      break;
    default:
      text.insert(at, 1, text[at]);
      break;
  }
}

std::string transliterate_umlauts(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xC3 && i + 1 < text.size()) {
      const auto d = static_cast<unsigned char>(text[i + 1]);
      const char* r = d == 0xA4   ? "ae"
                      : d == 0xB6 ? "oe"
                      : d == 0xBC ? "ue"
                      : d == 0x9F ? "ss"
                      : d == 0x84 ? "Ae"
                      : d == 0x96 ? "Oe"
                      : d == 0x9C ? "Ue"
                                  : nullptr;
      if (r != nullptr) {
        out += r;
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// One chat message about a topic, as people in a crisis team write them.
struct Message {
  std::string body;
  std::size_t topic = 0;
  bool english = false;
};

Message compose(Rng& rng, const City& city, bool needs_tag) {
  static const Zipf topic_rank(topics().size(), 0.8);
  static const Zipf phrase_rank(12, 0.7);
  static const Zipf signal_rank(kSignalTags.size(), 1.0);
  Message message;
  message.topic = topic_rank(rng);
  const Topic& topic = topics()[message.topic];
  message.english = rng.chance(0.08);

  auto phrase_of = [&](const Topic& t) -> std::string_view {
    const auto& list = message.english ? t.en : t.de;
    const std::size_t k = phrase_rank(rng);
    return list[k % list.size()];
  };
  std::vector<std::string> parts;
  if (rng.chance(0.3))
    parts.push_back(expand(rng.pick(message.english ? kOpenersEn : kOpenersDe), city, rng));
  const double roll = rng.uniform();
  const std::size_t phrases = roll < 0.55 ? 1 : roll < 0.88 ? 2 : roll < 0.98 ? 3 : 4;
  for (std::size_t p = 0; p < phrases; ++p) {
    const Topic& from = p > 0 && rng.chance(0.15) ? topics()[rng.below(topics().size())] : topic;
    std::string sentence = expand(phrase_of(from), city, rng);
    const double end = rng.uniform();
    sentence += end < 0.7 ? "." : end < 0.8 ? "!" : end < 0.9 ? "" : " …";
    parts.push_back(std::move(sentence));
  }
  if (rng.chance(0.12)) {
    static const std::vector<const char*> kFrames = {
        "Stichwort {}.",      "({})",
        "Siehe {}.",          "Thema {}.",
        "{} fehlt komplett.", "{} muss überarbeitet werden."};
    const std::string frame = rng.pick(kFrames);
    const std::size_t at = frame.find("{}");
    parts.push_back(frame.substr(0, at) + compound(rng) + frame.substr(at + 2));
  }
  if (rng.chance(0.02))
    parts.push_back("https://www.example.org/lage/" + std::to_string(rng.between(1, 999)));
  if (rng.chance(0.02))
    parts.push_back("@" + city.people[rng.below(city.people.size())].substr(0, 8) + ":example.org");
  if (rng.chance(0.3))
    parts.push_back(expand(rng.pick(message.english ? kClosersEn : kClosersDe), city, rng));

  std::string body;
  for (const auto& part : parts) {
    if (!body.empty()) body += ' ';
    body += part;
  }
  if (rng.chance(0.3)) add_typo(body, rng);
  if (rng.chance(0.08)) add_typo(body, rng);
  if (rng.chance(0.07)) body = transliterate_umlauts(body);
  if (rng.chance(0.1)) {
    for (char& c : body) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
  }
  // Hashtags: a signal (what it is) at the end or the start, sometimes a topic tag, sometimes one
  // the vocabulary does not know.
  const bool signal = needs_tag ? rng.chance(0.92) : rng.chance(0.35);
  if (signal) {
    const std::string tag = kSignalTags[signal_rank(rng)];
    body = rng.chance(0.7) ? body + " " + tag : tag + " " + body;
  }
  if (!topic.tags.empty() && rng.chance(needs_tag && !signal ? 1.0 : 0.2)) {
    body += std::string(" #") + topic.tags[rng.below(topic.tags.size())];
  }
  if (rng.chance(0.05)) body += std::string(" ") + rng.pick(kOtherTags);
  message.body = std::move(body);
  return message;
}

// Word statistics of the generated texts (words: runs of letters, lower-cased ASCII).
class Vocabulary {
 public:
  void add(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
      const auto c = static_cast<unsigned char>(text[i]);
      const bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
      if (!letter && c < 0x80) {
        ++i;
        continue;
      }
      key_.clear();
      while (i < text.size()) {
        const auto d = static_cast<unsigned char>(text[i]);
        if (!((d | 0x20) >= 'a' && (d | 0x20) <= 'z') && d < 0x80) break;
        key_ += static_cast<char>(d >= 'A' && d <= 'Z' ? d + 32 : d);
        ++i;
      }
      ++counts_[key_];
      ++tokens_;
    }
  }

  std::string json() const {
    std::vector<std::uint64_t> freq;
    freq.reserve(counts_.size());
    std::size_t hapax = 0;
    for (const auto& [word, n] : counts_) {
      freq.push_back(n);
      if (n == 1) ++hapax;
    }
    std::sort(freq.rbegin(), freq.rend());
    // Zipf exponent: least squares of log f over log rank, ranks 1…min(1000, distinct).
    const std::size_t k = std::min<std::size_t>(1000, freq.size());
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t r = 0; r < k; ++r) {
      const double x = std::log(static_cast<double>(r + 1));
      const double y = std::log(static_cast<double>(freq[r]));
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    const double n = static_cast<double>(k);
    const double slope = k > 1 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
    std::uint64_t top10 = 0;
    for (std::size_t r = 0; r < std::min<std::size_t>(10, freq.size()); ++r) top10 += freq[r];
    char buffer[256];
    std::snprintf(buffer, sizeof buffer,
                  "\"word_tokens\":%llu,\"distinct_words\":%zu,\"hapax_words\":%zu,"
                  "\"top10_share\":%.4f,\"zipf_exponent_top1000\":%.3f",
                  static_cast<unsigned long long>(tokens_), counts_.size(), hapax,
                  tokens_ ? static_cast<double>(top10) / static_cast<double>(tokens_) : 0.0,
                  -slope);
    return buffer;
  }

 private:
  std::unordered_map<std::string, std::uint64_t> counts_;
  std::uint64_t tokens_ = 0;
  std::string key_;
};

core::TimePoint period_start() {
  return core::TimePoint(
      std::chrono::sys_days{std::chrono::year{2024} / std::chrono::March / 4}.time_since_epoch());
}

// Sorted timestamps in [begin, begin + 7 days): office hours and weekdays are busier.
std::vector<std::int64_t> timestamps(Rng& rng, std::size_t n, core::TimePoint begin) {
  static const double kHour[24] = {1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 4, 9, 10, 10, 10,
                                   8, 9,   10,  10,  9,   7,   5, 4, 3, 2,  2,  1};
  static const double kDay[7] = {1, 1, 1, 1, 0.9, 0.4, 0.35};
  std::vector<double> cdf;
  double total = 0;
  for (int d = 0; d < 7; ++d) {
    for (int h = 0; h < 24; ++h) {
      total += kDay[d] * kHour[h];
      cdf.push_back(total);
    }
  }
  std::vector<std::int64_t> out;
  out.reserve(n);
  const std::int64_t base = begin.time_since_epoch().count();
  for (std::size_t i = 0; i < n; ++i) {
    const double u = rng.uniform() * total;
    const auto slot =
        static_cast<std::int64_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    out.push_back(base + std::min<std::int64_t>(slot, 167) * 3'600'000 +
                  static_cast<std::int64_t>(rng.below(3'600'000)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<const char*> kLessonTitles = {
    "Verteilschlüssel für Schutzausrüstung",
    "Vorlauf für Landesverordnungen einfordern",
    "Einarbeitung neuer Kolleginnen mit Checkliste",
    "Einsatztagebuch konsequent führen",
    "Bürgertelefon mit tagesaktueller FAQ",
    "Social Media auch am Wochenende besetzen",
    "Mehrsprachige Informationen vorbereiten",
    "Notstrom im Rathaus jährlich testen",
    "Telefonliste der Rufbereitschaft auf Papier",
    "Sandsacklager in jedem Stadtteil",
    "Spontanhelfer über eine Helferbörse koordinieren",
    "Hitzeaktionsplan umsetzen, nicht nur schreiben",
};

// A round of the fixture and its template.
struct RoundRef {
  std::int64_t id;
  const core::Template* tmpl;
};

// Rooms and rounds: two ended rounds per city and week, by city · 2 + week.
std::vector<std::vector<RoundRef>> write_rooms_and_rounds(
    store::Store& store, const DigestFixture& fixture, const std::vector<City>& cities,
    const std::vector<core::Template>& templates, Rng& rng) {
  std::vector<std::vector<RoundRef>> rounds(cities.size() * 2);
  store::BatchScope scope(store);
  for (const City& city : cities) {
    store::RoomRecord room;
    room.room_id = city.room_id;
    room.membership = "join";
    room.name = "Krisenstab " + city.name;
    scope.put_room(room);
  }
  store::RoomRecord network;
  network.room_id = fixture.network_room;
  network.membership = "join";
  network.name = "Netzwerk Krisenmanagement";
  scope.put_room(network);
  for (std::size_t c = 0; c < cities.size(); ++c) {
    for (int week = 0; week < 2; ++week) {
      for (int k = 0; k < 2; ++k) {
        const core::Template& tmpl = templates[rng.below(templates.size())];
        core::Round round;
        round.room_id = cities[c].room_id;
        round.template_key = tmpl.key;
        round.topic = "Nachbesprechung " + std::string(topics()[rng.below(topics().size())].key);
        round.started_by = "@moderation:example.org";
        round.phase_index = tmpl.phases.size() - 1;
        round.state = core::RoundState::ended;
        round.started_at =
            fixture.from - (week == 0 ? 7 * 24h : 0h) + std::chrono::hours(rng.between(0, 160));
        round.ended_at = round.started_at + 2h;
        round.phase_started_at = round.ended_at - 15min;
        round.phase_deadline = round.ended_at;
        rounds[c * 2 + static_cast<std::size_t>(week)].push_back({scope.save_round(round), &tmpl});
      }
    }
  }
  scope.commit();
  return rounds;
}

// What the generator wrote, for the statistics beside the store.
struct GeneratorStats {
  Vocabulary words;
  std::size_t body_bytes = 0, english = 0, tagged = 0, via_round = 0, anonymous = 0, votes = 0,
              voted = 0;
};

// Writes the contributions of one period (with their votes) and picks some for lessons.
class ContributionWriter {
 public:
  ContributionWriter(store::Store& store, const std::vector<City>& cities,
                     const std::vector<std::vector<RoundRef>>& rounds, Rng& rng,
                     GeneratorStats& stats)
      : store_(store), cities_(cities), rounds_(rounds), rng_(rng), stats_(stats) {}

  // n contributions in [begin, begin + 7 days) of week 0 (previous) or 1 (the digest's).
  void write_period(std::size_t n, core::TimePoint begin, int week) {
    const auto times = timestamps(rng_, n, begin);
    std::size_t done = 0;
    while (done < n) {
      store::BatchScope scope(store_);
      const std::size_t end = std::min(n, done + kChunk);
      for (; done < end; ++done) write_one(scope, times[done], week);
      scope.commit();
    }
  }

  // (city, event id) of contributions lessons may cite.
  const std::vector<std::pair<std::size_t, std::string>>& lesson_pool() const {
    return lesson_pool_;
  }

 private:
  void write_one(store::BatchScope& scope, std::int64_t time, int week) {
    const std::size_t c = city_rank_(rng_);
    const City& city = cities_[c];
    core::Contribution contribution;
    contribution.event_id = random_id(rng_, 43, "$");
    contribution.room_id = city.room_id;
    contribution.city = city.name;
    const double roll = rng_.uniform();
    const bool in_round = roll < 0.45;
    const bool is_anonymous = !in_round && roll < 0.49;
    const Message message = compose(rng_, city, !in_round && !is_anonymous);
    contribution.body = message.body;
    contribution.tags = core::parse_tags(contribution.body, vocabulary_);
    if (in_round) {
      const auto& candidates = rounds_[c * 2 + static_cast<std::size_t>(week)];
      const RoundRef& round = candidates[rng_.below(candidates.size())];
      contribution.round = round.id;
      // Earlier phases collect more than later ones.
      const std::size_t phases = round.tmpl->phases.size();
      contribution.phase_key =
          round.tmpl->phases[std::min(rng_.below(phases), rng_.below(phases))].key;
      contribution.via = core::CollectedVia::round;
      ++stats_.via_round;
    } else if (is_anonymous) {
      contribution.via = core::CollectedVia::anonymous;
      ++stats_.anonymous;
    } else {
      contribution.via =
          contribution.tags.empty() ? core::CollectedVia::pin : core::CollectedVia::tag;
    }
    if (!is_anonymous) {
      contribution.author = city.people[author_rank_(rng_) % city.people.size()];
    }
    contribution.written_at = core::TimePoint(std::chrono::milliseconds(time));
    contribution.collected_at =
        contribution.written_at + std::chrono::milliseconds(rng_.between(200, 3000));
    if (!scope.add_contribution(contribution)) throw std::runtime_error("duplicate event id");
    add_votes(scope, contribution, city);
    if (week == 1 && lesson_pool_.size() < 400 && rng_.chance(0.01)) {
      lesson_pool_.emplace_back(c, contribution.event_id);
    }
    stats_.words.add(contribution.body);
    stats_.body_bytes += contribution.body.size();
    stats_.english += message.english ? 1 : 0;
    stats_.tagged += contribution.tags.empty() ? 0 : 1;
  }

  // Votes on some contributions, mostly from the same city, never by the author.
  void add_votes(store::BatchScope& scope, const core::Contribution& contribution,
                 const City& city) {
    if (rng_.chance(0.12)) {
      const std::size_t count =
          1 + (rng_.chance(0.5) ? 0 : rng_.below(3)) + (rng_.chance(0.1) ? rng_.below(6) : 0);
      std::set<std::string> voters;
      for (std::size_t v = 0; v < count; ++v) {
        const City& from = rng_.chance(0.8) ? city : cities_[city_rank_(rng_)];
        const std::string voter = from.people[rng_.below(from.people.size())];
        if (voter == contribution.author || !voters.insert(voter).second) continue;
        scope.add_vote(random_id(rng_, 43, "$"), contribution.event_id, voter);
        ++stats_.votes;
      }
      ++stats_.voted;
    }
  }

  store::Store& store_;
  const std::vector<City>& cities_;
  const std::vector<std::vector<RoundRef>>& rounds_;
  Rng& rng_;
  GeneratorStats& stats_;
  const core::TagVocabulary vocabulary_ = core::default_vocabulary();
  const Zipf city_rank_{cities_.size(), 0.8};
  const Zipf author_rank_{64, 1.0};
  std::vector<std::pair<std::size_t, std::string>> lesson_pool_;
};

// Lessons identified from some contributions: open, with an action (some overdue), learned.
void write_lessons(store::Store& store, const DigestFixture& fixture,
                   const std::vector<City>& cities,
                   const std::vector<std::pair<std::size_t, std::string>>& lesson_pool, Rng& rng) {
  store::BatchScope scope(store);
  for (std::size_t l = 0; l < kLessons && lesson_pool.size() >= 4; ++l) {
    std::vector<std::string> sources;
    const std::size_t k = rng.between(2, 4);
    std::size_t room_city = 0;
    for (std::size_t s = 0; s < k; ++s) {
      const auto& [c, id] = lesson_pool[rng.below(lesson_pool.size())];
      sources.push_back(id);
      room_city = c;
    }
    const std::int64_t id = scope.create_lesson(cities[room_city].room_id, rng.pick(kLessonTitles),
                                                sources, fixture.from);
    const double state = rng.uniform();
    if (state < 0.45) {
      const auto due =
          std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(fixture.to) +
                                      std::chrono::days(static_cast<int>(rng.between(0, 40)) - 20)};
      scope.set_action(id, "Konzept bis zur nächsten Stabssitzung",
                       "Amt " + std::to_string(rng.between(10, 80)), due, fixture.from);
    } else if (state < 0.6) {
      scope.mark_learned(id, fixture.from + 24h);
    }
  }
  scope.commit();
}

void write_stats(const std::string& stats_path, const DigestFixture& fixture,
                 const std::vector<City>& cities, const GeneratorStats& generated) {
  const auto& [words, body_bytes, english, tagged, via_round, anonymous, votes, voted] = generated;
  const std::size_t total = fixture.previous + fixture.spec.contributions;
  std::ofstream stats(stats_path);
  stats << "{\"generator_version\":" << kDigestFixtureVersion
        << ",\"contributions\":" << fixture.spec.contributions
        << ",\"previous\":" << fixture.previous << ",\"cities\":" << cities.size()
        << ",\"rounds\":" << cities.size() * 4 << ",\"lessons\":" << kLessons
        << ",\"mean_body_bytes\":" << static_cast<double>(body_bytes) / static_cast<double>(total)
        << ",\"english_share\":" << static_cast<double>(english) / static_cast<double>(total)
        << ",\"tagged_share\":" << static_cast<double>(tagged) / static_cast<double>(total)
        << ",\"round_share\":" << static_cast<double>(via_round) / static_cast<double>(total)
        << ",\"anonymous_share\":" << static_cast<double>(anonymous) / static_cast<double>(total)
        << ",\"voted_contributions\":" << voted << ",\"votes\":" << votes
        << ",\"topics\":" << topics().size() << "," << words.json() << "}\n";
}

void build_store(const DigestFixture& fixture, const std::vector<City>& cities,
                 const std::string& path, const std::string& stats_path) {
  store::Store store(path);
  // A fixture, not the bot: no fsync per commit and a large cache make building it fast. The
  // file's content is the same as with the bot's settings.
  store.connection().exec("PRAGMA synchronous = OFF");
  store.connection().exec("PRAGMA cache_size = -262144");
  const auto templates = app::load_templates(REFLEXBOT_TEMPLATES_SOURCE);
  Rng rng(fixture.spec.seed * 0x9E3779B97F4A7C15ULL + fixture.spec.contributions);
  const auto rounds = write_rooms_and_rounds(store, fixture, cities, templates, rng);
  GeneratorStats stats;
  ContributionWriter writer(store, cities, rounds, rng, stats);
  writer.write_period(fixture.previous, fixture.from - (fixture.to - fixture.from), 0);
  writer.write_period(fixture.spec.contributions, fixture.from, 1);
  write_lessons(store, fixture, cities, writer.lesson_pool(), rng);
  store.connection().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  write_stats(stats_path, fixture, cities, stats);
}

std::string ratio_text(double ratio) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", ratio);
  return buffer;
}

}  // namespace

std::string digest_fixture_path(const DigestFixtureSpec& spec, const std::string& directory) {
  return (std::filesystem::path(directory) /
          ("digest-" + std::to_string(spec.contributions) + "-p" + ratio_text(spec.previous_ratio) +
           "-s" + std::to_string(spec.seed) + "-v" + std::to_string(kDigestFixtureVersion) + ".db"))
      .string();
}

DigestFixture digest_fixture(const DigestFixtureSpec& spec, const std::string& directory,
                             bool* built) {
  DigestFixture fixture;
  fixture.spec = spec;
  fixture.path = digest_fixture_path(spec, directory);
  fixture.from = period_start();
  fixture.to = fixture.from + 7 * 24h;
  fixture.now = fixture.to + 1h;
  fixture.previous = static_cast<std::size_t>(
      std::llround(static_cast<double>(spec.contributions) * spec.previous_ratio));
  fixture.network_room = "!netzwerk:example.org";
  const auto cities = make_cities(spec.seed);
  for (const City& city : cities) fixture.rooms.emplace_back(city.room_id, city.name);
  if (built != nullptr) *built = false;
  if (std::filesystem::exists(fixture.path)) {
    // A store from an older bench: migrated and indexed as the bot does at start, then measured
    // in a fresh process like a new one.
    std::int64_t indexed = 0;
    {
      store::Store store(fixture.path);
      indexed = store.index_contributions(10000);
    }
    if (indexed > 0 && built != nullptr) *built = true;
    return fixture;
  }

  std::filesystem::create_directories(directory);
  const std::string temp = fixture.path + ".tmp-" + std::to_string(::getpid());
  std::filesystem::remove(temp);
  build_store(fixture, cities, temp, temp + ".json");
  std::filesystem::rename(temp + ".json", fixture.path + ".json");
  std::filesystem::rename(temp, fixture.path);
  if (built != nullptr) *built = true;
  return fixture;
}

std::string digest_fixture_stats(const DigestFixture& fixture) {
  std::ifstream in(fixture.path + ".json");
  std::string line;
  std::getline(in, line);
  return line;
}

app::DigestSettings digest_settings(const DigestFixture& fixture) {
  app::DigestSettings settings;
  settings.language = core::Language::de;
  if (auto zone = core::TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3")) settings.zone = *zone;
  settings.period_days = 7;
  settings.top = 5;
  settings.network_room = fixture.network_room;
  for (const auto& [room_id, city] : fixture.rooms) {
    settings.rooms.push_back(room_id);
    settings.cities[room_id] = city;
  }
  settings.templates = app::load_templates(REFLEXBOT_TEMPLATES_SOURCE);
  return settings;
}

}  // namespace reflexbot::bench
