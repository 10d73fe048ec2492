#include "net/transport.hpp"

#include <algorithm>
#include <cctype>

namespace reflexbot::net {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (equal_ignoring_case(h.name, name)) {
      return std::string_view(h.value);
    }
  }
  return std::nullopt;
}

}  // namespace reflexbot::net
