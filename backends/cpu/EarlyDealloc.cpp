//===- EarlyDealloc.cpp - free each buffer after its last use -------------===//
#include "backends/cpu/Passes.h"

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCPUEARLYDEALLOC
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The last op of `block` that uses `buffer` or a view of it, or nullptr when
/// the buffer may escape into another value (then its dealloc must stay).
Operation *lastUseInBlock(Value buffer, Block *block, Operation *dealloc) {
  Operation *last = buffer.getDefiningOp();
  SmallVector<Value> pending{buffer};
  while (!pending.empty()) {
    Value value = pending.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc)
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == value) {
        llvm::append_range(pending, user->getResults());
      } else if (llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>)) {
        return nullptr; // a call, a select, a loop result... could alias the buffer
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor)
        return nullptr;
      if (last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
  }
  return last;
}

struct EarlyDeallocPass : mlir::tern::impl::TernCPUEarlyDeallocBase<EarlyDeallocPass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::DeallocOp dealloc : deallocs) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      if (!alloc || alloc->getBlock() != dealloc->getBlock())
        continue;
      if (Operation *last = lastUseInBlock(alloc, dealloc->getBlock(), dealloc))
        if (last->isBeforeInBlock(dealloc))
          dealloc->moveAfter(last);
    }
  }
};

} // namespace
