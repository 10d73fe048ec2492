#pragma once
// Work split over threads for the grouping (core/grouping.cpp): the documents' vectors and
// their nearest neighbours are computed in contiguous slices, one thread each.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace reflexbot::core {

// Runs f(begin, end, worker) over [0, n) in `workers` contiguous slices, one thread each (the
// calling thread takes the first). The slices' results must not depend on which thread ran them.
// An exception in any slice (std::bad_alloc in a large period) is rethrown here once every slice
// has ended, the first slice's first; a thread that cannot be started leaves its slice to the
// calling thread.
template <class F>
void in_slices(std::size_t n, std::size_t workers, F&& f) {
  workers = std::max<std::size_t>(1, std::min(workers, n));
  if (workers == 1) {
    f(std::size_t{0}, n, std::size_t{0});
    return;
  }
  const std::size_t step = (n + workers - 1) / workers;
  std::vector<std::exception_ptr> errors(workers);
  auto run = [&f, &errors, n, step](std::size_t w) noexcept {
    const std::size_t begin = std::min(n, w * step);
    try {
      f(begin, std::min(n, begin + step), w);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  std::size_t started = 1;
  try {
    threads.reserve(workers - 1);
    for (; started < workers; ++started) threads.emplace_back(run, started);
  } catch (const std::exception&) {
    // No (more) threads: the slices left run on this one.
  }
  run(0);
  for (std::size_t w = started; w < workers; ++w) run(w);
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace reflexbot::core
