// Hostile tern IR (tern-opt's input): sizes that used to overflow, hang or exhaust memory are
// refused or left alone (docs/hardening.md). The inputs are also in fuzz/corpus/mlir/regress-*.
// RUN: tern-opt %s -split-input-file -verify-diagnostics
// The valid cases again, canonicalized: mlir-fold-limits.mlir.

// 9223372036854775807 columns of base3 used to overflow computing the packed row bytes.
// expected-error @+1 {{trits shape must be at most 2147483647 in each dimension, got 1x9223372036854775807}}
func.func @cols_overflow(%w: !tern.trits<1x9223372036854775807, base3>) {
  return
}

// -----

// A splat of two billion trits is verified by its one value (it used to loop over every copy).
func.func @huge_splat() -> !tern.trits<2000000000x1, none> {
  %w = tern.ternary_constant dense<0> : tensor<2000000000x1xi8> scale(2.5) : !tern.trits<2000000000x1, none>
  return %w : !tern.trits<2000000000x1, none>
}

// -----

// ... and a bad trit in such a splat is still found.
func.func @huge_bad_splat() -> !tern.trits<2000000000x1, none> {
  // expected-error @+1 {{value with packing none must hold trits in {-1, 0, 1}, found 2}}
  %w = tern.ternary_constant dense<2> : tensor<2000000000x1xi8> scale(2.5) : !tern.trits<2000000000x1, none>
  return %w : !tern.trits<2000000000x1, none>
}
