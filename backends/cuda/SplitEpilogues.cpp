//===- SplitEpilogues.cpp - a product's own part of an elementwise op -----===//
//
// An elementwise op that combines the results of two sibling matrix products
// (the recurrence step reads the input and the forget projections) cannot
// join either product's epilogue: the products run side by side. The part of
// its body that depends on one product alone (the input projection's
// dequantization and silu) is split off into an op of its own, placed right
// after that product, so that tern-gpu-ternary-matvec runs it in the
// product's epilogue on every multiprocessor instead of the single-block
// kernel after the products running it on one. The float operations and their
// order are unchanged: the split value is stored and loaded exactly.
//
#include "backends/cuda/Passes.h"
#include "compiler/Conversion/TernToLinalg/KernelMarkers.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUSPLITEPILOGUES
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

bool isElementwise(linalg::GenericOp op) {
  return op && op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
         op.getNumReductionLoops() == 0 &&
         llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) { return m.isProjectedPermutation(); });
}

/// The matrix product whose result `v` is, directly or through elementwise ops that read no
/// other product's result; null if none or several.
Operation *productOf(Value v, DenseMap<Value, Operation *> &memo) {
  auto known = memo.find(v);
  if (known != memo.end())
    return known->second;
  Operation *found = nullptr;
  auto generic = v.getDefiningOp<linalg::GenericOp>();
  if (generic && generic->hasAttr(mlir::tern::kTernaryAccumulateAttr)) {
    found = generic;
  } else if (isElementwise(generic)) {
    for (Value input : generic.getDpsInputs()) {
      Operation *p = productOf(input, memo);
      if (p && found && p != found) {
        found = nullptr;
        break;
      }
      if (p)
        found = p;
    }
  }
  memo[v] = found;
  return found;
}

/// Whether `op` depends on `target` through the values it reads (in its function).
bool dependsOn(Operation *op, Operation *target) {
  SmallVector<Operation *> work{op};
  DenseSet<Operation *> seen;
  while (!work.empty()) {
    Operation *next = work.pop_back_val();
    if (next == target)
      return true;
    if (!seen.insert(next).second)
      continue;
    for (Value operand : next->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
  }
  return false;
}

/// Splits `op` around the part of its body that reads only inputs of `product` (or of no
/// product): returns true if it did.
bool splitAround(linalg::GenericOp op, Operation *product, ArrayRef<bool> own) {
  Block &body = op.getRegion().front();
  // The body ops that depend only on the own inputs' arguments (and on values from outside).
  DenseSet<Value> ownValues;
  for (OpOperand *input : op.getDpsInputOperands())
    if (own[input->getOperandNumber()])
      ownValues.insert(op.getMatchingBlockArgument(input));
  // Constants in the body go to both halves.
  SmallVector<Operation *> part, constants;
  for (Operation &inner : body.without_terminator())
    if (inner.hasTrait<OpTrait::ConstantLike>()) {
      constants.push_back(&inner);
      ownValues.insert(inner.getResult(0));
    }
  for (Operation &inner : body.without_terminator()) {
    if (inner.hasTrait<OpTrait::ConstantLike>())
      continue;
    bool mine = !isa<linalg::IndexOp>(inner) && inner.getNumRegions() == 0 &&
                llvm::all_of(inner.getOperands(), [&](Value v) {
                  return ownValues.contains(v) || v.getParentBlock() != &body;
                });
    if (!mine)
      continue;
    part.push_back(&inner);
    for (Value r : inner.getResults())
      ownValues.insert(r);
  }
  // Exactly one value of the part is used outside it: the one to store.
  Value frontier;
  for (Operation *inner : part)
    for (Value r : inner->getResults())
      for (Operation *user : r.getUsers())
        if (!llvm::is_contained(part, user)) {
          if (frontier && frontier != r)
            return false;
          frontier = r;
        }
  if (!frontier || part.size() < 2 || !frontier.getType().isIntOrFloat())
    return false;

  // The part: an elementwise op over the own inputs it reads, placed right after the latest of
  // them (the product's result).
  SmallVector<OpOperand *> partInputs, restInputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(input);
    bool usedByPart = llvm::any_of(arg.getUsers(), [&](Operation *u) { return llvm::is_contained(part, u); });
    bool usedByRest = llvm::any_of(arg.getUsers(), [&](Operation *u) { return !llvm::is_contained(part, u); });
    if (usedByPart)
      partInputs.push_back(input);
    if (usedByRest)
      restInputs.push_back(input);
  }
  Operation *latest = product;
  for (OpOperand *input : partInputs)
    if (Operation *def = input->get().getDefiningOp())
      if (def->getBlock() == latest->getBlock() && latest->isBeforeInBlock(def))
        latest = def;
  OpBuilder b(op.getContext());
  b.setInsertionPointAfter(latest);
  Location loc = op.getLoc();
  Value init = op.getDpsInitOperand(0)->get();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isIdentity())
    return false;
  auto initType = cast<RankedTensorType>(init.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < initType.getRank(); ++d) {
    if (!initType.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(initType.getDimSize(d)));
      continue;
    }
    // A dynamic size from an own input of the same dimension (identity-mapped).
    Value from;
    int64_t at = -1;
    for (OpOperand *input : partInputs) {
      AffineMap m = op.getMatchingIndexingMap(input);
      for (unsigned r = 0; r < m.getNumResults(); ++r)
        if (m.getResult(r) == b.getAffineDimExpr(d)) {
          from = input->get();
          at = r;
        }
      if (from)
        break;
    }
    if (!from)
      return false;
    sizes.push_back(tensor::DimOp::create(b, loc, from, at).getResult());
  }
  Value empty = tensor::EmptyOp::create(b, loc, sizes, frontier.getType());
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : partInputs) {
    inputs.push_back(input->get());
    maps.push_back(op.getMatchingIndexingMap(input));
  }
  maps.push_back(outMap);
  auto split = linalg::GenericOp::create(
      b, loc, empty.getType(), inputs, ValueRange{empty}, maps, op.getIteratorTypesArray(),
      [&](OpBuilder &pb, Location loc, ValueRange args) {
        IRMapping mapping;
        for (auto [input, arg] : llvm::zip(partInputs, args))
          mapping.map(op.getMatchingBlockArgument(input), arg);
        for (Operation *constant : constants)
          pb.clone(*constant, mapping);
        for (Operation *inner : part)
          pb.clone(*inner, mapping);
        linalg::YieldOp::create(pb, loc, mapping.lookup(frontier));
      });

  // The rest reads the split value instead.
  b.setInsertionPoint(op);
  SmallVector<Value> restValues{split.getResult(0)};
  SmallVector<AffineMap> restMaps{outMap};
  for (OpOperand *input : restInputs) {
    restValues.push_back(input->get());
    restMaps.push_back(op.getMatchingIndexingMap(input));
  }
  restMaps.push_back(outMap);
  auto rest = linalg::GenericOp::create(
      b, loc, op.getResultTypes(), restValues, ValueRange{init}, restMaps,
      op.getIteratorTypesArray(), [&](OpBuilder &rb, Location loc, ValueRange args) {
        IRMapping mapping;
        mapping.map(frontier, args[0]);
        for (auto [input, arg] : llvm::zip(restInputs, args.drop_front()))
          mapping.map(op.getMatchingBlockArgument(input), arg);
        mapping.map(op.getMatchingBlockArgument(op.getDpsInitOperand(0)), args.back());
        for (Operation &inner : body.without_terminator())
          if (!llvm::is_contained(part, &inner))
            rb.clone(inner, mapping);
        linalg::YieldOp::create(
            rb, loc, mapping.lookupOrDefault(body.getTerminator()->getOperand(0)));
      });
  op->replaceAllUsesWith(rest);
  op.erase();
  return true;
}

struct SplitEpiloguesPass
    : mlir::tern::impl::TernGPUSplitEpiloguesBase<SplitEpiloguesPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isElementwise(op) && op.getNumDpsInputs() >= 2 &&
          op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
        candidates.push_back(op);
    });
    DenseMap<Value, Operation *> memo;
    for (linalg::GenericOp op : candidates) {
      SmallVector<Operation *> products;
      for (Value input : op.getDpsInputs())
        products.push_back(productOf(input, memo));
      for (Operation *product : products) {
        if (!product)
          continue;
        // Every other product it reads must be a sibling: one this product does not depend on
        // (not the residual stream, which a later product's input is computed from).
        bool siblings = true, another = false;
        for (Operation *other : products)
          if (other && other != product) {
            another = true;
            siblings &= !dependsOn(product, other);
          }
        if (!another || !siblings)
          continue;
        SmallVector<bool> own(op->getNumOperands(), false);
        for (OpOperand *input : op.getDpsInputOperands()) {
          Operation *p = productOf(input->get(), memo);
          own[input->getOperandNumber()] = p == product || !p;
        }
        if (splitAround(op, product, own)) {
          memo.clear(); // keyed by values, some of which the split erased
          break;
        }
      }
    }
  }
};

} // namespace
