#!/usr/bin/env bash
# Configures and builds tern with Ninja and ccache (cache outside the clone).
# Usage: scripts/build.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tern-ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Paths under the clone hashed relative to it, and not the build directory (the sanitizer build's
# -g1): a fresh clone elsewhere (CI clones into a new directory) then hits the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
jobs=${TERN_JOBS:-2}
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE=/usr/bin/python3
fi
cmake --build "$build" -j "$jobs"
