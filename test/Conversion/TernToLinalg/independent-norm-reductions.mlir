// RUN: tern-opt %s -convert-tern-to-linalg="independent-norm-reductions=1" | FileCheck %s
// RUN: tern-opt %s -convert-tern-to-linalg | FileCheck %s --check-prefix=DEFAULT

// attn_norm, then the projections' own norms of its output and their quantization. With the
// option every reduction reads the chain's input %h and the weights, not a normalized value: the
// sum of squares of h, of h*wa (shared by both projections), and the absmax of h*wa*w1 and
// h*wa*w2. The row factors are multiplied back afterwards:
//   r1 = 1/sqrt(sum(h^2)/K + eps), r2 = 1/sqrt(r1^2 * sum((h wa)^2)/K + eps),
//   absmax = (r1 * r2) * max|h wa w|.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[H:[a-z0-9]+]]: tensor<?x8xf32>, %[[WA:[a-z0-9]+]]: tensor<8xf32>, %[[W1:[a-z0-9]+]]: tensor<8xf32>, %[[W2:[a-z0-9]+]]: tensor<8xf32>)
// CHECK: %[[S1:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[H]] : tensor<?x8xf32>) {{.*}}tern.row_sum_of_squares
// CHECK: %[[R1:.*]] = linalg.generic {{.*}} ins(%[[S1]] : tensor<?xf32>)
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[R1]], %[[WA]] :
// CHECK: %[[S2:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[H]], %[[WA]] :
// CHECK: arith.mulf
// CHECK: %[[SQ:.*]] = arith.mulf %[[V:.*]], %[[V]] : f32
// CHECK: arith.addf %{{.*}}, %[[SQ]] : f32
// CHECK: %[[R2:.*]] = linalg.generic {{.*}} ins(%[[S2]], %[[R1]] : tensor<?xf32>, tensor<?xf32>)
// CHECK: ^bb0(%[[S:.*]]: f32, %[[F:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[FF:.*]] = arith.mulf %[[F]], %[[F]] : f32
// CHECK: arith.mulf %[[FF]], %[[S]] : f32
// CHECK: math.sqrt
// CHECK: %[[Y1:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[R2]], %[[W1]] :
// CHECK: %[[M1:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[H]], %[[WA]], %[[W1]] :
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[A1:.*]] = linalg.generic {{.*}} ins(%[[M1]], %[[R1]], %[[R2]] :
// CHECK: %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.mulf %[[P]], %{{.*}} : f32
// CHECK: %[[SCALE1:.*]] = linalg.generic {{.*}} ins(%[[A1]] : tensor<?xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Y1]], %[[SCALE1]] :
// The second projection reuses r2: no further sum of squares.
// CHECK-NOT: tern.row_sum_of_squares
// CHECK: %[[Y2:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[R2]], %[[W2]] :
// CHECK: %[[M2:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[H]], %[[WA]], %[[W2]] :
// CHECK: linalg.generic {{.*}} ins(%[[M2]], %[[R1]], %[[R2]] :

// Without the option each reduction reads the value before it, in the reference's order.
// DEFAULT-LABEL: func.func @chain
// DEFAULT: %[[S1:.*]] = linalg.generic {{.*}}"reduction"]} ins(%arg0 : tensor<?x8xf32>)
// DEFAULT: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0, %[[S1]], %arg1 :
// DEFAULT: %[[S2:.*]] = linalg.generic {{.*}}"reduction"]} ins(%[[X]] : tensor<?x8xf32>)
// DEFAULT: %[[Y1:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[S2]], %arg2 :
// DEFAULT: linalg.generic {{.*}}"reduction"]} ins(%[[Y1]] : tensor<?x8xf32>)
func.func @chain(%h: tensor<?x8xf32>, %wa: tensor<8xf32>, %w1: tensor<8xf32>, %w2: tensor<8xf32>)
    -> (tensor<?x8xi8>, tensor<?xf32>, tensor<?x8xi8>, tensor<?xf32>) {
  %x = tern.rms_norm %h, %wa eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %y1 = tern.rms_norm %x, %w1 eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %q1, %s1 = tern.quantize %y1 : tensor<?x8xf32> -> tensor<?x8xi8>, tensor<?xf32>
  %y2 = tern.rms_norm %x, %w2 eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %q2, %s2 = tern.quantize %y2 : tensor<?x8xf32> -> tensor<?x8xi8>, tensor<?xf32>
  return %q1, %s1, %q2, %s2 : tensor<?x8xi8>, tensor<?xf32>, tensor<?x8xi8>, tensor<?xf32>
}

// g_norm's swish gate, then o_proj's norm and quantization: the reductions after the gate read g,
// the weights and h, computing (g wg) * h * sigmoid(h) themselves.
// CHECK-LABEL: func.func @gated
// CHECK-SAME: (%[[G:[a-z0-9]+]]: tensor<?x8xf32>, %[[HID:[a-z0-9]+]]: tensor<?x8xf32>, %[[WG:[a-z0-9]+]]: tensor<8xf32>, %[[WO:[a-z0-9]+]]: tensor<8xf32>)
// CHECK: linalg.generic {{.*}}"reduction"]} ins(%[[G]] : tensor<?x8xf32>)
// CHECK: linalg.generic {{.*}}"reduction"]} ins(%[[G]], %[[WG]], %[[HID]] :
// CHECK: ^bb0(%[[GV:.*]]: f32, %[[WV:.*]]: f32, %[[HV:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[GW:.*]] = arith.mulf %[[GV]], %[[WV]] : f32
// CHECK: %[[GWH:.*]] = arith.mulf %[[GW]], %[[HV]] : f32
// CHECK: math.exp
// CHECK: %[[SIG:.*]] = arith.divf
// CHECK: %[[O:.*]] = arith.mulf %[[GWH]], %[[SIG]] : f32
// CHECK: arith.mulf %[[O]], %[[O]] : f32
// The absmax multiplies by o_proj's norm weight after the gate, as the reference does.
// CHECK: linalg.generic {{.*}}"reduction"]} ins(%[[G]], %[[WG]], %[[WO]], %[[HID]] :
// CHECK: ^bb0(%[[GV2:.*]]: f32, %[[WV2:.*]]: f32, %[[WOV:.*]]: f32, %[[HV2:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.mulf %[[GV2]], %[[WV2]] : f32
// CHECK: math.exp
// CHECK: %[[O2:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[O2]], %[[WOV]] : f32
// CHECK: math.absf %[[Y]] : f32
func.func @gated(%g: tensor<?x8xf32>, %h: tensor<?x8xf32>, %wg: tensor<8xf32>, %wo: tensor<8xf32>)
    -> (tensor<?x8xi8>, tensor<?xf32>) {
  %o = tern.swish_gate_norm %g, %h, %wg eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %y = tern.rms_norm %o, %wo eps(1.0e-06) : tensor<?x8xf32>, tensor<8xf32>
  %q, %s = tern.quantize %y : tensor<?x8xf32> -> tensor<?x8xi8>, tensor<?xf32>
  return %q, %s : tensor<?x8xi8>, tensor<?xf32>
}
