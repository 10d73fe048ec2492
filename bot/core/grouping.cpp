#include "core/grouping.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace reflexbot::core {
namespace {

// A group under construction: the sum of its members' vectors, trimmed to the heaviest terms.
struct Centroid {
  SparseVector sum;  // sorted by term
  double norm = 0;
  std::vector<std::uint32_t> members;
  bool alive = true;
};

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
  void load(const SparseVector& v) {
    for (const TermId term : loaded_) values_[term] = 0;
    loaded_.clear();
    for (const auto& [term, weight] : v) {
      values_[term] = weight;
      loaded_.push_back(term);
    }
  }
  // The dot product with the loaded vector: one load per entry of `other`, no branches.
  double dot(const SparseVector& other) const {
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
void add_into(SparseVector& sum, const SparseVector& v, std::size_t keep, SparseVector& scratch,
              std::vector<float>& weights) {
  scratch.clear();
  scratch.reserve(sum.size() + v.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < sum.size() || j < v.size()) {
    if (j == v.size() || (i < sum.size() && sum[i].first < v[j].first)) {
      scratch.push_back(sum[i++]);
    } else if (i == sum.size() || v[j].first < sum[i].first) {
      scratch.push_back(v[j++]);
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

// The `n` heaviest terms of v (ties: the smaller term id).
void strongest(const SparseVector& v, std::size_t n, std::vector<TermId>& out,
               std::vector<std::pair<float, TermId>>& ranked) {
  out.clear();
  ranked.clear();
  for (const auto& [term, weight] : v) ranked.emplace_back(-weight, term);
  const std::size_t k = std::min(n, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end());
  for (std::size_t i = 0; i < k; ++i) out.push_back(ranked[i].second);
}

// The most similar candidate at or above a threshold; ties go to the smaller id, so the result
// does not depend on the order candidates are offered in.
class Best {
 public:
  explicit Best(double threshold) : similarity_(threshold) {}
  void offer(std::uint32_t id, double similarity) {
    if (similarity > similarity_ || (similarity == similarity_ && (id_ < 0 || id < id_))) {
      id_ = id;
      similarity_ = similarity;
    }
  }
  bool found() const { return id_ >= 0; }
  std::uint32_t id() const { return static_cast<std::uint32_t>(id_); }

 private:
  std::int64_t id_ = -1;
  double similarity_;
};

// An inverted index from terms to groups, scanned newest first with a bound per term.
class Index {
 public:
  // Appends the group to each term's list unless it is already last there: a group that is
  // joined again moves to the front of the newest-first scan (recently active groups are found
  // first), and the scan's stamps skip its older entries.
  void add(std::uint32_t id, const std::vector<TermId>& terms) {
    for (const TermId term : terms) {
      if (term >= postings_.size()) postings_.resize(term + 1);
      auto& list = postings_[term];
      if (list.empty() || list.back() != id) list.push_back(id);
    }
  }

  // Calls f(group id) for each distinct group found under `terms`.
  template <class F>
  void probe(const std::vector<TermId>& terms, std::size_t per_term,
             std::vector<std::uint32_t>& stamp, std::uint32_t mark, F&& f) const {
    for (const TermId term : terms) {
      if (term >= postings_.size()) continue;
      const auto& list = postings_[term];
      const std::size_t first = list.size() > per_term ? list.size() - per_term : 0;
      for (std::size_t k = list.size(); k-- > first;) {
        const std::uint32_t id = list[k];
        if (stamp[id] == mark) continue;
        stamp[id] = mark;
        f(id);
      }
    }
  }

 private:
  std::vector<std::vector<std::uint32_t>> postings_;  // by term, oldest first
};

// group_documents() in its three steps, with the scratch space they share: the groups, the
// leaders' index of them, and the buffers each probe reuses.
class Grouper {
 public:
  Grouper(std::span<const SparseVector> documents, const GroupingOptions& options)
      : documents_(documents), options_(options), dense_(term_count(documents)) {}

  // 1. Each leader joins the most similar group or starts one.
  void lead(std::size_t leaders) {
    for (std::uint32_t d = 0; d < leaders; ++d) {
      const SparseVector& doc = documents_[d];
      strongest(doc, options_.probe_terms, probe_, ranked_);
      dense_.load(doc);
      ++mark_;
      Best best(options_.join_threshold);
      index_.probe(probe_, options_.postings_scanned, stamp_, mark_, [&](std::uint32_t id) {
        const Centroid& group = groups_[id];
        if (group.norm > 0) best.offer(id, dense_.dot(group.sum) / group.norm);
      });
      std::uint32_t id = 0;
      if (best.found()) {
        id = best.id();
        add_into(groups_[id].sum, doc, options_.centroid_terms, scratch_, weights_);
        groups_[id].norm = norm_of(groups_[id].sum);
      } else {
        id = static_cast<std::uint32_t>(groups_.size());
        groups_.push_back(Centroid{doc, norm_of(doc), {}, true});
        stamp_.push_back(0);
      }
      groups_[id].members.push_back(d);
      if (!doc.empty()) index_.add(id, probe_);
    }
  }

  // 2. Larger groups absorb similar smaller ones (centroid against centroid). Returns the group
  // that absorbed each group (kNoGroupFound: none).
  std::vector<std::uint32_t> merge() {
    std::vector<std::uint32_t> order(groups_.size());
    std::iota(order.begin(), order.end(), 0U);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return groups_[a].members.size() > groups_[b].members.size();
    });
    Index kept;
    std::vector<std::uint32_t> absorbed_by(groups_.size(), kNoGroupFound);
    restart_marks();
    for (const std::uint32_t id : order) {
      Centroid& group = groups_[id];
      if (group.norm == 0) continue;
      strongest(group.sum, options_.probe_terms, probe_, ranked_);
      dense_.load(group.sum);
      ++mark_;
      Best best(options_.merge_threshold);
      kept.probe(probe_, options_.postings_scanned, stamp_, mark_, [&](std::uint32_t other) {
        const Centroid& target = groups_[other];
        best.offer(other, dense_.dot(target.sum) / (group.norm * target.norm));
      });
      if (best.found()) {
        Centroid& target = groups_[best.id()];
        add_into(target.sum, group.sum, options_.centroid_terms, scratch_, weights_);
        target.norm = norm_of(target.sum);
        target.members.insert(target.members.end(), group.members.begin(), group.members.end());
        group.members.clear();
        group.alive = false;
        absorbed_by[id] = best.id();
      } else {
        kept.add(id, probe_);
      }
    }
    return absorbed_by;
  }

  // 3. Followers join the most similar final group, found through the groups' first index.
  // Returns (document, group) for each follower that found one.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> follow(
      std::size_t leaders, const std::vector<std::uint32_t>& absorbed_by) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> followers;
    restart_marks();
    std::vector<std::uint32_t> seen(groups_.size(), 0);
    for (auto d = static_cast<std::uint32_t>(leaders); d < documents_.size(); ++d) {
      const SparseVector& doc = documents_[d];
      if (doc.empty()) continue;
      strongest(doc, options_.probe_terms, probe_, ranked_);
      dense_.load(doc);
      ++mark_;
      Best best(options_.join_threshold);
      index_.probe(probe_, options_.postings_scanned, stamp_, mark_, [&](std::uint32_t raw) {
        const std::uint32_t id = groups_[raw].alive ? raw : absorbed_by[raw];
        if (seen[id] == mark_) return;
        seen[id] = mark_;
        const Centroid& group = groups_[id];
        if (group.norm > 0) best.offer(id, dense_.dot(group.sum) / group.norm);
      });
      if (best.found()) followers.emplace_back(d, best.id());
    }
    return followers;
  }

  // The group of each document, the groups numbered in order of their first document.
  std::vector<std::uint32_t> numbered(
      const std::vector<std::pair<std::uint32_t, std::uint32_t>>& followers) const {
    std::vector<std::uint32_t> result(documents_.size(), kNoGroupFound);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> firsts;  // (first document, group)
    for (std::uint32_t id = 0; id < groups_.size(); ++id) {
      if (!groups_[id].alive || groups_[id].members.empty()) continue;
      firsts.emplace_back(*std::min_element(groups_[id].members.begin(), groups_[id].members.end()),
                          id);
    }
    std::sort(firsts.begin(), firsts.end());
    std::vector<std::uint32_t> number_of(groups_.size(), kNoGroupFound);
    for (std::uint32_t number = 0; number < firsts.size(); ++number) {
      number_of[firsts[number].second] = number;
      for (const std::uint32_t d : groups_[firsts[number].second].members) result[d] = number;
    }
    for (const auto& [d, id] : followers) result[d] = number_of[id];
    return result;
  }

 private:
  // One past the largest term id of any document.
  static std::size_t term_count(std::span<const SparseVector> documents) {
    std::size_t terms = 0;
    for (const auto& doc : documents) {
      for (const auto& entry : doc)
        terms = std::max<std::size_t>(terms, entry.first + std::size_t{1});
    }
    return terms;
  }
  void restart_marks() {
    std::fill(stamp_.begin(), stamp_.end(), 0U);
    mark_ = 0;
  }

  std::span<const SparseVector> documents_;
  const GroupingOptions& options_;
  std::vector<Centroid> groups_;
  Index index_;  // the leaders' groups, by their strongest terms when they joined or started
  std::vector<std::uint32_t> stamp_;
  std::uint32_t mark_ = 0;
  std::vector<TermId> probe_;
  std::vector<std::pair<float, TermId>> ranked_;
  SparseVector scratch_;
  std::vector<float> weights_;
  Dense dense_;
};

}  // namespace

std::vector<SparseVector> tfidf_vectors(std::span<const std::vector<TermId>> documents,
                                        std::span<const float> boost, double idf_prior) {
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
  // idf times boost, once per term (0: the term is dropped).
  std::vector<double> weight(df.size(), 0.0);
  for (TermId term = 0; term < df.size(); ++term) {
    const double factor = term < boost.size() ? boost[term] : 1.0;
    if (factor > 0 && df[term] > 0) {
      weight[term] =
          (std::log((1.0 + n + idf_prior) / (1.0 + df[term] + idf_prior)) + 1.0) * factor;
    }
  }
  std::vector<SparseVector> out;
  out.reserve(documents.size());
  std::vector<TermId> sorted;
  for (const auto& doc : documents) {
    sorted.assign(doc.begin(), doc.end());
    std::sort(sorted.begin(), sorted.end());
    SparseVector v;
    v.reserve(sorted.size());
    for (std::size_t i = 0; i < sorted.size();) {
      std::size_t j = i;
      while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
      const TermId term = sorted[i];
      if (weight[term] > 0) {
        const double tf = j - i == 1 ? 1.0 : 1.0 + std::log(static_cast<double>(j - i));
        v.emplace_back(term, static_cast<float>(tf * weight[term]));
      }
      i = j;
    }
    const double norm = norm_of(v);
    if (norm > 0) {
      for (auto& entry : v) entry.second = static_cast<float>(entry.second / norm);
    }
    out.push_back(std::move(v));
  }
  return out;
}

double cosine(const SparseVector& a, const SparseVector& b) {
  const double na = norm_of(a);
  const double nb = norm_of(b);
  if (na == 0 || nb == 0) return 0;
  return dot(a, b) / (na * nb);
}

std::vector<std::uint32_t> group_documents(std::span<const SparseVector> documents,
                                           const GroupingOptions& options, std::size_t leaders) {
  leaders = std::min(leaders, documents.size());
  Grouper grouper(documents, options);
  grouper.lead(leaders);
  const std::vector<std::uint32_t> absorbed_by = grouper.merge();
  const auto followers = grouper.follow(leaders, absorbed_by);
  return grouper.numbered(followers);
}

}  // namespace reflexbot::core
