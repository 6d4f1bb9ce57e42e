#!/usr/bin/env bash
# Long fuzzing runs (docs/hardening.md). The ctest smoke runs are short; this is for finding bugs.
#
#   scripts/fuzz.sh TARGET SECONDS      fuzz one target, e.g. scripts/fuzz.sh npy 600
#   scripts/fuzz.sh all SECONDS         every target in turn, SECONDS each
#   scripts/fuzz.sh list                the targets
#
# Builds the fuzz project (fuzz/, clang-22 + libFuzzer, ASan + UBSan) in build-fuzz/ if needed.
# The working corpus is build-fuzz/corpus/TARGET, started from fuzz/corpus/TARGET; crashes, leaks
# and timeouts are written to build-fuzz/crashes/TARGET/. Reproduce one with
#   build-fuzz/bin/fuzz-TARGET build-fuzz/crashes/TARGET/crash-...
# then add it to fuzz/corpus/TARGET/ as regress-NAME with a unit or lit test (docs/hardening.md).
# Environment: TERN_FUZZ_BUILD (default build-fuzz), TERN_FUZZ_FLAGS (extra libFuzzer flags).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_FUZZ_BUILD:-$root/build-fuzz}

usage() {
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS, or scripts/fuzz.sh list" >&2
  exit 2
}

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_C_COMPILER=clang-22 >/dev/null
fi
# Two runs may start at once (one per core); one build at a time.
flock "$build/.build.lock" ninja -C "$build" >/dev/null
mapfile -t targets < "$build/fuzz-targets.txt"

[ $# -ge 1 ] || usage
if [ "$1" = list ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
[ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage

dict_of() {
  case $1 in
    npy) echo "-dict=$root/fuzz/dict/npy.dict" ;;
    mlir) echo "-dict=$root/fuzz/dict/mlir.dict" ;;
    token-ids) ;;
    *) echo "-dict=$root/fuzz/dict/json.dict" ;;
  esac
}

fuzz_one() {
  local target=$1 seconds=$2
  if [[ ! " ${targets[*]} " =~ " $target " ]]; then
    echo "fuzz.sh: unknown target '$target' (scripts/fuzz.sh list)" >&2
    exit 2
  fi
  local corpus=$build/corpus/$target crashes=$build/crashes/$target
  mkdir -p "$corpus" "$crashes"
  echo "fuzz.sh: $target for ${seconds}s (corpus $corpus, crashes to $crashes)"
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that needs 2 GB is a bug.
  # shellcheck disable=SC2046,SC2086
  "$build/bin/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" $(dict_of "$target") ${TERN_FUZZ_FLAGS:-} \
    "$corpus" "$root/fuzz/corpus/$target"
}

if [ "$1" = all ]; then
  for t in "${targets[@]}"; do fuzz_one "$t" "$2"; done
else
  fuzz_one "$1" "$2"
fi
