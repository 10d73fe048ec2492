#pragma once
// A minimal value-or-error type (std::expected is C++23; we build as C++20).

#include <cassert>
#include <utility>
#include <variant>

namespace reflexbot {

/// Wraps an error value so that Expected<T, E> can be built from it unambiguously.
template <typename E>
struct Unexpected {
  // A constructor, not an aggregate: Unexpected(e) with parentheses needs C++20's parenthesized
  // aggregate initialisation, which g++ 10+ has and clang only from 16.
  explicit Unexpected(E value) : error(std::move(value)) {}
  E error;
};

template <typename E>
Unexpected(E) -> Unexpected<E>;

/// Holds either a value of type T or an error of type E.
template <typename T, typename E>
class Expected {
 public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Expected(Unexpected<E> error)
      : storage_(std::in_place_index<1>, std::move(error.error)) {}  // NOLINT

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(storage_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(storage_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  E& error() & {
    assert(!has_value());
    return std::get<1>(storage_);
  }
  const E& error() const& {
    assert(!has_value());
    return std::get<1>(storage_);
  }

 private:
  std::variant<T, E> storage_;
};

/// Expected<void, E>: success carries no value.
template <typename E>
class Expected<void, E> {
 public:
  Expected() = default;
  Expected(Unexpected<E> error) : error_(std::move(error.error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E& error() & {
    assert(!ok_);
    return error_;
  }
  const E& error() const& {
    assert(!ok_);
    return error_;
  }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace reflexbot
