#!/usr/bin/env bash
# The idle-memory floor of the libraries the bot links: a program that links them, makes one
# libcurl request (to a closed loopback port, so curl is initialised as in the bot) and prints its
# VmRSS, RssFile and RssAnon. First with Debian's libcurl alone, then with the bot's own libcurl
# (bot/net/curl, HTTP and HTTPS only; built by the bot's build, in the cargo target folder:
# CARGO_TARGET_DIR or build-cargo), then with everything else the bot links.
# Compare with `bench/idle_rss.py` (the bot itself, idle); docs/benchmarks.md explains the figures.
set -euo pipefail
work="$(mktemp -d "${TMPDIR:-/tmp}/reflexbot-floor-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat >"$work/floor.cpp" <<'CPP'
#include <curl/curl.h>

#include <fstream>
#include <iostream>
#include <string>

int main() {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1:1/");
  curl_easy_perform(curl);
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS", 0) == 0 || line.rfind("RssAnon", 0) == 0 ||
        line.rfind("RssFile", 0) == 0) {
      std::cout << "  " << line << "\n";
    }
  }
  curl_easy_cleanup(curl);
}
CPP
curl_dir="${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/release}"
curl_dir="${curl_dir:-$(cd "$(dirname "$0")/.." && pwd)/build-cargo/release}"
own_curl=(-I"$curl_dir/reflexbot-curl/include" "$curl_dir/libreflexbot_curl.a" -lssl -lcrypto -lz)
c++ -O2 "$work/floor.cpp" -o "$work/curl_only" -lcurl
c++ -O2 "$work/floor.cpp" -o "$work/own_curl" "${own_curl[@]}"
c++ -O2 "$work/floor.cpp" -o "$work/all" -Wl,--no-as-needed -lcurl -lsqlite3 -lspdlog -lfmt \
  -lyaml-cpp -lsimdjson -lstemmer -lhunspell-1.7 -lmythes-1.2 -lcrypto
c++ -O2 "$work/floor.cpp" -o "$work/all_own" -Wl,--no-as-needed "${own_curl[@]}" -lsqlite3 \
  -lspdlog -lfmt -lyaml-cpp -lsimdjson -lstemmer -lhunspell-1.7 -lmythes-1.2
echo "Debian's libcurl only:"
"$work/curl_only"
echo "the bot's libcurl (bot/net/curl) only:"
"$work/own_curl"
echo "everything the bot linked before (Debian's libcurl, SQLite, spdlog, fmt, yaml-cpp, simdjson, libstemmer, Hunspell, MyThes, libcrypto):"
"$work/all"
echo "everything the bot links now (its own libcurl, libssl, libz and the rest as above):"
"$work/all_own"
