#pragma once
// A thin RAII layer over the SQLite C API: a connection, prepared statements, and errors that say
// which statement failed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace reflexbot::store {

/// A failed SQLite call; what() names the operation and SQLite's message.
class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  /// The SQLite result code.
  int code() const { return code_; }

 private:
  int code_;
};

class Connection;

/// A prepared statement; bind with 1-based indexes, step, read columns, reset for reuse.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t number);
  Statement& bind_null(int index);
  /// Binds bytes as a BLOB.
  Statement& bind_blob(int index, std::span<const std::byte> bytes);
  /// Binds text, or NULL when absent.
  Statement& bind_optional(int index, const std::optional<std::string>& text);

  /// Advances; true while a row is available.
  bool step();
  /// Runs a statement that returns no rows, then resets it.
  void run();
  /// Resets the statement and clears its bindings.
  void reset();

  std::string column_text(int index) const;
  /// How many columns a row of the statement has.
  int column_count() const;
  /// A text column without a copy, valid until the next step, reset or column call.
  std::string_view column_view(int index) const;
  std::optional<std::string> column_optional_text(int index) const;
  std::int64_t column_int(int index) const;
  bool column_is_null(int index) const;
  /// A BLOB (or text) column's bytes, valid until the next step, reset or column call.
  std::span<const std::byte> column_blob(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// How a connection opens its file.
enum class OpenMode {
  read_write,  ///< created if missing
  read_only,   ///< must exist; for `reflexbot status` and `backup` beside the running bot
};

/// An open SQLite database.
class Connection {
 public:
  explicit Connection(const std::string& path, OpenMode mode = OpenMode::read_write);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  /// Rows changed by the last statement.
  std::int64_t changes() const;
  sqlite3* handle() { return db_; }
  /// The main database's file; empty for one in memory or a temporary one.
  std::string path() const;
  /// Whether another connection to the file reads what this one reads now: no transaction is
  /// open, or a Transaction is (BEGIN IMMEDIATE: nobody else commits meanwhile) that has not
  /// changed a row yet. False in any other transaction.
  bool others_read_the_same() const;

 private:
  friend class Transaction;
  sqlite3* db_ = nullptr;
  std::int64_t changes_at_begin_ = -1;  // total changes when the open Transaction began
};

/// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

}  // namespace reflexbot::store
