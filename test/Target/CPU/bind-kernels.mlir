// RUN: tern-opt %s -tern-bind-kernels | FileCheck %s

// The external C-interface declaration of a kernel gets a private body that
// calls through a pointer slot, with the context slot as first argument; the
// slots are writable, zero-initialised, externally visible pointer globals.
// CHECK: module attributes {tern.kernels = ["ternary_matmul_two_bit_tiled"]}
// CHECK-DAG: llvm.mlir.global external @__tern_kernel_context() {{.*}} : !llvm.ptr
// CHECK-DAG: llvm.mlir.global external @__tern_kernel_ternary_matmul_two_bit_tiled() {{.*}} : !llvm.ptr
// CHECK-DAG: llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.func internal @_mlir_ciface_tern_kernel_ternary_matmul_two_bit_tiled(%[[A:.*]]: !llvm.ptr, %[[B:.*]]: !llvm.ptr, %[[C:.*]]: !llvm.ptr)
// CHECK: %[[SLOT:.*]] = llvm.mlir.addressof @__tern_kernel_ternary_matmul_two_bit_tiled
// CHECK: %[[FN:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[CTXSLOT:.*]] = llvm.mlir.addressof @__tern_kernel_context
// CHECK: %[[CTX:.*]] = llvm.load %[[CTXSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call %[[FN]](%[[CTX]], %[[A]], %[[B]], %[[C]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// Other external functions are left alone.
// CHECK: llvm.func @malloc(i64) -> !llvm.ptr
module {
  llvm.func @_mlir_ciface_tern_kernel_ternary_matmul_two_bit_tiled(!llvm.ptr, !llvm.ptr, !llvm.ptr) attributes {llvm.emit_c_interface, sym_visibility = "private"}
  llvm.func @malloc(i64) -> !llvm.ptr
}
