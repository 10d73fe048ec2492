#!/usr/bin/env bash
# Installs the Debian 12 packages Reflexbot needs to build, test and run the demo.
# Idempotent: installs only what is missing, runs `apt-get update` only then.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcurl4-openssl-dev nlohmann-json3-dev libboost-dev libspdlog-dev libgtest-dev
  libsqlite3-dev libyaml-cpp-dev libsimdjson-dev libbenchmark-dev libssl-dev libsystemd-dev libstemmer-dev
  sqlite3 python3 python3-venv clang-format
  clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for build-san/ (fuzz/, scripts/fuzz.sh)
  systemd  # systemd-analyze for tests/ops/systemd_unit.sh
)

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
