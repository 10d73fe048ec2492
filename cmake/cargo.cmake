# The Rust parts, built by the machine's cargo from their committed Cargo.lock files:
# bot/crypto/rust (matrix-sdk-crypto) and bot/net/curl (libcurl, unless REFLEXBOT_SYSTEM_CURL).
find_program(CARGO cargo HINTS $ENV{HOME}/.cargo/bin)
if(NOT CARGO)
  message(FATAL_ERROR "cargo not found: Reflexbot's encryption (bot/crypto/rust) and its libcurl "
    "(bot/net/curl) need the Rust toolchain of the machine (rustc and cargo 1.95 or newer, e.g. "
    "from rustup), on PATH or in ~/.cargo/bin")
endif()

# One cargo target folder for every build tree of this checkout (build/, build-san/): each crate
# is built once. CARGO_TARGET_DIR in the environment overrides it.
if(DEFINED ENV{CARGO_TARGET_DIR})
  set(REFLEXBOT_CARGO_TARGET_DIR $ENV{CARGO_TARGET_DIR})
else()
  set(REFLEXBOT_CARGO_TARGET_DIR ${PROJECT_SOURCE_DIR}/build-cargo)
endif()
