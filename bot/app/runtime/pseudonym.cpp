#include "app/runtime/pseudonym.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace reflexbot::app {

namespace {

// A context keyed with `key` for HMAC-SHA-256; throws if OpenSSL cannot make one.
evp_mac_ctx_st* keyed_context(const std::string& key) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* context = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context holds its own reference
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  if (context == nullptr ||
      EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(context);
    throw std::runtime_error("cannot set up HMAC-SHA-256 for pseudonyms");
  }
  return context;
}

}  // namespace

Pseudonymizer::Pseudonymizer(std::string key) : key_(std::move(key)) {}

Pseudonymizer::Pseudonymizer(const Pseudonymizer& other) : key_(other.key_) {
  if (other.context_ == nullptr) return;
  context_ = EVP_MAC_CTX_dup(other.context_);
  if (context_ == nullptr) throw std::runtime_error("cannot copy the HMAC context for pseudonyms");
}

Pseudonymizer& Pseudonymizer::operator=(const Pseudonymizer& other) {
  if (this != &other) *this = Pseudonymizer(other);
  return *this;
}

Pseudonymizer::Pseudonymizer(Pseudonymizer&& other) noexcept
    : key_(std::move(other.key_)), context_(std::exchange(other.context_, nullptr)) {}

Pseudonymizer& Pseudonymizer::operator=(Pseudonymizer&& other) noexcept {
  std::swap(key_, other.key_);
  std::swap(context_, other.context_);
  return *this;
}

Pseudonymizer::~Pseudonymizer() { EVP_MAC_CTX_free(context_); }

std::string Pseudonymizer::operator()(std::string_view user_id) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t length = 0;
  if (context_ == nullptr) context_ = keyed_context(key_);
  // A null key re-initialises the context with the key it holds.
  if (EVP_MAC_init(context_, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(context_, reinterpret_cast<const unsigned char*>(user_id.data()),
                     user_id.size()) != 1 ||
      EVP_MAC_final(context_, digest.data(), &length, digest.size()) != 1) {
    throw std::runtime_error("HMAC-SHA-256 of a user id failed");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()),
                                 std::min<std::size_t>(16, length)));
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::string load_or_create_key(const std::string& configured_key, const std::filesystem::path& path,
                               const std::string& noun) {
  if (!configured_key.empty()) return configured_key;
  std::ifstream existing(path, std::ios::binary);
  if (existing) {
    std::string key((std::istreambuf_iterator<char>(existing)), std::istreambuf_iterator<char>());
    if (key.size() < 16) {
      throw std::runtime_error(noun + " file " + path.string() + " is shorter than 16 bytes");
    }
    return key;
  }
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("cannot generate a " + noun);
  }
  // O_EXCL: never overwrite a key another process just wrote.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + noun + " file " + path.string() + ": " +
                             std::strerror(errno));
  }
  const auto written = ::write(fd, bytes.data(), bytes.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(bytes.size()) || !synced) {
    throw std::runtime_error("cannot write " + noun + " file " + path.string());
  }
  return std::string(bytes.begin(), bytes.end());
}

std::string load_or_create_pseudonym_key(const std::string& configured_key,
                                         const std::filesystem::path& database) {
  return load_or_create_key(configured_key, database.string() + ".key", "pseudonymisation key");
}

}  // namespace reflexbot::app
