#include "crypto/library.hpp"

#include <dlfcn.h>

#include "common/shared_object.hpp"

namespace reflexbot::crypto {
namespace {

template <typename Function>
bool bind(void* handle, const char* name, Function& function, std::string& missing) {
  function = reinterpret_cast<Function>(::dlsym(handle, name));
  if (function == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(name);
  return function != nullptr;
}

Expected<CryptoLibrary, std::string> load() {
  auto handle = open_shared_object(kCryptoLibraryFile);
  if (!handle) return Unexpected("the crypto library " + handle.error());
  CryptoLibrary library;
  std::string missing;
  bind(*handle, "rb_crypto_open", library.open, missing);
  bind(*handle, "rb_crypto_call", library.call, missing);
  bind(*handle, "rb_crypto_free_string", library.free_string, missing);
  bind(*handle, "rb_crypto_close", library.close, missing);
  bind(*handle, "rb_crypto_encrypt_attachment", library.encrypt_attachment, missing);
  if (!missing.empty())
    return Unexpected(std::string("the crypto library ") + kCryptoLibraryFile + " lacks " +
                      missing + " (a library of another version?)");
  return library;
}

}  // namespace

Expected<const CryptoLibrary*, std::string> crypto_library() {
  // Loaded once; a static local is initialised once even if two threads ask.
  static const Expected<CryptoLibrary, std::string> loaded = load();
  if (!loaded) return Unexpected(loaded.error());
  return &loaded.value();
}

}  // namespace reflexbot::crypto
