#!/usr/bin/env bash
# The idle-memory floor of the libraries the bot links: a program that links them, makes one
# libcurl request (to a closed loopback port, so curl is initialised as in the bot) and prints its
# VmRSS, RssFile and RssAnon. First with libcurl alone, then with everything else the bot links.
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
c++ -O2 "$work/floor.cpp" -o "$work/curl_only" -lcurl
c++ -O2 "$work/floor.cpp" -o "$work/all" -Wl,--no-as-needed -lcurl -lsqlite3 -lspdlog -lfmt \
  -lyaml-cpp -lsimdjson -lstemmer -lhunspell-1.7 -lmythes-1.2 -lcrypto
echo "libcurl only:"
"$work/curl_only"
echo "everything the bot links (libcurl, SQLite, spdlog, fmt, yaml-cpp, simdjson, libstemmer, Hunspell, MyThes, libcrypto):"
"$work/all"
