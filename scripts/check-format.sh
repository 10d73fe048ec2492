#!/usr/bin/env bash
# Fails if any C++ file deviates from .clang-format; `scripts/check-format.sh --fix` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'bot/*.cpp' 'bot/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp' 'fuzz/*.cpp' 'fuzz/*.hpp')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if clang-format --dry-run --Werror "${files[@]}"; then
  echo "format: ${#files[@]} files match .clang-format"
else
  echo "format: files above deviate from .clang-format (fix: scripts/check-format.sh --fix)" >&2
  exit 1
fi
