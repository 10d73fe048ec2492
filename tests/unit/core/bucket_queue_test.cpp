// core::BucketQueue: the grouping's queue of candidate merges must pop exactly what a binary heap
// of the same entries pops, in the same order, whatever the mix of pushes and pops.
#include "core/bucket_queue.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <queue>
#include <random>
#include <tuple>
#include <vector>

namespace reflexbot::core {
namespace {

// As the grouping's candidates: a score, then a pair of ids for ties (smaller ids first).
struct Entry {
  double score = 0;
  std::uint32_t a = 0, b = 0;
  bool operator<(const Entry& other) const {
    if (score != other.score) return score < other.score;
    return std::tie(a, b) > std::tie(other.a, other.b);
  }
  bool operator==(const Entry& other) const {
    return score == other.score && a == other.a && b == other.b;
  }
};
struct Score {
  double operator()(const Entry& e) const { return e.score; }
};

// Pushes and pops at random against std::priority_queue; scores from a few distinct values
// (many ties), inside and outside [low, high], and pushes both above and below what was popped
// last (a merge can make a pair more similar than the last one taken).
void compare_with_heap(std::uint32_t seed, std::size_t buckets, std::size_t operations) {
  std::mt19937 random(seed);
  BucketQueue<Entry, Score> queue(0.2, 1.0, buckets);
  std::priority_queue<Entry> heap;
  const auto score = [&]() {
    switch (random() % 4) {
      case 0:
        return static_cast<double>(random() % 8) / 8.0;  // ties, some below low
      case 1:
        return 1.0 + static_cast<double>(random() % 100) / 50.0;  // above high
      default:
        return 0.2 + static_cast<double>(random() % 100000) / 125000.0;
    }
  };
  std::size_t popped = 0;
  for (std::size_t i = 0; i < operations; ++i) {
    if (heap.empty() || random() % 3 != 0) {
      const Entry e{score(), static_cast<std::uint32_t>(random() % 50),
                    static_cast<std::uint32_t>(random() % 50)};
      queue.push(e);
      heap.push(e);
    } else {
      ASSERT_FALSE(queue.empty());
      const Entry expected = heap.top();
      const Entry got = queue.top();
      ASSERT_EQ(got, expected) << "pop " << popped << ": score " << got.score << " (" << got.a
                               << ", " << got.b << "), expected " << expected.score << " ("
                               << expected.a << ", " << expected.b << ")";
      queue.pop();
      heap.pop();
      ++popped;
    }
    ASSERT_EQ(queue.size(), heap.size());
  }
  while (!heap.empty()) {
    ASSERT_FALSE(queue.empty());
    ASSERT_EQ(queue.top(), heap.top());
    queue.pop();
    heap.pop();
  }
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.size(), 0U);
}

TEST(BucketQueue, PopsWhatABinaryHeapPopsInTheSameOrder) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    compare_with_heap(seed, 64, 5000);
    if (HasFatalFailure()) return;
  }
}

TEST(BucketQueue, OneBucketAndManyBucketsAgree) {
  compare_with_heap(7, 1, 3000);
  compare_with_heap(7, 100000, 3000);
}

// The range of a priority as BucketQueue computes it (for the reference below).
std::size_t range_of(double priority, double low, double high, std::size_t ranges) {
  const double x = (priority - low) * (static_cast<double>(ranges) / (high - low));
  if (!(x > 0)) return 0;
  const double last = static_cast<double>(ranges - 1);
  return x >= last ? ranges - 1 : static_cast<std::size_t>(x);
}

// Entries with a payload that operator< does not see (as a candidate's sizes).
struct Tagged {
  Entry entry;
  std::uint32_t payload = 0;
  bool operator<(const Tagged& other) const { return entry < other.entry; }
};
struct TaggedScore {
  double operator()(const Tagged& t) const { return t.entry.score; }
};

TEST(BucketQueue, EqualEntriesComeOutAsFromAVectorPerRange) {
  // Few distinct entries, so most compare equal; more pushes than pops, so the lower ranges
  // gather hundreds of entries (more than a block) before they are opened.
  constexpr std::size_t kRanges = 32;
  std::mt19937 random(11);
  BucketQueue<Tagged, TaggedScore> queue(0.2, 1.0, kRanges);
  // The reference: the queue as it was first written, a vector per range, swapped into the heap
  // when the range is opened. The grouping's result depends on the order in which entries that
  // compare equal come out (a candidate's sizes), so the ranges' storage must keep that order.
  std::vector<std::vector<Tagged>> ranges(kRanges);
  std::size_t open = kRanges;
  std::vector<Tagged> heap;
  std::uint32_t next_payload = 0;
  std::size_t popped = 0;
  for (int round = 0; round < 60; ++round) {
    const int pushes = 100 + static_cast<int>(random() % 400);
    for (int i = 0; i < pushes; ++i) {
      const Tagged t{
          {0.2 + static_cast<double>(random() % 24) / 30.0,
           static_cast<std::uint32_t>(random() % 2), static_cast<std::uint32_t>(random() % 2)},
          next_payload++};
      queue.push(t);
      const std::size_t r = range_of(t.entry.score, 0.2, 1.0, kRanges);
      if (r >= open) {
        heap.push_back(t);
        std::push_heap(heap.begin(), heap.end());
      } else {
        ranges[r].push_back(t);
      }
    }
    const int pops = round < 10 ? 0 : round < 40 ? static_cast<int>(random() % 400) : 1000;
    for (int i = 0; i < pops && !queue.empty(); ++i) {
      while (heap.empty()) {
        --open;
        heap.swap(ranges[open]);
        std::make_heap(heap.begin(), heap.end());
      }
      std::pop_heap(heap.begin(), heap.end());
      const Tagged expected = heap.back();
      heap.pop_back();
      ASSERT_EQ(queue.top().payload, expected.payload) << "pop " << popped;
      queue.pop();
      ++popped;
    }
  }
  EXPECT_GT(popped, 10000U);
}

TEST(BucketQueue, EntriesPushedIntoAnOpenedRangeComeBeforeLowerOnes) {
  BucketQueue<Entry, Score> queue(0.0, 1.0, 10);
  queue.push({0.15, 1, 2});
  queue.push({0.95, 1, 3});
  queue.push({0.55, 1, 4});
  EXPECT_EQ(queue.top().b, 3U);  // opens the highest range
  queue.pop();
  queue.push({0.91, 2, 5});  // the range that is open now
  queue.push({0.12, 2, 6});  // a range below, still closed
  queue.push({0.57, 2, 7});  // another closed range
  std::vector<std::uint32_t> order;
  while (!queue.empty()) {
    order.push_back(queue.top().b);
    queue.pop();
  }
  EXPECT_EQ(order, (std::vector<std::uint32_t>{5, 7, 4, 2, 6}));
}

TEST(BucketQueue, NanAndInfinitePrioritiesDoNotBreakIt) {
  BucketQueue<Entry, Score> queue(0.2, 1.0, 16);
  queue.push({std::numeric_limits<double>::infinity(), 0, 1});
  queue.push({-std::numeric_limits<double>::infinity(), 0, 2});
  queue.push({0.5, 0, 3});
  EXPECT_EQ(queue.top().b, 1U);
  queue.pop();
  EXPECT_EQ(queue.top().b, 3U);
  queue.pop();
  EXPECT_EQ(queue.top().b, 2U);
  queue.pop();
  EXPECT_TRUE(queue.empty());
  queue.push({std::nan(""), 0, 4});  // no order is defined; it is kept and popped
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.top().b, 4U);
  queue.pop();
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace reflexbot::core
