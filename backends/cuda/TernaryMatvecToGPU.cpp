//===- TernaryMatvecToGPU.cpp - a warp per row of packed trits ------------===//
//
// Decode reads every weight once per token, so the ternary accumulate must
// stream the packed trits at memory speed. The generic lowering gives each
// output one thread reading its row a byte at a time; here a warp reads a
// row a 32-bit word (16 trits) per lane at a time and does four trits per
// dp4a instruction.
//
// The weights are re-laid inside each 32-bit word so that the word masked
// with 0x03030303 << 2s gives the codes (times 4^s) of four consecutive
// trits, the same four whose activations sit in 32-bit word s of the word's
// 16-byte chunk of activations (docs/cuda.md, "The matvec layout"); each s
// sums into its own accumulator, divided by 4^s at the end. Kernel and
// layout are one decision, so this pass changes both, and only for weights
// whose every use it rewrites.
//
#include "backends/cuda/KernelBuilders.h"
#include "backends/cuda/Passes.h"
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/APInt.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNGPUTERNARYMATVEC
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace ::tern::cuda;

namespace {

constexpr int64_t kTritsPerByte = 4;
// A lane takes one 32-bit word of packed trits of a row at a time: 16 trits, whose activations are
// one 16-byte chunk.
constexpr int64_t kWordBytes = 4;
constexpr int64_t kWordTrits = kWordBytes * kTritsPerByte;
constexpr int64_t kChunkBytes = kWordTrits;
// Each bit pair of a byte of codes (0, 1 or 2) is summed in place, times 1, 4, 16 or 64, against
// int8 activations (at most 128 in magnitude), K / 4 terms per sum: every sum stays under 2^31
// while 2 * 64 * 128 * K / 4 < 2^31, that is K < 2^19. Longer rows take the generic lowering.
constexpr int64_t kMaxColumns = int64_t(1) << 19;

//===----------------------------------------------------------------------===//
// Is this generic the two_bit ternary accumulate? Its body is evaluated on
// sample inputs, so a different decoding is never mistaken for it.
//===----------------------------------------------------------------------===//

/// Evaluates the integer ops of a linalg body for given block arguments and
/// loop index `k`; std::nullopt if the body uses anything else.
std::optional<llvm::APInt> evaluateBody(Block &body, ArrayRef<llvm::APInt> args, int64_t k) {
  llvm::DenseMap<Value, llvm::APInt> values;
  for (auto [arg, value] : llvm::zip(body.getArguments(), args))
    values[arg] = value;
  auto get = [&](Value v) -> std::optional<llvm::APInt> {
    auto it = values.find(v);
    if (it == values.end())
      return std::nullopt;
    return it->second;
  };
  auto widthOf = [](Type t) -> unsigned { return t.isIndex() ? 64 : t.getIntOrFloatBitWidth(); };
  for (Operation &op : body) {
    if (auto yield = dyn_cast<linalg::YieldOp>(op))
      return yield.getNumOperands() == 1 ? get(yield.getOperand(0)) : std::nullopt;
    if (op.getNumResults() != 1 || !op.getResult(0).getType().isIntOrIndex())
      return std::nullopt;
    unsigned width = widthOf(op.getResult(0).getType());
    SmallVector<llvm::APInt> in;
    for (Value operand : op.getOperands()) {
      std::optional<llvm::APInt> v = get(operand);
      if (!v) {
        // A constant defined outside the body.
        IntegerAttr attr;
        if (!matchPattern(operand, m_Constant(&attr)))
          return std::nullopt;
        v = attr.getValue().zextOrTrunc(widthOf(operand.getType()));
      }
      in.push_back(*v);
    }
    std::optional<llvm::APInt> result =
        llvm::TypeSwitch<Operation *, std::optional<llvm::APInt>>(&op)
            .Case([&](linalg::IndexOp) { return llvm::APInt(64, k); })
            .Case([&](arith::ConstantOp c) -> std::optional<llvm::APInt> {
              auto attr = dyn_cast<IntegerAttr>(c.getValue());
              if (!attr)
                return std::nullopt;
              return attr.getValue();
            })
            .Case([&](arith::ExtUIOp) { return in[0].zext(width); })
            .Case([&](arith::ExtSIOp) { return in[0].sext(width); })
            .Case([&](arith::TruncIOp) { return in[0].trunc(width); })
            .Case([&](arith::IndexCastOp) { return in[0].sextOrTrunc(width); })
            .Case([&](arith::IndexCastUIOp) { return in[0].zextOrTrunc(width); })
            .Case([&](arith::AddIOp) { return in[0] + in[1]; })
            .Case([&](arith::SubIOp) { return in[0] - in[1]; })
            .Case([&](arith::MulIOp) { return in[0] * in[1]; })
            .Case([&](arith::AndIOp) { return in[0] & in[1]; })
            .Case([&](arith::OrIOp) { return in[0] | in[1]; })
            .Case([&](arith::XOrIOp) { return in[0] ^ in[1]; })
            .Case([&](arith::ShLIOp) { return in[0].shl(in[1]); })
            .Case([&](arith::ShRUIOp) { return in[0].lshr(in[1]); })
            .Case([&](arith::ShRSIOp) { return in[0].ashr(in[1]); })
            .Case([&](arith::RemUIOp) -> std::optional<llvm::APInt> {
              if (in[1].isZero())
                return std::nullopt;
              return in[0].urem(in[1]);
            })
            .Case([&](arith::DivUIOp) -> std::optional<llvm::APInt> {
              if (in[1].isZero())
                return std::nullopt;
              return in[0].udiv(in[1]);
            })
            .Case([&](arith::CmpIOp cmp) {
              return llvm::APInt(1, arith::applyCmpPredicate(cmp.getPredicate(), in[0], in[1]));
            })
            .Case([&](arith::SelectOp) { return in[0].getBoolValue() ? in[1] : in[2]; })
            .Default([](Operation *) { return std::nullopt; });
    if (!result)
      return std::nullopt;
    values[op.getResult(0)] = *result;
  }
  return std::nullopt;
}

/// True if the body computes out + q * (((w >> 2 * (k % 4)) & 3) - 1) for
/// every sampled q, byte and k (codes 0..2: the trits -1, 0, +1).
bool computesTwoBitAccumulate(Block &body) {
  if (body.getNumArguments() != 3 || !body.getArgument(0).getType().isInteger(8) ||
      !body.getArgument(1).getType().isInteger(8) || !body.getArgument(2).getType().isInteger(32))
    return false;
  const uint8_t bytes[] = {0x00, 0x55, 0xAA, 0x24, 0x86, 0x19, 0x62, 0x91};
  const int8_t qs[] = {1, -1, 37, -128, 127};
  for (uint8_t byte : bytes)
    for (int8_t q : qs)
      for (int64_t k : {0, 1, 2, 3, 6, 13}) {
        const int32_t out = 1000;
        int32_t trit = int32_t((byte >> (2 * (k % 4))) & 3) - 1;
        llvm::APInt args[] = {llvm::APInt(8, uint8_t(q)), llvm::APInt(8, byte),
                              llvm::APInt(32, uint32_t(out))};
        std::optional<llvm::APInt> got = evaluateBody(body, args, k);
        if (!got || got->getBitWidth() != 32 || int32_t(got->getZExtValue()) != out + q * trit)
          return false;
      }
  return true;
}

/// A ternary accumulate this pass can take: q [T, K] i8, weights [N, K/4]
/// i8 from a constant global, out [T, N] i32, all with identity layouts.
struct Matvec {
  linalg::GenericOp op;
  memref::GetGlobalOp weights;
  int64_t rows;     // N
  int64_t columns;  // K
};

bool identityLayout(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getLayout().isIdentity() && type.getRank() == 2;
}

std::optional<Matvec> matchMatvec(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  using utils::IteratorType;
  if (iterators != SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                             IteratorType::reduction})
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr t = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(3, 0, {t, k}, ctx) ||
      maps[1] != AffineMap::get(3, 0, {n, k.floorDiv(kTritsPerByte)}, ctx) ||
      maps[2] != AffineMap::get(3, 0, {t, n}, ctx))
    return std::nullopt;
  Value q = op.getDpsInputOperand(0)->get(), w = op.getDpsInputOperand(1)->get(),
        out = op.getDpsInitOperand(0)->get();
  if (!identityLayout(q) || !identityLayout(w) || !identityLayout(out))
    return std::nullopt;
  auto qType = cast<MemRefType>(q.getType()), wType = cast<MemRefType>(w.getType());
  if (!wType.hasStaticShape() || qType.isDynamicDim(1))
    return std::nullopt;
  int64_t columns = qType.getDimSize(1), rows = wType.getDimSize(0);
  if (columns % kWordTrits != 0 || columns >= kMaxColumns ||
      wType.getDimSize(1) * kTritsPerByte != columns ||
      cast<MemRefType>(out.getType()).getDimSize(1) != rows)
    return std::nullopt;
  auto global = w.getDefiningOp<memref::GetGlobalOp>();
  if (!global || !computesTwoBitAccumulate(op.getRegion().front()))
    return std::nullopt;
  return Matvec{op, global, rows, columns};
}

//===----------------------------------------------------------------------===//
// The layout and the kernel.
//===----------------------------------------------------------------------===//

/// Within each 4-byte word, byte j holds in bit pair s the code of trit 4s+j of the word, which
/// two_bit keeps in byte s, pair j (a transpose of the 4x4 bit pairs).
void interleaveWord(const uint8_t *in, uint8_t *out) {
  for (int j = 0; j < 4; ++j) {
    uint8_t byte = 0;
    for (int s = 0; s < 4; ++s)
      byte |= ((in[s] >> (2 * j)) & 3) << (2 * s);
    out[j] = byte;
  }
}

LogicalResult interleaveGlobal(memref::GlobalOp global) {
  auto value = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
  std::optional<ArrayRef<char>> bytes;
  std::vector<char> splat; // every byte the same (a dense splat keeps one)
  if (value && value.isSplat() && value.getElementType().isInteger(8)) {
    splat.assign(value.getNumElements(), char(value.getSplatValue<APInt>().getZExtValue()));
    bytes = ArrayRef<char>(splat);
  } else if (value) {
    bytes = mlir::tern::getRawElementBytes(value);
  }
  if (!bytes || int64_t(bytes->size()) != global.getType().getNumElements())
    return global.emitError("tern-gpu-ternary-matvec: cannot read the packed trits of this weight");
  std::string name = (global.getSymName() + ".dp4a").str();
  ElementsAttr laid = mlir::tern::makeElementsAttr(
      cast<ShapedType>(value.getType()), name, [&](MutableArrayRef<char> out) {
        for (size_t at = 0; at < bytes->size(); at += kWordBytes)
          interleaveWord(reinterpret_cast<const uint8_t *>(bytes->data() + at),
                         reinterpret_cast<uint8_t *>(out.data() + at));
      });
  global.setInitialValueAttr(laid);
  global->setAttr(mlir::tern::kGPULayoutAttr,
                  StringAttr::get(global.getContext(), mlir::tern::kDp4aInterleavedLayout));
  return success();
}

Value i32Constant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
}

/// The 32-bit words of an aligned load of `count` of them at `indices` of a memref of bytes.
SmallVector<Value> loadWords(OpBuilder &b, Location loc, Value memref, ValueRange indices,
                             int64_t count) {
  auto bytes = VectorType::get({count * 4}, b.getI8Type());
  auto words = VectorType::get({count}, b.getI32Type());
  Value v = vector::LoadOp::create(b, loc, bytes, memref, indices,
                                   /*nontemporal=*/false, llvm::MaybeAlign(count * 4));
  v = vector::BitCastOp::create(b, loc, words, v);
  SmallVector<Value> result;
  for (int64_t i = 0; i < count; ++i)
    result.push_back(vector::ExtractOp::create(b, loc, v, i));
  return result;
}

/// The bit pairs of a byte of codes; pair sh is summed times 4^sh (see kMaxColumns).
constexpr int64_t kCodeScales = 4;

/// An i32 seen as the four bytes dp4a takes.
Value asBytes(OpBuilder &b, Location loc, Value word) {
  Value one = vector::BroadcastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), word);
  return vector::BitCastOp::create(b, loc, VectorType::get({4}, b.getI8Type()), one);
}

/// A row of at most this many words per lane is loaded whole before the kernel waits for the one
/// before it (dependent launch); a longer one waits first and streams as it goes.
constexpr int64_t kMaxPrefetchRounds = 32;

/// Activations of at most this many bytes per token are staged in shared memory.
constexpr int64_t kMaxStagedBytes = 16 * 1024;

/// What a product's kernel starts from: its activations q, packed weights w and sums out; the fill
/// of the sums before it, which becomes the kernel's starting value (taken out of the IR); the
/// token count (built before the kernel).
struct ProductOperands {
  Value q, w, out;
  std::optional<Value> initial;
  Value tokens;
};
ProductOperands productOperands(OpBuilder &b, Location loc, linalg::GenericOp op) {
  ProductOperands p;
  p.q = op.getDpsInputOperand(0)->get();
  p.w = op.getDpsInputOperand(1)->get();
  p.out = op.getDpsInitOperand(0)->get();
  p.initial = takeInitialFill(p.out, op);
  p.tokens = memref::DimOp::create(b, loc, p.q, 0);
  return p;
}

void emitKernel(const Matvec &mv, int64_t warpsPerBlock, int64_t rowsPerWarp,
                bool dependentLaunch, bool stageActivations, bool prologueTarget) {
  linalg::GenericOp op = mv.op;
  OpBuilder b(op);
  Location loc = op.getLoc();
  ProductOperands operands = productOperands(b, loc, op);
  Value q = operands.q, w = operands.w, out = operands.out, tokens = operands.tokens;
  std::optional<Value> initial = operands.initial;
  // A product whose two halves of rows are combined next, element by element (the GLU of
  // gate_proj): each warp takes rows from both halves, the same positions in each, so that its
  // lanes can combine them in the epilogue instead of a kernel after this one doing it.
  Value halvesBuffer;
  linalg::GenericOp halves = rowsPerWarp % 2 == 0 && mv.rows % rowsPerWarp == 0
                                 ? findHalvesConsumer(op, out, &halvesBuffer)
                                 : linalg::GenericOp();
  int64_t pairs = rowsPerWarp / 2, half = mv.rows / 2;
  int64_t rowsPerBlock = warpsPerBlock * rowsPerWarp;
  Value blocks = indexConstant(b, loc, (mv.rows + rowsPerBlock - 1) / rowsPerBlock);
  int64_t words = mv.columns / kWordTrits;
  int64_t rounds = (words + kWarpSize - 1) / kWarpSize;
  bool prefetch = dependentLaunch && rounds <= kMaxPrefetchRounds;
  // The block's copy of the activations needs a barrier that every thread reaches: only when
  // every warp has rows.
  bool staged = stageActivations && prefetch && mv.rows % rowsPerBlock == 0 &&
                mv.columns <= kMaxStagedBytes;
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  SmallVector<Type> workgroupBuffers;
  // One element per 16-byte chunk: a vector of four words, whose type aligns the buffer to 16.
  int64_t wordsPerChunk = kChunkBytes / 4;
  auto chunkType = VectorType::get({wordsPerChunk}, b.getI32Type());
  // With staged activations, sum(q) may come from the block instead of each lane: per lane, its
  // own part costs a dp4a per activation word of each round; the block's, the dp4a of the copying
  // threads, a load and an add per warp of them, and a warp's shuffles. The cheaper one is taken
  // (the block's for rows of 2,560 and more).
  int64_t threads = warpsPerBlock * kWarpSize;
  int64_t copyRounds = (words + threads - 1) / threads;
  int64_t copyingWarps = std::min<int64_t>(warpsPerBlock, (words + kWarpSize - 1) / kWarpSize);
  bool blockSum = staged && wordsPerChunk * rounds >
                                wordsPerChunk * copyRounds + 2 * copyingWarps + llvm::Log2_64(kWarpSize);
  if (staged)
    workgroupBuffers.push_back(MemRefType::get({words}, chunkType, AffineMap(), workgroup));
  // Each thread's part of the sum of the activations, which every warp adds up at its end.
  if (blockSum)
    workgroupBuffers.push_back(
        MemRefType::get({threads}, b.getI32Type(), AffineMap(), workgroup));
  gpu::LaunchOp launch = createLaunch(b, loc, blocks, tokens, threads, workgroupBuffers);
  // Every warp waits at one place and passes the block's barrier: the single-block kernel before
  // this one may run in each of its blocks there (tern-gpu-fuse-prologues).
  if (prologueTarget && staged)
    launch->setAttr(kPrologueTargetAttr, UnitAttr::get(b.getContext()));

  Value tid = launch.getThreadIds().x;
  Value warpSize = indexConstant(b, loc, kWarpSize);
  Value lane = arith::RemUIOp::create(b, loc, tid, warpSize);
  Value warp = arith::DivUIOp::create(b, loc, tid, warpSize);
  Value globalWarp = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x, indexConstant(b, loc, warpsPerBlock)),
      warp);
  // The warp's rows: firstRow, firstRow + 1, ... (rowsPerWarp of them); with `halves`,
  // firstRow .. firstRow + pairs - 1 and the same positions of the second half.
  Value firstRow = arith::MulIOp::create(b, loc, globalWarp,
                                         indexConstant(b, loc, halves ? pairs : rowsPerWarp));
  auto rowOf = [&](OpBuilder &rb, Location loc, Value r) -> Value {
    if (!halves)
      return arith::AddIOp::create(rb, loc, firstRow, r);
    Value p = indexConstant(rb, loc, pairs);
    Value low = arith::CmpIOp::create(rb, loc, arith::CmpIPredicate::ult, r, p);
    Value inLow = arith::AddIOp::create(rb, loc, firstRow, r);
    Value inHigh = arith::AddIOp::create(
        rb, loc, inLow, indexConstant(rb, loc, half - pairs));
    return arith::SelectOp::create(rb, loc, low, inLow, inHigh);
  };
  Value token = launch.getBlockIds().y;
  Value lastRow = indexConstant(b, loc, mv.rows - 1);
  SmallVector<Value> rows, valid;
  // With `halves` a warp has all its rows or none (half is a multiple of pairs): it has them while
  // its first row lies in the first half.
  Value lastLowRow = indexConstant(b, loc, half - 1);
  for (int64_t r = 0; r < rowsPerWarp; ++r) {
    Value row = rowOf(b, loc, indexConstant(b, loc, r));
    valid.push_back(halves ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, firstRow,
                                                   lastLowRow)
                           : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, row, lastRow));
    // Past the last row, a warp reads the last row again (and stores nothing).
    rows.push_back(arith::MinUIOp::create(b, loc, row, lastRow));
  }
  // The activations of one word (once for all rows), and every row's sums and sum(q) advanced by
  // it.
  auto accumulateWord = [&](OpBuilder &lb, Location loc, ArrayRef<Value> weightWords, Value word,
                            ValueRange acc) {
    SmallVector<Value> activations;
    if (staged) {
      Value chunk = memref::LoadOp::create(lb, loc, launch.getWorkgroupAttributions()[0], word);
      for (int64_t j = 0; j < wordsPerChunk; ++j)
        activations.push_back(vector::ExtractOp::create(lb, loc, chunk, j));
    } else {
      Value qColumn = arith::MulIOp::create(lb, loc, word, indexConstant(lb, loc, kChunkBytes));
      activations = loadWords(lb, loc, q, ValueRange{token, qColumn}, wordsPerChunk);
    }
    Value ones = asBytes(lb, loc, i32Constant(lb, loc, 0x01010101));
    auto u8 = NVVM::DotAccumulateType::UNSIGNED, s8 = NVVM::DotAccumulateType::SIGNED;
    // sum(q) once: the same for every row (or the block's total instead).
    Value sum = acc.back();
    for (Value word : activations)
      if (!blockSum)
        sum = NVVM::DotAccumulate4WayOp::create(lb, loc, lb.getI32Type(), ones, u8,
                                                asBytes(lb, loc, word), s8, sum);
    // Bit pair sh of every byte, masked in place (no shift): the codes of trits 4sh..4sh+3 times
    // 4^sh, against activation word sh, summed into their own accumulator, which is divided by
    // 4^sh exactly at the end (kCodeScales).
    SmallVector<Value> next;
    for (int64_t r = 0; r < rowsPerWarp; ++r)
      for (int64_t sh = 0; sh < kCodeScales; ++sh) {
        Value shifted = i32Constant(lb, loc, int32_t(0x03030303u << (2 * sh)));
        Value codes = asBytes(lb, loc, arith::AndIOp::create(lb, loc, weightWords[r], shifted));
        Value x = asBytes(lb, loc, activations[sh]);
        next.push_back(NVVM::DotAccumulate4WayOp::create(lb, loc, lb.getI32Type(), codes, u8, x,
                                                         s8, acc[r * kCodeScales + sh]));
      }
    next.push_back(sum);
    return next;
  };
  // A lane takes `group` consecutive words of each of its rows at a time: one where every word
  // is loaded before the wait (each lane's share of a row then ends within a word of the others'),
  // four in the loop that streams longer rows (16-byte loads).
  int64_t group = !prefetch && words % 4 == 0 ? 4 : 1;
  // Group `g` of every row: rowsPerWarp loads in flight per lane.
  auto loadWeights = [&](OpBuilder &lb, Location loc, Value g) {
    Value wColumn =
        arith::MulIOp::create(lb, loc, g, indexConstant(lb, loc, group * kWordBytes));
    SmallVector<SmallVector<Value>> weightWords;
    for (Value row : rows)
      weightWords.push_back(loadWords(lb, loc, w, ValueRange{row, wColumn}, group));
    return weightWords;
  };
  // The activations of group `g` (once for all rows), and every row's sums and sum(q) advanced by
  // it.
  auto accumulate = [&](OpBuilder &lb, Location loc, ArrayRef<SmallVector<Value>> weightWords,
                        Value g, ValueRange acc) {
    SmallVector<Value> totals(acc.begin(), acc.end());
    for (int64_t i = 0; i < group; ++i) {
      Value word = arith::AddIOp::create(
          lb, loc, arith::MulIOp::create(lb, loc, g, indexConstant(lb, loc, group)),
          indexConstant(lb, loc, i));
      SmallVector<Value> wordOfRows;
      for (const SmallVector<Value> &rowWords : weightWords)
        wordOfRows.push_back(rowWords[i]);
      totals = accumulateWord(lb, loc, wordOfRows, word, totals);
    }
    return totals;
  };
  auto waitForPreviousKernels = [&](OpBuilder &wb, Location loc) {
    NVVM::GriddepcontrolOp::create(wb, loc, NVVM::GridDepActionKind::wait);
  };
  // The whole block copies the token's activations into shared memory, a 16-byte chunk per
  // thread at a time, each thread also adding up its chunks' activations for the block's sum;
  // then a barrier waits for every thread's copy. Lane L then reads chunk L + 32 i: consecutive
  // lanes, consecutive chunks, no bank conflicts.
  auto stageActivationsOf = [&](OpBuilder &sb, Location loc) {
    Value stage = launch.getWorkgroupAttributions()[0];
    auto bytes = VectorType::get({kChunkBytes}, sb.getI8Type());
    Value ones = asBytes(sb, loc, i32Constant(sb, loc, 0x01010101));
    Value sum = i32Constant(sb, loc, 0);
    for (int64_t base = 0; base < words; base += threads) {
      Value c = arith::AddIOp::create(sb, loc, tid, indexConstant(sb, loc, base));
      // Copies chunk c and returns the sum so far with its 16 activations.
      auto copy = [&](OpBuilder &cb, Location loc) -> Value {
        Value from = arith::MulIOp::create(cb, loc, c, indexConstant(cb, loc, kChunkBytes));
        Value v = vector::LoadOp::create(cb, loc, bytes, q, ValueRange{token, from},
                                         /*nontemporal=*/false, llvm::MaybeAlign(kChunkBytes));
        v = vector::BitCastOp::create(cb, loc, chunkType, v);
        memref::StoreOp::create(cb, loc, v, stage, c);
        Value more = sum;
        for (int64_t j = 0; blockSum && j < wordsPerChunk; ++j)
          more = NVVM::DotAccumulate4WayOp::create(
              cb, loc, cb.getI32Type(), ones, NVVM::DotAccumulateType::UNSIGNED,
              asBytes(cb, loc, vector::ExtractOp::create(cb, loc, v, j)),
              NVVM::DotAccumulateType::SIGNED, more);
        return more;
      };
      if (base + threads <= words) {
        sum = copy(sb, loc);
        continue;
      }
      Value inRow = arith::CmpIOp::create(sb, loc, arith::CmpIPredicate::ult, c,
                                          indexConstant(sb, loc, words));
      if (!blockSum) {
        scf::IfOp::create(sb, loc, inRow, [&](OpBuilder &tb, Location loc) {
          copy(tb, loc);
          scf::YieldOp::create(tb, loc);
        });
        continue;
      }
      auto tail = scf::IfOp::create(
          sb, loc, inRow,
          [&](OpBuilder &tb, Location loc) { scf::YieldOp::create(tb, loc, copy(tb, loc)); },
          [&](OpBuilder &eb, Location loc) { scf::YieldOp::create(eb, loc, sum); });
      sum = tail.getResult(0);
    }
    if (blockSum)
      memref::StoreOp::create(sb, loc, sum, launch.getWorkgroupAttributions()[1], tid);
    gpu::BarrierOp::create(sb, loc);
  };
  // sum(q) of the staged row, which every row subtracts once: each lane adds the parts of the
  // threads of its position in every warp, then the warp adds the lanes'. Nothing waits for it
  // until the rows' totals are known.
  auto stagedActivationSum = [&](OpBuilder &sb, Location loc) -> Value {
    Value threadSums = launch.getWorkgroupAttributions()[1];
    Value sum = i32Constant(sb, loc, 0);
    // Threads past the chunks hold 0.
    for (int64_t w = 0; w < copyingWarps; ++w) {
      Value at = arith::AddIOp::create(sb, loc, lane, indexConstant(sb, loc, w * kWarpSize));
      sum = arith::AddIOp::create(sb, loc, sum, memref::LoadOp::create(sb, loc, threadSums, at));
    }
    return warpRedux(sb, loc, sum, NVVM::ReduxKind::ADD);
  };
  // The whole warp takes the same branch, so its shuffles stay converged.
  scf::IfOp::create(b, loc, valid[0], [&](OpBuilder &ib, Location loc) {
    Value zero = i32Constant(ib, loc, 0);
    SmallVector<Value> totals(rowsPerWarp * kCodeScales + 1, zero);
    Value stagedSum; // sum(q) of the whole row, when the block adds it up
    // The epilogue's inputs at this lane's row (the last row for lanes past the warp's rows):
    // its weights (the forget gate's lower bounds) are loaded with the matrix's, before the wait;
    // the rest (the activation scale, a residual) right after the wait, with the activations,
    // instead of a trip to memory after the sums.
    Value myRow = rowOf(ib, loc, lane);
    SmallVector<Value> epilogueAt{token, arith::MinUIOp::create(ib, loc, myRow, lastRow)};
    PreloadedInputs preloaded;
    auto preload = [&](OpBuilder &pb, bool constants) {
      PreloadedInputs more =
          preloadChainInputs(pb, loc, op, launch, out, epilogueAt,
                             [&](Value v) { return isConstantBuffer(v) == constants; });
      preloaded.insert(more.begin(), more.end());
    };
    if (prefetch) {
      // The weights depend on no earlier kernel: every word of them is loaded while the kernel
      // before this one still runs, and only the activations wait for it.
      SmallVector<Value> word, inRange;
      SmallVector<SmallVector<SmallVector<Value>>> weightWords;
      for (int64_t i = 0; i < rounds; ++i) {
        Value p = arith::AddIOp::create(ib, loc, lane, indexConstant(ib, loc, i * kWarpSize));
        Value ok;
        if ((i + 1) * kWarpSize > words) {
          Value last = indexConstant(ib, loc, words - 1);
          ok = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::ule, p, last);
          p = arith::MinUIOp::create(ib, loc, p, last); // a valid address; its sums are dropped
        }
        word.push_back(p);
        inRange.push_back(ok);
        weightWords.push_back(loadWeights(ib, loc, p));
      }
      preload(ib, /*constants=*/true);
      waitForPreviousKernels(ib, loc);
      preload(ib, /*constants=*/false);
      if (staged) {
        stageActivationsOf(ib, loc);
        if (blockSum)
          stagedSum = stagedActivationSum(ib, loc);
      }
      for (int64_t i = 0; i < rounds; ++i) {
        SmallVector<Value> next = accumulate(ib, loc, weightWords[i], word[i], totals);
        for (auto [t, n] : llvm::zip(totals, next))
          t = inRange[i] ? arith::SelectOp::create(ib, loc, inRange[i], n, t).getResult() : n;
      }
    } else {
      preload(ib, /*constants=*/true);
      if (dependentLaunch)
        waitForPreviousKernels(ib, loc);
      preload(ib, /*constants=*/false);
      auto loop = scf::ForOp::create(
          ib, loc, lane, indexConstant(ib, loc, words / group), warpSize, totals,
          [&](OpBuilder &lb, Location loc, Value p, ValueRange acc) {
            SmallVector<SmallVector<Value>> weightWords = loadWeights(lb, loc, p);
            scf::YieldOp::create(lb, loc, accumulate(lb, loc, weightWords, p, acc));
          });
      totals.assign(loop.getResults().begin(), loop.getResults().end());
    }
    // This lane's part of every row: sum(q * code), each bit pair's sum divided by its 4^sh
    // (exact: a multiple of it), less its part of sum(q) unless the block subtracts all of it.
    SmallVector<Value> partials;
    for (int64_t r = 0; r < rowsPerWarp; ++r) {
      Value dot = totals[r * kCodeScales];
      for (int64_t sh = 1; sh < kCodeScales; ++sh)
        dot = arith::AddIOp::create(
            ib, loc, dot,
            arith::ShRSIOp::create(ib, loc, totals[r * kCodeScales + sh],
                                   i32Constant(ib, loc, 2 * sh)));
      partials.push_back(stagedSum ? dot : arith::SubIOp::create(ib, loc, dot, totals.back()));
    }
    // Lane r gets row r's total and stores it, so the rows' epilogues (the dequantization and
    // what follows it) run side by side, from one copy of the fused ops; lanes past the rows get
    // row 0's. Each row's sum is one redux.sync: integers, so the order does not matter, and
    // the rows' sums are independent, where shuffles chain five deep.
    Value mine;
    for (int64_t r = 0; r < rowsPerWarp; ++r) {
      Value total = warpRedux(ib, loc, partials[r], NVVM::ReduxKind::ADD);
      if (r == 0) {
        mine = total;
        continue;
      }
      Value isMine = arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::eq, lane,
                                           indexConstant(ib, loc, r));
      mine = arith::SelectOp::create(ib, loc, isMine, total, mine);
    }
    // sum(q * (code - 1)) = sum(q * code) - sum(q)
    if (stagedSum)
      mine = arith::SubIOp::create(ib, loc, mine, stagedSum);
    Value store = arith::AndIOp::create(
        ib, loc,
        arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::ult, lane,
                              indexConstant(ib, loc, rowsPerWarp)),
        arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::ule, myRow, lastRow));
    if (halves) {
      // Every lane evaluates the epilogue (lanes past the warp's rows at the last row, storing
      // nothing), so that lane r can then take lane r + pairs's value with a shuffle: row r's
      // position in the second half.
      Value row = arith::MinUIOp::create(ib, loc, myRow, lastRow);
      Value old = initial ? *initial
                          : memref::LoadOp::create(ib, loc, out, ValueRange{token, row}).getResult();
      Value sum = arith::AddIOp::create(ib, loc, old, mine);
      scf::IfOp::create(ib, loc, store, [&](OpBuilder &tb, Location loc) {
        memref::StoreOp::create(tb, loc, sum, out, ValueRange{token, row});
        scf::YieldOp::create(tb, loc);
      });
      FusedChain chain = fuseElementwiseConsumers(ib, loc, op, launch, out,
                                                  ValueRange{token, row}, sum, store, &preloaded);
      // (A value gpu.shuffle cannot move, or a chain that stopped short of the halves, leaves the
      // combination to the kernel after this one; the rows stay paired, which is only an order.)
      Type valueType = chain.value.getType();
      if (chain.buffer == halvesBuffer && (valueType.isF32() || valueType.isInteger(32))) {
        Value high = gpu::ShuffleOp::create(ib, loc, chain.value, int32_t(pairs), kWarpSize,
                                            gpu::ShuffleMode::DOWN)
                         .getShuffleResult();
        Value lowLane = arith::AndIOp::create(
            ib, loc,
            arith::CmpIOp::create(ib, loc, arith::CmpIPredicate::ult, lane,
                                  indexConstant(ib, loc, pairs)),
            store);
        fuseHalvesConsumer(ib, loc, launch, halves, chain.value, high, ValueRange{token, row},
                           lowLane);
      }
      scf::YieldOp::create(ib, loc);
      return;
    }
    scf::IfOp::create(ib, loc, store, [&](OpBuilder &tb, Location loc) {
      Value old = initial ? *initial
                          : memref::LoadOp::create(tb, loc, out, ValueRange{token, myRow}).getResult();
      Value sum = arith::AddIOp::create(tb, loc, old, mine);
      memref::StoreOp::create(tb, loc, sum, out, ValueRange{token, myRow});
      fuseElementwiseConsumers(tb, loc, op, launch, out, ValueRange{token, myRow}, sum, {},
                               &preloaded);
      scf::YieldOp::create(tb, loc);
    });
    scf::YieldOp::create(ib, loc);
  });
  op.erase();
}

/// Token tiles of 8 (the n of m16n8k32) a block of the tensor-core kernel takes: 32 tokens.
constexpr int64_t kMmaTokenTiles = 4;
/// Warps a block of the tensor-core kernel: they split the columns of the same 16 rows and
/// tokens, and warp w then finishes token tile w.
constexpr int64_t kMmaWarps = kMmaTokenTiles;
/// How far ahead a warp of the tensor-core kernel loads.
struct MmaSchedule {
  /// Chunks a warp loads ahead (all their loads first, then their mma).
  int64_t unroll;
  /// Weight words a lane loads before its wait for the kernel before it (dependent launch): its
  /// first chunks', at most this many.
  int64_t prefetchWords;
  /// Counts of token tiles holding tokens (fewer than kMmaTokenTiles) that get a copy of the
  /// loops of their own, which loads and multiplies only those tiles.
  SmallVector<int64_t> fewerTiles;
  /// Tiles of 16 rows a block takes (each warp multiplies every activation fragment it loads
  /// with all of them): activations read from L2 once for this many row tiles.
  int64_t rowTiles = 1;
};
/// Prefill: 2 chunks ahead, 32 words before the wait (all of them for rows of up to 2,560
/// columns in 4 warps), one copy of the loops, blocks of 2 row tiles (32 rows) where the rows
/// allow. Loading more costs prefill 0.3-4%, copies of the loops for fewer tiles 3.5%; 2 row
/// tiles (half the activations read from L2) gained 8-11% over 1, and 4 lost 9% (about 175
/// registers a thread: 2 blocks a multiprocessor) (H200, 2.7B shape; docs/performance-gpu.md).
MmaSchedule prefillSchedule() { return {2, 32, {}, 2}; }
/// Functions whose products take a few tokens (batch decode: one per sequence), which wait on
/// latency like a single token: more ahead, a copy of the loops for blocks of one tile, and
/// blocks of one row tile: with 2 (half the blocks) a batch of 8 lost 3%, while 16 and 32 gained
/// 2-5%.
MmaSchedule fewTokensSchedule() { return {2, 64, {1}, 1}; }

/// Steps of 32 columns (the k of m16n8k32) in a chunk of the tensor-core kernel: 4 (128
/// columns) where the columns allow, else 2; 0 where neither does (rows not in tiles of 16).
int64_t mmaSteps(const Matvec &mv) {
  if (mv.rows % 16 != 0)
    return 0;
  return mv.columns % 128 == 0 ? 4 : mv.columns % 64 == 0 ? 2 : 0;
}

/// A product of several tokens (prefill, batch decode) on the tensor cores: `mma.sync` m16n8k32
/// with the trits (-1, 0, 1) as the s8 matrix A (16 rows) and the int8 activations as the s8
/// matrix B (8 tokens); integer sums, so exact in any order. A block takes 16 rows and
/// kMmaTokenTiles x 8 tokens, so a weight word is loaded once for 32 tokens; its warps split the
/// columns (a quarter each, a few chunks at a time, their loads first), add up their sums in
/// shared memory, and warp w finishes token tile w.
///
/// Which column each element of a fragment stands for is free, as long as A and B agree. In a
/// chunk of U steps (32 U columns), lane l takes the 8 U consecutive columns from 8 U (l % 4) on:
/// in step u its B fragment is their bytes 8u..8u+3 and 8u+4..8u+7 (one or two 16-byte loads of
/// activations per tile and chunk, not 2 U loads of 4 bytes, each of which touches the lines of 8
/// tokens), and its A fragment the trits of the same columns, 4 consecutive ones each: in the
/// word layout, byte b of a word holds in bit pair sh the code of trit 4 sh + b, so these are the
/// word (of 16 trits) shifted right by 2 sh and masked with 0x03030303; each code byte c becomes
/// the trit c - 1 as ((c | 0x80) - 1) ^ 0x80, which borrows from no other byte. Each lane then
/// stores its 4 sums and runs the elementwise ops that follow (dequantize, ...) on them, one
/// element at a time.
void emitMmaKernel(const Matvec &mv, bool dependentLaunch, MmaSchedule schedule) {
  linalg::GenericOp op = mv.op;
  OpBuilder b(op);
  Location loc = op.getLoc();
  ProductOperands operands = productOperands(b, loc, op);
  Value q = operands.q, w = operands.w, out = operands.out, tokens = operands.tokens;
  std::optional<Value> initial = operands.initial;
  int64_t tokensPerBlock = kMmaTokenTiles * 8, values = kMmaTokenTiles * 4;
  int64_t rowTiles = schedule.rowTiles, allValues = rowTiles * values;
  Value blocksY = arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, tokens, indexConstant(b, loc, tokensPerBlock - 1)),
      indexConstant(b, loc, tokensPerBlock));
  Value blocksX = indexConstant(b, loc, mv.rows / (16 * rowTiles));
  // Each warp's sums, [warp][row tile x value][lane], for the other warps to add up.
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto partials =
      MemRefType::get({kMmaWarps * allValues * kWarpSize}, b.getI32Type(), AffineMap(), workgroup);
  gpu::LaunchOp launch =
      createLaunch(b, loc, blocksX, blocksY, kMmaWarps * kWarpSize, TypeRange{partials});
  Value shared = launch.getWorkgroupAttributions()[0];

  Value tid = launch.getThreadIds().x;
  Value lane = arith::RemUIOp::create(b, loc, tid, indexConstant(b, loc, kWarpSize));
  Value warp = arith::DivUIOp::create(b, loc, tid, indexConstant(b, loc, kWarpSize));
  Value group = arith::DivUIOp::create(b, loc, lane, indexConstant(b, loc, 4));
  Value inGroup = arith::RemUIOp::create(b, loc, lane, indexConstant(b, loc, 4));
  // This lane's rows of row tile r (fragments a0/a2 and a1/a3; sums c0/c1 and c2/c3): rows
  // 16 (R bx + r) + lane / 4 and 8 more; for a product whose halves are combined next (the GLU of
  // gate_proj), rows 8 (R bx + r) + lane / 4 of the first half and the same of the second, so that
  // each lane holds both.
  Value halvesBuffer;
  linalg::GenericOp halves = findHalvesConsumer(op, out, &halvesBuffer);
  int64_t half = mv.rows / 2, tileRows = halves ? 8 : 16;
  SmallVector<Value> rowLow, rowHigh;
  for (int64_t r = 0; r < rowTiles; ++r) {
    Value tile = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x, indexConstant(b, loc, rowTiles)),
        indexConstant(b, loc, r));
    rowLow.push_back(arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, tile, indexConstant(b, loc, tileRows)), group));
    rowHigh.push_back(
        arith::AddIOp::create(b, loc, rowLow.back(), indexConstant(b, loc, halves ? half : 8)));
  }
  Value firstToken =
      arith::MulIOp::create(b, loc, launch.getBlockIds().y, indexConstant(b, loc, tokensPerBlock));
  Value lastToken = arith::SubIOp::create(b, loc, tokens, indexConstant(b, loc, 1));
  // The token of this lane's B fragment in tile j (past the last: the last again, not stored).
  SmallVector<Value> bTokens;
  for (int64_t j = 0; j < kMmaTokenTiles; ++j)
    bTokens.push_back(arith::MinUIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, firstToken,
                              arith::AddIOp::create(b, loc, group, indexConstant(b, loc, 8 * j))),
        lastToken));
  Value mask = i32Constant(b, loc, 0x03030303), ones = i32Constant(b, loc, 0x01010101);
  Value high = i32Constant(b, loc, int32_t(0x80808080u));
  auto i32x4 = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(4, b.getI32Type()));
  auto mma = [&](OpBuilder &mb, Location loc, ValueRange a, ValueRange bFrag,
                 ValueRange c) -> SmallVector<Value> {
    Value d = NVVM::MmaOp::create(
        mb, loc, i32x4, NVVM::MMAShapeAttr::get(mb.getContext(), 16, 8, 32), NVVM::MMAB1OpAttr(),
        NVVM::MMAIntOverflowAttr::get(mb.getContext(), NVVM::MMAIntOverflow::wrapped),
        NVVM::MMALayout::row, NVVM::MMALayout::col,
        NVVM::MMATypesAttr::get(mb.getContext(), NVVM::MMATypes::s8),
        NVVM::MMATypesAttr::get(mb.getContext(), NVVM::MMATypes::s8), a, bFrag, c);
    SmallVector<Value> parts;
    for (int64_t i = 0; i < 4; ++i)
      parts.push_back(LLVM::ExtractValueOp::create(mb, loc, d, i));
    return parts;
  };
  // Four trits of `word` (bit pair `sh` of each byte) as signed bytes.
  auto trits = [&](OpBuilder &tb, Location loc, Value word, int64_t sh) -> Value {
    Value codes = arith::AndIOp::create(
        tb, loc, sh == 0 ? word : arith::ShRUIOp::create(tb, loc, word, i32Constant(tb, loc, 2 * sh)),
        mask);
    Value biased = arith::SubIOp::create(tb, loc, arith::OrIOp::create(tb, loc, codes, high), ones);
    return arith::XOrIOp::create(tb, loc, biased, high);
  };
  int64_t chunkSteps = mmaSteps(mv), chunkColumns = 32 * chunkSteps;
  int64_t chunkWords = chunkSteps / 2; // of one lane and row
  // The first of the lane's columns in `chunk`.
  auto columnOf = [&](OpBuilder &lb, Location loc, Value chunk) -> Value {
    return arith::AddIOp::create(
        lb, loc, arith::MulIOp::create(lb, loc, chunk, indexConstant(lb, loc, chunkColumns)),
        arith::MulIOp::create(lb, loc, inGroup, indexConstant(lb, loc, 8 * chunkSteps)));
  };
  struct Weights {
    // The lane's words of its two rows of each row tile: low then high, tile by tile.
    SmallVector<SmallVector<Value>> rows;
  };
  auto loadChunkWeights = [&](OpBuilder &lb, Location loc, Value chunk) {
    Value wColumn =
        arith::DivUIOp::create(lb, loc, columnOf(lb, loc, chunk), indexConstant(lb, loc, 4));
    Weights loaded;
    for (int64_t r = 0; r < rowTiles; ++r)
      for (Value row : {rowLow[r], rowHigh[r]})
        loaded.rows.push_back(loadWords(lb, loc, w, ValueRange{row, wColumn}, chunkWords));
    return loaded;
  };
  // Chunks `chunks` added to the sums `acc` (4 per token tile of each row tile, row tile by row
  // tile), with their weights when given (loaded earlier), else loaded here. Every load of all of
  // them first.
  auto accumulate = [&](OpBuilder &lb, Location loc, int64_t tiles, ArrayRef<Value> chunks,
                        ArrayRef<Weights> given, ValueRange acc) {
    struct Loaded : Weights {
      SmallVector<SmallVector<Value>> tokenWords; // per tile, its 2 U activation words
    };
    SmallVector<Loaded> loaded;
    for (auto [i, chunk] : llvm::enumerate(chunks)) {
      Loaded l;
      Value column = columnOf(lb, loc, chunk);
      static_cast<Weights &>(l) = given.empty() ? loadChunkWeights(lb, loc, chunk) : given[i];
      for (int64_t j = 0; j < tiles; ++j) {
        SmallVector<Value> words;
        for (int64_t piece = 0; piece < chunkSteps / 2; ++piece) // 16 bytes each
          llvm::append_range(
              words, loadWords(lb, loc, q,
                               ValueRange{bTokens[j], arith::AddIOp::create(
                                                          lb, loc, column,
                                                          indexConstant(lb, loc, 16 * piece))},
                               4));
        l.tokenWords.push_back(std::move(words));
      }
      loaded.push_back(std::move(l));
    }
    SmallVector<Value> sums(acc.begin(), acc.end());
    for (Loaded &l : loaded)
      for (int64_t u = 0; u < chunkSteps; ++u) {
        // Columns 8u..8u+3 (a0, a1) and 8u+4..8u+7 (a2, a3) of the lane's: bit pairs 2 (u % 2)
        // and 2 (u % 2) + 1 of word u / 2.
        int64_t sh = 2 * (u % 2);
        for (int64_t r = 0; r < rowTiles; ++r) {
          Value low = l.rows[2 * r][u / 2], high = l.rows[2 * r + 1][u / 2];
          SmallVector<Value> a{trits(lb, loc, low, sh), trits(lb, loc, high, sh),
                               trits(lb, loc, low, sh + 1), trits(lb, loc, high, sh + 1)};
          for (int64_t j = 0; j < tiles; ++j) {
            SmallVector<Value> bFrag{l.tokenWords[j][2 * u], l.tokenWords[j][2 * u + 1]};
            int64_t at = r * values + 4 * j;
            SmallVector<Value> next = mma(lb, loc, a, bFrag, ArrayRef(sums).slice(at, 4));
            std::copy(next.begin(), next.end(), sums.begin() + at);
          }
        }
      }
    return sums;
  };
  // This warp's quarter of the chunks. With dependent launch the weights of its first ones are
  // loaded before the wait for the kernel before this one, while that one still runs (a chunk
  // past the warp's end loads the last chunk's address and counts as trits 0: code 1 in every bit
  // pair); then the others `schedule.unroll` at a time, and the rest one by one. Without the
  // early loads a batch of a few tokens, bound by latency like a single token, waited for each
  // chunk's weights after the kernel before (docs/performance-gpu.md).
  int64_t chunks = mv.columns / chunkColumns, perWarp = (chunks + kMmaWarps - 1) / kMmaWarps;
  Value begin = arith::MinUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, warp, indexConstant(b, loc, perWarp)),
      indexConstant(b, loc, chunks));
  Value end = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, begin, indexConstant(b, loc, perWarp)),
      indexConstant(b, loc, chunks));
  int64_t early =
      dependentLaunch
          ? std::min<int64_t>(perWarp, schedule.prefetchWords / (2 * rowTiles * chunkWords))
          : 0;
  SmallVector<Value> earlyChunks;
  SmallVector<Weights> earlyWeights;
  Value zeroTrits = i32Constant(b, loc, 0x55555555);
  for (int64_t i = 0; i < early; ++i) {
    Value chunk = arith::AddIOp::create(b, loc, begin, indexConstant(b, loc, i));
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, chunk, end);
    chunk = arith::MinUIOp::create(b, loc, chunk, indexConstant(b, loc, chunks - 1));
    Weights loaded = loadChunkWeights(b, loc, chunk);
    for (SmallVector<Value> &words : loaded.rows)
      for (Value &word : words)
        word = arith::SelectOp::create(b, loc, inRange, word, zeroTrits);
    earlyChunks.push_back(chunk);
    earlyWeights.push_back(std::move(loaded));
  }
  if (dependentLaunch)
    NVVM::GriddepcontrolOp::create(b, loc, NVVM::GridDepActionKind::wait);
  // The chunks' sums of the token tiles that hold tokens (the block's last tiles may hold none:
  // a batch of 8 sequences fills one of its 4), in a copy of the loops for each count of them.
  auto sumChunks = [&](OpBuilder &sb, Location loc, int64_t tiles) {
    SmallVector<Value> sums(allValues, i32Constant(sb, loc, 0));
    for (int64_t i = 0; i < early; i += schedule.unroll) {
      int64_t n = std::min(schedule.unroll, early - i);
      sums = accumulate(sb, loc, tiles, ArrayRef(earlyChunks).slice(i, n),
                        ArrayRef(earlyWeights).slice(i, n), sums);
    }
    Value rest0 = arith::MinUIOp::create(
        sb, loc, arith::AddIOp::create(sb, loc, begin, indexConstant(sb, loc, early)), end);
    Value unroll = indexConstant(sb, loc, schedule.unroll);
    Value mainEnd = unrolledEnd(sb, loc, rest0, end, unroll);
    auto main = scf::ForOp::create(
        sb, loc, rest0, mainEnd, unroll, sums,
        [&](OpBuilder &lb, Location loc, Value chunk, ValueRange acc) {
          SmallVector<Value> group{chunk};
          for (int64_t u = 1; u < schedule.unroll; ++u)
            group.push_back(arith::AddIOp::create(lb, loc, chunk, indexConstant(lb, loc, u)));
          scf::YieldOp::create(lb, loc, accumulate(lb, loc, tiles, group, {}, acc));
        });
    auto rest = scf::ForOp::create(
        sb, loc, mainEnd, end, indexConstant(sb, loc, 1), main.getResults(),
        [&](OpBuilder &lb, Location loc, Value chunk, ValueRange acc) {
          scf::YieldOp::create(lb, loc, accumulate(lb, loc, tiles, {chunk}, {}, acc));
        });
    return SmallVector<Value>(rest.getResults());
  };
  SmallVector<Value> summed;
  if (schedule.fewerTiles.empty()) {
    summed = sumChunks(b, loc, kMmaTokenTiles);
  } else {
    Value tilesHeld = arith::MinUIOp::create(
        b, loc,
        arith::DivUIOp::create(
            b, loc,
            arith::AddIOp::create(b, loc, arith::SubIOp::create(b, loc, tokens, firstToken),
                                  indexConstant(b, loc, 7)),
            indexConstant(b, loc, 8)),
        indexConstant(b, loc, kMmaTokenTiles));
    auto byTiles = scf::IndexSwitchOp::create(b, loc, SmallVector<Type>(allValues, b.getI32Type()),
                                              tilesHeld, schedule.fewerTiles,
                                              schedule.fewerTiles.size());
    for (auto [i, k] : llvm::enumerate(schedule.fewerTiles)) {
      OpBuilder cb = OpBuilder::atBlockEnd(&byTiles.getCaseRegions()[i].emplaceBlock());
      scf::YieldOp::create(cb, loc, sumChunks(cb, loc, k));
    }
    OpBuilder db = OpBuilder::atBlockEnd(&byTiles.getDefaultRegion().emplaceBlock());
    scf::YieldOp::create(db, loc, sumChunks(db, loc, kMmaTokenTiles));
    summed = byTiles.getResults();
  }
  // The warps' sums through shared memory: warp w adds up every warp's sums of token tile w, in
  // every row tile.
  auto at = [&](OpBuilder &ab, Location loc, Value ofWarp, Value value) {
    return arith::AddIOp::create(
        ab, loc,
        arith::MulIOp::create(
            ab, loc,
            arith::AddIOp::create(
                ab, loc, arith::MulIOp::create(ab, loc, ofWarp, indexConstant(ab, loc, allValues)),
                value),
            indexConstant(ab, loc, kWarpSize)),
        lane);
  };
  for (int64_t v = 0; v < allValues; ++v)
    memref::StoreOp::create(b, loc, summed[v], shared,
                            ValueRange{at(b, loc, warp, indexConstant(b, loc, v))});
  gpu::BarrierOp::create(b, loc);
  Value tileValue = arith::MulIOp::create(b, loc, warp, indexConstant(b, loc, 4));
  SmallVector<Value> total; // 4 a row tile
  for (int64_t v = 0; v < 4 * rowTiles; ++v) {
    Value value =
        arith::AddIOp::create(b, loc, tileValue, indexConstant(b, loc, v / 4 * values + v % 4));
    Value sum;
    for (int64_t other = 0; other < kMmaWarps; ++other) {
      Value part = memref::LoadOp::create(
          b, loc, shared, ValueRange{at(b, loc, indexConstant(b, loc, other), value)});
      sum = sum ? arith::AddIOp::create(b, loc, sum, part).getResult() : part;
    }
    total.push_back(sum);
  }
  // Sum c of the warp's token tile in row tile r: row rowLow[r] (c < 2) or rowHigh[r], token
  // firstToken + 8 warp + 2 (lane % 4) + c % 2.
  struct Element {
    Value row, token, sum;
    Value low; // rowLow of its row tile: with halves, the row of the first half
  };
  SmallVector<Element> elements;
  Value pairToken = arith::AddIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, firstToken,
                            arith::MulIOp::create(b, loc, warp, indexConstant(b, loc, 8))),
      arith::MulIOp::create(b, loc, inGroup, indexConstant(b, loc, 2)));
  // With halves, the elements of one token side by side: its low then its high half.
  for (int64_t r = 0; r < rowTiles; ++r)
    for (int64_t c :
         halves ? SmallVector<int64_t>{0, 2, 1, 3} : SmallVector<int64_t>{0, 1, 2, 3}) {
      Value token = arith::AddIOp::create(b, loc, pairToken, indexConstant(b, loc, c % 2));
      elements.push_back({c < 2 ? rowLow[r] : rowHigh[r], token, total[4 * r + c], rowLow[r]});
    }
  auto present = [&](OpBuilder &pb, Location loc, const Element &e) {
    return arith::CmpIOp::create(pb, loc, arith::CmpIPredicate::ult, e.token, tokens);
  };
  // The sums first, then the elementwise ops after the product, element by element (one copy of
  // them in a loop). The loop takes the element's value from the lane's registers where the
  // product starts from a known value (a fill), else reads back what the lane stored.
  SmallVector<Value> startedAt;
  if (initial)
    for (const Element &e : elements)
      startedAt.push_back(arith::AddIOp::create(b, loc, *initial, e.sum));
  for (auto [k, e] : llvm::enumerate(elements))
    scf::IfOp::create(b, loc, present(b, loc, e), [&](OpBuilder &ib, Location loc) {
      Value value =
          initial ? startedAt[k]
                  : arith::AddIOp::create(
                        ib, loc,
                        memref::LoadOp::create(ib, loc, out, ValueRange{e.token, e.row}), e.sum)
                        .getResult();
      memref::StoreOp::create(ib, loc, value, out, ValueRange{e.token, e.row});
      scf::YieldOp::create(ib, loc);
    });
  // With halves, the loop carries the low half's value to the next element, the high half of
  // the same token, which combines the two (a value of the halves buffer's element type, which
  // the elementwise ops end in where they reach it; otherwise a later kernel combines them).
  Type carried;
  if (halves)
    carried = cast<MemRefType>(halvesBuffer.getType()).getElementType();
  bool combine = carried && (carried.isF32() || carried.isInteger(32));
  SmallVector<Value> noLow;
  if (combine)
    noLow.push_back(arith::ConstantOp::create(b, loc, b.getZeroAttr(carried)));
  scf::ForOp::create(
      b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, elements.size()),
      indexConstant(b, loc, 1), noLow,
      [&](OpBuilder &lb, Location loc, Value i, ValueRange low) {
        // Element i's row, token and value, chosen among the lane's.
        Element e = elements[0];
        Value stored = initial ? startedAt[0] : Value();
        for (size_t k = 1; k < elements.size(); ++k) {
          Value isK = arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::eq, i,
                                            indexConstant(lb, loc, k));
          e.row = arith::SelectOp::create(lb, loc, isK, elements[k].row, e.row);
          e.token = arith::SelectOp::create(lb, loc, isK, elements[k].token, e.token);
          if (rowTiles > 1)
            e.low = arith::SelectOp::create(lb, loc, isK, elements[k].low, e.low);
          if (initial)
            stored = arith::SelectOp::create(lb, loc, isK, startedAt[k], stored);
        }
        SmallVector<Type> types;
        if (combine)
          types.push_back(carried);
        auto ifPresent = scf::IfOp::create(
            lb, loc, types, present(lb, loc, e), /*withElseRegion=*/combine);
        {
          OpBuilder ib = ifPresent.getThenBodyBuilder();
          Value sum = initial ? stored
                              : memref::LoadOp::create(ib, loc, out, ValueRange{e.token, e.row})
                                    .getResult();
          FusedChain chain = fuseElementwiseConsumers(ib, loc, op, launch, out,
                                                      ValueRange{e.token, e.row}, sum, {}, nullptr);
          if (combine && chain.buffer == halvesBuffer && chain.value.getType() == carried) {
            Value isHigh = arith::CmpIOp::create(
                ib, loc, arith::CmpIPredicate::eq,
                arith::AndIOp::create(ib, loc, i, indexConstant(ib, loc, 1)),
                indexConstant(ib, loc, 1));
            fuseHalvesConsumer(ib, loc, launch, halves, low[0], chain.value,
                               ValueRange{e.token, e.low}, isHigh);
          }
          // (Without results the region already ends in its yield.)
          if (combine)
            scf::YieldOp::create(ib, loc,
                                 chain.value.getType() == carried ? chain.value : low[0]);
        }
        if (combine) {
          OpBuilder eb = ifPresent.getElseBodyBuilder();
          scf::YieldOp::create(eb, loc, low[0]);
        }
        scf::YieldOp::create(lb, loc, ifPresent.getResults());
      });
  op.erase();
}

struct TernaryMatvecToGPUPass
    : mlir::tern::impl::TernGPUTernaryMatvecBase<TernaryMatvecToGPUPass> {
  using TernGPUTernaryMatvecBase::TernGPUTernaryMatvecBase;

  /// A single token's product is spread over enough warps to fill the GPU: under 2,048 rows one
  /// row per warp, under 8,192 two, from there `rows-per-warp`. Measured on an H200
  /// (docs/performance-gpu.md): 4 rows per warp made the 2,560-row products of a 2.7B decode step
  /// slower and the 13,824-row one 1.4x faster; 2 rows per warp made the 2,048- and 2,560-row ones
  /// faster (2.7B step 1.06x, 1.3B 1.02x) and the 1,024-row ones of the 370M shape slower (0.95x).
  static constexpr int64_t kRowsForTwoPerWarp = 2048;
  static constexpr int64_t kRowsForSeveralPerWarp = 8192;

  static bool oneToken(const Matvec &mv) {
    auto qType = cast<MemRefType>(linalg::GenericOp(mv.op).getDpsInputOperand(0)->get().getType());
    return !qType.isDynamicDim(0) && qType.getDimSize(0) == 1;
  }

  static bool hasHalvesConsumer(const Matvec &mv) {
    Value unused;
    linalg::GenericOp op = mv.op;
    return mv.rows % 2 == 0 && findHalvesConsumer(op, op.getDpsInitOperand(0)->get(), &unused);
  }

  /// `siblings`: how many products share the kernel (siblingCounts). Those of one kernel (the
  /// input, forget and gate projections) take `rows-per-warp` from 2,048 rows: H200, the three
  /// 2,560-row projections of the 2.7B shape in 240 blocks of 4 rows a warp add 2.03 µs where 480
  /// blocks of 2 add 2.70 (decode 1.04x; 1.3B 1.02x), while the 1,024-row ones of the 370M shape
  /// were slower with 4 (0.98x) than with 1 (docs/performance-gpu.md).
  int64_t rowsFor(const Matvec &mv, int64_t siblings) const {
    if (!oneToken(mv) || mv.rows >= kRowsForSeveralPerWarp ||
        (siblings > 1 && mv.rows >= kRowsForTwoPerWarp))
      return rowsPerWarp;
    int64_t rows = std::min<int64_t>(rowsPerWarp, mv.rows < kRowsForTwoPerWarp ? 1 : 2);
    // A product whose halves are combined next takes a row of each half per warp at least.
    if (rows == 1 && rowsPerWarp >= 2 && hasHalvesConsumer(mv))
      rows = 2;
    return rows;
  }

  /// Block shape of a single token's product that may take the single-block kernel before it
  /// as a prologue: at most `budget` blocks, each a multiple of its rows (every warp has rows and
  /// reaches the block's barrier), every row loaded before the wait and at most 32 words of
  /// weights a lane. Among those: the most blocks (the most multiprocessors reading weights), a
  /// power of two of rows per warp (chosen when rows were summed with shuffles, which took fewer
  /// for a power of two; kept so the measured shapes stay), then the block nearest 640 threads, the
  /// size at which one multiprocessor runs the single-block kernels fastest (CUDAPipeline.cpp).
  struct Shape {
    int64_t warps, rowsPerWarp;
  };
  static std::optional<Shape> prologueShape(const Matvec &mv, int64_t budget) {
    constexpr int64_t kMaxWeightWords = 32, kPreferredThreads = 640;
    int64_t words = mv.columns / kWordTrits, rounds = (words + kWarpSize - 1) / kWarpSize;
    if (budget < 1 || rounds > kMaxPrefetchRounds || mv.columns > kMaxStagedBytes)
      return std::nullopt;
    bool halves = hasHalvesConsumer(mv);
    std::optional<Shape> best;
    auto key = [&](Shape s) {
      return std::make_tuple(mv.rows / (s.warps * s.rowsPerWarp),
                             llvm::isPowerOf2_64(s.rowsPerWarp),
                             -std::abs(s.warps * kWarpSize - kPreferredThreads));
    };
    for (int64_t warps = 8; warps <= 32; ++warps)
      for (int64_t rows = 1; rows * rounds <= kMaxWeightWords && rows <= kWarpSize; ++rows) {
        if ((halves && rows % 2 != 0) || mv.rows % (warps * rows) != 0 ||
            mv.rows / (warps * rows) > budget)
          continue;
        if (!best || key(Shape{warps, rows}) > key(*best))
          best = Shape{warps, rows};
      }
    return best;
  }

  /// How many products each single token's product shares a kernel with: products that neither
  /// read the other's result, directly or through the ops between them, which
  /// tern-gpu-merge-launches runs as one kernel (the input, forget and gate projections).
  static llvm::DenseMap<Operation *, int64_t> siblingCounts(ModuleOp module,
                                                            ArrayRef<Matvec> candidates) {
    llvm::DenseMap<Operation *, int64_t> counts;
    llvm::DenseSet<Operation *> isCandidate;
    for (const Matvec &mv : candidates)
      isCandidate.insert(mv.op);
    module.walk([&](func::FuncOp func) {
      for (Block &block : func.getBody()) {
        SmallVector<Operation *> group;
        SmallVector<Value> derived; // what the group's products wrote, and what was computed from it
        auto flush = [&] {
          for (Operation *op : group)
            counts[op] = group.size();
          group.clear();
          derived.clear();
        };
        for (Operation &op : block) {
          auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
          if (!linalgOp)
            continue;
          Effects effects = effectsOf(linalgOp);
          if (isCandidate.contains(&op)) {
            if (anyMayAlias(effects.reads, derived))
              flush();
            group.push_back(&op);
            llvm::append_range(derived, effects.writes);
          } else if (anyMayAlias(effects.reads, derived)) {
            llvm::append_range(derived, effects.writes);
          }
        }
        flush();
      }
    });
    return counts;
  }

  void runOnOperation() override {
    if (rowsPerWarp < 1 || rowsPerWarp > kWarpSize) {
      getOperation().emitError("tern-gpu-ternary-matvec: rows-per-warp must be in [1, 32], got ")
          << rowsPerWarp;
      return signalPassFailure();
    }
    if (warpsPerBlock < 1 || warpsPerBlock > 32) {
      getOperation().emitError("tern-gpu-ternary-matvec: warps-per-block must be in [1, 32], got ")
          << warpsPerBlock;
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    // Group the candidates by weight global: a global is re-laid only if all
    // of its uses are candidates.
    llvm::MapVector<memref::GlobalOp, SmallVector<Matvec>> byGlobal;
    module.walk([&](linalg::GenericOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (std::optional<Matvec> mv = matchMatvec(op))
        if (auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
                mv->weights, mv->weights.getNameAttr());
            global && global.getConstant())
          byGlobal[global].push_back(*mv);
    });
    SmallVector<Matvec> oneTokenProducts;
    for (auto &[global, uses] : byGlobal)
      llvm::append_range(oneTokenProducts, llvm::make_filter_range(uses, oneToken));
    llvm::DenseMap<Operation *, int64_t> siblings = siblingCounts(module, oneTokenProducts);
    for (auto &[global, uses] : byGlobal) {
      if (global->hasAttr(mlir::tern::kGPULayoutAttr))
        continue; // re-laid by an earlier run: its bytes are no longer two_bit
      size_t generics = 0;
      bool onlyCandidates = true;
      std::optional<SymbolTable::UseRange> symbolUses = SymbolTable::getSymbolUses(global, module);
      for (const SymbolTable::SymbolUse &use : *symbolUses) {
        auto get = dyn_cast<memref::GetGlobalOp>(use.getUser());
        if (!get) {
          onlyCandidates = false;
          break;
        }
        for (Operation *user : get->getUsers()) {
          bool candidate = llvm::any_of(uses, [&](const Matvec &mv) { return mv.op == user; });
          onlyCandidates &= candidate;
          generics += candidate;
        }
      }
      if (!onlyCandidates || generics != uses.size())
        continue;
      if (failed(interleaveGlobal(global)))
        return signalPassFailure();
      for (const Matvec &mv : uses) {
        if (tensorCores && !oneToken(mv) && mmaSteps(mv) > 0) {
          auto func = mv.op->getParentOfType<func::FuncOp>();
          bool few = func && llvm::is_contained(fewTokenFunctions, func.getSymName().str());
          MmaSchedule schedule = few ? fewTokensSchedule() : prefillSchedule();
          if (mv.rows % (16 * schedule.rowTiles) != 0)
            schedule.rowTiles = 1;
          emitMmaKernel(mv, dependentLaunch, schedule);
          continue;
        }
        std::optional<Shape> shape;
        if (dependentLaunch && stageActivations && prologueBlocks > 0 && oneToken(mv))
          shape = prologueShape(mv, prologueBlocks / std::max<int64_t>(1, siblings.lookup(mv.op)));
        if (shape)
          emitKernel(mv, shape->warps, shape->rowsPerWarp, dependentLaunch, stageActivations,
                     /*prologueTarget=*/true);
        else
          emitKernel(mv, warpsPerBlock, rowsFor(mv, siblings.lookup(mv.op)), dependentLaunch,
                     stageActivations,
                     /*prologueTarget=*/false);
      }
    }
  }
};

} // namespace
