#!/bin/bash
# Builds and runs the decode-layout benchmark (base3_gemv_bench.cpp): base3_tiled (1.6 bits/trit)
# against the production two_bit_tiled GEMVs, over one 1.3B decode step, at 1 and 2 threads, next
# to the read ceiling, and the Halide 14 base3_tiled kernels against the hand-written ones; with
# them the AVX2-only GEMVs of both layouts (base3_gemv_avx2.cpp). Needs
# these libraries of the build directory:
#   ninja -C build tern_kernels tern_run_support ternary_gemv_base3_table_avx512_vbmi_halide \
#     ternary_gemv_base3_rounds_avx512_vbmi_halide ternary_gemm_base3_avx512_vbmi_halide
# Extra arguments go to the benchmark (--gemm: the prefill kernels instead).
#   bash bench/layout/run.sh [--steps 20] [--rounds 3] [--threads 1,2] [--check-only] [--gemm]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${TERN_BUILD:-$ROOT/build}"
OUT="${TERN_BENCH_OUT:-/tmp/tern-layout-bench}"
mkdir -p "$OUT"
ISA="-mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx512vbmi"
g++ -std=c++17 -O3 $ISA -c "$HERE/base3_gemv_avx512.cpp" -o "$OUT/base3_gemv_avx512.o"
# AVX2 only, so that nothing of AVX-512 slips into the AVX2 kernels.
g++ -std=c++17 -O3 -mavx2 -mfma -c "$HERE/base3_gemv_avx2.cpp" -o "$OUT/base3_gemv_avx2.o" \
  -I"$ROOT/runtime/kernels"
g++ -std=c++17 -O3 -c "$HERE/base3_halide.cpp" -o "$OUT/base3_halide.o" \
  -I"$ROOT/runtime/kernels" -I"$ROOT/runtime/kernels/halide" -I"$BUILD/runtime/kernels/halide" \
  -I/usr/include/halide14
g++ -std=c++17 -O3 -mavx512f -c "$HERE/base3_gemv_bench.cpp" -o "$OUT/base3_gemv_bench.o" \
  -I"$ROOT/runtime/kernels" -I"$ROOT/runtime/src"
L="$BUILD/lib"
g++ -o "$OUT/base3_gemv_bench" "$OUT/base3_gemv_bench.o" "$OUT/base3_gemv_avx512.o" "$OUT/base3_gemv_avx2.o" \
  "$OUT/base3_halide.o" \
  "$L/libtern_run_support.a" "$L/libtern_kernels.a" \
  "$L/libternary_gemv_avx512_vnni_halide.a" "$L/libternary_gemv_avx512_vnni_halide.runtime.a" \
  "$L/libternary_gemm_avx512_vnni_halide.a" "$L/libternary_gemm_avx512_vnni_halide.runtime.a" \
  "$L/libternary_gemv_base3_table_avx512_vbmi_halide.a" \
  "$L/libternary_gemv_base3_rounds_avx512_vbmi_halide.a" \
  "$L/libternary_gemm_base3_avx512_vbmi_halide.a" \
  -pthread -ldl
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) ($(nproc) cores), load: $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$OUT/base3_gemv_bench" "$@"
