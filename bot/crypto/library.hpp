#pragma once
// The crypto library (libreflexbot_crypto.so, built by cargo from rust/) behind a table of the five
// functions of rb_crypto.h. It is loaded on the first call of crypto_library(), not at start: a
// bot that never meets an encrypted room keeps none of it resident.

#include <string>

#include "common/expected.hpp"
#include "crypto/rb_crypto.h"

namespace reflexbot::crypto {

/// The C ABI of rb_crypto.h, as loaded.
struct CryptoLibrary {
  decltype(&rb_crypto_open) open = nullptr;
  decltype(&rb_crypto_call) call = nullptr;
  decltype(&rb_crypto_free_string) free_string = nullptr;
  decltype(&rb_crypto_close) close = nullptr;
  decltype(&rb_crypto_encrypt_attachment) encrypt_attachment = nullptr;
};

/// The file name of the crypto library.
inline constexpr const char* kCryptoLibraryFile = "libreflexbot_crypto.so";

/// The library, loaded on the first call (later calls return the same table, or the same error):
/// an error names the file and the folders it was looked for in.
Expected<const CryptoLibrary*, std::string> crypto_library();

}  // namespace reflexbot::crypto
