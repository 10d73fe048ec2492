#!/usr/bin/env bash
# Installs the Debian 12 packages Reflexbot needs to build, test and run the demo.
# Idempotent: installs only what is missing, runs `apt-get update` only then.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  zlib1g-dev  # for the bot's libcurl (bot/net/curl, built by cargo; with libssl-dev below)
  libcurl4-openssl-dev  # only for -DREFLEXBOT_SYSTEM_CURL=ON and bench/idle_floor.sh
  nlohmann-json3-dev libboost-dev libspdlog-dev libgtest-dev
  libsqlite3-dev libyaml-cpp-dev libsimdjson-dev libbenchmark-dev libssl-dev libsystemd-dev libstemmer-dev
  libhunspell-dev libmythes-dev  # compounds and synonyms for grouping (bot/lang), with their data:
  hunspell-de-de hunspell-en-us mythes-de mythes-en-us
  sqlite3 python3 python3-venv clang-format
  clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for build-san/ (fuzz/, scripts/fuzz.sh)
  systemd  # systemd-analyze for tests/ops/systemd_unit.sh
  chromium poppler-utils fonts-dejavu-core  # the HTML report in a real browser: PDF, pdftotext
  libcairo2-dev libpango1.0-dev  # the digest's chart (bot/render), drawn in the DejaVu font
)

# Rust is the machine's own toolchain (rustup), not a Debian package: the crypto library
# (bot/crypto/rust, matrix-sdk-crypto 0.18) and the bot's libcurl (bot/net/curl, curl-sys) need
# rustc and cargo 1.95 or newer.
check_rust() {
  local cargo rustc version
  cargo="$(command -v cargo || echo "$HOME/.cargo/bin/cargo")"
  rustc="$(command -v rustc || echo "$HOME/.cargo/bin/rustc")"
  if [[ ! -x "$cargo" || ! -x "$rustc" ]]; then
    echo "deps: the Rust toolchain is missing: Reflexbot's encryption (matrix-sdk-crypto) is" \
      "built with the machine's rustc and cargo 1.95 or newer. Install it with rustup" \
      "(https://rustup.rs), then run this again." >&2
    exit 1
  fi
  version="$("$rustc" --version | awk '{print $2}')"
  if [[ "$(printf '%s\n1.95.0\n' "$version" | sort -V | head -n1)" != 1.95.0 ]]; then
    echo "deps: rustc $version is too old: matrix-sdk-crypto 0.18 needs 1.95 or newer (rustup update)" >&2
    exit 1
  fi
  echo "deps: Rust toolchain rustc $version"
}
check_rust

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install packages" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
