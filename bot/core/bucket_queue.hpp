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
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace reflexbot::core {

template <class T, class Priority>
class BucketQueue {
 public:
  BucketQueue(double low, double high, std::size_t buckets, Priority priority = {})
      : low_(low),
        scale_(static_cast<double>(std::max<std::size_t>(buckets, 1)) /
               std::max(high - low, 1e-12)),
        ranges_(std::max<std::size_t>(buckets, 1)),
        open_(ranges_.size()),
        priority_(priority) {}

  bool empty() const { return heap_.empty() && parked_ == 0; }
  std::size_t size() const { return heap_.size() + parked_; }

  void push(const T& value) {
    const std::size_t b = bucket(priority_(value));
    if (b >= open_) {
      heap_.push_back(value);
      std::push_heap(heap_.begin(), heap_.end());
    } else {
      park(ranges_[b], value);
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
    const double last = static_cast<double>(ranges_.size() - 1);
    return x >= last ? ranges_.size() - 1 : static_cast<std::size_t>(x);
  }

  // Opens the next lower ranges until the heap has an entry (or nothing is left). The range's
  // entries enter the heap in the order they were pushed, as a vector of them would.
  void refill() {
    while (heap_.empty() && open_ > 0) {
      --open_;
      Range& range = ranges_[open_];
      if (range.first == kNone) continue;
      for (std::uint32_t id = range.first; id != kNone;) {
        Block& block = block_at(id);
        const std::size_t n = id == range.last ? range.fill : kBlock;
        heap_.insert(heap_.end(), block.entries.begin(),
                     block.entries.begin() + static_cast<std::ptrdiff_t>(n));
        const std::uint32_t next = block.next;
        block.next = free_;  // the block is free for the ranges below
        free_ = id;
        id = next;
      }
      parked_ -= heap_.size();
      range = Range{};
      std::make_heap(heap_.begin(), heap_.end());
    }
  }

  // The entries of a range not opened yet: a chain of blocks of kBlock entries, the last one
  // filled up to `fill`. All blocks come from one pool in slabs (never moved, reused once their
  // range is opened): a vector per range grew by doubling, which copied the entries and left
  // the smaller buffers behind — about a sixth of the 100k digest's page faults.
  static constexpr std::uint32_t kNone = UINT32_MAX;
  static constexpr std::size_t kBlock = 32;
  static constexpr std::size_t kSlabBlocks = 256;
  struct Block {
    std::array<T, kBlock> entries;
    std::uint32_t next = kNone;
  };
  struct Range {
    std::uint32_t first = kNone;
    std::uint32_t last = kNone;
    std::uint32_t fill = 0;  // entries in the last block
  };

  Block& block_at(std::uint32_t id) { return slabs_[id / kSlabBlocks][id % kSlabBlocks]; }

  std::uint32_t new_block() {
    std::uint32_t id = free_;
    if (id != kNone) {
      free_ = block_at(id).next;
    } else {
      if (blocks_ % kSlabBlocks == 0) slabs_.push_back(std::make_unique<Block[]>(kSlabBlocks));
      id = static_cast<std::uint32_t>(blocks_++);
    }
    block_at(id).next = kNone;
    return id;
  }

  void park(Range& range, const T& value) {
    if (range.first == kNone || range.fill == kBlock) {
      const std::uint32_t id = new_block();
      if (range.first == kNone) {
        range.first = id;
      } else {
        block_at(range.last).next = id;
      }
      range.last = id;
      range.fill = 0;
    }
    block_at(range.last).entries[range.fill++] = value;
  }

  double low_;
  double scale_;
  std::vector<Range> ranges_;
  std::size_t open_;        // ranges open_ … end are in the heap
  std::size_t parked_ = 0;  // entries in the ranges below open_
  std::vector<T> heap_;
  std::vector<std::unique_ptr<Block[]>> slabs_;
  std::size_t blocks_ = 0;      // blocks made so far (in slabs_)
  std::uint32_t free_ = kNone;  // the free blocks, chained through Block::next
  Priority priority_;
};

}  // namespace reflexbot::core
