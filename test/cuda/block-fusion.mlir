// RUN: tern-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tern-gpu-block-fusion{block-size=64}))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An RMS-norm-like run of an elementwise op, a fill, a reduction and an elementwise op over one
// row of static shape becomes one kernel of one block: the ops in order, the reduction combined
// over the block (warp shuffles, then the warps through workgroup memory), 100 elements in two
// unrolled rounds of 64 threads (the second guarded). The reduction takes the squares from the
// registers of the threads that computed them (each thread sums the elements it squared), so the
// squares, which only this kernel uses, are neither stored nor given workgroup memory. The fill is
// a constant, so every warp combines the partials itself and every thread holds the sum: thread 0
// stores it for later kernels, and the division takes it from a register. A barrier stands where
// threads exchange data: before the fill (%sum, an argument, may be %x that the squares read),
// inside the reduction, and after thread 0's store of the sum (the division reads %x, which may be
// %sum); none at the end.
// CHECK-LABEL: func.func @run
// CHECK: %[[OUT:.*]] = gpu.alloc () : memref<1x100xf32>
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}}) workgroup(%[[F32:.*]] : memref<8xf32, #gpu.address_space<workgroup>>) {
// CHECK: memref.load %arg0
// CHECK: memref.load %arg0
// CHECK: %[[SQ0:.*]] = arith.mulf
// CHECK: %[[SQ1:.*]] = arith.mulf
// CHECK-NOT: memref.store
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %arg1
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.load
// CHECK: arith.addf %{{.*}}, %[[SQ0]]
// CHECK: arith.select %{{.*}}, %[[SQ1]]
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: memref.store %{{.*}}, %[[F32]]
// CHECK: gpu.barrier
// CHECK-NOT: scf.if
// CHECK: memref.load %[[F32]]
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: %[[TOTAL:.*]] = arith.addf %cst{{.*}}, %{{.*}} : f32
// CHECK: scf.if
// CHECK: memref.store %[[TOTAL]], %arg1
// CHECK: gpu.barrier
// CHECK-NOT: memref.load %arg1
// CHECK: arith.divf %{{.*}}, %[[TOTAL]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
// CHECK-NOT: gpu.dealloc
// CHECK: return %[[OUT]]
func.func @run(%x: memref<1x100xf32>, %sum: memref<1xf32>) -> memref<1x100xf32> {
  %zero = arith.constant 0.0 : f32
  %sq = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x100xf32>) outs(%sq : memref<1x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : memref<1x100xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  gpu.dealloc %sq : memref<1x100xf32>
  %out = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : memref<1x100xf32>, memref<1xf32>) outs(%out : memref<1x100xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %d = arith.divf %in, %s : f32
    linalg.yield %d : f32
  }
  return %out : memref<1x100xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Dynamic shapes (a prefill of any length) are left to the other passes.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: gpu.launch
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @dynamic(%x: memref<?x100xf32>, %sum: memref<?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x100xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Two elementwise ops over the same range, the second reading with the same identity map what the
// first wrote: each thread reads only the elements it wrote itself, so no barrier lies between them
// and it takes the values from its registers instead of loading them. The first result is still
// stored (the function returns it); the kernel ends without a barrier.
// CHECK-LABEL: func.func @forward
// CHECK: %[[A:.*]] = gpu.alloc () : memref<1x100xf32>
// CHECK: gpu.launch
// CHECK: %[[N0:.*]] = arith.negf
// CHECK: memref.store %[[N0]], %[[A]]
// CHECK: %[[N1:.*]] = arith.negf
// CHECK: memref.store %[[N1]], %[[A]]
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.load %[[A]]
// CHECK: arith.mulf %[[N0]], %[[N0]]
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.load %[[A]]
// CHECK: arith.mulf %[[N1]], %[[N1]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @forward(%x: memref<1x100xf32>) -> (memref<1x100xf32>, memref<1x100xf32>) {
  %a = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x100xf32>) outs(%a : memref<1x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %out = gpu.alloc () : memref<1x100xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<1x100xf32>) outs(%out : memref<1x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  return %a, %out : memref<1x100xf32>, memref<1x100xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The same with an intermediate only the kernel uses: every read of it comes from registers, so it
// is neither stored nor given workgroup memory (nor is the partials buffer no reduction uses).
// CHECK-LABEL: func.func @forward_local
// CHECK: gpu.launch
// CHECK-NOT: workgroup
// CHECK-SAME: {
// CHECK: %[[N:.*]] = arith.negf
// CHECK-NOT: memref.store
// CHECK-NOT: gpu.barrier
// CHECK: arith.mulf %[[N]], %[[N]]
// CHECK: memref.store
// CHECK: gpu.terminator
func.func @forward_local(%x: memref<1x64xf32>) -> memref<1x64xf32> {
  %a = gpu.alloc () : memref<1x64xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x64xf32>) outs(%a : memref<1x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %out = gpu.alloc () : memref<1x64xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<1x64xf32>) outs(%out : memref<1x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  gpu.dealloc %a : memref<1x64xf32>
  return %out : memref<1x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#transposed = affine_map<(d0, d1) -> (d1, d0)>

// Read after write through another map: element (i, j) of %a, written by the thread of iteration
// (i, j), is read by the thread of iteration (j, i). The reader waits at a barrier and loads.
// CHECK-LABEL: func.func @transposed_read
// CHECK: %[[A:.*]] = gpu.alloc () : memref<8x8xf32>
// CHECK: gpu.launch
// CHECK: arith.negf
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[A]]
// CHECK: arith.mulf
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @transposed_read(%x: memref<8x8xf32>) -> (memref<8x8xf32>, memref<8x8xf32>) {
  %a = gpu.alloc () : memref<8x8xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<8x8xf32>) outs(%a : memref<8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %out = gpu.alloc () : memref<8x8xf32>
  linalg.generic {indexing_maps = [#transposed, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<8x8xf32>) outs(%out : memref<8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  return %a, %out : memref<8x8xf32>, memref<8x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A reduction whose output this kernel filled with a constant leaves its total in every thread:
// thread 0 stores it for later kernels, and the op that reads it takes it from a register, with no
// barrier and no load. The op in between touches neither the output nor the partials: it runs
// first (ready parallel ops go before reductions), and without a barrier. The fill needs no
// barrier either: the reduction's threads read the row only.
// CHECK-LABEL: func.func @reduction_result
// CHECK: %[[SUM:.*]] = gpu.alloc () : memref<1xf32>
// CHECK: %[[OTHER:.*]] = gpu.alloc () : memref<1x64xf32>
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[SUM]]
// CHECK-NOT: gpu.barrier
// CHECK: arith.negf
// CHECK: memref.store %{{.*}}, %[[OTHER]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.shuffle
// CHECK: gpu.barrier
// CHECK-NOT: memref.load %[[SUM]]
// CHECK: %[[TOTAL:.*]] = arith.addf %cst{{.*}}, %{{.*}} : f32
// CHECK: memref.store %[[TOTAL]], %[[SUM]]
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.load %[[SUM]]
// CHECK: arith.divf %{{.*}}, %[[TOTAL]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @reduction_result(%x: memref<1x64xf32>) -> (memref<1xf32>, memref<1x64xf32>, memref<1x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %sum = gpu.alloc () : memref<1xf32>
  %other = gpu.alloc () : memref<1x64xf32>
  %out = gpu.alloc () : memref<1x64xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x64xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x64xf32>) outs(%other : memref<1x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : memref<1x64xf32>, memref<1xf32>) outs(%out : memref<1x64xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %d = arith.divf %in, %s : f32
    linalg.yield %d : f32
  }
  return %sum, %other, %out : memref<1xf32>, memref<1x64xf32>, memref<1x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#transposed = affine_map<(d0, d1) -> (d1, d0)>

// Write after read through another map: the first op's thread of iteration (j, i) reads element
// (i, j) of %a, which the second op's thread of iteration (i, j) overwrites. The writer waits at a
// barrier. Overwriting through the same map as the read needs none (the last op).
// CHECK-LABEL: func.func @write_after_read
// CHECK: %[[A:.*]] = gpu.alloc () : memref<8x8xf32>
// CHECK: gpu.launch
// CHECK: memref.load %[[A]]
// CHECK: arith.mulf
// CHECK: gpu.barrier
// CHECK: arith.negf
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK-NOT: gpu.barrier
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @write_after_read(%x: memref<8x8xf32>) -> (memref<8x8xf32>, memref<8x8xf32>) {
  %a = gpu.alloc () : memref<8x8xf32>
  %out = gpu.alloc () : memref<8x8xf32>
  linalg.generic {indexing_maps = [#transposed, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<8x8xf32>) outs(%out : memref<8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<8x8xf32>) outs(%a : memref<8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<8x8xf32>) outs(%a : memref<8x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.addf %in, %in : f32
    linalg.yield %n : f32
  }
  return %a, %out : memref<8x8xf32>, memref<8x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Two reductions in a row combine in two different partials buffers, so the second's warps may
// write theirs while the first's are still being read: no barrier between them but the ones inside
// each. A reduction into a buffer this kernel did not fill (%acc, an argument) cannot know its
// initial value in every thread: warp 0 combines, thread 0 loads the old value and stores the sum.
// CHECK-LABEL: func.func @two_reductions
// CHECK: gpu.launch {{.*}} workgroup(%[[P0:.*]] : memref<8xf32, #gpu.address_space<workgroup>>, %[[P1:.*]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: memref.store %{{.*}}, %[[P0]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK: memref.load %[[P0]]
// CHECK-NOT: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[P1]]
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier
// CHECK: scf.if
// CHECK: memref.load %[[P1]]
// CHECK: scf.if
// CHECK: memref.load %arg1
// CHECK: memref.store %{{.*}}, %arg1
func.func @two_reductions(%x: memref<1x64xf32>, %acc: memref<1xf32>) -> memref<1xf32> {
  %zero = arith.constant 0.0 : f32
  %sum = gpu.alloc () : memref<1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x64xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %a: f32):
    %s = arith.addf %a, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x64xf32>) outs(%acc : memref<1xf32>) {
  ^bb0(%in: f32, %a: f32):
    %m = arith.maximumf %a, %in : f32
    linalg.yield %m : f32
  }
  return %sum : memref<1xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A fill that nothing before the reduction needs is moved down to it, past a kernel that does not
// touch the filled buffer, so that the fill and the reduction run in one kernel.
// CHECK-LABEL: func.func @fill_moves_down
// CHECK: gpu.launch
// CHECK: gpu.launch
// CHECK: memref.store %cst
// CHECK: gpu.shuffle
// CHECK-NOT: linalg.fill
func.func @fill_moves_down(%x: memref<1x64xf32>, %y: memref<1x64xf32>) -> memref<1xf32> {
  %zero = arith.constant 0.0 : f32
  %c1 = arith.constant 1 : index
  %sum = gpu.alloc () : memref<1xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  gpu.launch blocks(%b0, %b1, %b2) in (%g0 = %c1, %g1 = %c1, %g2 = %c1)
             threads(%t0, %t1, %t2) in (%s0 = %c1, %s1 = %c1, %s2 = %c1) {
    %c0 = arith.constant 0 : index
    %v = memref.load %y[%c0, %c0] : memref<1x64xf32>
    memref.store %v, %x[%c0, %c0] : memref<1x64xf32>
    gpu.terminator
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x64xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %a: f32):
    %s = arith.addf %a, %in : f32
    linalg.yield %s : f32
  }
  return %sum : memref<1xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#one = affine_map<(d0) -> (d0)>

// A quantization scale: a reduction's total, then one element computed from it, then a row that
// reads it. Every thread computes the scale (thread 0 stores it for later kernels), so the row
// takes it from a register: no barrier and no load after the reduction's own barrier.
// CHECK-LABEL: func.func @scale_in_every_thread
// CHECK: gpu.launch
// CHECK-NOT: nvvm.redux.sync
// CHECK-NOT: gpu.barrier
// CHECK: arith.maximumf
// CHECK: gpu.barrier
// CHECK: %[[MAX:.*]] = arith.maximumf %cst, %{{.*}}
// CHECK-NOT: gpu.barrier
// CHECK: %[[SCALE:.*]] = arith.divf %{{.*}}, %[[MAX]]
// CHECK: scf.if
// CHECK: memref.store %[[SCALE]], %[[SCALES:[a-z_0-9]+]]
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.load %[[SCALES]]
// CHECK: arith.mulf %{{.*}}, %[[SCALE]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @scale_in_every_thread(%x: memref<1x100xf32>)
    -> (memref<1xf32>, memref<1x100xf32>) {
  %zero = arith.constant 0.0 : f32
  %c127 = arith.constant 127.0 : f32
  %max = gpu.alloc () : memref<1xf32>
  %scale = gpu.alloc () : memref<1xf32>
  %out = gpu.alloc () : memref<1x100xf32>
  linalg.fill ins(%zero : f32) outs(%max : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x100xf32>) outs(%max : memref<1xf32>) {
  ^bb0(%in: f32, %a: f32):
    %m = arith.maximumf %a, %in : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#one, #one], iterator_types = ["parallel"]}
      ins(%max : memref<1xf32>) outs(%scale : memref<1xf32>) {
  ^bb0(%m: f32, %o: f32):
    %s = arith.divf %c127, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %scale : memref<1x100xf32>, memref<1xf32>) outs(%out : memref<1x100xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %q = arith.mulf %in, %s : f32
    linalg.yield %q : f32
  }
  gpu.dealloc %max : memref<1xf32>
  return %scale, %out : memref<1xf32>, memref<1x100xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Three independent reductions (the absmax of each projection that reads one normalized input,
// each after its own elementwise op) share one barrier: each thread folds its share of all three
// rows, each warp combines all three, and after one barrier every warp combines the three sets of
// partials (slots 0, 2 and 4 of one buffer: 2 warps each). Every thread then holds the three totals.
// CHECK-LABEL: func.func @independent_reductions
// CHECK: gpu.launch {{.*}} workgroup(%[[P:[^ ]*]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-3: arith.mulf
// CHECK-NOT: gpu.barrier
// CHECK-COUNT-15: gpu.shuffle
// CHECK-NOT: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: memref.load %[[P]]
// CHECK-NOT: gpu.barrier
// CHECK: memref.load %[[P]]
// CHECK-NOT: gpu.barrier
// CHECK: memref.load %[[P]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.terminator
func.func @independent_reductions(%x: memref<1x64xf32>, %a: memref<64xf32>, %b: memref<64xf32>,
                                  %c: memref<64xf32>) -> (memref<1xf32>, memref<1xf32>, memref<1xf32>) {
  %zero = arith.constant 0.0 : f32
  %ma = gpu.alloc () : memref<1xf32>
  %mb = gpu.alloc () : memref<1xf32>
  %mc = gpu.alloc () : memref<1xf32>
  %ya = gpu.alloc () : memref<1x64xf32>
  %yb = gpu.alloc () : memref<1x64xf32>
  %yc = gpu.alloc () : memref<1x64xf32>
  linalg.fill ins(%zero : f32) outs(%ma : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %a : memref<1x64xf32>, memref<64xf32>) outs(%ya : memref<1x64xf32>) {
  ^bb0(%in: f32, %w: f32, %o: f32):
    %y = arith.mulf %in, %w : f32
    linalg.yield %y : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ya : memref<1x64xf32>) outs(%ma : memref<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  linalg.fill ins(%zero : f32) outs(%mb : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<1x64xf32>, memref<64xf32>) outs(%yb : memref<1x64xf32>) {
  ^bb0(%in: f32, %w: f32, %o: f32):
    %y = arith.mulf %in, %w : f32
    linalg.yield %y : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%yb : memref<1x64xf32>) outs(%mb : memref<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  linalg.fill ins(%zero : f32) outs(%mc : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %c : memref<1x64xf32>, memref<64xf32>) outs(%yc : memref<1x64xf32>) {
  ^bb0(%in: f32, %w: f32, %o: f32):
    %y = arith.mulf %in, %w : f32
    linalg.yield %y : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%yc : memref<1x64xf32>) outs(%mc : memref<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  gpu.dealloc %ya : memref<1x64xf32>
  gpu.dealloc %yb : memref<1x64xf32>
  gpu.dealloc %yc : memref<1x64xf32>
  return %ma, %mb, %mc : memref<1xf32>, memref<1xf32>, memref<1xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#vec = affine_map<(d0) -> (d0)>

// A row written through the buffer and read through its rank-reducing subview at offset 0 (the
// recurrence step reads the gate values so): each thread reads the elements it wrote, so no
// barrier, and the values come from its registers. A subview at another offset is other elements:
// the op that reads it waits at a barrier and loads.
// CHECK-LABEL: func.func @read_through_view
// CHECK: %[[A:.*]] = gpu.alloc () : memref<1x64xf32>
// CHECK: %[[ROW:.*]] = memref.subview %[[A]][0, 0] [1, 64] [1, 1]
// CHECK: %[[TAIL:.*]] = memref.subview %[[A]][0, 32] [1, 32] [1, 1]
// CHECK: gpu.launch
// CHECK: %[[N:.*]] = arith.negf
// CHECK: memref.store %[[N]], %[[A]]
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.load %[[ROW]]
// CHECK: arith.mulf %[[N]], %[[N]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[TAIL]]
// CHECK: gpu.terminator
func.func @read_through_view(%x: memref<1x64xf32>) -> (memref<1x64xf32>, memref<64xf32>, memref<32xf32>) {
  %a = gpu.alloc () : memref<1x64xf32>
  %row = memref.subview %a[0, 0] [1, 64] [1, 1] : memref<1x64xf32> to memref<64xf32, strided<[1]>>
  %tail = memref.subview %a[0, 32] [1, 32] [1, 1] : memref<1x64xf32> to memref<32xf32, strided<[1], offset: 32>>
  %sq = gpu.alloc () : memref<64xf32>
  %t = gpu.alloc () : memref<32xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1x64xf32>) outs(%a : memref<1x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#vec, #vec], iterator_types = ["parallel"]}
      ins(%row : memref<64xf32, strided<[1]>>) outs(%sq : memref<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#vec, #vec], iterator_types = ["parallel"]}
      ins(%tail : memref<32xf32, strided<[1], offset: 32>>) outs(%t : memref<32xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  return %a, %sq, %t : memref<1x64xf32>, memref<64xf32>, memref<32xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The absmax of a row (the maximum of absolute values, from a fill) is combined across each warp by
// one redux.sync max on the values' bit patterns, which order as signed integers as the values do
// (non-negative floats, the identity -inf below them), at both levels; the sum of floats beside it
// (one barrier for both) keeps its shuffles. A maximum of values that may be negative keeps them
// too (@scale_in_every_thread).
// CHECK-LABEL: func.func @absmax_redux
// CHECK: gpu.launch
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: nvvm.redux.sync  max %[[BITS]]
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: nvvm.redux.sync  max
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK-NOT: nvvm.redux.sync
// CHECK: gpu.terminator
func.func @absmax_redux(%x: memref<1x256xf32>) -> (memref<1xf32>, memref<1xf32>) {
  %zero = arith.constant 0.0 : f32
  %max = gpu.alloc () : memref<1xf32>
  %sum = gpu.alloc () : memref<1xf32>
  linalg.fill ins(%zero : f32) outs(%max : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x256xf32>) outs(%max : memref<1xf32>) {
  ^bb0(%in: f32, %m: f32):
    %a = math.absf %in : f32
    %n = arith.maximumf %a, %m : f32
    linalg.yield %n : f32
  }
  linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<1x256xf32>) outs(%sum : memref<1xf32>) {
  ^bb0(%in: f32, %s: f32):
    %t = arith.addf %s, %in : f32
    linalg.yield %t : f32
  }
  return %max, %sum : memref<1xf32>, memref<1xf32>
}
