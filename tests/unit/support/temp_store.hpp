#pragma once
// The temporary store the unit tests share: a fresh directory per test under the system's temp
// dir, named after the test and the process (tests of several checkouts may run at once), with
// the SQLite database in it; closed and removed again when the test ends.
//
//   class CollectionTest : public ::testing::Test {
//    protected:
//     test::TempStore temp_{"collection"};
//     store::Store& store() { return temp_.store(); }
//   };

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <gtest/gtest.h>

#include "store/store.hpp"

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

/// A store opened on `bot.db` in a TempDir; close() and open() let a test reopen it, as after a
/// restart. The store is closed before the directory goes.
class TempStore {
 public:
  explicit TempStore(std::string_view prefix) : dir_(prefix) { open(); }
  ~TempStore() { close(); }

  store::Store& store() { return *store_; }
  store::Store* operator->() { return &*store_; }
  store::Store& operator*() { return *store_; }

  /// The database file.
  std::string path() const { return (dir_.path() / "bot.db").string(); }
  /// The directory around it (for files beside the database).
  const std::filesystem::path& dir() const { return dir_.path(); }

  void open() { store_.emplace(path()); }
  void close() { store_.reset(); }

 private:
  TempDir dir_;
  std::optional<store::Store> store_;
};

}  // namespace reflexbot::test
