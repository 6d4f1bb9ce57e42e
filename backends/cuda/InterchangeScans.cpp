//===- InterchangeScans.cpp - a recurrence over tokens as one kernel ------===//
//
// Prefill computes the MLGRU recurrence h_t = f_t * h_{t-1} + a_t as an scf.for over the tokens
// whose body runs elementwise ops on row t of [T, H] buffers and on the [H] state. Lowered as it
// stands, that is two kernels and a host synchronisation per token and layer. Every op of such a
// body touches element j of each buffer only, so the two loops interchange: one parallel loop
// over the elements (a thread each), each running the tokens in order with the state in a
// register. The ops and their order per element are the same, so the results are bit-identical.
//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUINTERCHANGESCANS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using ::tern::cuda::indexConstant;

namespace {

/// How the loop body reaches a buffer: the whole of a buffer defined outside the loop (`column`
/// < 0), or row `iv` of a rank-2 buffer from column `column` on.
struct Access {
  Value buffer;
  int64_t column = -1;
  bool isRow() const { return column >= 0; }
};
using AccessKey = std::pair<Value, int64_t>;
AccessKey keyOf(const Access &a) { return {a.buffer, a.column}; }

/// One elementwise op of the body: its buffers and whether it reads each.
struct Step {
  Operation *op;
  SmallVector<Access> reads;  // in operand order of what the payload reads
  SmallVector<Access> writes; // the outputs
};

/// What the interchange needs to know about a loop, or std::nullopt if it does not apply.
struct Scan {
  int64_t length = 0;
  SmallVector<Step> steps;
};

/// The access of a rank-1 memref of `length` elements used in `loop`'s body.
std::optional<Access> accessOf(scf::ForOp loop, Value v, int64_t length) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() != 1 || type.getDimSize(0) != length)
    return std::nullopt;
  if (loop.isDefinedOutsideOfLoop(v))
    return Access{v, -1};
  auto view = v.getDefiningOp<memref::SubViewOp>();
  if (!view || view->getParentOp() != loop.getOperation() ||
      !loop.isDefinedOutsideOfLoop(view.getSource()) || view.getSourceType().getRank() != 2)
    return std::nullopt;
  SmallVector<OpFoldResult> offsets = view.getMixedOffsets(), sizes = view.getMixedSizes(),
                            strides = view.getMixedStrides();
  std::optional<int64_t> column = getConstantIntValue(offsets[1]);
  if (dyn_cast_if_present<Value>(offsets[0]) != loop.getInductionVar() || !column ||
      getConstantIntValue(sizes[0]) != 1 || getConstantIntValue(sizes[1]) != length ||
      getConstantIntValue(strides[0]) != 1 || getConstantIntValue(strides[1]) != 1)
    return std::nullopt;
  return Access{view.getSource(), *column};
}

bool isIdentityElementwise(linalg::GenericOp op) {
  return op.getNumLoops() == 1 && op.getNumReductionLoops() == 0 && !op.hasIndexSemantics() &&
         llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) { return m.isIdentity(); });
}

/// The loop's body as elementwise steps over rows of one length, if it is one.
std::optional<Scan> analyse(scf::ForOp loop) {
  if (loop.getNumResults() != 0 || ::tern::cuda::constantOf(loop.getStep()) != 1)
    return std::nullopt;
  Scan scan;
  auto lengthOf = [](Value v) -> int64_t {
    auto type = dyn_cast<MemRefType>(v.getType());
    return type && type.getRank() == 1 && !type.isDynamicDim(0) ? type.getDimSize(0) : -1;
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (isa<memref::SubViewOp>(op))
      continue; // checked where it is used
    Step step{&op, {}, {}};
    SmallVector<Value> reads, writes;
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      if (!generic.hasPureBufferSemantics() || !isIdentityElementwise(generic))
        return std::nullopt;
      for (OpOperand &operand : generic->getOpOperands())
        if (generic.payloadUsesValueFromOperand(&operand))
          reads.push_back(operand.get());
      llvm::append_range(writes, generic.getDpsInits());
    } else if (auto copy = dyn_cast<linalg::CopyOp>(op)) {
      if (!copy.hasPureBufferSemantics())
        return std::nullopt;
      reads.push_back(copy.getInputs()[0]);
      writes.push_back(copy.getOutputs()[0]);
    } else {
      return std::nullopt;
    }
    for (auto [values, accesses] : {std::make_pair(&reads, &step.reads),
                                    std::make_pair(&writes, &step.writes)})
      for (Value v : *values) {
        if (scan.length == 0)
          scan.length = lengthOf(v);
        std::optional<Access> access = accessOf(loop, v, scan.length);
        if (scan.length <= 0 || !access)
          return std::nullopt;
        accesses->push_back(*access);
      }
    scan.steps.push_back(std::move(step));
  }
  // A subview that no step uses, or that something else uses, keeps the loop as it is.
  for (Operation &op : loop.getBody()->without_terminator())
    if (auto view = dyn_cast<memref::SubViewOp>(op))
      for (Operation *user : view->getUsers())
        if (user->getParentOp() != loop.getOperation() || !isa<linalg::LinalgOp>(user))
          return std::nullopt;
  if (scan.steps.empty())
    return std::nullopt;
  // Distinct accesses must not share memory where one of them is written: element j of each is
  // then touched by the thread of element j alone.
  SmallVector<Access> all, written;
  for (const Step &step : scan.steps) {
    llvm::append_range(all, step.reads);
    llvm::append_range(all, step.writes);
    llvm::append_range(written, step.writes);
  }
  for (const Access &w : written)
    for (const Access &a : all)
      if (keyOf(w) != keyOf(a) && ::tern::cuda::mayAlias(w.buffer, a.buffer))
        return std::nullopt;
  return scan;
}

/// Emits the scan as one parallel loop over the elements, each running the tokens in order,
/// `unroll` at a time with the loads of their rows first.
class ScanEmitter {
public:
  ScanEmitter(scf::ForOp loop, const Scan &scan, int64_t unroll)
      : loop(loop), scan(scan), unroll(unroll) {}

  void emit() {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    // Buffers of the whole row: those written are carried from token to token, those only read
    // are loaded once.
    for (const Step &step : scan.steps)
      for (const Access &a : llvm::concat<const Access>(step.reads, step.writes))
        if (!a.isRow() && !llvm::is_contained(wholes, a.buffer)) {
          wholes.push_back(a.buffer);
          if (llvm::any_of(scan.steps, [&](const Step &s) {
                return llvm::any_of(s.writes, [&](const Access &w) { return w.buffer == a.buffer; });
              }))
            carried.push_back(a.buffer);
        }
    Value zero = indexConstant(b, loc, 0), one = indexConstant(b, loc, 1);
    scf::ParallelOp::create(
        b, loc, ValueRange{zero}, ValueRange{indexConstant(b, loc, scan.length)}, ValueRange{one},
        [&](OpBuilder &pb, Location loc, ValueRange ivs) { emitThread(pb, loc, ivs[0]); });
    loop.erase();
  }

private:
  void emitThread(OpBuilder &b, Location loc, Value j) {
    // The state (and what is only read) before the first token.
    DenseMap<Value, Value> whole;
    for (Value buffer : wholes)
      whole[buffer] = memref::LoadOp::create(b, loc, buffer, ValueRange{j});
    SmallVector<Value> init = llvm::map_to_vector(carried, [&](Value v) { return whole[v]; });

    Value lb = loop.getLowerBound(), ub = loop.getUpperBound();
    Value step = indexConstant(b, loc, unroll);
    Value mainEnd = ::tern::cuda::unrolledEnd(b, loc, lb, ub, step);
    auto body = [&](int64_t tokens) {
      return [&, tokens](OpBuilder &fb, Location loc, Value t, ValueRange state) {
        DenseMap<Value, Value> values = whole;
        for (auto [buffer, value] : llvm::zip_equal(carried, state))
          values[buffer] = value;
        SmallVector<Value> ts;
        for (int64_t k = 0; k < tokens; ++k)
          ts.push_back(k == 0 ? t : arith::AddIOp::create(fb, loc, t, indexConstant(fb, loc, k)));
        emitTokens(fb, loc, j, ts, values);
        scf::YieldOp::create(fb, loc,
                             llvm::map_to_vector(carried, [&](Value v) { return values[v]; }));
      };
    };
    auto main = scf::ForOp::create(b, loc, lb, mainEnd, step, init, body(unroll));
    auto rest = scf::ForOp::create(b, loc, mainEnd, ub, indexConstant(b, loc, 1),
                                   main.getResults(), body(1));
    for (auto [buffer, value] : llvm::zip_equal(carried, rest.getResults()))
      memref::StoreOp::create(b, loc, value, buffer, ValueRange{j});
  }

  /// Element j of the tokens `ts`, in order: every row they read and no earlier op of the same
  /// token wrote is loaded first (no token of the loop writes another token's row).
  void emitTokens(OpBuilder &b, Location loc, Value j, ArrayRef<Value> ts,
                  DenseMap<Value, Value> &whole) {
    DenseMap<int64_t, Value> columns;
    auto columnOf = [&](int64_t c) {
      auto [it, inserted] = columns.try_emplace(c);
      if (inserted)
        it->second = c == 0 ? j : arith::AddIOp::create(b, loc, j, indexConstant(b, loc, c));
      return it->second;
    };
    SmallVector<DenseMap<AccessKey, Value>> rows(ts.size());
    for (auto [t, row] : llvm::zip_equal(ts, rows)) {
      llvm::DenseSet<AccessKey> written;
      for (const Step &step : scan.steps) {
        for (const Access &a : step.reads)
          if (a.isRow() && !written.contains(keyOf(a)) && !row.contains(keyOf(a)))
            row[keyOf(a)] =
                memref::LoadOp::create(b, loc, a.buffer, ValueRange{t, columnOf(a.column)});
        for (const Access &a : step.writes)
          if (a.isRow() && !row.contains(keyOf(a)))
            written.insert(keyOf(a));
      }
    }
    for (auto [t, row] : llvm::zip_equal(ts, rows)) {
      auto valueOf = [&](const Access &a) {
        return a.isRow() ? row.lookup(keyOf(a)) : whole.lookup(a.buffer);
      };
      for (const Step &step : scan.steps) {
        // The step's reads are its payload's operands in order (analyse), its writes its outputs.
        SmallVector<Value> results;
        if (auto generic = dyn_cast<linalg::GenericOp>(step.op)) {
          IRMapping map;
          Block *payload = generic.getBody();
          const Access *read = step.reads.begin();
          for (OpOperand &operand : generic->getOpOperands())
            if (generic.payloadUsesValueFromOperand(&operand))
              map.map(payload->getArgument(operand.getOperandNumber()), valueOf(*read++));
          for (Operation &op : payload->without_terminator())
            b.clone(op, map);
          for (Value v : payload->getTerminator()->getOperands())
            results.push_back(map.lookupOrDefault(v));
        } else {
          results.push_back(valueOf(step.reads.front())); // linalg.copy
        }
        for (auto [value, a] : llvm::zip_equal(results, step.writes)) {
          if (!a.isRow()) {
            whole[a.buffer] = value;
            continue;
          }
          row[keyOf(a)] = value;
          memref::StoreOp::create(b, loc, value, a.buffer, ValueRange{t, columnOf(a.column)});
        }
      }
    }
  }

  scf::ForOp loop;
  const Scan &scan;
  int64_t unroll;
  SmallVector<Value> wholes, carried;
};

struct InterchangeScansPass
    : mlir::tern::impl::TernGPUInterchangeScansBase<InterchangeScansPass> {
  using TernGPUInterchangeScansBase::TernGPUInterchangeScansBase;

  void runOnOperation() override {
    if (unroll < 1 || unroll > 64) {
      getOperation().emitError("tern-gpu-interchange-scans: unroll must be in [1, 64], got ")
          << unroll;
      return signalPassFailure();
    }
    SmallVector<std::pair<scf::ForOp, Scan>> scans;
    getOperation().walk([&](scf::ForOp loop) {
      if (std::optional<Scan> scan = analyse(loop))
        scans.emplace_back(loop, std::move(*scan));
    });
    for (auto &[loop, scan] : scans)
      ScanEmitter(loop, scan, unroll).emit();
  }
};

} // namespace
