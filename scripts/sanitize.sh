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
# Paths under the clone hashed relative to it, and not the build directory (the sanitizer build's
# -g1): a fresh clone elsewhere (CI clones into a new directory) then hits the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
cd "$root"
start=$(date +%s)
times=""
# Runs one step and notes its time; the times are printed whether or not a step fails.
timed() {
  local name=$1 began rc=0
  shift
  began=$(date +%s)
  "$@" || rc=$?
  times+="$name $(($(date +%s) - began))s$([ $rc -eq 0 ] || echo " (failed)"), "
  return $rc
}
trap 'echo "sanitize: ${times}total $(($(date +%s) - start))s"' EXIT
timed configure cmake --preset asan >/dev/null
timed build cmake --build --preset asan -j "$jobs"
timed tests ctest --preset asan -j "$jobs"
