#pragma once
// An environment variable set (or unset) for the life of the object, and put back as it was
// afterwards, so that a test's environment does not leak into the next test of the process.
//
//   test::ScopedEnv ca{"SSL_CERT_FILE", "/path/ca.pem"};
//   test::ScopedEnv none{"CREDENTIALS_DIRECTORY", std::nullopt};  // unset

#include <cstdlib>
#include <optional>
#include <string>

namespace reflexbot::test {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace reflexbot::test
