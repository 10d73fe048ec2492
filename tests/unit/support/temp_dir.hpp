#pragma once
// The temporary directory the unit tests share: a fresh directory per test under the system's
// temp dir, named after the process and the test (tests of several checkouts may run at once, and
// ctest runs each test in its own process), removed again when the test ends.
//
//   class TemplatesTest : public ::testing::Test {
//    protected:
//     test::TempDir dir_{"templates"};  // dir_.path() / "a.yaml"
//   };

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <gtest/gtest.h>

namespace reflexbot::test {

/// A fresh, empty directory for the running test, removed on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "reflexbot-" + std::string(prefix) + "-" + std::to_string(::getpid());
    if (info != nullptr) name += std::string("-") + info->test_suite_name() + "-" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterised tests: "Suite/0"
    }
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace reflexbot::test
