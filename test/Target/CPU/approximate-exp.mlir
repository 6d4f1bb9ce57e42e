// RUN: tern-opt %s -tern-cpu-approximate-exp | FileCheck %s

// exp becomes arithmetic that LLVM can vectorize; other math ops stay.
// CHECK-LABEL: func.func @sigmoid
// CHECK-NOT: math.exp
// CHECK: arith.mulf
// CHECK: math.sqrt
func.func @sigmoid(%x: f32) -> (f32, f32) {
  %e = math.exp %x : f32
  %r = math.sqrt %x : f32
  return %e, %r : f32, f32
}
