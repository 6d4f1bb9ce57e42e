// RUN: tern-opt %s --pass-pipeline='builtin.module(gpu.module(tern-gpu-one-wave{multiprocessors=132}))' | FileCheck %s

// 432 blocks of 256 threads on 132 multiprocessors need 4 per multiprocessor: the kernel asks for
// them (the PTX compiler then keeps 64 registers a thread). One block per multiprocessor (a single
// block, or 100 blocks) needs nothing; 8 blocks of 1024 threads per multiprocessor cannot be, by
// threads alone, so nothing is asked either.
// CHECK-LABEL: gpu.func @matvec
// CHECK-SAME: nvvm.minctasm = 4 : i32
// CHECK-LABEL: gpu.func @glue
// CHECK-NOT: nvvm.minctasm
// CHECK-LABEL: gpu.func @few
// CHECK-NOT: nvvm.minctasm
// CHECK-LABEL: gpu.func @too_many
// CHECK-NOT: nvvm.minctasm
// CHECK: gpu.return
gpu.module @kernels {
  gpu.func @matvec() kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 432, 1, 1>} {
    gpu.return
  }
  gpu.func @glue() kernel attributes {known_block_size = array<i32: 1024, 1, 1>, known_grid_size = array<i32: 1, 1, 1>} {
    gpu.return
  }
  gpu.func @few() kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 100, 1, 1>} {
    gpu.return
  }
  gpu.func @too_many() kernel attributes {known_block_size = array<i32: 1024, 1, 1>, known_grid_size = array<i32: 1000, 1, 1>} {
    gpu.return
  }
}
