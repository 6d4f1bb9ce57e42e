//===- DedupeComputations.cpp - compute equal things once -----------------===//
//
// Each BitLinear normalizes its own input, so the input, forget and gate
// projections of a layer compute the same sum of squares three times. CSE
// merges equal computations, but it also merges the empty tensors and fills
// that independent ops start from, and bufferization then gives those ops one
// shared buffer: ops that were independent now overwrite each other's inputs
// and must run in order. So every use of a shared destination gets its own
// copy back.
//
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNDEDUPECOMPUTATIONS
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// Gives each use of `op`'s result after the first a copy of `op` of its own, placed just before
/// the user (the copy's operands dominate `op`, so they dominate the user too).
void unshare(Operation *op) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : op->getResult(0).getUses())
    uses.push_back(&use);
  for (OpOperand *use : llvm::drop_begin(uses)) {
    OpBuilder b(use->getOwner());
    use->set(b.clone(*op)->getResult(0));
  }
}

struct DedupeComputationsPass
    : mlir::tern::impl::TernDedupeComputationsBase<DedupeComputationsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    DominanceInfo dominance(getOperation());
    eliminateCommonSubExpressions(rewriter, dominance, getOperation());
    // Fills first (on tensors: initial values, not buffer writes): a fill's copies each take the
    // same empty tensor, unshared next.
    SmallVector<Operation *> fills;
    getOperation()->walk([&](linalg::FillOp op) {
      if (op.hasPureTensorSemantics() && !op->getResult(0).hasOneUse())
        fills.push_back(op);
    });
    for (Operation *op : fills)
      unshare(op);
    getOperation()->walk([&](tensor::EmptyOp op) {
      if (!op->getResult(0).hasOneUse())
        unshare(op);
    });
  }
};

} // namespace
