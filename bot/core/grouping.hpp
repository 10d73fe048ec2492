#pragma once
// Groups similar contributions without a language model: TF-IDF vectors over the analyzer's
// terms, then agglomerative clustering with average linkage, which does not depend on the order
// of the documents.
//
// 1. A candidate graph: each document's nearest documents (at most `neighbours`), found through
//    an inverted index on the documents' strongest terms (each term's documents heaviest first,
//    `postings_scanned` of them), then compared exactly.
// 2. Average linkage: the two groups whose members are most similar on average merge, again and
//    again, while that average reaches `threshold`. Groups are compared only if a member of one
//    is a candidate neighbour of a member of the other; the mean comes from the groups' sums of
//    vectors (the dot product of two sums of unit vectors is the sum of all pairs' cosines), each
//    sum keeping its `sum_terms` heaviest terms.
//
// With those bounds the cost grows with the number of documents times the bounds (and the log
// of the queue of candidate merges). Ties are broken by document number, so only documents
// with identical similarities can come out differently in another order.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/analyzer.hpp"

namespace reflexbot::core {

/// A document as (term, weight) pairs sorted by term; tfidf_vectors() gives unit length.
using SparseVector = std::vector<std::pair<TermId, float>>;

/// TF-IDF vectors of unit length: weight (1 + ln tf) · (ln((1 + N + p) / (1 + df + p)) + 1),
/// times the term's boost (`boost[term]`, 1 for terms past its end; 0 drops the term). The prior
/// p adds pseudo-documents to every document frequency: with a handful of contributions (a
/// room's week) a word that three of four share would otherwise weigh almost nothing and similar
/// messages would never meet; with thousands it hardly matters.
std::vector<SparseVector> tfidf_vectors(std::span<const std::vector<TermId>> documents,
                                        std::span<const float> boost = {}, double idf_prior = 0);

/// tfidf_vectors() of the same documents with two boosts, mixed, in one pass (the document
/// frequencies counted once): a document's `first` part times `first_share` and its `second`
/// part times `second_share`, in term order; a part alone (the other empty) keeps its unit
/// length. Float for float what the two calls and the mixing give.
std::vector<SparseVector> mixed_tfidf_vectors(std::span<const std::vector<TermId>> documents,
                                              std::span<const float> first,
                                              std::span<const float> second, double idf_prior,
                                              float first_share, float second_share);

/// Cosine similarity of two vectors (any length, not necessarily normalised).
double cosine(const SparseVector& a, const SparseVector& b);

/// Thresholds and bounds of group_documents(); the defaults are tuned on the four fixtures in
/// tests/fixtures/digest (see docs/digests.md for precision and recall).
struct GroupingOptions {
  double threshold = 0.18;            ///< average similarity of two groups' members to merge them
  std::size_t neighbours = 5;         ///< nearest documents per document that may merge with it
  std::size_t probe_terms = 8;        ///< a document's strongest terms used to find neighbours
  std::size_t postings_scanned = 16;  ///< documents scanned per probed term, heaviest first
  std::size_t sum_terms = 48;         ///< terms a group's sum of vectors keeps
  std::size_t group_neighbours = 8;   ///< most similar groups a group keeps as candidates
  /// Threads for the neighbour searches (the candidate graph and the followers); 0: the
  /// machine's cores (at most four) from 20,000 documents on, else one. The groups are the same
  /// for any number.
  std::size_t threads = 0;
};

/// Marks a document that follows no group (see group_documents()).
inline constexpr std::uint32_t kNoGroupFound = UINT32_MAX;

/// The group of each document: indices 0…k-1, numbered in order of their first document. An
/// empty vector (no terms) is a group of its own.
///
/// Only the first `leaders` documents form groups; each later one (a digest's previous period)
/// follows the group it is most similar to, if any reaches `threshold` (else kNoGroupFound),
/// without moving it: the groups are what the leaders say, and the followers only count how much
/// of each was said before.
///
/// `curated` (empty, or one entry per leader) carries moderators' corrections: leaders with the
/// same label (not kNoGroupFound) start as one group, whatever their similarity, and two groups
/// with different labels never merge. Unlabelled leaders join a labelled group as they would any
/// other, so a contribution that arrives later joins a corrected group when it is similar to it.
std::vector<std::uint32_t> group_documents(std::span<const SparseVector> documents,
                                           const GroupingOptions& options = {},
                                           std::size_t leaders = SIZE_MAX,
                                           std::span<const std::uint32_t> curated = {});

}  // namespace reflexbot::core
