// RUN: tern-opt %s --tern-gpu-merge-kernel-modules | FileCheck %s

// Three outlined kernels, two of them identical but for their names: one gpu.module keeps the two
// distinct ones, named in the order the launches use them, and every launch points at its copy.
// CHECK-LABEL: func.func @layers
// CHECK: gpu.launch_func  @tern_kernels::@kernel_0
// CHECK: gpu.launch_func  @tern_kernels::@kernel_1
// CHECK: gpu.launch_func  @tern_kernels::@kernel_0
// CHECK-NOT: gpu.module @layer
// CHECK: gpu.module @tern_kernels
// CHECK: gpu.func @kernel_0(%{{.*}}: memref<8xf32>) kernel
// CHECK: arith.addf
// CHECK: gpu.func @kernel_1(%{{.*}}: memref<8xf32>) kernel
// CHECK: arith.mulf
// CHECK-NOT: gpu.func
module attributes {gpu.container_module} {
  func.func @layers(%a: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @layer0::@add blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    gpu.launch_func @layer0_1::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    gpu.launch_func @layer1::@add_again blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    return
  }
  gpu.module @layer0 {
    gpu.func @add(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      %s = arith.addf %v, %v : f32
      memref.store %s, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
  gpu.module @layer0_1 {
    gpu.func @scale(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      %s = arith.mulf %v, %v : f32
      memref.store %s, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
  gpu.module @layer1 {
    gpu.func @add_again(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      %s = arith.addf %v, %v : f32
      memref.store %s, %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
}
