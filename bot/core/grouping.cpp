#include "core/grouping.hpp"

#include "core/bucket_queue.hpp"
#include "core/slices.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>

namespace reflexbot::core {
namespace {

// A vector's entries wherever they are stored (a SparseVector, or a run of FlatDocuments).
using Entries = std::span<const std::pair<TermId, float>>;

double dot(const SparseVector& a, const SparseVector& b) {
  double total = 0;
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (i->first < j->first) {
      ++i;
    } else if (j->first < i->first) {
      ++j;
    } else {
      total += static_cast<double>(i->second) * j->second;
      ++i;
      ++j;
    }
  }
  return total;
}

// A vector scattered into an array indexed by term, for many dot products with one vector.
class Dense {
 public:
  // Room for every term of the vectors to come (the dot products do not check bounds).
  explicit Dense(std::size_t terms) : values_(terms, 0.0F) {}
  void load(Entries v) {
    for (const TermId term : loaded_) values_[term] = 0;
    loaded_.clear();
    for (const auto& [term, weight] : v) {
      values_[term] = weight;
      loaded_.push_back(term);
    }
  }
  // The dot product with the loaded vector: one load per entry of `other`, no branches.
  double dot(Entries other) const {
    double total = 0;
    for (const auto& [term, weight] : other) total += static_cast<double>(values_[term]) * weight;
    return total;
  }

 private:
  std::vector<float> values_;
  std::vector<TermId> loaded_;
};

double norm_of(const SparseVector& v) {
  double total = 0;
  for (const auto& [term, weight] : v) total += static_cast<double>(weight) * weight;
  return std::sqrt(total);
}

// sum += v, then keeps the `keep` heaviest terms (sorted by term again).
void add_into(SparseVector& sum, Entries v, std::size_t keep, SparseVector& scratch,
              std::vector<float>& weights) {
  scratch.clear();
  scratch.reserve(sum.size() + v.size());
  // A sum that holds `keep` terms already keeps only terms at least as heavy as its lightest:
  // adding weights that are not negative never lowers one of its terms, so `keep` of them still
  // weigh that much and the cut cannot fall below it. A term only v has that weighs less is left
  // out before the selection (the kept set is the same). When a small group joins a large one
  // that is every term v alone has, and nothing is left to select.
  float floor = -std::numeric_limits<float>::infinity();
  if (keep > 0 && sum.size() >= keep &&
      std::all_of(v.begin(), v.end(), [](const auto& entry) { return entry.second >= 0; })) {
    floor = std::min_element(sum.begin(), sum.end(), [](const auto& x, const auto& y) {
              return x.second < y.second;
            })->second;
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < sum.size() || j < v.size()) {
    if (j == v.size() || (i < sum.size() && sum[i].first < v[j].first)) {
      scratch.push_back(sum[i++]);
    } else if (i == sum.size() || v[j].first < sum[i].first) {
      if (!(v[j].second < floor)) scratch.push_back(v[j]);
      ++j;
    } else {
      scratch.emplace_back(sum[i].first, sum[i].second + v[j].second);
      ++i;
      ++j;
    }
  }
  if (scratch.size() > keep && keep > 0) {
    // The keep-th heaviest weight; entries above it stay, and of those equal to it the ones with
    // the smaller terms (the same set as sorting by weight, then term). Filtering keeps the
    // term order, so nothing needs sorting again.
    weights.clear();
    for (const auto& entry : scratch) weights.push_back(entry.second);
    std::nth_element(weights.begin(), weights.begin() + static_cast<std::ptrdiff_t>(keep - 1),
                     weights.end(), std::greater<>());
    const float cut = weights[keep - 1];
    std::size_t above = 0;
    for (const auto& entry : scratch) above += entry.second > cut ? 1 : 0;
    std::size_t ties = keep - above;
    std::size_t out = 0;
    for (const auto& entry : scratch) {
      if (entry.second > cut || (entry.second == cut && ties > 0)) {
        if (entry.second == cut) --ties;
        scratch[out++] = entry;
      }
    }
    scratch.resize(out);
  }
  sum.swap(scratch);
}

// The `n` heaviest terms of v with their weights, heaviest first (ties: the smaller term id),
// appended to `out`. v is sorted by term, so a term that weighs as much as one already taken
// comes after it: the n taken so far are kept in order, and a term displaces the last only if
// it is heavier (a few comparisons per term; a partial sort of all of them cost twice as much).
void strongest(Entries v, std::size_t n, std::vector<std::pair<TermId, float>>& out) {
  if (n == 0) return;
  const std::size_t base = out.size();
  for (const auto& entry : v) {
    if (out.size() - base == n) {
      if (!(entry.second > out.back().second)) continue;
      out.pop_back();
    }
    out.push_back(entry);
    for (std::size_t at = out.size() - 1; at > base && out[at - 1].second < entry.second; --at) {
      std::swap(out[at - 1], out[at]);
    }
  }
}

// The documents' vectors one after the other in one array: reading a document is one run of
// memory found through a small array of offsets, not a vector's header and then its entries
// somewhere on the heap (the grouping's time goes mostly into such reads, in random order).
class FlatDocuments {
 public:
  FlatDocuments() = default;
  explicit FlatDocuments(std::span<const SparseVector> documents) {
    std::size_t total = 0;
    for (const auto& doc : documents) total += doc.size();
    if (total > UINT32_MAX) throw std::length_error("too many terms to group");
    entries_.reserve(total);
    start_.reserve(documents.size() + 1);
    start_.push_back(0);
    for (const auto& doc : documents) {
      entries_.insert(entries_.end(), doc.begin(), doc.end());
      start_.push_back(static_cast<std::uint32_t>(entries_.size()));
    }
  }
  Entries operator[](std::size_t d) const {
    return {entries_.data() + start_[d], entries_.data() + start_[d + 1]};
  }
  // Asks the processor to read document d's first entries ahead of their use.
  void prefetch(std::size_t d) const {
    const auto* first = entries_.data() + start_[d];
    __builtin_prefetch(first);
    if (start_[d] + 8 < start_[d + 1]) __builtin_prefetch(first + 8);  // the next cache line
  }

 private:
  std::vector<std::pair<TermId, float>> entries_;
  std::vector<std::uint32_t> start_;  // document d: entries_[start_[d] … start_[d + 1])
};

// An inverted index from terms to the documents for which the term is one of their strongest,
// each list heaviest first (ties: the smaller document), so that a probe scans the documents for
// which a term matters most, whatever order they came in.
// Only the first `kept` of each list are ever scanned, so only those are kept (sorted); all
// lists are one flat array.
class Postings {
 public:
  // Leader d's probes are probes[start[d] … start[d + 1]); terms are below `terms`.
  void build(std::span<const std::pair<TermId, float>> probes, std::span<const std::uint32_t> start,
             std::size_t terms, std::size_t kept) {
    start_.assign(terms + 1, 0);
    for (const auto& probe : probes) ++start_[probe.first + 1];
    for (std::size_t t = 0; t < terms; ++t) start_[t + 1] += start_[t];
    entries_.resize(probes.size());
    std::vector<std::uint32_t> filled(start_.begin(), start_.end() - 1);
    for (std::uint32_t d = 0; d + 1 < start.size(); ++d) {
      for (std::uint32_t k = start[d]; k < start[d + 1]; ++k) {
        entries_[filled[probes[k].first]++] = {-probes[k].second, d};
      }
    }
    // Each list's first `kept` in order (a list holds each document once: the order is total,
    // so they are the same as the first of the whole list sorted), moved to the front.
    std::uint32_t out = 0;
    for (std::size_t t = 0; t < terms; ++t) {
      const auto begin = entries_.begin() + start_[t];
      const auto end = entries_.begin() + start_[t + 1];
      const auto middle = begin + std::min<std::ptrdiff_t>(end - begin, kept);
      std::partial_sort(begin, middle, end);
      start_[t] = out;
      out = static_cast<std::uint32_t>(std::copy(begin, middle, entries_.begin() + out) -
                                       entries_.begin());
    }
    start_[terms] = out;
    entries_.resize(out);
  }
  // Asks the processor to read the list of `term` ahead of its use.
  void prefetch(TermId term) const {
    if (term + std::size_t{1} < start_.size()) __builtin_prefetch(entries_.data() + start_[term]);
  }
  // Calls f(document, weight) for the first `limit` documents under `term`.
  template <class F>
  void scan(TermId term, std::size_t limit, F&& f) const {
    if (term + std::size_t{1} >= start_.size()) return;
    const std::size_t n = std::min<std::size_t>(limit, start_[term + 1] - start_[term]);
    const auto* list = entries_.data() + start_[term];
    for (std::size_t k = 0; k < n; ++k) f(list[k].second, -list[k].first);
  }

 private:
  std::vector<std::pair<float, std::uint32_t>> entries_;
  std::vector<std::uint32_t> start_;  // term t: entries_[start_[t] … start_[t + 1])
};

// A group while merging: the sum of its members' vectors (trimmed to the heaviest terms) and the
// groups it may merge with (how many members it has: Grouper::sizes_).
// A group of one has no vector or list of its own: its document's vector and its row of the
// candidate graph stand for them (two allocations less per document).
struct Cluster {
  SparseVector sum;
  std::vector<std::uint32_t> neighbours;
};

// A possible merge, as queued: the average similarity of the two groups' members, and their
// sizes when it was computed (a group grows at every merge, so a larger size means the score is
// stale).
struct Candidate {
  double score;
  std::uint32_t a, b;
  std::uint32_t size_a = 1, size_b = 1;
  bool operator<(const Candidate& other) const {
    if (score != other.score) return score < other.score;
    // Ties: the pair with the smaller ids first, so the result does not depend on heap order.
    return std::pair(a, b) > std::pair(other.a, other.b);
  }
};

struct CandidateScore {
  double operator()(const Candidate& c) const { return c.score; }
};
constexpr std::size_t kQueueBuckets = 16384;

// A leader's partial match as one integer that orders as the pair (-partial, leader): the
// heaviest first, ties by the smaller leader. The float's bits are made to order as the float
// does (negative ones reversed); a partial match is a sum of positive products, never zero, so
// the two zeros (which the float comparison takes as equal) do not occur. Selecting the
// strongest among a hundred such keys is a third of the cost of selecting among pairs.
inline std::uint64_t rank_key(float partial, std::uint32_t leader) {
  const auto bits = std::bit_cast<std::uint32_t>(-partial);
  const std::uint32_t ordered = (bits & 0x80000000U) != 0 ? ~bits : bits | 0x80000000U;
  return (static_cast<std::uint64_t>(ordered) << 32) | leader;
}

// One thread's scratch space for the neighbour search (Grouper::nearest).
struct Scratch {
  Scratch(std::size_t terms, std::size_t leaders) : dense(terms), partial(leaders, 0.0F) {}
  Dense dense;
  std::vector<float> partial;  // per leader: the partial dot product, 0 if not touched
  std::vector<std::uint32_t> touched;
  std::vector<std::uint64_t> scored;                      // rank_key(partial product, leader)
  std::vector<std::pair<double, std::uint32_t>> nearest;  // the result
  std::vector<std::pair<TermId, float>> probes;
};

// Threads for the neighbour searches: `requested`, or (0) the cores up to four; one for fewer
// than 20,000 documents, where a thread costs more than it saves.
std::size_t worker_count(std::size_t documents, std::size_t requested) {
  if (requested > 0) return requested;
  if (documents < 20000) return 1;
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

// group_documents() in its steps, with the scratch space they share.
class Grouper {
 public:
  Grouper(std::span<const SparseVector> documents, const GroupingOptions& options)
      : documents_(documents),
        options_(options),
        terms_(term_count(documents)),
        dense_(terms_),
        workers_(worker_count(documents.size(), options.threads)) {}

  // 1. The candidate graph: each leader's nearest leaders, found through the postings of its
  // strongest terms and then compared exactly. The leaders' probes are kept for step 1's
  // search; the search runs in slices of the leaders on several threads (each with its own
  // scratch space, the postings read only), and the edges are sorted after, so the graph is the
  // same as from one thread.
  void link(std::size_t leaders) {
    flat_ = FlatDocuments(documents_.first(leaders));
    probe_start_.assign(leaders + 1, 0);
    probes_.reserve(leaders * options_.probe_terms);
    for (std::uint32_t d = 0; d < leaders; ++d) {
      strongest(flat_[d], options_.probe_terms, probes_);
      probe_start_[d + 1] = static_cast<std::uint32_t>(probes_.size());
    }
    postings_.build(probes_, probe_start_, terms_, options_.postings_scanned);
    clusters_.resize(leaders);
    sizes_.assign(leaders, 1);
    parent_.resize(leaders);
    std::iota(parent_.begin(), parent_.end(), 0U);
    using Edge = std::tuple<std::uint32_t, std::uint32_t, float>;  // (smaller, larger, cos)
    std::vector<std::vector<Edge>> found(workers_);
    in_slices(leaders, workers_, [&](std::size_t begin, std::size_t end, std::size_t w) {
      Scratch scratch(terms_, leaders);
      std::vector<Edge>& edges = found[w];
      edges.reserve((end - begin) * options_.neighbours);
      for (auto d = static_cast<std::uint32_t>(begin); d < end; ++d) {
        if (documents_[d].empty()) continue;
        const std::span<const std::pair<TermId, float>> probes(
            probes_.data() + probe_start_[d], probe_start_[d + 1] - probe_start_[d]);
        nearest(d, probes, leaders, scratch);
        for (const auto& [similarity, other] : scratch.nearest) {
          edges.emplace_back(std::min(d, other), std::max(d, other),
                             static_cast<float>(similarity));
        }
      }
    });
    std::vector<Edge> edges = std::move(found[0]);
    for (std::size_t w = 1; w < found.size(); ++w) {
      edges.insert(edges.end(), found[w].begin(), found[w].end());
      std::vector<Edge>().swap(found[w]);
    }
    std::vector<std::pair<TermId, float>>().swap(probes_);
    // Each pair once (it may have been found from both ends), as neighbours of both: the graph
    // in one flat array, each document's row after the other.
    sort_edges(edges, leaders);
    edges.erase(std::unique(edges.begin(), edges.end(),
                            [](const auto& x, const auto& y) {
                              return std::get<0>(x) == std::get<0>(y) &&
                                     std::get<1>(x) == std::get<1>(y);
                            }),
                edges.end());
    row_start_.assign(leaders + 1, 0);
    for (const auto& [a, b, similarity] : edges) {
      ++row_start_[a + 1];
      ++row_start_[b + 1];
    }
    for (std::size_t d = 0; d < leaders; ++d) row_start_[d + 1] += row_start_[d];
    rows_.resize(row_start_[leaders]);
    std::vector<std::uint32_t> filled(row_start_.begin(), row_start_.end() - 1);
    for (const auto& [a, b, similarity] : edges) {
      rows_[filled[a]++] = b;
      rows_[filled[b]++] = a;
      if (similarity >= options_.threshold) queue_.push(Candidate{similarity, a, b, 1, 1});
    }
    std::vector<Edge>().swap(edges);
  }

  // Sorts the candidate graph's edges (smaller, larger, cosine) as std::sort would: by their
  // smaller document first, counted into place (a few edges each), then each document's few
  // edges by (larger, cosine). Half a million edges at 100k documents.
  template <class Edge>
  static void sort_edges(std::vector<Edge>& edges, std::size_t leaders) {
    std::vector<std::uint32_t> start(leaders + 1, 0);
    for (const Edge& edge : edges) ++start[std::get<0>(edge) + 1];
    for (std::size_t d = 0; d < leaders; ++d) start[d + 1] += start[d];
    std::vector<Edge> sorted(edges.size());
    std::vector<std::uint32_t> filled(start.begin(), start.end() - 1);
    for (const Edge& edge : edges) sorted[filled[std::get<0>(edge)]++] = edge;
    for (std::size_t d = 0; d < leaders; ++d) {
      std::sort(sorted.begin() + start[d], sorted.begin() + start[d + 1]);
    }
    edges.swap(sorted);
  }

  // Queues the merge of groups a and b (roots) with its score and their sizes now.
  void push_candidate(double score, std::uint32_t a, std::uint32_t b) {
    const std::uint32_t low = std::min(a, b);
    const std::uint32_t high = std::max(a, b);
    queue_.push(Candidate{score, low, high, sizes_[low], sizes_[high]});
  }

  // Two groups that moderators separated (different labels) never merge.
  bool may_merge(std::uint32_t a, std::uint32_t b) const {
    if (label_.empty()) return true;
    return label_[a] == kNoGroupFound || label_[b] == kNoGroupFound || label_[a] == label_[b];
  }

  // Asks the processor to read a group's sum ahead of its use (its document, for a group of
  // one).
  void prefetch_sum(std::uint32_t id) const {
    if (sizes_[id] == 1) {
      flat_.prefetch(id);
    } else {
      __builtin_prefetch(clusters_[id].sum.data());
    }
  }

  // The sum of a group's vectors (its document's, for a group of one).
  Entries sum_of(std::uint32_t id) const {
    return sizes_[id] == 1 ? flat_[id] : Entries(clusters_[id].sum);
  }

  // 2. Average linkage: the two groups whose members are most similar on average merge, again
  // and again, while that average reaches the threshold.
  void merge() {
    while (!queue_.empty()) {
      const Candidate top = queue_.top();
      queue_.pop();
      // The next candidate's groups, read ahead while this one is handled (most often they are
      // still what they were when queued).
      if (!queue_.empty()) {
        const Candidate& next = queue_.top();
        __builtin_prefetch(&parent_[next.a]);
        __builtin_prefetch(&parent_[next.b]);
        prefetch_sum(next.a);
        prefetch_sum(next.b);
      }
      const std::uint32_t a = find(top.a);
      const std::uint32_t b = find(top.b);
      if (a == b || !may_merge(a, b)) continue;
      // One of the two merged since: the pair is compared again as the groups are now (a group
      // keeps only its closest neighbours, so this is how the others stay candidates). Groups
      // that grew by at most a tenth since the score was taken keep it: a large group changes
      // at every merge, and comparing its pairs again each time made 3.3 million comparisons
      // for 100,000 merges on the 100k benchmark. Otherwise the pair is compared again and
      // waits in the queue with its new score.
      const bool nearly_same = a == top.a && b == top.b && sizes_[a] * 10 <= top.size_a * 11 &&
                               sizes_[b] * 10 <= top.size_b * 11;
      if (!nearly_same) {
        // (Scattered into the dense array and gathered: the same products summed in the same
        // order as the merge of the two sorted lists, without its unpredictable branches.)
        // The dense array holds the group of the last merge or comparison, often one of the two
        // (a large group's pairs come one after the other): then only the other is read. The
        // dot product is the same either way round (the same products, summed in term order).
        double product = 0;
        if (dense_holds_ == b) {
          product = dense_.dot(sum_of(a));
        } else {
          if (dense_holds_ != a) {
            dense_.load(sum_of(a));
            dense_holds_ = a;
          }
          product = dense_.dot(sum_of(b));
        }
        const double score = linkage(product, sizes_[a], sizes_[b]);
        if (score >= options_.threshold) push_candidate(score, a, b);
        continue;
      }
      join(a, b);
    }
  }

  // 0. Moderators' corrections: leaders with the same label start as one group.
  void curate(std::span<const std::uint32_t> curated) {
    if (curated.empty()) return;
    label_.assign(clusters_.size(), kNoGroupFound);
    std::unordered_map<std::uint32_t, std::uint32_t> first;  // label → its first leader
    for (std::uint32_t d = 0; d < clusters_.size() && d < curated.size(); ++d) {
      if (curated[d] == kNoGroupFound) continue;
      const auto [it, fresh] = first.emplace(curated[d], d);
      if (fresh) {
        label_[d] = curated[d];
      } else {
        join(find(it->second), find(d));
      }
    }
  }

  // 3. Each later document (a digest's previous period) follows the group whose members it is
  // most similar to on average, if that reaches the threshold.
  // The followers run in slices on several threads: the groups are final, each leader's root
  // is looked up once before (find() compresses paths, so it writes), and the slices' lists are
  // joined in order.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> follow(std::size_t leaders) {
    const std::size_t count = documents_.size() - leaders;
    if (count == 0) return {};
    std::vector<std::uint32_t> root_of(leaders);
    for (std::uint32_t d = 0; d < leaders; ++d) root_of[d] = find(d);
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> found(workers_);
    in_slices(count, workers_, [&](std::size_t begin, std::size_t end, std::size_t w) {
      Scratch scratch(terms_, leaders);
      std::vector<std::uint32_t> seen;
      for (std::size_t k = begin; k < end; ++k) {
        const auto d = static_cast<std::uint32_t>(leaders + k);
        if (documents_[d].empty()) continue;
        scratch.probes.clear();
        strongest(documents_[d], options_.probe_terms, scratch.probes);
        nearest(d, scratch.probes, leaders, scratch);
        for (const auto& entry : scratch.nearest) prefetch_sum(root_of[entry.second]);
        scratch.dense.load(documents_[d]);
        double best_score = options_.threshold;
        std::uint32_t best = kNoGroupFound;
        seen.clear();
        for (const auto& [similarity, other] : scratch.nearest) {
          const std::uint32_t root = root_of[other];
          if (std::find(seen.begin(), seen.end(), root) != seen.end()) continue;
          seen.push_back(root);
          const double score = scratch.dense.dot(sum_of(root)) / sizes_[root];
          if (score > best_score || (score == best_score && root < best)) {
            best_score = score;
            best = root;
          }
        }
        if (best != kNoGroupFound) found[w].emplace_back(d, best);
      }
    });
    std::vector<std::pair<std::uint32_t, std::uint32_t>> followers = std::move(found[0]);
    for (std::size_t w = 1; w < found.size(); ++w) {
      followers.insert(followers.end(), found[w].begin(), found[w].end());
    }
    return followers;
  }

  // The group of each document, the groups numbered in order of their first document.
  std::vector<std::uint32_t> numbered(
      const std::vector<std::pair<std::uint32_t, std::uint32_t>>& followers) {
    std::vector<std::uint32_t> result(documents_.size(), kNoGroupFound);
    std::vector<std::uint32_t> number_of(clusters_.size(), kNoGroupFound);
    std::uint32_t next = 0;
    for (std::uint32_t d = 0; d < clusters_.size(); ++d) {  // ascending: first documents first
      const std::uint32_t root = find(d);
      if (number_of[root] == kNoGroupFound) number_of[root] = next++;
      result[d] = number_of[root];
    }
    for (const auto& [d, root] : followers) result[d] = number_of[root];
    return result;
  }

 private:
  static std::size_t term_count(std::span<const SparseVector> documents) {
    std::size_t terms = 0;
    for (const auto& doc : documents) {
      for (const auto& entry : doc)
        terms = std::max<std::size_t>(terms, entry.first + std::size_t{1});
    }
    return terms;
  }

  std::uint32_t find(std::uint32_t id) {
    while (parent_[id] != id) {
      parent_[id] = parent_[parent_[id]];
      id = parent_[id];
    }
    return id;
  }

  // The nearest leaders of document d (not d itself), most similar first, at most
  // options_.neighbours of them, each with a similarity above zero.
  // `probes` are d's strongest terms with their weights (strongest()). Reads only the
  // documents and the postings; writes only `scratch` (the result: scratch.nearest).
  void nearest(std::uint32_t d, std::span<const std::pair<TermId, float>> probes,
               std::size_t leaders, Scratch& scratch) const {
    auto& out = scratch.nearest;
    auto& partial = scratch.partial;
    auto& touched = scratch.touched;
    auto& scored = scratch.scored;
    out.clear();
    touched.clear();
    const Entries doc = documents_[d];  // (a follower is not in flat_)
    for (const auto& probe : probes) postings_.prefetch(probe.first);
    for (const auto& probe : probes) {
      const float mine = probe.second;  // a named local: clang 14 cannot capture a binding
      postings_.scan(probe.first, options_.postings_scanned,
                     [&](std::uint32_t other, float weight) {
                       if (other == d || other >= leaders) return;
                       if (partial[other] == 0) touched.push_back(other);
                       partial[other] += mine * weight;
                     });
    }
    // The strongest partial matches are compared exactly.
    scored.clear();
    for (const std::uint32_t other : touched) {
      scored.push_back(rank_key(partial[other], other));
      partial[other] = 0;
    }
    const std::size_t keep = std::min(scored.size(), options_.neighbours * 3);
    if (keep < scored.size()) {
      std::nth_element(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep),
                       scored.end());
    }
    for (std::size_t k = 0; k < keep; ++k) flat_.prefetch(static_cast<std::uint32_t>(scored[k]));
    scratch.dense.load(doc);
    for (std::size_t k = 0; k < keep; ++k) {
      const auto other = static_cast<std::uint32_t>(scored[k]);
      const double similarity = scratch.dense.dot(flat_[other]);
      if (similarity > 0) out.emplace_back(-similarity, other);
    }
    std::sort(out.begin(), out.end());
    if (out.size() > options_.neighbours) out.resize(options_.neighbours);
    for (auto& entry : out) entry.first = -entry.first;
  }

  // The similarity of two groups from the dot product of their sums: the mean similarity of
  // their members (average linkage; the dot product of two sums of unit vectors is the sum of
  // all their members' cosines). Centroid cosine was measured too and was no better.
  static double linkage(double dot_product, std::uint32_t size_a, std::uint32_t size_b) {
    return dot_product / (static_cast<double>(size_a) * size_b);
  }

  // join() of a group b at most a tenth the size of a: a's candidates in the queue stay (they
  // are taken as they are while a grows by less than a tenth, see merge()); only b's neighbours
  // are compared with the merged group, and join it as candidates while a's list has room.
  void absorb(std::uint32_t a, std::uint32_t b) {
    Cluster& keep = clusters_[a];
    Cluster& gone = clusters_[b];
    std::vector<std::uint32_t>& neighbours = neighbours_;  // (scratch, no allocation per merge)
    neighbours.clear();
    if (sizes_[b] == 1) {
      for (std::uint32_t k = row_start_[b]; k < row_start_[b + 1]; ++k) {
        neighbours.push_back(find(rows_[k]));
      }
    } else {
      for (const std::uint32_t n : gone.neighbours) neighbours.push_back(find(n));
    }
    sizes_[a] += sizes_[b];
    SparseVector().swap(gone.sum);
    std::vector<std::uint32_t>().swap(gone.neighbours);
    for (const std::uint32_t n : neighbours) prefetch_sum(n);
    dense_.load(keep.sum);
    dense_holds_ = a;
    for (const std::uint32_t n : neighbours) {
      if (n == a) continue;
      const double score = linkage(dense_.dot(sum_of(n)), sizes_[a], sizes_[n]);
      if (score >= options_.threshold) push_candidate(score, a, n);
      if (keep.neighbours.size() < 2 * options_.group_neighbours &&
          std::find(keep.neighbours.begin(), keep.neighbours.end(), n) == keep.neighbours.end()) {
        keep.neighbours.push_back(n);
      }
    }
  }

  // Merges groups a and b (both roots) and queues the merged group's candidates.
  void join(std::uint32_t a, std::uint32_t b) {
    if (sizes_[b] > sizes_[a] || (sizes_[b] == sizes_[a] && b < a)) {
      std::swap(a, b);
    }
    Cluster& keep = clusters_[a];
    Cluster& gone = clusters_[b];
    parent_[b] = a;
    if (!label_.empty() && label_[a] == kNoGroupFound) label_[a] = label_[b];
    if (sizes_[a] == 1) keep.sum.assign(flat_[a].begin(), flat_[a].end());
    add_into(keep.sum, sum_of(b), options_.sum_terms, scratch_, weights_);
    if (sizes_[b] * 10 <= sizes_[a]) {
      absorb(a, b);
      return;
    }
    // The neighbours of both, as groups now (a group of one: its row of the graph).
    std::vector<std::uint32_t>& neighbours = neighbours_;
    neighbours.clear();
    const auto add_neighbours = [&](std::uint32_t id, const Cluster& cluster) {
      if (sizes_[id] == 1) {
        for (std::uint32_t k = row_start_[id]; k < row_start_[id + 1]; ++k) {
          neighbours.push_back(find(rows_[k]));
        }
      } else {
        for (const std::uint32_t n : cluster.neighbours) neighbours.push_back(find(n));
      }
    };
    add_neighbours(a, keep);
    add_neighbours(b, gone);
    sizes_[a] += sizes_[b];
    SparseVector().swap(gone.sum);
    std::vector<std::uint32_t>().swap(gone.neighbours);
    std::sort(neighbours.begin(), neighbours.end());
    neighbours.erase(std::unique(neighbours.begin(), neighbours.end()), neighbours.end());
    neighbours.erase(std::remove(neighbours.begin(), neighbours.end(), a), neighbours.end());
    for (const std::uint32_t n : neighbours) prefetch_sum(n);
    dense_.load(keep.sum);
    dense_holds_ = a;
    scored_neighbours_.clear();
    for (const std::uint32_t n : neighbours) {
      scored_neighbours_.emplace_back(-linkage(dense_.dot(sum_of(n)), sizes_[a], sizes_[n]), n);
    }
    // A group keeps its most similar neighbours only: without the bound a large group would
    // collect the neighbours of all its members and compare itself with each at every merge.
    const std::size_t kept = std::min(scored_neighbours_.size(), options_.group_neighbours);
    std::partial_sort(scored_neighbours_.begin(),
                      scored_neighbours_.begin() + static_cast<std::ptrdiff_t>(kept),
                      scored_neighbours_.end());
    keep.neighbours.clear();
    for (std::size_t k = 0; k < kept; ++k) {
      const auto [negative, n] = scored_neighbours_[k];
      keep.neighbours.push_back(n);
      if (-negative >= options_.threshold) push_candidate(-negative, a, n);
    }
  }

  std::span<const SparseVector> documents_;
  FlatDocuments flat_;  // the leaders' vectors (link())
  const GroupingOptions& options_;
  Postings postings_;
  std::vector<Cluster> clusters_;
  std::vector<std::uint32_t> sizes_;  // per group (its root): its members, apart from clusters_
                                      // so that the queue's checks read a small array
  std::vector<std::uint32_t> parent_;
  std::vector<std::uint32_t> label_;      // per group (its root): the moderators' label, if any
  std::vector<std::uint32_t> row_start_;  // the candidate graph: row of document d is
  std::vector<std::uint32_t> rows_;       // rows_[row_start_[d] … row_start_[d + 1])
  // The candidate merges, largest score first; scores range from the threshold to 1 (the mean
  // cosine of unit vectors). A binary heap of all of them (half a million at 100k documents)
  // spent most of the merging's time in cache misses.
  BucketQueue<Candidate, CandidateScore> queue_{options_.threshold, 1.0, kQueueBuckets};
  std::vector<std::uint32_t> probe_start_;  // the leaders' probes: probes_[probe_start_[d] …
  std::vector<std::pair<TermId, float>> probes_;  // probe_start_[d + 1]), while linking
  std::vector<std::pair<double, std::uint32_t>> scored_neighbours_;
  std::vector<std::uint32_t> neighbours_;  // join()'s and absorb()'s list of neighbours
  SparseVector scratch_;
  std::vector<float> weights_;
  std::size_t terms_;
  Dense dense_;
  std::uint32_t dense_holds_ = kNoGroupFound;  // the group whose sum dense_ holds (merge())
  std::size_t workers_;
};

}  // namespace

namespace {

// The IDF of each term (its documents counted once), times its boost (0: the term is dropped;
// 1 for terms past the boost's end).
std::vector<double> idf_weights(std::span<const std::vector<TermId>> documents,
                                std::span<const std::span<const float>> boosts, double idf_prior) {
  TermId max_term = 0;
  for (const auto& doc : documents) {
    for (const TermId term : doc) max_term = std::max(max_term, term);
  }
  std::vector<std::uint32_t> df(documents.empty() ? 0 : max_term + 1, 0);
  std::vector<std::uint32_t> last_doc(df.size(), UINT32_MAX);
  for (std::uint32_t d = 0; d < documents.size(); ++d) {
    for (const TermId term : documents[d]) {
      if (last_doc[term] != d) {
        last_doc[term] = d;
        ++df[term];
      }
    }
  }
  const double n = static_cast<double>(documents.size());
  // idf times boost, once per term and boost (0: the term is dropped): boost b of term t at
  // weight[t * boosts.size() + b].
  std::vector<double> weight(df.size() * boosts.size(), 0.0);
  for (TermId term = 0; term < df.size(); ++term) {
    if (df[term] == 0) continue;
    const double idf = std::log((1.0 + n + idf_prior) / (1.0 + df[term] + idf_prior)) + 1.0;
    for (std::size_t b = 0; b < boosts.size(); ++b) {
      const double factor = term < boosts[b].size() ? boosts[b][term] : 1.0;
      if (factor > 0) weight[term * boosts.size() + b] = idf * factor;
    }
  }
  return weight;
}

// A document's TF-IDF vectors, one per boost (stride: the number of boosts in `weight`), each of
// unit length. `copy` is scratch space.
void document_vectors(const std::vector<TermId>& doc, const std::vector<double>& weight,
                      std::span<SparseVector> out, std::vector<TermId>& copy) {
  // A document sorted already (build_digest sorts them once) is read as it is.
  std::span<const TermId> sorted = doc;
  if (!std::is_sorted(doc.begin(), doc.end())) {
    copy.assign(doc.begin(), doc.end());
    std::sort(copy.begin(), copy.end());
    sorted = copy;
  }
  const std::size_t stride = out.size();
  for (SparseVector& v : out) v.reserve(sorted.size());
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const TermId term = sorted[i];
    const double tf = j - i == 1 ? 1.0 : 1.0 + std::log(static_cast<double>(j - i));
    for (std::size_t b = 0; b < stride; ++b) {
      const double w = weight[term * stride + b];
      if (w > 0) out[b].emplace_back(term, static_cast<float>(tf * w));
    }
    i = j;
  }
  for (SparseVector& v : out) {
    const double norm = norm_of(v);
    if (norm > 0) {
      for (auto& entry : v) entry.second = static_cast<float>(entry.second / norm);
    }
  }
}

}  // namespace

std::vector<SparseVector> tfidf_vectors(std::span<const std::vector<TermId>> documents,
                                        std::span<const float> boost, double idf_prior) {
  const std::span<const float> boosts[] = {boost};
  const std::vector<double> weight = idf_weights(documents, boosts, idf_prior);
  // Each document on its own: in slices on several threads for many documents (the result is
  // the same).
  std::vector<SparseVector> out(documents.size());
  in_slices(documents.size(), worker_count(documents.size(), 0),
            [&](std::size_t begin, std::size_t end, std::size_t) {
              std::vector<TermId> copy;
              for (std::size_t d = begin; d < end; ++d) {
                document_vectors(documents[d], weight, std::span(&out[d], 1), copy);
              }
            });
  return out;
}

std::vector<SparseVector> mixed_tfidf_vectors(std::span<const std::vector<TermId>> documents,
                                              std::span<const float> first,
                                              std::span<const float> second, double idf_prior,
                                              float first_share, float second_share) {
  const std::span<const float> boosts[] = {first, second};
  const std::vector<double> weight = idf_weights(documents, boosts, idf_prior);
  std::vector<SparseVector> out(documents.size());
  in_slices(documents.size(), worker_count(documents.size(), 0),
            [&](std::size_t begin, std::size_t end, std::size_t) {
              std::vector<TermId> copy;
              SparseVector parts[2];
              for (std::size_t d = begin; d < end; ++d) {
                parts[0].clear();
                parts[1].clear();
                document_vectors(documents[d], weight, parts, copy);
                SparseVector& v = out[d];
                if (parts[1].empty() || parts[0].empty()) {
                  v.assign(parts[0].empty() ? parts[1].begin() : parts[0].begin(),
                           parts[0].empty() ? parts[1].end() : parts[0].end());
                  continue;
                }
                for (auto& entry : parts[0]) entry.second *= first_share;
                for (auto& entry : parts[1]) entry.second *= second_share;
                v.resize(parts[0].size() + parts[1].size());
                std::merge(parts[0].begin(), parts[0].end(), parts[1].begin(), parts[1].end(),
                           v.begin());
              }
            });
  return out;
}

double cosine(const SparseVector& a, const SparseVector& b) {
  const double na = norm_of(a);
  const double nb = norm_of(b);
  if (na == 0 || nb == 0) return 0;
  return dot(a, b) / (na * nb);
}

std::vector<std::uint32_t> group_documents(std::span<const SparseVector> documents,
                                           const GroupingOptions& options, std::size_t leaders,
                                           std::span<const std::uint32_t> curated) {
  leaders = std::min(leaders, documents.size());
  Grouper grouper(documents, options);
  grouper.link(leaders);
  grouper.curate(curated);
  grouper.merge();
  return grouper.numbered(grouper.follow(leaders));
}

}  // namespace reflexbot::core
