// RUN: tern-opt %s --tern-dedupe-computations | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Three projections normalize one input: its sum of squares is computed once. Each op that writes
// a destination still gets one of its own (a fill of its own empty tensor), so bufferization gives
// them separate buffers: the two scalings below are independent and stay so.
// CHECK-LABEL: func.func @three_norms
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<1xf32>
// CHECK: %[[F0:.*]] = linalg.fill ins(%{{.*}}) outs(%[[E0]]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} outs(%[[F0]] {{.*}} {tern.row_sum_of_squares}
// CHECK: } -> tensor<1xf32>
// CHECK-NOT: tern.row_sum_of_squares
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<1x8xf32>
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<1x8xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[SUM]] : {{.*}}) outs(%[[E2]]
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[SUM]] : {{.*}}) outs(%[[E1]]
func.func @three_norms(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  %e0 = tensor.empty() : tensor<1xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1xf32>) -> tensor<1xf32>
  %s0 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<1x8xf32>) outs(%f0 : tensor<1xf32>) attrs = {tern.row_sum_of_squares} {
  ^bb0(%in: f32, %a: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %a, %sq : f32
    linalg.yield %s : f32
  } -> tensor<1xf32>
  %e1 = tensor.empty() : tensor<1xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1xf32>) -> tensor<1xf32>
  %s1 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<1x8xf32>) outs(%f1 : tensor<1xf32>) attrs = {tern.row_sum_of_squares} {
  ^bb0(%in: f32, %a: f32):
    %sq = arith.mulf %in, %in : f32
    %s = arith.addf %a, %sq : f32
    linalg.yield %s : f32
  } -> tensor<1xf32>
  %o0 = tensor.empty() : tensor<1x8xf32>
  %y0 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s0 : tensor<1x8xf32>, tensor<1xf32>) outs(%o0 : tensor<1x8xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %d = arith.divf %in, %s : f32
    %m = arith.mulf %d, %two : f32
    linalg.yield %m : f32
  } -> tensor<1x8xf32>
  %o1 = tensor.empty() : tensor<1x8xf32>
  %y1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s1 : tensor<1x8xf32>, tensor<1xf32>) outs(%o1 : tensor<1x8xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %d = arith.divf %in, %s : f32
    %m = arith.mulf %d, %three : f32
    linalg.yield %m : f32
  } -> tensor<1x8xf32>
  return %y0, %y1 : tensor<1x8xf32>, tensor<1x8xf32>
}
