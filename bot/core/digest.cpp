#include "core/digest.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/digest_view.hpp"
#include "core/grouping.hpp"
#include "core/text.hpp"

namespace reflexbot::core {

const std::set<std::string, std::less<>> kLessonTags = {"lehre"};
const std::set<std::string, std::less<>> kWentWellTags = {"erfolg", "stolz"};
const std::set<std::string, std::less<>> kWasHardTags = {"problem", "frust"};
const std::set<std::string, std::less<>> kIdeaTags = {"idee"};

namespace {

// Terms a group keeps as candidates for its keywords (three are shown; some candidates have no
// word of their own, e.g. a concept only a tag named, or fold to a word already taken).
constexpr std::size_t kKeywordCandidates = 16;
// Members whose words name a group (its first ones in time order).
constexpr std::size_t kNamingMembers = 200;
// Key nouns a title may link (linking_phrase()); the first two name a group without a phrase.
constexpr std::size_t kKeyNouns = 4;

// Whether a word as typed starts with a capital (A–Z, Ä, Ö, Ü).
bool capitalised(std::string_view word) {
  if (word.empty()) return false;
  const auto first = static_cast<unsigned char>(word.front());
  return (first >= 'A' && first <= 'Z') || (first == 0xC3 && word.size() > 1 &&
                                            (static_cast<unsigned char>(word[1]) == 0x84 ||
                                             static_cast<unsigned char>(word[1]) == 0x96 ||
                                             static_cast<unsigned char>(word[1]) == 0x9C));
}

// Whether a word as typed looks like a German noun without a dictionary: capitalised and not a
// stop word.
bool looks_like_noun(std::string_view word) {
  return capitalised(word) && word.size() >= 3 && !is_stop_word(lower_case(word));
}

// Prepositions that may link a group's two key nouns in its title ("Erschöpfung im Krisenstab",
// "Termine für das Impfzentrum"), the contracted ones (no article follows) first. Those that
// negate or oppose ("ohne", "gegen", "statt", "trotz") are not among them: a phrase with one
// would say the opposite of many members.
constexpr std::array<std::string_view, 7> kContractedPrepositions = {"im",  "ins", "am", "beim",
                                                                     "zum", "zur", "vom"};
constexpr std::array<std::string_view, 14> kPrepositions = {
    "in",  "an",  "bei",  "zu",   "von",   "für",      "mit",
    "auf", "aus", "nach", "über", "unter", "zwischen", "durch"};
constexpr std::array<std::string_view, 12> kArticles = {
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines"};

// Determiners and quantifiers, which may stand where an adjective would ("irgendwelchen
// Lagerhallen", "beiden Städten") but name nothing of the theme: their roots, before an ending.
constexpr std::array<std::string_view, 24> kDeterminerRoots = {
    "irgendwelch", "welch", "solch", "mehrer", "beid", "sämtlich", "etlich", "einig",
    "viel",        "wenig", "ander", "jen",    "dies", "manch",    "kein",   "jed",
    "all",         "mein",  "dein",  "sein",   "ihr",  "unser",    "eur",    "euer"};

// Articles and determiners after which an adjective's "-e" is a masculine or neuter singular's
// nominative ("der tägliche Lagebericht", "das digitale Konzept").
constexpr std::array<std::string_view, 14> kMasculineNeuterArticles = {
    "der",   "das",     "dieser",  "dieses",  "jener",   "jenes",   "jeder",
    "jedes", "welcher", "welches", "mancher", "manches", "solcher", "solches"};

// Adjectives that say too little of a theme to name it with a noun ("verschiedene Kliniken",
// "eigene Zusammenfassung", "neue Hardware"): their roots.
constexpr std::array<std::string_view, 14> kVagueAdjectiveRoots = {
    "verschieden", "divers", "weiter", "sonstig",   "übrig",    "eigen",    "gleich",
    "ganz",        "gesamt", "neu",    "sogenannt", "jeweilig", "bisherig", "nächst"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Whether `lower` is one of `roots` or one of them with an adjective's ending.
template <std::size_t N>
bool root_of(const std::array<std::string_view, N>& roots, std::string_view lower) {
  if (one_of(roots, lower)) return true;
  for (const std::string_view ending : {"en", "em", "er", "es", "e"}) {
    if (lower.ends_with(ending) && one_of(roots, lower.substr(0, lower.size() - ending.size()))) {
      return true;
    }
  }
  return false;
}

bool is_determiner(std::string_view lower) { return root_of(kDeterminerRoots, lower); }

// After a noun, "der" is a genitive ("Warnung der Bevölkerung") only before a feminine or plural
// noun, and as often the article of the next clause's subject ("im Januar der Kühlraum"): it
// links only a second noun with a feminine or plural ending.
bool may_follow_genitive_der(std::string_view noun) {
  for (const std::string_view ending : {"ung", "heit", "keit", "schaft", "ion", "tät", "ik", "ie",
                                        "ei", "ur", "e", "en", "n", "er", "ern"}) {
    if (noun.ends_with(ending)) return true;
  }
  return false;
}

// Words for a time (a span, a month, a day, a part of a day), with their plural and genitive
// forms (folded as tags are, fold_tag(): ä → ae): they say when, not what, and name no theme ("im
// Januar", "seit Monaten", "am Wochenende"; "Januar und Kühlräume" was a word list).
constexpr std::array<std::string_view, 39> kTimeWords = {
    "sekunde",     "minute",       "stunde",
    "tag",         "woche",        "wochenende",
    "monat",       "jahr",         "jahrzehnt",
    "quartal",     "halbjahr",     "vormittag",
    "nachmittag",  "abend",        "nacht",
    "naecht",      "uhr",          "januar",
    "februar",     "maerz",        "april",
    "mai",         "juni",         "juli",
    "august",      "september",    "oktober",
    "november",    "dezember",     "montag",
    "dienstag",    "mittwoch",     "donnerstag",
    "freitag",     "samstag",      "sonntag",
    "montagabend", "freitagabend", "freitagnachmittag"};

bool is_time_word(std::string_view word) {
  const std::string folded = fold_tag(word);  // "März" → "maerz", "Nächte" → "naechte"
  if (one_of(kTimeWords, folded)) return true;
  for (const std::string_view ending : {"e", "en", "n", "s", "es", "er"}) {
    if (folded.size() > ending.size() + 2 && folded.ends_with(ending) &&
        one_of(kTimeWords, std::string_view(folded).substr(0, folded.size() - ending.size()))) {
      return true;
    }
  }
  return false;
}

// Whether two nouns name the same thing, one a part of the other's compound or an inflection of
// it ("Pflegeheim" and "Heime", "Terminvergabe" and "Termine", "Kollege" and "Kolleg"): a title
// names it once.
bool overlapping(std::string_view a, std::string_view b) {
  std::string x = lower_case(a);
  std::string y = lower_case(b);
  for (std::string* word : {&x, &y}) {
    for (const std::string_view ending : {"en", "e", "n", "s"}) {
      if (word->size() > ending.size() + 3 && word->ends_with(ending)) {
        word->resize(word->size() - ending.size());
        break;
      }
    }
  }
  if (x.size() > y.size()) std::swap(x, y);
  return x.size() >= 3 && (y.starts_with(x) || y.ends_with(x));
}

// The byte length of the letter or digit that ends right before `at`, 0 if none does.
std::size_t letter_before(std::string_view text, std::size_t at) {
  if (at >= 1 && letter_at(text, at - 1) == 1) return 1;
  if (at >= 2 && letter_at(text, at - 2) == 2) return 2;
  return 0;
}

// The hyphenated word `word` (a view into `body`) is a part of — "E-Akte", "Drive-in-Testen",
// "Telegram-Gruppen" — or empty: if it stands alone, or the chain is no word a title can take
// (joined to something by "/", ".", "*" and the like: "24/7-Hotline", "1.000-Euro-Pauschale",
// "Kolleg*innen-Treffen"; ending in a hyphen; its last part in lower case: "Corona-bedingte").
std::string_view hyphenated_word(std::string_view body, std::string_view word) {
  const auto start = static_cast<std::size_t>(word.data() - body.data());
  const std::size_t stop = start + word.size();
  std::size_t begin = start;
  std::size_t end = stop;
  while (begin >= 2 && body[begin - 1] == '-' && letter_before(body, begin - 1) > 0) {
    --begin;
    while (const std::size_t n = letter_before(body, begin)) begin -= n;
  }
  while (end < body.size() && body[end] == '-' && letter_at(body, end + 1) > 0) {
    ++end;
    while (const std::size_t n = letter_at(body, end)) end += n;
  }
  if (begin == start && end == stop) return {};
  const auto joined = [](char c) {
    return c == '-' || c == '/' || c == '.' || c == '*' || c == ':' || c == '_' || c == '\'' ||
           c == '&' || c == '+' || c == '@' || c == '#';
  };
  if ((begin > 0 && joined(body[begin - 1])) ||
      (end < body.size() && joined(body[end]) && letter_at(body, end + 1) > 0)) {
    return {};
  }
  if (end < body.size() && body[end] == '-') return {};  // "Akte-": a part left open
  const std::string_view compound = body.substr(begin, end - begin);
  if (!capitalised(compound.substr(compound.rfind('-') + 1))) return {};
  return compound;
}

// A capitalised word a member wrote as a part of a hyphenated word (hyphenated_word()).
struct HyphenUse {
  std::string_view word;
  std::string_view compound;
};

// Whether `word` (a single typed word) has a term with `key` (its stem's or its concept's). Term
// keys are hashes, the same in every analyzer: this one is its own, so that the naming
// analyzer's counts (which surface names a term) stay the members' alone.
bool has_key(TextAnalyzer& analyzer, std::string_view word, std::uint64_t key,
             std::vector<TermId>& scratch) {
  scratch.clear();
  analyzer.terms(word, scratch);
  return std::any_of(scratch.begin(), scratch.end(),
                     [&](TermId t) { return analyzer.key(t) == key; });
}

// The hyphenated word a key noun (typed `word`, term `key`) stands in, if its members wrote it
// (in any inflection) only there, and always the same one: "E-Akte", "Drive-in-Testen",
// "Telegram-Gruppen" — German writes such a compound as one word, and its part alone says less
// ("Akte", "Drive"). Its last part in its base form. Empty otherwise. Cheap where nobody wrote a
// hyphen: only the hyphenated uses and the words written alone with its first letters are
// analysed.
std::string one_word(std::span<const HyphenUse> uses,
                     const std::set<std::string_view>& written_alone, std::string_view word,
                     std::uint64_t key, Lexicon* lexicon) {
  TextAnalyzer analyzer;
  // A compound of more than three parts or this long is a construction, no title.
  constexpr std::size_t kMaxBytes = 40;
  std::vector<TermId> scratch;
  std::string_view compound;
  for (const HyphenUse& use : uses) {
    if (!has_key(analyzer, use.word, key, scratch)) continue;
    if (compound.empty()) {
      compound = use.compound;
      continue;
    }
    // Another one, unless it is this one inflected ("E-Akte", "E-Akten").
    const std::size_t a = compound.rfind('-');
    const std::size_t b = use.compound.rfind('-');
    scratch.clear();
    analyzer.terms(compound.substr(a + 1), scratch);
    const std::uint64_t head = scratch.empty() ? 0 : analyzer.key(scratch.front());
    if (lower_case(compound.substr(0, a)) != lower_case(use.compound.substr(0, b)) ||
        !has_key(analyzer, use.compound.substr(b + 1), head, scratch)) {
      return {};
    }
  }
  if (compound.empty() || compound.size() > kMaxBytes ||
      std::count(compound.begin(), compound.end(), '-') > 2) {
    return {};
  }
  // Written alone too, in any inflection: the noun stays as it is.
  const std::string prefix = lower_case(word.substr(0, std::min<std::size_t>(word.size(), 3)));
  for (const std::string_view alone : written_alone) {
    if (lower_case(alone.substr(0, std::min<std::size_t>(alone.size(), 3))) != prefix) continue;
    if (has_key(analyzer, alone, key, scratch)) return {};
  }
  const std::size_t last = compound.rfind('-') + 1;
  const std::string_view head = compound.substr(last);
  if (lexicon == nullptr) return std::string(compound);
  return std::string(compound.substr(0, last)) + lexicon->base_form(head, Language::de);
}

// A group's key nouns, best first: each with its term key (its stem's or its domain concept's)
// and its base form for a title.
struct KeyNoun {
  std::uint64_t key = 0;
  std::string base;
  int members = 0;       // members in the period who wrote it
  bool when = false;     // a word for a time (is_time_word()): in a phrase only
  std::string compound;  // the hyphenated word it was only written in (one_word()), if any

  // How a title without a phrase names it: "E-Akte" where its members only wrote that.
  [[nodiscard]] const std::string& shown() const { return compound.empty() ? base : compound; }
};

// The phrase in the members' own words that links two of the group's key nouns, if one does
// (or the hyphenated word they make, "CO2-Ampeln", or the English term, "Cell Broadcast"):
// noun, a preposition (with its article) or a genitive article, at most one word in lower case
// (an adjective), noun — "Erschöpfung im Krisenstab", "Leitung des Krisenstabs", "Termin im
// neuen Impfzentrum". The first noun in its base form, the rest as written (the preposition
// governs its case). Of the phrases found, the one linking the best-ranked pair of nouns wins
// (the first key noun with the second, the third …), then the one most members wrote, then the
// first; a pair other than the first two key nouns needs two members who wrote it. German only.
std::string linking_phrase(std::span<const KeyNoun> nouns, std::span<const DigestItem> items,
                           std::span<const std::size_t> members, TextAnalyzer& analyzer,
                           Lexicon* lexicon) {
  if (nouns.size() < 2) return {};
  std::vector<TermId> scratch;
  const auto noun_at = [&](const TypedWord& word) -> int {
    if (!capitalised(word.text)) return -1;
    scratch.clear();
    analyzer.terms(word.text, scratch);
    // Its stem or a domain concept it names (a key noun may be either).
    for (std::size_t n = 0; n < nouns.size(); ++n) {
      for (const TermId term : scratch) {
        if (analyzer.key(term) == nouns[n].key) return static_cast<int>(n);
      }
    }
    return -1;
  };
  struct Found {
    std::pair<int, int> pair;
    int count = 0;
    std::size_t first = 0;
  };
  std::map<std::string, Found> found;
  std::size_t used = 0;
  for (const std::size_t index : members) {
    if (!items[index].current) continue;
    if (used++ == kNamingMembers) break;
    const std::vector<TypedWord> words = typed_words(items[index].body);
    std::set<std::string> in_this_member;
    // A phrase linking key nouns a and b, counted once per member.
    const auto record = [&](std::string phrase, int a, int b) {
      if (!in_this_member.insert(phrase).second) return;
      auto [at, fresh] = found.try_emplace(std::move(phrase));
      if (fresh) at->second = Found{{std::min(a, b), std::max(a, b)}, 0, used};
      ++at->second.count;
    };
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      const int a = noun_at(words[i]);
      if (a < 0) continue;
      // Two key nouns the member wrote as one hyphenated word ("CO2-Ampeln", "PSA-Lager"): the
      // word as written names them.
      const std::string_view& here = words[i].text;
      const std::string_view& next = words[i + 1].text;
      const std::string_view body = items[index].body;
      const auto offset = static_cast<std::size_t>(here.data() - body.data());
      const std::size_t after = offset + here.size() + 1 + next.size();
      const bool longer = (offset > 0 && body[offset - 1] == '-') ||
                          (after < body.size() && body[after] == '-');  // "Bund-Länder-Runde"
      if (!longer && next.data() == here.data() + here.size() + 1 &&
          here.data()[here.size()] == '-') {
        const int b = noun_at(words[i + 1]);
        if (b >= 0 && b != a) {
          record(std::string(here) + "-" + std::string(next), a, b);
          continue;
        }
      }
      // Two key nouns side by side that are one English term ("Cell Broadcast", "Social
      // Media"): German writes its own compounds as one word, so only English ones are a pair —
      // both English words, the first no German one (a loanword like "Team" leads no pair).
      if (lexicon != nullptr && words[i + 1].follows && capitalised(next) &&
          !lexicon->knows(here, Language::de) && lexicon->knows(lower_case(here), Language::en) &&
          lexicon->knows(lower_case(next), Language::en)) {
        const int b = noun_at(words[i + 1]);
        if (b >= 0 && b != a) {
          record(std::string(here) + " " + std::string(next), a, b);
          continue;
        }
      }
      if (i + 2 >= words.size()) continue;
      std::size_t k = i + 1;
      const auto lower_at = [&](std::size_t at) { return lower_case(words[at].text); };
      // The link: a contracted preposition, a preposition with an optional article, or a genitive
      // article ("des", "der").
      if (!words[k].follows) continue;
      const std::string first_link = lower_at(k);
      if (first_link != words[k].text) continue;  // links are written in lower case
      const bool genitive_der = first_link == "der";
      if (one_of(kContractedPrepositions, first_link) || first_link == "des" || genitive_der) {
        ++k;
      } else if (one_of(kPrepositions, first_link)) {
        ++k;
        if (k < words.size() && words[k].follows && one_of(kArticles, words[k].text)) ++k;
      } else {
        continue;
      }
      // At most one word in lower case (an adjective: no stop word, no number).
      if (k < words.size() && words[k].follows && !capitalised(words[k].text) &&
          !is_stop_word(lower_at(k)) && !is_determiner(lower_at(k)) &&
          !std::all_of(words[k].text.begin(), words[k].text.end(),
                       [](char c) { return c >= '0' && c <= '9'; })) {
        ++k;
      }
      if (k >= words.size() || !words[k].follows) continue;
      const int b = noun_at(words[k]);
      if (b < 0 || b == a || (genitive_der && !may_follow_genitive_der(words[k].text))) continue;
      // The first noun as written, in its base form (a key noun that is a domain concept has
      // other words than this one).
      std::string phrase = lexicon != nullptr ? lexicon->base_form(words[i].text, Language::de)
                                              : std::string(words[i].text);
      for (std::size_t w = i + 1; w <= k; ++w) {
        phrase += ' ';
        phrase += words[w].text;
      }
      record(std::move(phrase), a, b);
    }
  }
  const std::string* best = nullptr;
  const Found* best_found = nullptr;
  for (const auto& [phrase, f] : found) {
    if (f.pair != std::pair(0, 1) && f.count < 2) continue;
    if (best_found == nullptr ||
        std::tuple(f.pair, -f.count, f.first) <
            std::tuple(best_found->pair, -best_found->count, best_found->first)) {
      best = &phrase;
      best_found = &f;
    }
  }
  return best == nullptr ? std::string() : *best;
}

// `word` with its first letter a capital (ASCII, ä ö ü): "selbstschutz" → "Selbstschutz".
std::string with_capital(std::string_view word) {
  std::string out(word);
  if (out.empty()) return out;
  if (out[0] >= 'a' && out[0] <= 'z') {
    out[0] = static_cast<char>(out[0] - 32);
  } else if (static_cast<unsigned char>(out[0]) == 0xC3 && out.size() > 1) {
    const auto second = static_cast<unsigned char>(out[1]);
    if (second == 0xA4 || second == 0xB6 || second == 0xBC) out[1] = static_cast<char>(second - 32);
  }
  return out;
}

// A key noun with the adjective the members wrote before it, in the nominative: "Kurzfristige
// Verordnungen", "Fehlende Schutzausrüstung". Only an adjective ending in "-e" right before the
// noun counts, and not after "der", "das" or a determiner like them: then the form is a
// nominative (or an accusative like it) in the plural or the feminine, whatever the noun's
// gender (which the dictionary does not give), and the phrase is a title as written; "-en",
// "-er", "-es" and "-em" endings are other cases or depend on the gender. The adjective must be one
// (the dictionary knows its
// "-es" and "-em" forms too, which verbs such as "habe" lack), and no determiner ("viele",
// "andere", "verschiedene", "neue"). Two members must have written it (one member's adjective
// is often a detail of theirs: "abgelaufene Tests" in a group on test centres); the first key
// noun's phrase wins, then the one most members wrote, then the first. German only.
std::string adjective_phrase(std::span<const KeyNoun> nouns, std::span<const DigestItem> items,
                             std::span<const std::size_t> members, Lexicon* lexicon) {
  if (nouns.empty() || lexicon == nullptr) return {};
  // Whether the dictionary knows this word (a letter first, in lower case) in lower case: it
  // takes no capitalised form of it for a noun.
  const auto a_lower_case_word = [&](const std::string& lower) {
    return capitalised(with_capital(lower)) && !lexicon->is_noun(with_capital(lower), Language::de);
  };
  // The key noun this word is, in its base form (not a compound that has it as a part:
  // "Tests" is no "Testzentrum"; nor one whose domain concept it only names).
  const auto noun_at = [&](std::string_view word) -> int {
    if (!capitalised(word)) return -1;
    const std::string base = lower_case(lexicon->base_form(word, Language::de));
    for (std::size_t n = 0; n < std::min<std::size_t>(nouns.size(), 2); ++n) {
      if (base == lower_case(nouns[n].base)) return static_cast<int>(n);
    }
    return -1;
  };
  struct Found {
    int noun = 0;
    int count = 0;
    std::size_t first = 0;
    std::string written;  // as its first member wrote it, the adjective capitalised
  };
  std::map<std::string, Found> found;     // by the phrase in lower case
  std::map<std::string, bool> adjective;  // lower case → whether it is one
  std::size_t used = 0;
  for (const std::size_t index : members) {
    if (!items[index].current) continue;
    if (used == kNamingMembers) break;
    ++used;
    const std::vector<TypedWord> words = typed_words(items[index].body);
    std::set<std::string> in_this_member;
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
      if (!words[i + 1].follows) continue;
      const std::string lower = lower_case(words[i].text);
      // In lower case, or capitalised where a sentence starts ("Neue Kolleginnen …").
      if (lower != words[i].text && words[i].follows) continue;
      // After "der", "das", "dieses" … an "-e" belongs to a masculine or neuter singular ("der
      // tägliche Lagebericht"), which without its article is no title.
      if (i > 0 && words[i].follows &&
          one_of(kMasculineNeuterArticles, lower_case(words[i - 1].text))) {
        continue;
      }
      if (lower.size() < 4 || !lower.ends_with('e') || is_stop_word(lower) ||
          is_determiner(lower) || root_of(kVagueAdjectiveRoots, lower)) {
        continue;
      }
      const int n = noun_at(words[i + 1].text);
      if (n < 0) continue;
      auto [is, fresh] = adjective.try_emplace(lower, false);
      if (fresh) {
        const std::string stem = lower.substr(0, lower.size() - 1);
        is->second = a_lower_case_word(lower) && a_lower_case_word(stem + "es") &&
                     a_lower_case_word(stem + "em");
      }
      if (!is->second) continue;
      std::string phrase = with_capital(lower) + " " + std::string(words[i + 1].text);
      std::string key = lower_case(phrase);
      if (!in_this_member.insert(key).second) continue;
      auto [at, added] = found.try_emplace(std::move(key));
      if (added) at->second = Found{n, 0, used, std::move(phrase)};
      ++at->second.count;
    }
  }
  const Found* best = nullptr;
  for (const auto& [key, f] : found) {
    if (f.count < 2) continue;
    if (best == nullptr ||
        std::tuple(f.noun, -f.count, f.first) < std::tuple(best->noun, -best->count, best->first)) {
      best = &f;
    }
  }
  return best == nullptr ? std::string() : best->written;
}

// Hashtags the vocabulary does not know name a topic unless they are too long to be a word (a
// hostile message's 30,000-letter tag, which the tags' typing-error look-up would compare with
// every other) or, from six letters on, one typing error away from a signal tag ("#probelm" is
// a problem, no topic; "#warning" is no "#learning").
constexpr std::size_t kMaxTopicTagBytes = 64;

// The spellings of the vocabulary's signal tags, folded (fold_tag()).
std::vector<std::string> signal_spellings(const TagVocabulary& vocabulary) {
  std::vector<std::string> spellings;
  for (const Tag& tag : vocabulary.tags()) {
    if (tag.kind != TagKind::signal) continue;
    spellings.push_back(fold_tag(tag.key));
    for (const auto& alias : tag.aliases) spellings.push_back(fold_tag(alias));
  }
  return spellings;
}

// Whether `a` is `b` with one letter added, dropped or changed, or two neighbours swapped.
bool one_typo(std::string_view a, std::string_view b) {
  if (a.size() + 1 < b.size() || b.size() + 1 < a.size()) return false;
  if (a.size() == b.size()) {
    std::size_t first = 0;
    while (first < a.size() && a[first] == b[first]) ++first;
    if (first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first] &&
        a.substr(first + 2) == b.substr(first + 2)) {
      return true;
    }
  }
  return edit_distance(a, b) <= 1;
}

bool unknown_tag_names_a_topic(std::string_view typed, const std::vector<std::string>& signals) {
  if (typed.size() > kMaxTopicTagBytes) return false;
  // Short words are too near each other to call one a typo of another ("#frist", "#frust").
  if (typed.size() < 6) return true;
  const std::string folded = fold_tag(typed);
  return std::none_of(signals.begin(), signals.end(),
                      [&](const std::string& signal) { return one_typo(folded, signal); });
}

// Letters of a UTF-8 word (not its bytes: "ÖGD" has three).
std::size_t letters(std::string_view word) {
  return static_cast<std::size_t>(std::count_if(word.begin(), word.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The topic tag most of a group's members carry, as the word that names their theme: the
// contributors' own act of grouping ("#selbstschutz" → "Selbstschutz", "#Anfeindungen" →
// "Anfeindungen"). At least two members and half of them carry it; signal tags (#problem …)
// never name a theme.
std::string shared_topic(const DigestGroup& group, std::span<const DigestItem> items,
                         const TagVocabulary& vocabulary, Lexicon* lexicon, bool english) {
  struct Count {
    int members = 0;
    std::size_t first = 0;
    std::map<std::string, int> written;  // the spellings, without '#'
    const Tag* known = nullptr;
  };
  std::map<std::string, Count> counts;  // by folded spelling or known key
  const std::vector<std::string> signals = signal_spellings(vocabulary);
  std::size_t used = 0;
  for (const std::size_t index : group.members) {
    if (!items[index].current) continue;
    if (used == kNamingMembers) break;
    ++used;
    std::set<std::string> in_this_member;
    const auto add = [&](const std::string& key, std::string_view written, const Tag* known) {
      if (!in_this_member.insert(key).second) return;
      auto [at, fresh] = counts.try_emplace(key);
      if (fresh) at->second.first = used;
      at->second.members += 1;
      at->second.known = known;
      std::string_view bare = written;
      if (bare.starts_with('#')) bare.remove_prefix(1);
      at->second.written[std::string(bare)] += 1;
    };
    const std::string_view body = items[index].body;
    if (body.find('#') == std::string_view::npos) continue;
    for (const WrittenTag& tag : parse_written_tags(body, vocabulary)) {
      const Tag* known = vocabulary.find(tag.key);
      if (known != nullptr && known->kind == TagKind::signal) continue;
      add(tag.key, tag.written, known);
    }
    for (const std::string& typed : unknown_hashtags(body, vocabulary)) {
      if (unknown_tag_names_a_topic(typed, signals)) add(fold_tag(typed), typed, nullptr);
    }
  }
  const Count* best = nullptr;
  for (const auto& [key, count] : counts) {
    if (count.members < 2 || 2 * static_cast<std::size_t>(count.members) < used) continue;
    if (best == nullptr || count.members > best->members ||
        (count.members == best->members && count.first < best->first)) {
      best = &count;
    }
  }
  if (best == nullptr) return {};
  // Its spellings, most written first (then in order of the spelling, for a stable choice).
  std::vector<std::pair<int, std::string>> spellings;
  for (const auto& [spelling, n] : best->written) spellings.emplace_back(-n, spelling);
  std::sort(spellings.begin(), spellings.end());
  // A known tag takes its label ("#personal": "Personal", "#vulnerabel": "Vulnerable Gruppen",
  // "#communication": "Kommunikation"), unless most members wrote a longer noun of the label's
  // word ("#föderalismus" for "Föderal", "#personalgewinnung").
  if (const Tag* known = best->known; known != nullptr) {
    const std::string& label = english ? known->label.en : known->label.de;
    const std::string folded = fold_tag(spellings.front().second);
    const std::string word = with_capital(spellings.front().second);
    if (!english && folded.size() > fold_tag(label).size() && folded.starts_with(fold_tag(label)) &&
        (lexicon != nullptr ? lexicon->is_noun(word, Language::de) : looks_like_noun(word))) {
      return word;
    }
    return label;
  }
  for (const auto& [n, spelling] : spellings) {
    // Short tags are abbreviations (#it, #hr, #pr), no word to title a theme with.
    if (letters(spelling) < 4) continue;
    const std::string word = with_capital(spelling);
    if (english) return word;
    if (lexicon != nullptr ? lexicon->is_noun(word, Language::de) : looks_like_noun(word)) {
      return word;
    }
  }
  return {};
}

// Up to three keywords for a group: its candidate terms, each as the members wrote it most often;
// and its name, a short noun phrase: the members' own phrase that links two of its key nouns
// ("Erschöpfung im Krisenstab", linking_phrase()), else its first one or two key nouns
// ("Verordnung und Wochenende"), so that a title reads as what a person would call the theme,
// not as a list of words.
//
// A topic tag most members carry names the theme first (shared_topic()): "Selbstschutz", or with
// the members' phrase "Selbstschutz: Erschöpfung im Krisenstab". Returns the name to take when
// another group of the digest has the same (the tag and the first key noun besides it:
// "Personal: Bundeswehr"), or empty.
// The key noun that joins `first` (the first key noun unless given) in a title of two
// ("Impfzentrum und Termine"): the next other one that a third of the members wrote, two at
// least ("Pflegeheime und Menschen" was one member's word beside the group's theme: a list,
// not a title). A single contribution's two nouns are its own. Null if none.
const KeyNoun* second_noun(std::span<const KeyNoun> nouns, int members,
                           const KeyNoun* first = nullptr) {
  if (nouns.empty()) return nullptr;
  if (first == nullptr) first = &nouns.front();
  for (const KeyNoun& other : nouns) {
    if (&other == first || other.when) continue;
    if (members <= 1 || (other.members >= 2 && other.members * 3 >= members)) return &other;
  }
  return nullptr;
}

// An English group's title: the noun phrase its members wrote around its first key noun — up
// to two adjectives or nouns before it and a noun after it, with no punctuation between
// ("welcome classes", "emergency info points", "registration backlog") — as a heading
// ("Welcome classes"). A group of several needs two members who wrote the same phrase. Else
// its first key noun, and a second one as in German ("Births and deaths"). Empty without key
// nouns.
std::string english_title(std::span<const KeyNoun> nouns, std::span<const DigestItem> items,
                          std::span<const std::size_t> members, int current, Lexicon& lexicon) {
  // The first key noun two members wrote (in a group of several), else the first.
  if (nouns.empty()) return {};
  const auto first = std::find_if(nouns.begin(), nouns.end(),
                                  [&](const KeyNoun& n) { return current <= 1 || n.members >= 2; });
  const KeyNoun& key = first != nouns.end() ? *first : nouns.front();
  const std::string noun = lower_case(key.base);
  const auto modifier = [&](std::string_view word) {
    const std::string lower = lower_case(word);
    return !is_stop_word(lower) && !std::isdigit(static_cast<unsigned char>(lower[0])) &&
           lexicon.is_modifier(lower, Language::en);
  };
  // Phrases in lower case → how many members wrote them, and the first as typed ("ICU beds").
  struct Phrase {
    int count = 0;
    std::string typed;
  };
  std::map<std::string, Phrase, std::less<>> phrases;
  std::size_t used = 0;
  for (const std::size_t index : members) {
    if (!items[index].current) continue;
    if (used++ == kNamingMembers) break;
    const std::vector<TypedWord> words = typed_words(items[index].body);
    // A member's first use of the noun: one phrase per member, and a bounded cost however
    // often a text repeats it.
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (lower_case(words[i].text) != noun) continue;
      std::size_t begin = i;
      while (i - begin < 2 && begin > 0 && words[begin].follows &&
             modifier(words[begin - 1].text)) {
        --begin;
      }
      std::size_t end = i + 1;
      if (end < words.size() && words[end].follows) {
        const std::string next = lower_case(words[end].text);
        if (next != noun && !is_stop_word(next) && lexicon.is_noun(next, Language::en)) ++end;
      }
      if (end - begin >= 2) {  // the noun alone is no phrase
        std::string lower;
        std::string typed;
        for (std::size_t w = begin; w < end; ++w) {
          if (!typed.empty()) {
            typed += ' ';
            lower += ' ';
          }
          typed += words[w].text;
          lower += lower_case(words[w].text);
        }
        Phrase& phrase = phrases[lower];
        if (phrase.count++ == 0) phrase.typed = std::move(typed);
      }
      break;
    }
  }
  const auto best = std::max_element(
      phrases.begin(), phrases.end(),
      [](const auto& a, const auto& b) { return a.second.count < b.second.count; });
  if (best != phrases.end() && (current <= 1 || best->second.count >= 2)) {
    return with_capital(best->second.typed);
  }
  const KeyNoun* second = second_noun(nouns, current, &key);
  return with_capital(second == nullptr ? key.base : key.base + " and " + second->base);
}

std::string name_group(DigestGroup& group, std::span<const DigestItem> items,
                       const DigestRequest& request) {
  Lexicon* const lexicon = request.lexicon;
  // The words' own terms are enough to find the keywords' surfaces; compound parts and synonym
  // sets have none (and asking the dictionaries for every word of every shown group cost
  // 0.2 s at 100k).
  TextAnalyzer analyzer;
  std::vector<TermId> scratch;
  std::size_t used = 0;
  int english = 0;
  int german = 0;
  // Words members wrote with a capital after another word of the same sentence, and by how many:
  // German writes nouns so, whatever else the dictionary knows them as ("der Schlüssel", which
  // it also knows as a form of "schlüsseln").
  std::map<std::string, int, std::less<>> written_as_noun;
  // Capitalised words as the members typed them (a bounded number), to tell a dative plural
  // from a plural in "-en" where the dictionary cannot: "Gebäuden" is "Gebäude" if a member
  // wrote "Gebäude".
  constexpr std::size_t kWrittenWords = 4096;
  std::set<std::string, std::less<>> typed_capitals;
  // Which they wrote as a part of a hyphenated word, and which alone (one_word()).
  constexpr std::size_t kHyphenUses = 256;
  std::vector<HyphenUse> hyphen_uses;
  std::set<std::string_view> written_alone;
  for (const std::size_t index : group.members) {
    if (!items[index].current) continue;
    if (used++ == kNamingMembers) break;
    scratch.clear();
    analyzer.terms(items[index].body, scratch);
    (analyzer.last_was_english() ? english : german) += 1;
    std::set<std::string_view> in_this_member;
    for (const TypedWord& word : typed_words(items[index].body)) {
      if (!capitalised(word.text)) continue;
      if (typed_capitals.size() < kWrittenWords) typed_capitals.emplace(word.text);
      if (const std::string_view compound = hyphenated_word(items[index].body, word.text);
          compound.empty()) {
        if (written_alone.size() < kWrittenWords) written_alone.insert(word.text);
      } else if (hyphen_uses.size() < kHyphenUses) {
        hyphen_uses.push_back(HyphenUse{word.text, compound});
      }
      if (word.follows && in_this_member.insert(word.text).second) {
        written_as_noun[std::string(word.text)] += 1;
      }
    }
  }
  std::unordered_map<std::uint64_t, TermId> by_key;
  for (TermId t = 0; t < analyzer.size(); ++t) by_key.emplace(analyzer.key(t), t);
  std::set<std::string> seen_words;
  group.keywords.clear();
  std::vector<KeyNoun> nouns;
  std::vector<KeyNoun> english_nouns;  // as written
  const bool english_group = english > german;
  for (std::size_t k = 0; k < group.keyword_keys.size(); ++k) {
    const std::uint64_t key = group.keyword_keys[k];
    if (group.keywords.size() == 3 && nouns.size() == kKeyNouns) break;
    const auto found = by_key.find(key);
    if (found == by_key.end()) continue;
    const std::string_view word = analyzer.surface(found->second);
    if (word.empty() || word.front() == '\x01' || word.front() == '\x02' ||
        word.front() == '\x03') {
      continue;
    }
    std::string folded;
    for (const char c : word) folded += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (!seen_words.insert(folded).second) continue;
    if (group.keywords.size() < 3) group.keywords.emplace_back(word);
    if (english_group && lexicon != nullptr && english_nouns.size() < kKeyNouns &&
        !is_stop_word(folded) && lexicon->is_noun(folded, Language::en)) {
      english_nouns.push_back(KeyNoun{
          key, std::string(word), k < group.keyword_members.size() ? group.keyword_members[k] : 0});
    }
    const auto written = written_as_noun.find(word);
    const bool noun = lexicon != nullptr
                          ? lexicon->is_noun(word, Language::de) ||
                                (written != written_as_noun.end() && written->second >= 2 &&
                                 !is_stop_word(lower_case(word)))
                          : looks_like_noun(word);
    if (noun && nouns.size() < kKeyNouns) {
      std::string base =
          lexicon != nullptr ? lexicon->base_form(word, Language::de) : std::string(word);
      if (base == word && base.size() > 4 && base.ends_with("en") &&
          typed_capitals.contains(std::string_view(base).substr(0, base.size() - 1))) {
        base.pop_back();
      }
      KeyNoun candidate{
          key, std::move(base), k < group.keyword_members.size() ? group.keyword_members[k] : 0,
          is_time_word(word),
          hyphen_uses.empty() ? std::string()
                              : one_word(hyphen_uses, written_alone, word, key, lexicon)};
      if (std::none_of(nouns.begin(), nouns.end(),
                       [&](const KeyNoun& n) { return overlapping(n.base, candidate.base); })) {
        nouns.push_back(std::move(candidate));
      }
    }
  }
  const std::string topic =
      shared_topic(group, items, request.tag_vocabulary(), lexicon, english > german);
  // The first key noun that is not the topic's own word, to tell two groups of a topic apart.
  const auto beside_topic = [&]() -> std::string {
    for (const KeyNoun& noun : nouns) {
      if (!noun.when && !overlapping(noun.base, topic) && !overlapping(noun.shown(), topic)) {
        return topic + ": " + noun.shown();
      }
    }
    return {};
  };
  // English groups: the members' noun phrase, else their key nouns (WordNet knows which words
  // are nouns; English does not capitalise them).
  if (english_group) {
    if (!topic.empty()) {
      group.name = topic;
      return beside_topic();
    }
    if (lexicon != nullptr) {
      group.name = english_title(english_nouns, items, group.members, group.current, *lexicon);
      if (!group.name.empty()) return {};
    }
    const KeyNoun* second = second_noun(nouns, group.current);
    group.name = nouns.empty() && !group.keywords.empty() ? group.keywords.front()
                 : nouns.empty()                          ? std::string()
                 : second == nullptr                      ? nouns[0].base
                                                          : nouns[0].base + " and " + second->base;
    return {};
  }
  std::string phrase = linking_phrase(nouns, items, group.members, analyzer, lexicon);
  if (phrase.empty()) phrase = adjective_phrase(nouns, items, group.members, lexicon);
  if (!topic.empty()) {
    // A phrase that names the topic's word already says it ("Erschöpfung im Krisenstab").
    const bool said = [&] {
      for (const TypedWord& word : typed_words(phrase)) {
        if (capitalised(word.text) && overlapping(word.text, topic)) return true;
      }
      return false;
    }();
    group.name = phrase.empty() ? topic : said ? phrase : topic + ": " + phrase;
    return phrase.empty() ? beside_topic() : std::string();
  }
  if (!phrase.empty()) {
    group.name = phrase;
    return {};
  }
  // Without a phrase, the first key noun that is no word for a time, and a second one.
  const auto first =
      std::find_if(nouns.begin(), nouns.end(), [](const KeyNoun& n) { return !n.when; });
  const KeyNoun* second =
      first == nouns.end() ? nullptr : second_noun(nouns, group.current, &*first);
  // Two key nouns in one hyphenated word ("CO2-Ampeln") are that word.
  group.name = nouns.empty()          ? std::string()
               : first == nouns.end() ? nouns.front().shown()  // only words for a time
               : second == nullptr || second->shown() == first->shown()
                   ? first->shown()
                   : first->shown() + " und " + second->shown();
  return {};
}

}  // namespace

const TagVocabulary& DigestRequest::tag_vocabulary() const {
  static const TagVocabulary kDefault = default_vocabulary();
  return vocabulary == nullptr ? kDefault : *vocabulary;
}

std::string DigestGroup::title() const {
  if (!name.empty()) return name;
  return keywords.empty() ? std::string() : keywords.front();
}

namespace {

// Term keys → dense term ids: an open-addressing table of (key, id + 1), keys are hashes already.
class KeyTable {
 public:
  TermId id(std::uint64_t key, std::vector<std::uint64_t>& keys) {
    std::size_t mask = slots_.size() - 1;
    std::size_t at = mix(key) & mask;
    for (; slots_[at].id != 0; at = (at + 1) & mask) {
      if (slots_[at].key == key) return slots_[at].id - 1;
    }
    const auto term = static_cast<TermId>(keys.size());
    keys.push_back(key);
    slots_[at] = Slot{key, term + 1};
    if (keys.size() * 2 > slots_.size()) {
      std::vector<Slot> grown(slots_.size() * 2);
      mask = grown.size() - 1;
      for (const Slot& slot : slots_) {
        if (slot.id == 0) continue;
        std::size_t to = mix(slot.key) & mask;
        while (grown[to].id != 0) to = (to + 1) & mask;
        grown[to] = slot;
      }
      slots_.swap(grown);
    }
    return term;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    TermId id = 0;
  };
  static std::size_t mix(std::uint64_t key) { return static_cast<std::size_t>(key ^ (key >> 29)); }
  std::vector<Slot> slots_ = std::vector<Slot>(4096);
};

}  // namespace

DigestTerms digest_terms(std::span<const DigestItem> items, const DigestRequest& request) {
  const TagVocabulary& vocabulary = request.tag_vocabulary();
  DigestTerms out;
  // The period's items in time order (ties: event id), then the previous period's, so the
  // grouping does not depend on the store's order; the period's items form the groups.
  out.order.resize(items.size());
  std::iota(out.order.begin(), out.order.end(), std::size_t{0});
  // The period's items, then the anchors (curated members from before, leaders too), then the
  // previous period's.
  const auto rank = [&](std::size_t i) { return items[i].current ? 0 : items[i].anchor ? 1 : 2; };
  const auto before = [&](std::size_t a, std::size_t b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (items[a].written_at != items[b].written_at) {
      return items[a].written_at < items[b].written_at;
    }
    return items[a].id < items[b].id;
  };
  // The store reads them in this order already; sort only if not.
  if (!std::is_sorted(out.order.begin(), out.order.end(), before)) {
    std::sort(out.order.begin(), out.order.end(), before);
  }
  for (const DigestItem& item : items) out.leaders += item.current || item.anchor ? 1 : 0;

  // Terms: the stored keys (or the body analysed now), plus topic tags as strong features.
  std::unique_ptr<TextAnalyzer> analyzer;  // only for items the store did not index
  std::vector<std::uint64_t> analysed;
  KeyTable table;
  // Per distinct tag as typed, its topic features (none for a signal tag).
  std::unordered_map<std::string, std::vector<TermId>> features;
  std::vector<std::string> topic_names;  // distinct topic names so far (for typing errors)
  const std::vector<std::string> signals = signal_spellings(vocabulary);
  const auto topic_feature = [&](std::string_view name) {
    const TermId id = table.id(feature_key(name), out.keys);
    if (id >= out.is_tag.size()) out.is_tag.resize(id + 1, false);
    out.is_tag[id] = true;
    return id;
  };
  out.terms.resize(items.size());
  std::vector<std::string> tags_here;
  // Whether a body may hold a hashtag the vocabulary does not know: each "#word" looked up once
  // per spelling, so that bodies whose tags are all known (most) skip the full scan
  // (unknown_hashtags(), which knows code spans, links and quotes, and finds the tags).
  std::unordered_map<std::string, bool> spelling_known;
  std::string spelling;
  const auto may_have_unknown_hashtag = [&](std::string_view body) {
    for (std::size_t at = body.find('#'); at != std::string_view::npos;
         at = body.find('#', at + 1)) {
      std::size_t end = at + 1;
      while (end < body.size()) {
        const auto c = static_cast<unsigned char>(body[end]);
        if (c < 0x80 && !std::isalnum(c) && c != '-' && c != '_') break;
        ++end;
      }
      if (end == at + 1) continue;
      spelling.assign(body.substr(at + 1, end - at - 1));
      auto [known, fresh] = spelling_known.try_emplace(spelling, false);
      if (fresh) known->second = vocabulary.match(spelling) != nullptr;
      if (!known->second) return true;
    }
    return false;
  };
  for (std::size_t k = 0; k < out.order.size(); ++k) {
    const DigestItem& item = items[out.order[k]];
    std::span<const std::uint64_t> keys = item.term_keys;
    if (!item.indexed) {
      if (!analyzer) analyzer = std::make_unique<TextAnalyzer>(request.lexicon);
      analysed.clear();
      analyzer->keys(item.body, analysed);
      keys = analysed;
    }
    std::vector<TermId>& terms = out.terms[k];
    terms.reserve(keys.size() + item.tags.size());
    for (const std::uint64_t key : keys) terms.push_back(table.id(key, out.keys));
    // The tags the store keeps are the vocabulary's; the hashtags nobody configured
    // (#anfeindungen) are in the body only, and name a topic as well.
    tags_here.assign(item.tags.begin(), item.tags.end());
    if (may_have_unknown_hashtag(item.body)) {
      for (std::string& typed : unknown_hashtags(item.body, vocabulary)) {
        tags_here.push_back(std::move(typed));
      }
    }
    const std::size_t words = terms.size();
    for (const auto& tag : tags_here) {
      const auto [it, fresh] = features.try_emplace(tag);
      if (fresh) {
        // Every tag but the signal tags names a topic: the contributors' own act of grouping,
        // also for tags nobody configured (#selbstschutz). Spellings that fold alike are one;
        // a compound tag also names its parts (#personalgewinnung: #personal), and a tag one
        // typing error away from another of the period is that one too (#persnal).
        const Tag* known = vocabulary.find(tag);
        if (known == nullptr ? unknown_tag_names_a_topic(tag, signals)
                             : known->kind == TagKind::topic) {
          const std::string name = known != nullptr ? known->key : fold_tag(tag);
          it->second.push_back(topic_feature(name));
          if (request.lexicon != nullptr) {
            for (const std::string& part : request.lexicon->compound_parts(name, Language::de)) {
              if (part.size() >= 4) it->second.push_back(topic_feature(fold_tag(part)));
            }
          }
          if (name.size() >= 6 && topic_names.size() < 1000) {
            for (const std::string& other : topic_names) {
              if (other.size() >= 6 && other.size() + 1 >= name.size() &&
                  name.size() + 1 >= other.size() && other != name &&
                  edit_distance(name, other) == 1) {
                it->second.push_back(topic_feature(other));
              }
            }
          }
          if (topic_names.size() < 1000) topic_names.push_back(name);
        }
      }
      terms.insert(terms.end(), it->second.begin(), it->second.end());
    }
    // A tag both stored and in the body (or two spellings of one) counts once.
    std::sort(terms.begin() + static_cast<std::ptrdiff_t>(words), terms.end());
    terms.erase(std::unique(terms.begin() + static_cast<std::ptrdiff_t>(words), terms.end()),
                terms.end());
  }
  // Signal tags (#problem …) cut across topics and are left out of the vectors.
  out.is_tag.resize(out.keys.size(), false);
  out.boost.assign(out.keys.size(), 1.0F);
  for (TermId t = 0; t < out.boost.size(); ++t) {
    if (is_concept_key(out.keys[t])) out.boost[t] = request.concept_boost;
    if (is_synonym_key(out.keys[t])) out.boost[t] = request.synonym_boost;
  }
  return out;
}

namespace {

// Cities and authors as small integers: the per-group counts below are array updates, not
// string maps. City ids are in alphabetical order (ties in a group's city list go by name).
constexpr std::uint32_t kAnonymous = UINT32_MAX;
struct People {
  std::vector<std::string_view> city_names;  // by city id
  std::vector<std::uint32_t> city_of;        // per item
  std::vector<std::uint32_t> author_of;      // per item; kAnonymous without an author
  std::size_t authors = 0;
};

People index_people(std::span<const DigestItem> items) {
  People people;
  std::unordered_map<std::string_view, std::uint32_t> city_ids;
  for (const DigestItem& item : items) {
    if (city_ids.emplace(item.city, 0).second) people.city_names.push_back(item.city);
  }
  std::sort(people.city_names.begin(), people.city_names.end());
  for (std::uint32_t c = 0; c < people.city_names.size(); ++c) city_ids[people.city_names[c]] = c;
  std::unordered_map<std::string_view, std::uint32_t> author_ids;
  people.city_of.resize(items.size());
  people.author_of.assign(items.size(), kAnonymous);
  for (std::size_t i = 0; i < items.size(); ++i) {
    people.city_of[i] = city_ids[items[i].city];
    if (!items[i].author.empty()) {
      people.author_of[i] = author_ids.emplace(items[i].author, author_ids.size()).first->second;
    }
  }
  people.authors = author_ids.size();
  return people;
}

// Tags, looked up once per distinct tag: topics (counted) and the sections' signal tags.
enum : std::uint8_t { kTopic = 1, kWentWell = 2, kWasHard = 4, kIdea = 8, kMarkedLesson = 16 };
struct TagIndex {
  std::unordered_map<std::string_view, std::uint32_t> ids;
  std::vector<std::uint8_t> bits;       // per distinct tag
  std::vector<int> topic_count;         // per distinct tag: contributions of the period
  std::vector<std::uint8_t> item_bits;  // per item: the bits of its tags
};

TagIndex index_tags(std::span<const DigestItem> items, const TagVocabulary& vocabulary) {
  TagIndex index;
  index.item_bits.assign(items.size(), 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (const auto& tag : items[i].tags) {
      const auto [it, fresh] =
          index.ids.emplace(tag, static_cast<std::uint32_t>(index.bits.size()));
      if (fresh) {
        const Tag* known = vocabulary.find(tag);
        std::uint8_t bits = known != nullptr && known->kind == TagKind::topic ? kTopic : 0;
        if (kLessonTags.contains(tag)) bits |= kMarkedLesson;
        if (kWentWellTags.contains(tag)) bits |= kWentWell;
        if (kWasHardTags.contains(tag)) bits |= kWasHard;
        if (kIdeaTags.contains(tag)) bits |= kIdea;
        index.bits.push_back(bits);
        index.topic_count.push_back(0);
      }
      index.item_bits[i] |= index.bits[it->second];
      if (items[i].current && (index.bits[it->second] & kTopic) != 0) {
        ++index.topic_count[it->second];
      }
    }
  }
  return index;
}

// Contributions per phase of the period. Per template, its phases in the template's order (by
// first appearance where the place is unknown: after the known ones); the templates in order of
// their first contribution; what came outside rounds last.
std::vector<PhaseCount> count_phases(std::span<const DigestItem> items,
                                     const std::vector<std::size_t>& order) {
  std::vector<PhaseCount> phases;
  std::vector<int> places;  // each entry's phase_index, beside `phases`
  for (const std::size_t index : order) {
    const DigestItem& item = items[index];
    if (!item.current) continue;
    const std::string& tmpl = item.phase.empty() ? std::string() : item.round_template;
    auto phase = std::find_if(phases.begin(), phases.end(), [&](const PhaseCount& entry) {
      return entry.round_template == tmpl && entry.phase == item.phase;
    });
    if (phase != phases.end()) {
      ++phase->count;
      continue;
    }
    // After the last phase of its template, if it has one already.
    auto after = std::find_if(phases.rbegin(), phases.rend(), [&](const PhaseCount& entry) {
      return entry.round_template == tmpl && !entry.phase.empty();
    });
    const auto at =
        after == phases.rend() ? phases.size() : static_cast<std::size_t>(phases.rend() - after);
    phases.insert(phases.begin() + static_cast<std::ptrdiff_t>(at),
                  PhaseCount{tmpl, item.phase, 1});
    places.insert(places.begin() + static_cast<std::ptrdiff_t>(at),
                  item.phase.empty() ? -1 : item.phase_index);
  }
  // Each template's phases sit together: order that run by place (unknown places last).
  std::vector<std::size_t> index(phases.size());
  std::iota(index.begin(), index.end(), std::size_t{0});
  const auto rank = [&](std::size_t i) {
    return places[i] < 0 ? std::numeric_limits<int>::max() : places[i];
  };
  for (std::size_t begin = 0; begin < index.size();) {
    std::size_t end = begin + 1;
    while (end < index.size() && !phases[begin].phase.empty() &&
           phases[end].round_template == phases[begin].round_template &&
           !phases[end].phase.empty()) {
      ++end;
    }
    std::stable_sort(index.begin() + static_cast<std::ptrdiff_t>(begin),
                     index.begin() + static_cast<std::ptrdiff_t>(end),
                     [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
    begin = end;
  }
  std::vector<PhaseCount> sorted;
  sorted.reserve(phases.size());
  for (const std::size_t i : index) sorted.push_back(std::move(phases[i]));
  std::stable_partition(sorted.begin(), sorted.end(),
                        [](const PhaseCount& entry) { return !entry.phase.empty(); });
  return sorted;
}

// The overview: contributions, participants and cities of the period, per phase and per topic.
void count_period(Digest& digest, std::span<const DigestItem> items,
                  const std::vector<std::size_t>& order, const People& people,
                  const TagIndex& tags) {
  std::vector<bool> city_seen(people.city_names.size(), false);
  std::vector<bool> author_seen(people.authors, false);
  for (const std::size_t index : order) {
    if (items[index].anchor) continue;
    if (!items[index].current) {
      ++digest.previous_contributions;
      continue;
    }
    ++digest.contributions;
    digest.from_network_room += items[index].network_room ? 1 : 0;
    city_seen[people.city_of[index]] = true;
    // An anonymous contribution has no author: it is no person (it may be one counted already).
    if (people.author_of[index] == kAnonymous) {
      ++digest.anonymous;
    } else if (!author_seen[people.author_of[index]]) {
      author_seen[people.author_of[index]] = true;
      ++digest.participants;
    }
  }
  for (std::uint32_t c = 0; c < people.city_names.size(); ++c) {
    if (city_seen[c] && !people.city_names[c].empty()) {
      digest.cities.emplace_back(people.city_names[c]);
    }
  }
  digest.per_phase = count_phases(items, order);
  // Topics: most contributions first, ties by name.
  for (const auto& [tag, id] : tags.ids) {
    if (tags.topic_count[id] > 0) digest.per_topic.emplace_back(tag, tags.topic_count[id]);
  }
  std::sort(digest.per_topic.begin(), digest.per_topic.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
}

// The groups the grouping found, in raw order, each with its centroid and the position of its
// first member (for ties in the ranking).
struct RawGroups {
  std::vector<DigestGroup> groups;
  std::vector<SparseVector> centroids;
  std::vector<std::size_t> first_position;
};

// Sums up raw groups: counts, members (current ones first), cities, keyword candidates and the
// centroid. Per group the scratch arrays are reused: city counts, authors seen (stamped with
// the group), term sums and how many members have each term, with the touched entries listed
// to reset them.
class GroupSummary {
 public:
  GroupSummary(std::span<const DigestItem> items, const DigestTerms& analysis,
               const std::vector<SparseVector>& vectors, const People& people)
      : items_(items),
        analysis_(analysis),
        vectors_(vectors),
        people_(people),
        city_count_(people.city_names.size(), 0),
        author_stamp_(people.authors, UINT32_MAX),
        term_sum_(analysis.keys.size(), 0.0F),
        term_members_(analysis.keys.size(), 0) {}

  // Adds the group of `positions` (in the analysis' order) to `out` if it has a member in the
  // period.
  void add(std::uint32_t raw, const std::vector<std::size_t>& positions, RawGroups& out) {
    DigestGroup group;
    count_members(raw, positions, group);
    if (group.current == 0) return;
    const std::vector<std::size_t>& order = analysis_.order;
    for (const std::size_t k : positions) {
      if (items_[order[k]].current) group.members.push_back(order[k]);
    }
    for (const std::size_t k : positions) {
      if (!items_[order[k]].current && !items_[order[k]].anchor) group.members.push_back(order[k]);
    }
    take_cities(group);
    take_keyword_keys(group);
    out.centroids.push_back(take_centroid());
    out.first_position.push_back(positions.front());
    out.groups.push_back(std::move(group));
  }

 private:
  void count_members(std::uint32_t raw, const std::vector<std::size_t>& positions,
                     DigestGroup& group) {
    for (const std::size_t k : positions) {
      const std::size_t index = analysis_.order[k];
      const DigestItem& item = items_[index];
      // Different curated groups never merge: a group holds the members of one at most, and
      // keeps its identity also when only its anchors and new contributions are in it.
      if ((item.current || item.anchor) && item.curated != 0) group.curated = item.curated;
      if (item.anchor) continue;
      if (!item.current) {
        ++group.previous;
        continue;
      }
      ++group.current;
      group.votes += item.votes;
      const std::uint32_t city = people_.city_of[index];
      if (city_count_[city]++ == 0) touched_cities_.push_back(city);
      const std::uint32_t author = people_.author_of[index];
      // Anonymous members are contributions, not people: ranking by people does not reward
      // anonymity.
      if (author == kAnonymous) {
        ++group.anonymous;
      } else if (author_stamp_[author] != raw) {
        author_stamp_[author] = raw;
        ++group.participants;
      }
      for (const auto& [term, weight] : vectors_[k]) {
        if (term_members_[term]++ == 0) touched_terms_.push_back(term);
        term_sum_[term] += weight;
      }
    }
  }

  // Cities: most contributions first, ties by name.
  void take_cities(DigestGroup& group) {
    std::sort(touched_cities_.begin(), touched_cities_.end(),
              [&](std::uint32_t a, std::uint32_t b) {
                if (city_count_[a] != city_count_[b]) return city_count_[a] > city_count_[b];
                return a < b;
              });
    for (const std::uint32_t c : touched_cities_) {
      if (!people_.city_names[c].empty()) group.cities.emplace_back(people_.city_names[c]);
      city_count_[c] = 0;
    }
    touched_cities_.clear();
  }

  // Keywords: the terms most members share, then the heaviest, as people wrote them.
  void take_keyword_keys(DigestGroup& group) {
    std::sort(touched_terms_.begin(), touched_terms_.end());
    std::vector<std::tuple<int, float, TermId>> ranked;
    ranked.reserve(touched_terms_.size());
    for (const TermId term : touched_terms_) {
      if (term < analysis_.is_tag.size() && analysis_.is_tag[term]) continue;
      ranked.emplace_back(-term_members_[term], -term_sum_[term], term);
    }
    const std::size_t candidates = std::min<std::size_t>(ranked.size(), kKeywordCandidates);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(candidates),
                      ranked.end());
    group.keyword_keys.reserve(candidates);
    group.keyword_members.reserve(candidates);
    for (std::size_t r = 0; r < candidates; ++r) {
      group.keyword_keys.push_back(analysis_.keys[std::get<2>(ranked[r])]);
      group.keyword_members.push_back(-std::get<0>(ranked[r]));
    }
  }

  SparseVector take_centroid() {
    SparseVector centroid;
    centroid.reserve(touched_terms_.size());
    for (const TermId term : touched_terms_) {
      centroid.emplace_back(term, term_sum_[term]);
      term_sum_[term] = 0;
      term_members_[term] = 0;
    }
    touched_terms_.clear();
    return centroid;
  }

  std::span<const DigestItem> items_;
  const DigestTerms& analysis_;
  const std::vector<SparseVector>& vectors_;
  const People& people_;
  std::vector<int> city_count_;
  std::vector<std::uint32_t> touched_cities_;
  std::vector<std::uint32_t> author_stamp_;
  std::vector<float> term_sum_;
  std::vector<int> term_members_;
  std::vector<TermId> touched_terms_;
};

RawGroups summarise_groups(std::span<const DigestItem> items, const DigestTerms& analysis,
                           const std::vector<SparseVector>& vectors,
                           const std::vector<std::uint32_t>& raw_groups, const People& people) {
  // Each group's members as positions in the analysis' order.
  std::uint32_t raw_count = 0;
  for (const auto g : raw_groups) {
    if (g != kNoGroupFound) raw_count = std::max(raw_count, g + 1);
  }
  std::vector<std::vector<std::size_t>> members(raw_count);
  for (std::size_t k = 0; k < analysis.order.size(); ++k) {
    if (raw_groups[k] != kNoGroupFound) members[raw_groups[k]].push_back(k);
  }
  RawGroups out;
  GroupSummary summary(items, analysis, vectors, people);
  for (std::uint32_t raw = 0; raw < members.size(); ++raw) summary.add(raw, members[raw], out);
  return out;
}

// Ranks the groups: breadth, participants, votes, growth, size, then first appearance. Numbers
// them and notes each current item's group; returns the centroids in the new order.
std::vector<SparseVector> rank_groups(Digest& digest, RawGroups raw, std::size_t item_count) {
  std::vector<std::uint32_t> rank(raw.groups.size());
  std::iota(rank.begin(), rank.end(), 0U);
  std::sort(rank.begin(), rank.end(), [&](std::uint32_t a, std::uint32_t b) {
    const DigestGroup& x = raw.groups[a];
    const DigestGroup& y = raw.groups[b];
    if (x.cities.size() != y.cities.size()) return x.cities.size() > y.cities.size();
    if (x.participants != y.participants) return x.participants > y.participants;
    if (x.votes != y.votes) return x.votes > y.votes;
    if (x.current - x.previous != y.current - y.previous) {
      return x.current - x.previous > y.current - y.previous;
    }
    if (x.current != y.current) return x.current > y.current;
    return raw.first_position[a] < raw.first_position[b];
  });
  digest.group_of.assign(item_count, kNoGroup);
  digest.groups.reserve(rank.size());
  std::vector<SparseVector> centroids;
  centroids.reserve(rank.size());
  for (std::uint32_t r = 0; r < rank.size(); ++r) {
    DigestGroup group = std::move(raw.groups[rank[r]]);
    group.id = r;
    // Members are the current ones first.
    for (int k = 0; k < group.current; ++k) digest.group_of[group.members[k]] = r;
    digest.groups.push_back(std::move(group));
    centroids.push_back(std::move(raw.centroids[rank[r]]));
  }
  return centroids;
}

// The sections. "Mehrfach genannt": the first `top` groups (by rank) of two contributions or
// more. Every other group with tagged members goes to one tagged section, the one most of them
// belong to (ties: marked as lessons, went well, was hard, ideas), so a group appears once in a
// digest; each
// section lists its `top` groups with the most tagged members, ties by rank. What no section
// lists is counted; a complete digest lists the untagged single contributions too.
void pick_sections(Digest& digest, const std::vector<std::uint8_t>& item_bits) {
  const DigestRequest& request = digest.request;
  const std::size_t top = request.complete ? kCompleteLimit : request.top;
  std::vector<bool> listed(digest.groups.size(), false);
  for (const auto& group : digest.groups) {
    if (digest.lessons.size() == top) break;
    if (group.current >= 2) {
      digest.lessons.push_back(group.id);
      listed[group.id] = true;
    }
  }
  // Members with each section's tags, per group: one pass over the items in memory order.
  constexpr std::size_t kSections = 4;
  std::vector<std::array<int, kSections>> tagged_in(digest.groups.size(), {0, 0, 0, 0});
  for (std::size_t i = 0; i < item_bits.size(); ++i) {
    if (item_bits[i] == 0 || digest.group_of[i] == kNoGroup) continue;
    auto& counts = tagged_in[digest.group_of[i]];
    counts[0] += (item_bits[i] & kMarkedLesson) != 0 ? 1 : 0;
    counts[1] += (item_bits[i] & kWentWell) != 0 ? 1 : 0;
    counts[2] += (item_bits[i] & kWasHard) != 0 ? 1 : 0;
    counts[3] += (item_bits[i] & kIdea) != 0 ? 1 : 0;
  }
  std::array<std::vector<std::pair<std::uint32_t, int>>, kSections> entries;
  for (const auto& group : digest.groups) {
    if (listed[group.id]) continue;
    const auto& counts = tagged_in[group.id];
    const auto best =
        static_cast<std::size_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
    if (counts[best] > 0) entries[best].emplace_back(group.id, counts[best]);
  }
  std::array<std::vector<std::uint32_t>*, kSections> sections = {
      &digest.marked_lessons, &digest.went_well, &digest.was_hard, &digest.ideas};
  for (std::size_t which = 0; which < kSections; ++which) {
    auto& candidates = entries[which];
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [id, tagged] : candidates) {
      if (sections[which]->size() == top) break;
      sections[which]->push_back(id);
      listed[id] = true;
    }
  }
  for (const auto& group : digest.groups) {
    if (listed[group.id]) continue;
    if (group.current >= 2) {
      ++digest.more_groups;
    } else if (request.complete && digest.singles.size() < kCompleteLimit &&
               tagged_in[group.id] == std::array<int, kSections>{0, 0, 0, 0}) {
      digest.singles.push_back(group.id);
    } else {
      ++digest.more_singles;
    }
  }
}

// Ranks a group's members of the period for quoting: most votes, then closest to the centroid,
// then earliest.
class QuoteRanking {
 public:
  QuoteRanking(std::span<const DigestItem> items, const DigestTerms& analysis,
               const std::vector<SparseVector>& vectors)
      : items_(items),
        vectors_(vectors),
        position_of_(items.size()),
        dense_(analysis.keys.size(), 0.0F) {
    for (std::size_t k = 0; k < analysis.order.size(); ++k) position_of_[analysis.order[k]] = k;
  }

  std::vector<std::size_t> rank(const DigestGroup& group, const SparseVector& centroid) {
    std::vector<std::size_t> ranked;
    for (const std::size_t index : group.members) {
      if (items_[index].current) ranked.push_back(index);
    }
    // (votes, similarity, item) sorted; stable for equal keys, as members are in time order.
    // Cosine with the centroid: the members' vectors have unit length (or none), so the dot
    // product over the centroid's norm; the centroid is scattered once.
    double norm = 0;
    for (const auto& [term, weight] : centroid) {
      norm += static_cast<double>(weight) * weight;
      dense_[term] = weight;
    }
    norm = std::sqrt(norm);
    std::vector<std::tuple<int, double, std::size_t>> keyed;
    keyed.reserve(ranked.size());
    for (const std::size_t index : ranked) {
      double dot = 0;
      for (const auto& [term, weight] : vectors_[position_of_[index]]) {
        dot += static_cast<double>(dense_[term]) * weight;
      }
      keyed.emplace_back(items_[index].votes, norm > 0 ? dot / norm : 0.0, index);
    }
    for (const auto& entry : centroid) dense_[entry.first] = 0;
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
      return std::get<1>(a) > std::get<1>(b);
    });
    for (std::size_t k = 0; k < keyed.size(); ++k) ranked[k] = std::get<2>(keyed[k]);
    return ranked;
  }

 private:
  std::span<const DigestItem> items_;
  const std::vector<SparseVector>& vectors_;
  std::vector<std::size_t> position_of_;
  std::vector<float> dense_;
};

// Keywords from the members' own words and quotes (the best; a second from another city), for
// the groups the sections show, or for all (exports).
void name_and_quote(Digest& digest, std::span<const DigestItem> items, const DigestTerms& analysis,
                    const std::vector<SparseVector>& vectors,
                    const std::vector<SparseVector>& centroids) {
  std::vector<bool> named(digest.groups.size(), digest.request.name_all_groups);
  for (const auto* shown : {&digest.lessons, &digest.marked_lessons, &digest.went_well,
                            &digest.was_hard, &digest.ideas, &digest.singles}) {
    for (const std::uint32_t id : *shown) named[id] = true;
  }
  std::vector<std::string> specific(digest.groups.size());
  std::map<std::string, int> names;
  for (std::size_t g = 0; g < digest.groups.size(); ++g) {
    DigestGroup& group = digest.groups[g];
    if (named[g]) specific[g] = name_group(group, items, digest.request);
    // A curated group keeps the name a moderator gave it, in every digest that shows it.
    const auto curated = group.curated == 0 ? digest.request.curated_names.end()
                                            : digest.request.curated_names.find(group.curated);
    if (curated != digest.request.curated_names.end() && !curated->second.empty()) {
      group.name = curated->second;
      group.named_by_moderator = true;
      specific[g].clear();
    }
    if (named[g]) names[group.name] += 1;
  }
  // Two groups of one topic: each says what sets it apart ("Personal: Bundeswehr").
  for (std::size_t g = 0; g < digest.groups.size(); ++g) {
    if (named[g] && !specific[g].empty() && names[digest.groups[g].name] > 1) {
      digest.groups[g].name = specific[g];
    }
  }
  QuoteRanking ranking(items, analysis, vectors);
  for (std::size_t g = 0; g < digest.groups.size(); ++g) {
    if (!named[g]) continue;
    const auto ranked = ranking.rank(digest.groups[g], centroids[g]);
    if (ranked.empty()) continue;
    auto& quotes = digest.groups[g].quotes;
    quotes.push_back(ranked.front());
    const auto other = std::find_if(ranked.begin() + 1, ranked.end(), [&](std::size_t index) {
      return items[index].city != items[ranked.front()].city;
    });
    if (other != ranked.end()) {
      quotes.push_back(*other);
    } else if (ranked.size() >= 3) {
      quotes.push_back(ranked[1]);
    }
  }
}

// Lessons not learned: overdue first, then by due date (none last), then by id.
std::vector<Lesson> open_actions(std::span<const Lesson> lessons, const DigestRequest& request) {
  const auto today = local_day(request.now, request.zone);
  std::vector<Lesson> open;
  for (const auto& lesson : lessons) {
    if (lesson.state != LessonState::learned) open.push_back(lesson);
  }
  std::stable_sort(open.begin(), open.end(), [&](const Lesson& a, const Lesson& b) {
    const bool ao = is_overdue(a, today);
    const bool bo = is_overdue(b, today);
    if (ao != bo) return ao;
    if (a.due.has_value() != b.due.has_value()) return a.due.has_value();
    if (a.due && b.due && *a.due != *b.due) {
      return std::chrono::sys_days{*a.due} < std::chrono::sys_days{*b.due};
    }
    return a.id < b.id;
  });
  return open;
}

}  // namespace

namespace {

// One vector per item: its words and concepts (TF-IDF) and its topic tags (TF-IDF over the tags
// alone), each part of unit length, mixed so that the tags' part has the share
// `topic_tag_weight` of the vector's weight: two contributions with the same tag and no word in
// common have that similarity, two with the same words and no tag its complement. A tag that
// every contribution carries says nothing (its IDF is small), as for words.
std::vector<SparseVector> mixed_vectors(const DigestTerms& analysis, const DigestRequest& request) {
  std::vector<float> text_boost = analysis.boost;
  std::vector<float> tag_boost(analysis.boost.size(), 0.0F);
  for (TermId t = 0; t < analysis.is_tag.size(); ++t) {
    if (analysis.is_tag[t]) {
      text_boost[t] = 0;
      tag_boost[t] = 1;
    }
  }
  const auto text_share = static_cast<float>(std::sqrt(1.0 - request.topic_tag_weight));
  const auto tag_share = static_cast<float>(std::sqrt(request.topic_tag_weight));
  // (One pass for both parts: the document frequencies counted once, one vector per item.)
  return mixed_tfidf_vectors(analysis.terms, text_boost, tag_boost, request.idf_prior, text_share,
                             tag_share);
}

// Digests from this many items on index their people and tags on a second thread beside the
// grouping (as the grouping uses threads from 20,000 documents on).
constexpr std::size_t kIndexAsideItems = 20000;

// The grouping with the moderators' corrections: each leader's curated group as its label (the
// same label starts as one group, different labels never merge); a previous period's member of
// a curated group follows that group if the period has it, else the most similar one.
std::vector<std::uint32_t> curated_grouping(std::span<const DigestItem> items,
                                            const DigestTerms& analysis,
                                            const std::vector<SparseVector>& vectors,
                                            const DigestRequest& request) {
  std::vector<std::uint32_t> labels;
  std::unordered_map<std::int64_t, std::uint32_t> label_of;
  bool any = false;
  for (const std::size_t index : analysis.order) any = any || items[index].curated != 0;
  if (any) {
    labels.assign(analysis.leaders, kNoGroupFound);
    for (std::size_t k = 0; k < analysis.leaders; ++k) {
      const std::int64_t curated = items[analysis.order[k]].curated;
      if (curated == 0) continue;
      labels[k] =
          label_of.emplace(curated, static_cast<std::uint32_t>(label_of.size())).first->second;
    }
  }
  auto groups = group_documents(vectors, request.grouping, analysis.leaders, labels);
  if (!any) return groups;
  std::unordered_map<std::int64_t, std::uint32_t> group_of_curated;
  for (std::size_t k = 0; k < analysis.leaders; ++k) {
    const std::int64_t curated = items[analysis.order[k]].curated;
    if (curated != 0 && groups[k] != kNoGroupFound) group_of_curated.emplace(curated, groups[k]);
  }
  for (std::size_t k = analysis.leaders; k < analysis.order.size(); ++k) {
    const std::int64_t curated = items[analysis.order[k]].curated;
    if (curated == 0) continue;
    const auto found = group_of_curated.find(curated);
    if (found != group_of_curated.end()) groups[k] = found->second;
  }
  return groups;
}

}  // namespace

std::vector<std::uint32_t> numbered_groups(const Digest& digest) {
  std::vector<std::uint32_t> out = digest.lessons;
  if (!digest.request.complete) return out;
  for (const auto* section : {&digest.marked_lessons, &digest.went_well, &digest.was_hard,
                              &digest.ideas, &digest.singles}) {
    out.insert(out.end(), section->begin(), section->end());
  }
  return out;
}

Digest build_digest(std::span<const DigestItem> items, std::span<const Lesson> lessons,
                    const DigestRequest& request) {
  Digest digest;
  digest.request = request;
  DigestTerms analysis = digest_terms(items, request);
  // Each document's terms in order once, for the two TF-IDF passes of mixed_vectors().
  for (auto& terms : analysis.terms) std::sort(terms.begin(), terms.end());
  const auto vectors = mixed_vectors(analysis, request);
  std::vector<std::vector<TermId>>().swap(analysis.terms);  // the vectors have them now
  // The people, the tags and the period's counts do not depend on the groups: for a large
  // digest another thread makes them while the grouping runs (whose merge loop holds one core).
  People people;
  TagIndex tags;
  const auto index_period = [&] {
    people = index_people(items);
    tags = index_tags(items, request.tag_vocabulary());
    count_period(digest, items, analysis.order, people, tags);
  };
  std::vector<std::uint32_t> raw_groups;
  if (items.size() >= kIndexAsideItems && request.grouping.threads != 1 &&
      std::thread::hardware_concurrency() > 1) {
    std::exception_ptr failed;
    {
      const std::jthread indexer([&] {
        try {
          index_period();
        } catch (...) {
          failed = std::current_exception();
        }
      });
      raw_groups = curated_grouping(items, analysis, vectors, request);
    }
    if (failed) std::rethrow_exception(failed);
  } else {
    raw_groups = curated_grouping(items, analysis, vectors, request);
    index_period();
  }
  const std::vector<SparseVector> centroids = rank_groups(
      digest, summarise_groups(items, analysis, vectors, raw_groups, people), items.size());
  pick_sections(digest, tags.item_bits);
  name_and_quote(digest, items, analysis, vectors, centroids);
  digest.open_actions = open_actions(lessons, request);
  return digest;
}

}  // namespace reflexbot::core
