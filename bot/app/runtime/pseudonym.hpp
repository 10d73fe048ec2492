#pragma once
// Authors are stored as a keyed hash of their Matrix id, so "forget me" finds them and the
// database alone names no one.

#include <filesystem>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;

namespace reflexbot::app {

/// HMAC-SHA-256 of Matrix user ids under a secret key. The keyed context is made at the first id
/// (so a process that never pseudonymises does not set up OpenSSL for it) and re-initialised for
/// each further one (the key's inner and outer hashes are not computed again, and nothing is
/// allocated per id); one object is for one thread at a time (copies are independent).
class Pseudonymizer {
 public:
  explicit Pseudonymizer(std::string key);
  Pseudonymizer(const Pseudonymizer& other);
  Pseudonymizer& operator=(const Pseudonymizer& other);
  Pseudonymizer(Pseudonymizer&& other) noexcept;
  Pseudonymizer& operator=(Pseudonymizer&& other) noexcept;
  ~Pseudonymizer();
  /// 32 hex digits (the first 128 bits of the HMAC).
  std::string operator()(std::string_view user_id) const;

 private:
  std::string key_;
  mutable evp_mac_ctx_st* context_ = nullptr;  // EVP_MAC_CTX, keyed; made at the first id
};

/// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

/// The configured key, or else the key file `path`, created with 32 random bytes and mode 0600 on
/// first use. `noun` names the key in errors. Throws std::runtime_error naming the file.
std::string load_or_create_key(const std::string& configured_key, const std::filesystem::path& path,
                               const std::string& noun);

/// The configured key, or else the key file beside the database (`<database>.key`), created
/// with 32 random bytes and mode 0600 on first use. Throws std::runtime_error naming the file.
std::string load_or_create_pseudonym_key(const std::string& configured_key,
                                         const std::filesystem::path& database);

}  // namespace reflexbot::app
