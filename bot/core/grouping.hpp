#pragma once
// Groups similar contributions without a language model: TF-IDF vectors over the analyzer's
// terms, then greedy agglomerative merging by centroid cosine similarity.
//
// 1. Each document, in the order given, joins the group whose centroid is most similar to it if
//    that similarity reaches `join_threshold`, else it starts a group. Candidate groups are found
//    through an inverted index on the documents' strongest terms, so a document is compared with
//    a bounded number of centroids, not with all of them.
// 2. Groups, largest first, are merged into an earlier group whose centroid is similar enough
//    (`merge_threshold`), again through an inverted index on the centroids' strongest terms.
//
// Centroids keep their `centroid_terms` heaviest terms. With those bounds the cost is linear in
// the number of documents times the bounds, and the result depends only on the input order.

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

/// Cosine similarity of two vectors (any length, not necessarily normalised).
double cosine(const SparseVector& a, const SparseVector& b);

/// Thresholds and bounds of group_documents(); the defaults are tuned on the labelled fixture in
/// tests/fixtures/digest (see docs/digests.md for precision and recall).
struct GroupingOptions {
  double join_threshold = 0.45;
  double merge_threshold = 0.60;
  std::size_t probe_terms = 6;        ///< a document's strongest terms used to find candidates
  std::size_t postings_scanned = 32;  ///< newest groups scanned per probed term
  std::size_t centroid_terms = 32;    ///< terms a centroid keeps
};

/// Marks a document that follows no group (see group_documents()).
inline constexpr std::uint32_t kNoGroupFound = UINT32_MAX;

/// The group of each document: indices 0…k-1, numbered in order of their first document. An
/// empty vector (no terms) is a group of its own.
///
/// Only the first `leaders` documents form groups; each later one (a digest's previous period)
/// follows the group it is most similar to, if any reaches `join_threshold` (else
/// kNoGroupFound), without moving its centroid: the groups are what the leaders say, and the
/// followers only count how much of each was said before.
std::vector<std::uint32_t> group_documents(std::span<const SparseVector> documents,
                                           const GroupingOptions& options = {},
                                           std::size_t leaders = SIZE_MAX);

}  // namespace reflexbot::core
