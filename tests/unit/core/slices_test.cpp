#include "core/slices.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <vector>

namespace reflexbot::core {
namespace {

TEST(InSlices, EveryIndexIsVisitedOnceWhateverTheNumberOfWorkers) {
  for (std::size_t workers : {1U, 2U, 3U, 4U, 7U}) {
    std::vector<std::atomic<int>> seen(101);
    in_slices(seen.size(), workers, [&](std::size_t begin, std::size_t end, std::size_t) {
      for (std::size_t i = begin; i < end; ++i) ++seen[i];
    });
    for (const auto& count : seen) EXPECT_EQ(count.load(), 1) << workers << " workers";
  }
}

// The grouping runs on up to four threads for large periods: an allocation that fails in one of
// them must reach the digest's caller as an exception, as it would on one thread, not end the
// process through std::terminate.
TEST(InSlices, AnExceptionInAnotherThreadsSliceReachesTheCaller) {
  std::atomic<int> finished{0};
  EXPECT_THROW(in_slices(100, 3,
                         [&](std::size_t, std::size_t, std::size_t worker) {
                           if (worker == 2) throw std::bad_alloc();
                           ++finished;
                         }),
               std::bad_alloc);
  EXPECT_EQ(finished.load(), 2);
}

TEST(InSlices, AnExceptionInTheCallersSliceWaitsForTheOtherThreads) {
  std::atomic<int> finished{0};
  EXPECT_THROW(in_slices(100, 4,
                         [&](std::size_t, std::size_t, std::size_t worker) {
                           if (worker == 0) throw std::runtime_error("slice 0");
                           ++finished;
                         }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), 3);
}

}  // namespace
}  // namespace reflexbot::core
