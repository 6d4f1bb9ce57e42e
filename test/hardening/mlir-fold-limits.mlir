// Canonicalizing hostile tern IR neither hangs nor exhausts memory (docs/hardening.md); the inputs
// are also in fuzz/corpus/mlir/regress-*.
// RUN: tern-opt %s -split-input-file -canonicalize | FileCheck %s

// Folding lower_bounds of a 10^10-element splat would need 40 GB: it is left unfolded.
// CHECK-LABEL: func.func @huge_lower_bounds
// CHECK: tern.lower_bounds %{{.*}} : tensor<100000x100000xf32>
func.func @huge_lower_bounds() -> tensor<100000x100000xf32> {
  %c = arith.constant dense<1.0> : tensor<100000x100000xf32>
  %b = tern.lower_bounds %c : tensor<100000x100000xf32>
  return %b : tensor<100000x100000xf32>
}

// -----

// A splat of two billion trits verifies in constant time (it used to loop over every copy).
// CHECK-LABEL: func.func @huge_splat
// CHECK: tern.ternary_constant dense<0> : tensor<2000000000x1xi8>
func.func @huge_splat() -> !tern.trits<2000000000x1, none> {
  %w = tern.ternary_constant dense<0> : tensor<2000000000x1xi8> scale(2.5) : !tern.trits<2000000000x1, none>
  return %w : !tern.trits<2000000000x1, none>
}
