#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (docs/hardening.md):
# configures build-asan/ with the `asan` preset of CMakePresets.json, builds every target and runs
# every ctest test (unit tests, the lit suite with its end-to-end tests) with the preset's
# ASAN_OPTIONS/UBSAN_OPTIONS. Any sanitizer report fails the test it happens in.
#
#   scripts/sanitize.sh            build-asan/ next to build/
#   TERN_JOBS=4 scripts/sanitize.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${TERN_JOBS:-2}
# The same compiler cache as scripts/build.sh.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tern-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
cd "$root"
start=$(date +%s)
configured=$start built=$start
# The times are printed whether or not a step fails.
trap 'echo "sanitize: configure $((configured - start))s, build $((built - configured))s," \
           "tests $(($(date +%s) - built))s, total $(($(date +%s) - start))s"' EXIT
cmake --preset asan >/dev/null
configured=$(date +%s)
cmake --build --preset asan -j "$jobs"
built=$(date +%s)
ctest --preset asan -j "$jobs"
