#pragma once
// The temporary store the unit tests share: the SQLite database `bot.db` in a TempDir (per
// process and test, see temp_dir.hpp), closed before the directory is removed.
//
//   class CollectionTest : public ::testing::Test {
//    protected:
//     test::TempStore temp_{"collection"};
//     store::Store& store() { return temp_.store(); }
//   };

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"
#include "temp_dir.hpp"

namespace reflexbot::test {

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
