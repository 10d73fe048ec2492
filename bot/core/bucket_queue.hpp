#pragma once
// A max-priority queue for many entries whose priorities fall in a known range, such as the
// grouping's queue of candidate merges (core/grouping.cpp): hundreds of thousands of entries,
// each popped once, most of them never near the top until the end.
//
// The entries are split by priority into `buckets` equal ranges of [low, high] (below low: the
// first, above high: the last). Only the highest ranges opened so far form a binary heap; the
// others are unsorted lists, opened (made a heap) one at a time when the heap runs empty. An entry
// pushed into an opened range goes into the heap. So the heap stays small (cache-resident)
// instead of holding every entry, and an entry that is never popped is never sorted.
//
// It pops in the same order as std::priority_queue<T> with the same entries: the largest by
// T's operator< first. Requirement: `priority(x)` is monotone in that order (x < y implies
// priority(x) <= priority(y)). Entries that compare equal may come out in another order than
// std::priority_queue's (which does not define it either).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace reflexbot::core {

template <class T, class Priority>
class BucketQueue {
 public:
  BucketQueue(double low, double high, std::size_t buckets, Priority priority = {})
      : low_(low),
        scale_(static_cast<double>(std::max<std::size_t>(buckets, 1)) /
               std::max(high - low, 1e-12)),
        buckets_(std::max<std::size_t>(buckets, 1)),
        open_(buckets_.size()),
        priority_(priority) {}

  bool empty() const { return heap_.empty() && parked_ == 0; }
  std::size_t size() const { return heap_.size() + parked_; }

  void push(const T& value) {
    const std::size_t b = bucket(priority_(value));
    if (b >= open_) {
      heap_.push_back(value);
      std::push_heap(heap_.begin(), heap_.end());
    } else {
      buckets_[b].push_back(value);
      ++parked_;
    }
  }

  /// The largest entry; the queue must not be empty.
  const T& top() {
    refill();
    return heap_.front();
  }

  /// Removes the largest entry; the queue must not be empty.
  void pop() {
    refill();
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.pop_back();
  }

 private:
  // The range of a priority: monotone (a higher priority never falls in a lower range).
  std::size_t bucket(double priority) const {
    const double x = (priority - low_) * scale_;
    if (!(x > 0)) return 0;  // below low, and NaN
    const double last = static_cast<double>(buckets_.size() - 1);
    return x >= last ? buckets_.size() - 1 : static_cast<std::size_t>(x);
  }

  // Opens the next lower ranges until the heap has an entry (or nothing is left).
  void refill() {
    while (heap_.empty() && open_ > 0) {
      --open_;
      std::vector<T>& list = buckets_[open_];
      if (list.empty()) continue;
      parked_ -= list.size();
      heap_.swap(list);
      std::make_heap(heap_.begin(), heap_.end());
    }
  }

  double low_;
  double scale_;
  std::vector<std::vector<T>> buckets_;
  std::size_t open_;        // ranges open_ … end are in the heap
  std::size_t parked_ = 0;  // entries in the ranges below open_
  std::vector<T> heap_;
  Priority priority_;
};

}  // namespace reflexbot::core
