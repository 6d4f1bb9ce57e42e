//===- FusePrologues.cpp - a single-block kernel in every block of the next -===//
//
// Between two matrix products of a decode step a single-block kernel normalizes and quantizes the
// next product's input (tern-gpu-block-fusion). It is bound by what one multiprocessor issues, and
// as a kernel of its own it pays the floor of a launch and a trip through L2 for what it hands on.
// When the product after it has at most one block per multiprocessor
// (tern-gpu-ternary-matvec{prologue-blocks}), every block of the product can run it itself, at the
// place where the product waits for the kernels before it: the quantized input and its scale then
// stay in the block's shared memory, and what the single-block kernel wrote for later kernels is
// written by block 0 alone.
//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUFUSEPROLOGUES
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace ::tern::cuda;

namespace {

/// Static shared memory a kernel may declare without opting in to more.
constexpr int64_t kMaxSharedBytes = 48 * 1024;

bool isWait(Operation *op) {
  auto control = dyn_cast<NVVM::GriddepcontrolOp>(op);
  return control && control.getKind() == NVVM::GridDepActionKind::wait;
}

int64_t bytesOf(MemRefType type) {
  Type element = type.getElementType();
  int64_t bits = 0;
  if (auto vector = dyn_cast<VectorType>(element))
    bits = vector.getNumElements() * vector.getElementTypeBitWidth();
  else if (element.isIntOrIndexOrFloat())
    bits = element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
  return type.getNumElements() * std::max<int64_t>(1, bits / 8);
}

int64_t workgroupBytes(gpu::LaunchOp launch) {
  int64_t bytes = 0;
  for (BlockArgument buffer : launch.getWorkgroupAttributions())
    bytes += bytesOf(cast<MemRefType>(buffer.getType()));
  return bytes;
}

/// The single-block kernel, the product after it and what passes between them.
struct Fusion {
  gpu::LaunchOp prologue, product;
  SmallVector<Value> handed;   // written by the prologue, read by the product only: shared memory
  SmallVector<Value> kept;     // written by the prologue for later kernels: block 0 writes them
  SmallVector<Value> dropped;  // written and read back by the prologue only: not stored
  SmallVector<Operation *> waits; // where the product's warps wait for the kernels before it
};

/// The launch before `product` with only allocations, deallocations and pure ops between them.
gpu::LaunchOp launchBefore(gpu::LaunchOp product) {
  for (Operation *op = product->getPrevNode(); op; op = op->getPrevNode()) {
    if (auto launch = dyn_cast<gpu::LaunchOp>(op))
      return launch;
    if (!isAllocationOrPure(op))
      return {};
  }
  return {};
}

/// Whether an op after `product` in its block touches `root` (deallocations aside).
bool usedAfter(gpu::LaunchOp product, Value root) {
  for (Operation *op = product->getNextNode(); op; op = op->getNextNode()) {
    if (isa<gpu::DeallocOp, memref::DeallocOp>(op))
      continue;
    SetVector<Value> used(op->getOperands().begin(), op->getOperands().end());
    for (Region &region : op->getRegions())
      getUsedValuesDefinedAbove(region, used);
    if (llvm::any_of(used, [&](Value v) {
          return isa<MemRefType>(v.getType()) && rootOf(v) == root;
        }))
      return true;
  }
  return false;
}

/// Whether the kernel uses `root` only as itself, never through a view made outside it.
bool usedWhole(gpu::LaunchOp launch, Value root) {
  SetVector<Value> used;
  getUsedValuesDefinedAbove(launch.getBody(), used);
  return llvm::all_of(used, [&](Value v) {
    return !isa<MemRefType>(v.getType()) || v == root || rootOf(v) != root;
  });
}

Value storedBuffer(Operation *op) {
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return store.getMemRef();
  if (auto store = dyn_cast<vector::StoreOp>(op))
    return store.getBase();
  return {};
}

Value loadedBuffer(Operation *op) {
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return load.getMemRef();
  if (auto load = dyn_cast<vector::LoadOp>(op))
    return load.getBase();
  return {};
}

/// Whether the kernel touches `root` only with loads and stores directly in its body (no loop
/// repeats them), every load before every store.
bool storesFollowLoads(gpu::LaunchOp kernel, Value root) {
  bool stored = false, ordered = true;
  kernel.getBody().walk([&](Operation *op) {
    for (Value v : op->getOperands()) {
      if (!isa<MemRefType>(v.getType()) || rootOf(v) != root)
        continue;
      bool direct = op->getBlock() == &kernel.getBody().front();
      if (v == storedBuffer(op)) {
        ordered &= direct;
        stored = true;
      } else if (v == loadedBuffer(op)) {
        ordered &= direct && !stored;
      } else if (!isa<memref::ExtractAlignedPointerAsIndexOp>(op)) {
        ordered = false; // a view, or an op that may read or write it another way
      }
    }
  });
  return ordered;
}

std::optional<Fusion> match(gpu::LaunchOp product) {
  // Straight-line code of a function: "after the product" is then all that may still read what
  // the kernels wrote (in a loop's body, the ops before them would too, on the next iteration).
  if (!isa<func::FuncOp>(product->getParentOp()))
    return std::nullopt;
  gpu::LaunchOp prologue = launchBefore(product);
  if (!prologue)
    return std::nullopt;
  for (gpu::LaunchOp launch : {prologue, product})
    if (launch.getDynamicSharedMemorySize() || launch.getAsyncToken() ||
        !launch.getAsyncDependencies().empty() || !launch.getPrivateAttributions().empty() ||
        !launch.getBody().hasOneBlock() || launch.hasClusterSize())
      return std::nullopt;
  for (Value size : {prologue.getGridSizeX(), prologue.getGridSizeY(), prologue.getGridSizeZ(),
                     prologue.getBlockSizeY(), prologue.getBlockSizeZ(), product.getBlockSizeY(),
                     product.getBlockSizeZ()})
    if (constantOf(size) != 1)
      return std::nullopt;
  std::optional<int64_t> threads = constantOf(prologue.getBlockSizeX());
  if (!threads || threads != constantOf(product.getBlockSizeX()))
    return std::nullopt;
  // At most one wait in the prologue, directly in its body.
  int64_t prologueWaits = 0;
  WalkResult nested = prologue.getBody().walk([&](Operation *op) {
    if (!isWait(op))
      return WalkResult::advance();
    ++prologueWaits;
    return op->getBlock() == &prologue.getBody().front() ? WalkResult::advance()
                                                         : WalkResult::interrupt();
  });
  if (nested.wasInterrupted() || prologueWaits > 1)
    return std::nullopt;
  Fusion fusion{prologue, product, {}, {}, {}};
  // Each wait of the product is reached by all of the block's threads or none: inside the
  // branches of a merged kernel (one per block) and of the warps' rows (every warp has rows in a
  // marked kernel), nothing else.
  bool uniform = true;
  product.getBody().walk([&](Operation *op) {
    if (!isWait(op))
      return;
    fusion.waits.push_back(op);
    for (Operation *parent = op->getParentOp(); parent != product; parent = parent->getParentOp())
      uniform &= isa<scf::IfOp>(parent);
  });
  if (fusion.waits.empty() || !uniform)
    return std::nullopt;

  Effects early = effectsOf(prologue), late = effectsOf(product);
  // A block's product must not change what another block's prologue still reads or writes.
  if (early.unknown || late.unknown || anyMayAlias(late.writes, early.reads) ||
      anyMayAlias(late.writes, early.writes))
    return std::nullopt;
  SetVector<Value> written;
  for (Value w : early.writes)
    written.insert(rootOf(w));
  int64_t shared = workgroupBytes(prologue) + workgroupBytes(product);
  for (Value root : written) {
    bool readByProduct = llvm::any_of(late.reads, [&](Value r) { return mayAlias(r, root); });
    if (!readByProduct) {
      // Read back by the kernel itself: an intermediate of this function that no later op
      // reads, whose stores all follow its loads, need not be stored at all (the threads keep the
      // values they stored). Anything else the kernel may read back, another block could read
      // after block 0 wrote it.
      bool readsBack = llvm::any_of(early.reads, [&](Value r) { return rootOf(r) == root; });
      bool mayReadBack = llvm::any_of(early.reads, [&](Value r) { return mayAlias(r, root); });
      if (readsBack && isa_and_nonnull<gpu::AllocOp, memref::AllocOp>(root.getDefiningOp()) &&
          !usedAfter(product, root) && storesFollowLoads(prologue, root)) {
        fusion.dropped.push_back(root);
        continue;
      }
      if (mayReadBack)
        return std::nullopt;
      // Written by block 0 alone.
      fusion.kept.push_back(root);
      continue;
    }
    auto type = dyn_cast<MemRefType>(root.getType());
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !isa_and_nonnull<gpu::AllocOp, memref::AllocOp>(root.getDefiningOp()) ||
        root.getParentBlock() != product->getBlock() || usedAfter(product, root) ||
        !usedWhole(prologue, root) || !usedWhole(product, root))
      return std::nullopt;
    shared += bytesOf(type);
    fusion.handed.push_back(root);
  }
  if (shared > kMaxSharedBytes)
    return std::nullopt;
  // Block 0's writes of what later kernels read must be plain stores, which it can guard.
  bool guardable = true;
  prologue.getBody().walk([&](Operation *op) {
    if (isa<memref::StoreOp, vector::StoreOp>(op))
      return;
    auto iface = dyn_cast<MemoryEffectOpInterface>(op);
    if (!iface)
      return;
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &e : effects)
      if (isa<MemoryEffects::Write>(e.getEffect()) && e.getValue() &&
          rootOf(e.getValue()).getParentRegion() != &prologue.getBody() &&
          llvm::any_of(fusion.kept, [&](Value root) { return mayAlias(e.getValue(), root); }))
        guardable = false;
  });
  if (!guardable)
    return std::nullopt;
  return fusion;
}

void fuse(Fusion &fusion) {
  gpu::LaunchOp prologue = fusion.prologue, product = fusion.product;
  Location loc = prologue.getLoc();
  auto workgroup = gpu::AddressSpaceAttr::get(product.getContext(), gpu::AddressSpace::Workgroup);
  IRMapping shared;
  for (Value root : fusion.handed) {
    auto type = cast<MemRefType>(root.getType());
    BlockArgument buffer = product.addWorkgroupAttribution(
        MemRefType::get(type.getShape(), type.getElementType(), AffineMap(), workgroup), loc);
    root.replaceUsesWithIf(buffer, [&](OpOperand &use) {
      return product->isProperAncestor(use.getOwner());
    });
    shared.map(root, buffer);
  }
  for (BlockArgument buffer : prologue.getWorkgroupAttributions())
    shared.map(buffer, product.addWorkgroupAttribution(buffer.getType(), buffer.getLoc()));

  Block &body = prologue.getBody().front();
  bool prologueWaits = llvm::any_of(body, [](Operation &op) { return isWait(&op); });
  for (Operation *wait : fusion.waits) {
    OpBuilder b(wait);
    if (!prologueWaits)
      b.setInsertionPointAfter(wait);
    IRMapping mapping = shared;
    Value zero = indexConstant(b, loc, 0), one = indexConstant(b, loc, 1);
    for (Value id : {prologue.getBlockIds().x, prologue.getBlockIds().y, prologue.getBlockIds().z})
      mapping.map(id, zero);
    for (Value size : {prologue.getGridSize().x, prologue.getGridSize().y,
                       prologue.getGridSize().z})
      mapping.map(size, one);
    mapping.map(prologue.getThreadIds().x, product.getThreadIds().x);
    mapping.map(prologue.getThreadIds().y, product.getThreadIds().y);
    mapping.map(prologue.getThreadIds().z, product.getThreadIds().z);
    mapping.map(prologue.getBlockSize().x, product.getBlockSize().x);
    mapping.map(prologue.getBlockSize().y, product.getBlockSize().y);
    mapping.map(prologue.getBlockSize().z, product.getBlockSize().z);
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        product.getBlockIds().x, zero);
    SmallVector<Operation *> stores, dead;
    for (Operation &op : body.without_terminator()) {
      Operation *copy = b.clone(op, mapping);
      copy->walk([&](Operation *inner) {
        Value buffer = storedBuffer(inner);
        // Stores to the block's shared memory (the handed buffers, the reductions' partials)
        // are every block's own.
        if (!buffer || (isa<BlockArgument>(rootOf(buffer)) &&
                        rootOf(buffer).getParentRegion() == &product.getBody()))
          return;
        if (llvm::any_of(fusion.kept, [&](Value root) { return mayAlias(buffer, root); }))
          stores.push_back(inner);
        if (llvm::is_contained(fusion.dropped, rootOf(buffer)))
          dead.push_back(inner);
      });
    }
    // The product's warps read elements that other threads of the block wrote.
    gpu::BarrierOp::create(b, loc);
    for (Operation *store : stores) {
      OpBuilder sb(store);
      auto guard = scf::IfOp::create(sb, store->getLoc(), first, /*withElseRegion=*/false);
      store->moveBefore(guard.thenBlock()->getTerminator());
    }
    for (Operation *store : dead)
      store->erase();
    if (prologueWaits)
      wait->erase();
  }
  // What was freed between the two kernels is freed after the product.
  SmallVector<Operation *> frees;
  for (Operation *op = prologue->getNextNode(); op != product; op = op->getNextNode())
    if (isa<gpu::DeallocOp, memref::DeallocOp>(op))
      frees.push_back(op);
  for (Operation *op : llvm::reverse(frees))
    op->moveAfter(product);
  prologue.erase();
}

struct FuseProloguesPass : mlir::tern::impl::TernGPUFuseProloguesBase<FuseProloguesPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> targets;
    getOperation().walk([&](gpu::LaunchOp launch) {
      if (launch->hasAttr(kPrologueTargetAttr))
        targets.push_back(launch);
    });
    for (gpu::LaunchOp product : targets) {
      product->removeAttr(kPrologueTargetAttr);
      if (std::optional<Fusion> fusion = match(product))
        fuse(*fusion);
    }
  }
};

} // namespace
