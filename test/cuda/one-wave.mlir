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

// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(gpu.module(tern-gpu-one-wave{multiprocessors=132 few-token-functions=tern_decode_batch}))' | FileCheck %s --check-prefix=FEW

// -----

// Kernels without a known grid: one that only batch decode launches, always with 480 blocks
// along x (one row of blocks of tokens along y), is budgeted for 480 blocks: 4 blocks of 128
// threads a multiprocessor, which leave 128 registers a thread. The same row of blocks of 256
// threads (64 registers) and a row of 864 blocks of 128 threads (7 a multiprocessor, 73
// registers) would leave fewer than 128, and get nothing, as do one that prefill launches too,
// one launched with a grid x not known, and one launched with two different grids x.
// FEW-LABEL: gpu.func @batch
// FEW-SAME: nvvm.minctasm = 4 : i32
// FEW-LABEL: gpu.func @wide_batch
// FEW-NOT: nvvm.minctasm
// FEW-LABEL: gpu.func @two_waves
// FEW-NOT: nvvm.minctasm
// FEW-LABEL: gpu.func @shared
// FEW-NOT: nvvm.minctasm
// FEW-LABEL: gpu.func @unknown_x
// FEW-NOT: nvvm.minctasm
// FEW-LABEL: gpu.func @two_sizes
// FEW-NOT: nvvm.minctasm
// FEW: gpu.return
module attributes {gpu.container_module} {
  func.func @tern_decode_batch(%n: index, %x: index) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %c256 = arith.constant 256 : index
    %c480 = arith.constant 480 : index
    %c240 = arith.constant 240 : index
    %c864 = arith.constant 864 : index
    gpu.launch_func @k::@batch blocks in (%c480, %n, %c1) threads in (%c128, %c1, %c1)
    gpu.launch_func @k::@batch blocks in (%c480, %n, %c1) threads in (%c128, %c1, %c1)
    gpu.launch_func @k::@wide_batch blocks in (%c480, %n, %c1) threads in (%c256, %c1, %c1)
    gpu.launch_func @k::@two_waves blocks in (%c864, %n, %c1) threads in (%c128, %c1, %c1)
    gpu.launch_func @k::@shared blocks in (%c480, %n, %c1) threads in (%c128, %c1, %c1)
    gpu.launch_func @k::@unknown_x blocks in (%x, %n, %c1) threads in (%c128, %c1, %c1)
    gpu.launch_func @k::@two_sizes blocks in (%c480, %n, %c1) threads in (%c128, %c1, %c1)
    gpu.launch_func @k::@two_sizes blocks in (%c240, %n, %c1) threads in (%c128, %c1, %c1)
    return
  }
  func.func @tern_prefill(%n: index) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %c480 = arith.constant 480 : index
    gpu.launch_func @k::@shared blocks in (%c480, %n, %c1) threads in (%c128, %c1, %c1)
    return
  }
  gpu.module @k {
    gpu.func @batch() kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      gpu.return
    }
    gpu.func @wide_batch() kernel attributes {known_block_size = array<i32: 256, 1, 1>} {
      gpu.return
    }
    gpu.func @two_waves() kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      gpu.return
    }
    gpu.func @shared() kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      gpu.return
    }
    gpu.func @unknown_x() kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      gpu.return
    }
    gpu.func @two_sizes() kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      gpu.return
    }
  }
}
