// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-split-epilogues))' | FileCheck %s

#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
#row = affine_map<(t, n) -> (t)>

// The recurrence step's shape: one op reads two sibling products (%i and %f, computed from
// their own inputs, neither from the other). Its part that reads only %i and the scale
// (dequantization and silu: everything up to x * sigmoid(x)) becomes an op right after %i's
// product, and the rest reads its value: the same operations in the same order.
// CHECK-LABEL: func.func @siblings
// CHECK: %[[I:.*]] = linalg.generic {{.*}} attrs = {tern.ternary_accumulate
// CHECK-NEXT: ^bb0
// CHECK: linalg.yield
// CHECK-NEXT: } -> tensor<1x8xi32>
// CHECK-NEXT: %[[EMPTY:.*]] = tensor.empty() : tensor<1x8xf32>
// CHECK-NEXT: %[[S:.*]] = linalg.generic {{.*}} ins(%[[I]], %arg2 : tensor<1x8xi32>, tensor<1xf32>) outs(%[[EMPTY]] : tensor<1x8xf32>)
// CHECK: arith.sitofp
// CHECK: arith.divf
// CHECK: math.exp
// CHECK: %[[SIG:.*]] = arith.divf
// CHECK: %[[SILU:.*]] = arith.mulf %{{.*}}, %[[SIG]] : f32
// CHECK-NEXT: linalg.yield %[[SILU]] : f32
// CHECK: %[[F:.*]] = linalg.generic {{.*}} attrs = {tern.ternary_accumulate
// CHECK: linalg.generic {{.*}} ins(%[[S]], %[[F]] : tensor<1x8xf32>, tensor<1x8xi32>)
// CHECK-NEXT: ^bb0(%[[SV:.*]]: f32, %[[FV:.*]]: i32, %{{.*}}: f32):
// CHECK-NOT: math.exp
// CHECK: %[[FF:.*]] = arith.sitofp %[[FV]]
// CHECK-NEXT: %[[KEEP:.*]] = arith.subf %{{.*}}, %[[FF]] : f32
// CHECK-NEXT: %[[A:.*]] = arith.mulf %[[SV]], %[[KEEP]] : f32
// CHECK-NEXT: linalg.yield %[[A]] : f32
func.func @siblings(%qi: tensor<1x16xi8>, %qf: tensor<1x16xi8>, %scale: tensor<1xf32>,
                    %wi: tensor<8x16xi8>, %wf: tensor<8x16xi8>) -> tensor<1x8xf32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x8xi32>
  %z = linalg.fill ins(%zero : i32) outs(%e : tensor<1x8xi32>) -> tensor<1x8xi32>
  %i = linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%qi, %wi : tensor<1x16xi8>, tensor<8x16xi8>) outs(%z : tensor<1x8xi32>) attrs = {tern.ternary_accumulate = 0 : i32} {
  ^bb0(%x: i8, %t: i8, %acc: i32):
    %p = arith.muli %x, %t : i8
    %p32 = arith.extsi %p : i8 to i32
    %s = arith.addi %acc, %p32 : i32
    linalg.yield %s : i32
  } -> tensor<1x8xi32>
  %f = linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%qf, %wf : tensor<1x16xi8>, tensor<8x16xi8>) outs(%z : tensor<1x8xi32>) attrs = {tern.ternary_accumulate = 0 : i32} {
  ^bb0(%x: i8, %t: i8, %acc: i32):
    %p = arith.muli %x, %t : i8
    %p32 = arith.extsi %p : i8 to i32
    %s = arith.addi %acc, %p32 : i32
    linalg.yield %s : i32
  } -> tensor<1x8xi32>
  %out = tensor.empty() : tensor<1x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%i, %scale, %f : tensor<1x8xi32>, tensor<1xf32>, tensor<1x8xi32>) outs(%out : tensor<1x8xf32>) {
  ^bb0(%iv: i32, %sv: f32, %fv: i32, %o: f32):
    %one = arith.constant 1.0 : f32
    %x = arith.sitofp %iv : i32 to f32
    %d = arith.divf %x, %sv : f32
    %n = arith.negf %d : f32
    %ex = math.exp %n : f32
    %den = arith.addf %ex, %one : f32
    %sig = arith.divf %one, %den : f32
    %silu = arith.mulf %d, %sig : f32
    %ff = arith.sitofp %fv : i32 to f32
    %keep = arith.subf %one, %ff : f32
    %r = arith.mulf %silu, %keep : f32
    linalg.yield %r : f32
  } -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}

// -----

#q = affine_map<(t, n, k) -> (t, k)>
#w = affine_map<(t, n, k) -> (n, k)>
#o = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>

// A residual: the op reads a product (%o) and a value an earlier product computed (%r), from
// which %o's own input was computed. Nothing to gain (the whole op joins %o's epilogue): no split.
// CHECK-LABEL: func.func @residual
// CHECK: %[[P1:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %arg2 : tensor<1x8xi8>, tensor<8x8xi8>)
// CHECK-NOT: linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[P1]], %{{.*}} : tensor<1x8xi32>, tensor<1x8xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.sitofp
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
func.func @residual(%q0: tensor<1x16xi8>, %w0: tensor<8x16xi8>, %w1: tensor<8x8xi8>) -> tensor<1x8xf32> {
  %zero = arith.constant 0 : i32
  %half = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<1x8xi32>
  %z = linalg.fill ins(%zero : i32) outs(%e : tensor<1x8xi32>) -> tensor<1x8xi32>
  %p0 = linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q0, %w0 : tensor<1x16xi8>, tensor<8x16xi8>) outs(%z : tensor<1x8xi32>) attrs = {tern.ternary_accumulate = 0 : i32} {
  ^bb0(%x: i8, %t: i8, %acc: i32):
    %p = arith.muli %x, %t : i8
    %p32 = arith.extsi %p : i8 to i32
    %s = arith.addi %acc, %p32 : i32
    linalg.yield %s : i32
  } -> tensor<1x8xi32>
  %re = tensor.empty() : tensor<1x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p0 : tensor<1x8xi32>) outs(%re : tensor<1x8xf32>) {
  ^bb0(%v: i32, %o: f32):
    %x = arith.sitofp %v : i32 to f32
    linalg.yield %x : f32
  } -> tensor<1x8xf32>
  %qe = tensor.empty() : tensor<1x8xi8>
  %q1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<1x8xf32>) outs(%qe : tensor<1x8xi8>) {
  ^bb0(%v: f32, %o: i8):
    %x = arith.fptosi %v : f32 to i8
    linalg.yield %x : i8
  } -> tensor<1x8xi8>
  %p1 = linalg.generic {indexing_maps = [#q, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q1, %w1 : tensor<1x8xi8>, tensor<8x8xi8>) outs(%z : tensor<1x8xi32>) attrs = {tern.ternary_accumulate = 0 : i32} {
  ^bb0(%x: i8, %t: i8, %acc: i32):
    %p = arith.muli %x, %t : i8
    %p32 = arith.extsi %p : i8 to i32
    %s = arith.addi %acc, %p32 : i32
    linalg.yield %s : i32
  } -> tensor<1x8xi32>
  %oe = tensor.empty() : tensor<1x8xf32>
  %h = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p1, %r : tensor<1x8xi32>, tensor<1x8xf32>) outs(%oe : tensor<1x8xf32>) {
  ^bb0(%v: i32, %rv: f32, %o: f32):
    %x = arith.sitofp %v : i32 to f32
    %y = arith.mulf %x, %half : f32
    %s = arith.addf %rv, %y : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  return %h : tensor<1x8xf32>
}
