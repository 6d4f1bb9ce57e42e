// RUN: tern-opt %s --tern-gpu-verify-host-code --split-input-file --verify-diagnostics

func.func @reads_device_memory(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{host code of a CUDA function may not touch memory itself (the buffers live on the device): memref.load was left outside every kernel}}
  %v = memref.load %a[%c0] : memref<4xf32>
  return %v : f32
}

// -----

func.func @host_allocation() -> memref<4xf32> {
  // expected-error @below {{memref.alloc was left outside every kernel}}
  %a = memref.alloc() : memref<4xf32>
  return %a : memref<4xf32>
}

// -----

// Passing buffers around and allocating device memory is what host code may do.
func.func @fine(%n: index) -> memref<?xf32> {
  %a = gpu.alloc (%n) : memref<?xf32>
  return %a : memref<?xf32>
}
