// RUN: tern-opt %s -tern-eliminate-matmul -split-input-file -verify-diagnostics | FileCheck %s
// tern-eliminate-matmul on linalg contractions whose weight is a ternary constant: every case
// that is rewritten, and every case that is left alone with the remark that says why.
// (Numerics: test/ternc/mlir-graphs.test runs these forms against NumPy.)

// A matmul against a constant in {-0.5, 0, 0.5}: trits [N, K] = W^T, one scale.
// CHECK-LABEL: func.func @matmul_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}1, 0, -1, 1], [0, 1, -1, 0], [-1, 1, 0, 0]]> : tensor<3x4xi8> scale(2.000000e+00) : !tern.trits<3x4, none>
// CHECK-NEXT: %[[Y:.*]] = tern.ternary_accumulate %[[X]], %[[W]] scale(5.000000e-01 : f32) : tensor<?x4xf32>, !tern.trits<3x4, none> -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.fill
func.func @matmul_f32(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -0.5], [0.0, 0.5, 0.5], [-0.5, -0.5, 0.0], [0.5, 0.0, 0.0]]> : tensor<4x3xf32>
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%t) : tensor<?x3xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x3xf32>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----
// Integers: i8 x i8 -> i32 with s = 3, the scale in the accumulator's type; two matmuls reading
// the constant the same way share its trits, and the latent constant goes away.
// CHECK-LABEL: func.func @matmul_i8_shared
// CHECK: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}1, 0], [0, -1]]> : tensor<2x2xi8>
// CHECK-NOT: tern.ternary_constant
// CHECK: tern.ternary_accumulate %{{.*}}, %[[W]] scale(3 : i32) : tensor<2x2xi8>, !tern.trits<2x2, none> -> tensor<2x2xi32>
// CHECK: tern.ternary_accumulate %{{.*}}, %[[W]] scale(3 : i32) : tensor<2x2xi8>, !tern.trits<2x2, none> -> tensor<2x2xi32>
// CHECK-NOT: arith.constant dense<{{\[\[}}3
// CHECK-NOT: linalg.matmul
func.func @matmul_i8_shared(%a: tensor<2x2xi8>, %b: tensor<2x2xi8>) -> (tensor<2x2xi32>, tensor<2x2xi32>) {
  %w = arith.constant dense<[[3, 0], [0, -3]]> : tensor<2x2xi8>
  %z = arith.constant dense<0> : tensor<2x2xi32>
  %y = linalg.matmul ins(%a, %w : tensor<2x2xi8>, tensor<2x2xi8>) outs(%z : tensor<2x2xi32>) -> tensor<2x2xi32>
  %v = linalg.matmul ins(%b, %w : tensor<2x2xi8>, tensor<2x2xi8>) outs(%z : tensor<2x2xi32>) -> tensor<2x2xi32>
  return %y, %v : tensor<2x2xi32>, tensor<2x2xi32>
}

// -----
// The constant on the left: the activation is transposed to [T, K], the result back; a
// non-zero init is added.
// CHECK-LABEL: func.func @constant_lhs
// CHECK-SAME: (%[[X:.*]]: tensor<3x5xf32>, %[[C:.*]]: tensor<2x5xf32>)
// CHECK: %[[W:.*]] = tern.ternary_constant dense<{{\[\[}}1, 0, -1], [0, 1, 1]]> : tensor<2x3xi8>
// CHECK: %[[XT:.*]] = linalg.transpose ins(%[[X]] : tensor<3x5xf32>) outs(%{{.*}} : tensor<5x3xf32>) permutation = [1, 0]
// CHECK: %[[A:.*]] = tern.ternary_accumulate %[[XT]], %[[W]] : tensor<5x3xf32>, !tern.trits<2x3, none> -> tensor<5x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<5x2xf32>) outs(%[[C]] : tensor<2x5xf32>)
// CHECK:   arith.addf
// CHECK-NOT: linalg.matmul
func.func @constant_lhs(%x: tensor<3x5xf32>, %c: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %w = arith.constant dense<[[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>
  %y = linalg.matmul ins(%w, %x : tensor<2x3xf32>, tensor<3x5xf32>) outs(%c : tensor<2x5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----
// matvec (constant matrix) and vecmat (constant matrix): the vector becomes one row.
// CHECK-LABEL: func.func @matvec_vecmat
// CHECK: tern.ternary_accumulate %{{.*}}, %{{.*}} scale(2.000000e+00 : f64) : tensor<1x3xf64>, !tern.trits<2x3, none> -> tensor<1x2xf64>
// CHECK: tern.ternary_accumulate %{{.*}}, %{{.*}} : tensor<1x2xf64>, !tern.trits<3x2, none> -> tensor<1x3xf64>
// CHECK-NOT: linalg.matvec
// CHECK-NOT: linalg.vecmat
func.func @matvec_vecmat(%x: tensor<3xf64>, %v: tensor<2xf64>) -> (tensor<2xf64>, tensor<3xf64>) {
  %a = arith.constant dense<[[2.0, 0.0, -2.0], [0.0, 2.0, 2.0]]> : tensor<2x3xf64>
  %b = arith.constant dense<[[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf64>
  %z2 = arith.constant dense<0.0> : tensor<2xf64>
  %z3 = arith.constant dense<0.0> : tensor<3xf64>
  %y = linalg.matvec ins(%a, %x : tensor<2x3xf64>, tensor<3xf64>) outs(%z2 : tensor<2xf64>) -> tensor<2xf64>
  %u = linalg.vecmat ins(%v, %b : tensor<2xf64>, tensor<2x3xf64>) outs(%z3 : tensor<3xf64>) -> tensor<3xf64>
  return %y, %u : tensor<2xf64>, tensor<3xf64>
}

// -----
// batch_matmul with a constant per batch: one accumulate per slice, put back with insert_slice.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: %[[W0:.*]] = tern.ternary_constant dense<{{\[\[}}1, 0, 1], [0, -1, 1]]>
// CHECK: %[[W1:.*]] = tern.ternary_constant dense<{{\[\[}}-1, 0, 1], [0, 0, -1]]>
// CHECK: %[[X0:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0]
// CHECK: tern.ternary_accumulate %[[X0]], %[[W0]] : tensor<?x3xf32>, !tern.trits<2x3, none> -> tensor<?x2xf32>
// CHECK: %[[X1:.*]] = tensor.extract_slice %{{.*}}[1, 0, 0]
// CHECK: tern.ternary_accumulate %[[X1]], %[[W1]] : tensor<?x3xf32>, !tern.trits<2x3, none> -> tensor<?x2xf32>
// CHECK-COUNT-2: tensor.insert_slice
// CHECK-NOT: linalg.batch_matmul
func.func @batch_matmul(%x: tensor<2x?x3xf32>, %init: tensor<2x?x2xf32>) -> tensor<2x?x2xf32> {
  %w = arith.constant dense<[[[1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [[-1.0, 0.0], [0.0, 0.0], [1.0, -1.0]]]> : tensor<2x3x2xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x?x3xf32>, tensor<2x3x2xf32>) outs(%init : tensor<2x?x2xf32>) -> tensor<2x?x2xf32>
  return %y : tensor<2x?x2xf32>
}

// -----
// A linalg.generic contraction: [B, T, K] bf16 activations, extended to f32, against [N, K].
// The rows (B, T) collapse into T and expand back.
#mx = affine_map<(b, t, n, k) -> (b, t, k)>
#mw = affine_map<(b, t, n, k) -> (n, k)>
#mc = affine_map<(b, t, n, k) -> (b, t, n)>
// CHECK-LABEL: func.func @generic_contraction
// CHECK: %[[X2:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x?x4xbf16> into tensor<?x4xbf16>
// CHECK: %[[A:.*]] = tern.ternary_accumulate %[[X2]], %{{.*}} : tensor<?x4xbf16>, !tern.trits<3x4, none> -> tensor<?x3xf32>
// CHECK: tensor.expand_shape %[[A]] {{\[\[}}0, 1], [2]] output_shape [2, %{{.*}}, 3] : tensor<?x3xf32> into tensor<2x?x3xf32>
// CHECK-NOT: arith.mulf
func.func @generic_contraction(%x: tensor<2x?x4xbf16>, %init: tensor<2x?x3xf32>) -> tensor<2x?x3xf32> {
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 1.0], [0.0, 1.0, 1.0, 0.0], [-1.0, -1.0, 0.0, 0.0]]> : tensor<3x4xbf16>
  %y = linalg.generic {indexing_maps = [#mx, #mw, #mc], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x?x4xbf16>, tensor<3x4xbf16>) outs(%init : tensor<2x?x3xf32>) {
  ^bb0(%a: bf16, %b: bf16, %c: f32):
    %ae = arith.extf %a : bf16 to f32
    %be = arith.extf %b : bf16 to f32
    %m = arith.mulf %ae, %be : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x?x3xf32>
  return %y : tensor<2x?x3xf32>
}

// -----
// Elementwise generics that multiply and add are not contractions: untouched, no remark.
#id = affine_map<(i) -> (i)>
// CHECK-LABEL: func.func @elementwise_fma
// CHECK: linalg.generic
func.func @elementwise_fma(%x: tensor<4xf32>, %c: tensor<4xf32>) -> tensor<4xf32> {
  %w = arith.constant dense<[1.0, 0.0, -1.0, 1.0]> : tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) outs(%c : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----
// Left alone: no constant operand.
// CHECK-LABEL: func.func @not_constant
// CHECK: linalg.matmul
func.func @not_constant(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>, %c: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-remark @+1 {{linalg.matmul left as is: no operand is a constant (the weight must be an arith.constant)}}
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%c : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----
// Left alone: a float constant that is not ternary (without ternarize-float-weights).
// CHECK-LABEL: func.func @not_ternary_float
// CHECK: linalg.matmul
func.func @not_ternary_float(%x: tensor<2x2xf32>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, 0.0], [0.25, -0.5]]> : tensor<2x2xf32>
  // expected-remark @+1 {{linalg.matmul left as is: the constant operand is not ternary: its values are not all in {-s, 0, +s} (found 0.5 and 0.25); set ternarize-float-weights to approximate it}}
  %y = linalg.matmul ins(%x, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----
// Left alone: an integer constant that is not ternary.
// CHECK-LABEL: func.func @not_ternary_int
// CHECK: linalg.matvec
func.func @not_ternary_int(%x: tensor<2xi32>, %c: tensor<2xi32>) -> tensor<2xi32> {
  %w = arith.constant dense<[[2, 0], [0, 4]]> : tensor<2x2xi32>
  // expected-remark @+1 {{linalg.matvec left as is: the constant operand is not ternary: its values are not all in {-s, 0, +s} (found 2 and 4)}}
  %y = linalg.matvec ins(%w, %x : tensor<2x2xi32>, tensor<2xi32>) outs(%c : tensor<2xi32>) -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// -----
// Left alone: unsigned integer extension (-s would read as a large positive weight).
// CHECK-LABEL: func.func @unsigned
// CHECK: linalg.matmul
func.func @unsigned(%x: tensor<2x2xi8>, %c: tensor<2x2xi32>) -> tensor<2x2xi32> {
  %w = arith.constant dense<[[1, 0], [0, -1]]> : tensor<2x2xi8>
  // expected-remark @+1 {{linalg.matmul left as is: it zero-extends its integer operands (unsigned); only signed extension keeps -s a negative weight}}
  %y = linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%x, %w : tensor<2x2xi8>, tensor<2x2xi8>) outs(%c : tensor<2x2xi32>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// -----
// Left alone: integer activations into a float result.
// CHECK-LABEL: func.func @mixed
// CHECK: linalg.matmul
func.func @mixed(%x: tensor<2x2xi8>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, -1.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{linalg.matmul left as is: it converts an operand with arith.sitofp, which the ternary form does not reproduce}}
  %y = linalg.matmul ins(%x, %w : tensor<2x2xi8>, tensor<2x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----
// Left alone: memrefs.
// CHECK-LABEL: func.func @memrefs
// CHECK: linalg.matmul
func.func @memrefs(%x: memref<2x2xf32>, %w: memref<2x2xf32>, %c: memref<2x2xf32>) {
  // expected-remark @+1 {{linalg.matmul left as is: it works on memrefs; tern-eliminate-matmul rewrites tensors only}}
  linalg.matmul ins(%x, %w : memref<2x2xf32>, memref<2x2xf32>) outs(%c : memref<2x2xf32>)
  return
}

// -----
// Left alone: a shape it cannot map to [T, K] x [N, K] (a loop that only the weight indexes,
// summed over: the weight is reduced on its own).
#m0 = affine_map<(i, j, k) -> (i, k)>
#m1 = affine_map<(i, j, k) -> (j, k)>
#m2 = affine_map<(i, j, k) -> (i)>
// CHECK-LABEL: func.func @weight_only_reduction
// CHECK: linalg.generic
func.func @weight_only_reduction(%x: tensor<2x3xf32>, %c: tensor<2xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>
  // expected-remark @+1 {{linalg.generic left as is: loop d1 is indexed by the weight alone; only batch, row, column and reduction loops are supported}}
  %y = linalg.generic {indexing_maps = [#m0, #m1, #m2], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<2x3xf32>, tensor<2x3xf32>) outs(%c : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----
// Left alone: a batch of more than 64 different weights.
// CHECK-LABEL: func.func @too_many_batches
// CHECK: linalg.batch_matmul
func.func @too_many_batches(%x: tensor<65x1x1xf32>, %c: tensor<65x1x1xf32>) -> tensor<65x1x1xf32> {
  %w = arith.constant dense<1.0> : tensor<65x1x1xf32>
  // expected-remark @+1 {{linalg.batch_matmul left as is: its 65 batch slices each need their own trits (at most 64)}}
  %y = linalg.batch_matmul ins(%x, %w : tensor<65x1x1xf32>, tensor<65x1x1xf32>) outs(%c : tensor<65x1x1xf32>) -> tensor<65x1x1xf32>
  return %y : tensor<65x1x1xf32>
}
