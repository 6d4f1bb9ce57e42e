// RUN: tern-opt %s --tern-canonicalize-globals | FileCheck %s

// Bufferization's constants, in the order (and with the numbers) it happened to create them:
// placed at the top of the module by what they hold (resource keys first, then the printed
// values), renamed in that order, and their uses follow.
// CHECK: memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense_resource<model.layers.0.attn_norm.weight>
// CHECK-NEXT: memref.global "private" constant @__constant_2x4xi8 : memref<2x4xi8> = dense_resource<model.layers.1.attn.o_proj.weight.trits>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense_resource<model.layers.1.attn_norm.weight>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_1 : memref<4xf32> = dense<1.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_2 : memref<4xf32> = dense<2.000000e+00>
// A global that bufferization did not make, a public one and a variable keep their names and
// places.
// CHECK-NEXT: memref.global "private" constant @table : memref<4xf32> = dense<3.000000e+00>
// CHECK-NEXT: memref.global constant @__constant_8xf32 : memref<8xf32> = dense<4.000000e+00>
// CHECK-NEXT: memref.global "private" @__constant_3xf32 : memref<3xf32> = dense<5.000000e+00>
// CHECK-LABEL: func.func @f
// CHECK-NEXT: memref.get_global @__constant_4xf32_2 : memref<4xf32>
// CHECK-NEXT: memref.get_global @__constant_4xf32_0 : memref<4xf32>
// CHECK-NEXT: memref.get_global @__constant_2x4xi8 : memref<2x4xi8>
// CHECK-NEXT: memref.get_global @__constant_4xf32 : memref<4xf32>
// CHECK-NEXT: memref.get_global @__constant_4xf32_1 : memref<4xf32>
// CHECK-NEXT: memref.get_global @table : memref<4xf32>
module {
  memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<2.0>
  memref.global "private" constant @table : memref<4xf32> = dense<3.0>
  memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense_resource<model.layers.1.attn_norm.weight>
  memref.global constant @__constant_8xf32 : memref<8xf32> = dense<4.0>
  memref.global "private" constant @__constant_2x4xi8 : memref<2x4xi8> = dense_resource<model.layers.1.attn.o_proj.weight.trits>
  memref.global "private" @__constant_3xf32 : memref<3xf32> = dense<5.0>
  memref.global "private" constant @__constant_4xf32_1 : memref<4xf32> = dense_resource<model.layers.0.attn_norm.weight>
  memref.global "private" constant @__constant_4xf32_2 : memref<4xf32> = dense<1.0>
  func.func @f() {
    %a = memref.get_global @__constant_4xf32 : memref<4xf32>
    %b = memref.get_global @__constant_4xf32_0 : memref<4xf32>
    %c = memref.get_global @__constant_2x4xi8 : memref<2x4xi8>
    %d = memref.get_global @__constant_4xf32_1 : memref<4xf32>
    %e = memref.get_global @__constant_4xf32_2 : memref<4xf32>
    %t = memref.get_global @table : memref<4xf32>
    return
  }
}

{-#
  dialect_resources: {
    builtin: {
      "model.layers.1.attn_norm.weight": "0x040000000000803F0000803F0000803F0000803F",
      "model.layers.1.attn.o_proj.weight.trits": "0x010000000102000101020001",
      "model.layers.0.attn_norm.weight": "0x040000000000003F0000003F0000003F0000003F"
    }
  }
#-}
