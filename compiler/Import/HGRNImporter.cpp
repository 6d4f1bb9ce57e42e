//===- HGRNImporter.cpp - HGRNBit checkpoint to tern graph IR -------------===//
//
// Follows the forward pass of docs/model-spec.md line by line; each layer
// becomes the same sequence of tern ops.
//
#include "compiler/Import/HGRNImporter.h"

#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace mlir;

namespace tern {
namespace {

class Importer {
public:
  Importer(MLIRContext &ctx, const Checkpoint &ckpt)
      : ctx(ctx), ckpt(ckpt), config(ckpt.config()), b(&ctx) {}

  OwningOpRef<ModuleOp> run() {
    auto module = ModuleOp::create(UnknownLoc::get(&ctx));
    module->setAttr("tern.model_type", b.getStringAttr(config.modelType));
    b.setInsertionPointToEnd(module.getBody());
    func::FuncOp prefill = buildForward(kPrefillFunction, StateLayout::Sequence);
    buildDecode(prefill);
    buildForward(kDecodeBatchFunction, StateLayout::Batch);
    return module;
  }

private:
  MLIRContext &ctx;
  const Checkpoint &ckpt;
  const ModelConfig &config;
  OpBuilder b;
  Location loc = UnknownLoc::get(&ctx);
  Type f32 = b.getF32Type();

  /// How a function's recurrent state is laid out: one sequence's [L, H],
  /// scanned over its T tokens (prefill), or [B, L, H] for B sequences of one
  /// token each (batch decode: token b belongs to sequence b).
  enum class StateLayout { Sequence, Batch };

  /// Every function reads a checkpoint tensor through the same attribute, so
  /// that ternarize, pack and bufferization share one copy of it.
  llvm::StringMap<TypedAttr> constants;

  Location nameLoc(StringRef name) { return NameLoc::get(b.getStringAttr(name)); }

  Value constant(StringRef name, function_ref<TypedAttr()> make) {
    auto [it, added] = constants.try_emplace(name);
    if (added)
      it->second = make();
    return arith::ConstantOp::create(b, nameLoc(name), it->second);
  }

  /// A tensor of the checkpoint as it is stored (bf16 stays bf16): a dense
  /// resource pointing at the mapped bytes when they are aligned.
  Value storedTensor(StringRef name) {
    return constant(name, [&] { return storedTensorAttr(name); });
  }

  TypedAttr storedTensorAttr(StringRef name) {
    const TensorView &t = ckpt.tensor(name);
    Type elementType = t.dtype == DType::BF16 ? Type(b.getBF16Type())
                       : t.dtype == DType::F16 ? Type(b.getF16Type())
                                               : Type(f32);
    auto type = RankedTensorType::get(t.shape, elementType);
    size_t align = t.dtype == DType::F32 ? 4 : 2;
    ArrayRef<char> bytes(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
    AsmResourceBlob blob =
        reinterpret_cast<uintptr_t>(bytes.data()) % align == 0
            ? UnmanagedAsmResourceBlob::allocateWithAlign(bytes, align)
            : HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align, false);
    return DenseResourceElementsAttr::get(type, name, std::move(blob));
  }

  /// A tensor converted to f32 (norm weights, lower bounds).
  Value f32Tensor(StringRef name) {
    return constant(name, [&] {
      const TensorView &t = ckpt.tensor(name);
      auto type = RankedTensorType::get(t.shape, f32);
      ElementsAttr attr = mlir::tern::makeElementsAttr(type, name, [&](MutableArrayRef<char> out) {
        t.toFloat32(reinterpret_cast<float *>(out.data()));
      });
      return cast<TypedAttr>(attr);
    });
  }

  Value rmsNorm(Value x, StringRef weightName) {
    return mlir::tern::RMSNormOp::create(b, nameLoc(weightName), x.getType(), x, f32Tensor(weightName),
                                   b.getF32FloatAttr(float(config.rmsNormEps)));
  }

  /// A BitLinear named by its prefix ("model.layers.0.attn.i_proj").
  Value bitLinear(Value x, StringRef prefix) {
    Value w = storedTensor((prefix + ".weight").str());
    Value g = f32Tensor((prefix + ".norm.weight").str());
    int64_t n = cast<ShapedType>(w.getType()).getDimSize(0);
    auto resultType =
        RankedTensorType::get({cast<ShapedType>(x.getType()).getDimSize(0), n}, f32);
    return mlir::tern::BitLinearOp::create(b, nameLoc(prefix), resultType, x, w, g,
                                     b.getF32FloatAttr(1e-6f));
  }

  /// Row `i` of a [rows, H] tensor as a [H] tensor.
  Value row(Value matrix, int64_t i) {
    int64_t h = cast<ShapedType>(matrix.getType()).getDimSize(1);
    auto rowType = RankedTensorType::get({h}, f32);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(i), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(h)};
    SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
    return tensor::ExtractSliceOp::create(b, loc, rowType, matrix, offsets, sizes, strides);
  }

  Value insertRow(Value rowValue, Value matrix, int64_t i) {
    int64_t h = cast<ShapedType>(matrix.getType()).getDimSize(1);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(i), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(h)};
    SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
    return tensor::InsertSliceOp::create(b, loc, rowValue, matrix, offsets, sizes, strides);
  }

  /// Layer `i` of a [B, L, H] state: the [B, H] states of that layer.
  Value layerOfBatch(Value state, int64_t i) {
    int64_t h = cast<ShapedType>(state.getType()).getDimSize(2);
    auto sliceType = RankedTensorType::get({ShapedType::kDynamic, h}, f32);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(i), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, state, 0), b.getIndexAttr(1),
                                    b.getIndexAttr(h)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, sliceType, state, offsets, sizes, strides);
  }

  Value insertLayerOfBatch(Value layer, Value state, int64_t i) {
    int64_t h = cast<ShapedType>(state.getType()).getDimSize(2);
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(i), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, layer, 0), b.getIndexAttr(1),
                                    b.getIndexAttr(h)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, layer, state, offsets, sizes, strides);
  }

  /// The whole model over a dynamic number of rows: prefill's T tokens of one
  /// sequence, or batch decode's one token of each of B sequences. Only the
  /// state and the recurrence differ; every other op works row by row.
  func::FuncOp buildForward(StringRef name, StateLayout layout) {
    int64_t L = config.numLayers, H = config.hiddenSize, V = config.vocabSize;
    const bool batch = layout == StateLayout::Batch;
    const int64_t tokens = ShapedType::kDynamic;
    auto idsType = RankedTensorType::get({tokens}, b.getI32Type());
    auto stateType = batch ? RankedTensorType::get({ShapedType::kDynamic, L, H}, f32)
                           : RankedTensorType::get({L, H}, f32);
    auto logitsType = RankedTensorType::get({tokens, V}, f32);
    auto fn = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType({idsType, stateType}, {logitsType, stateType}));
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(fn.addEntryBlock());
    Value ids = fn.getArgument(0), state = fn.getArgument(1);

    auto hiddenType = RankedTensorType::get({tokens, H}, f32);
    Value table = storedTensor("model.embeddings.weight");
    Value h = mlir::tern::EmbeddingOp::create(b, nameLoc("model.embeddings"), hiddenType, table, ids);
    Value lowerBounds;
    if (config.useLowerBound) {
      Value raw = f32Tensor("model.lower_bounds");
      lowerBounds = mlir::tern::LowerBoundsOp::create(b, nameLoc("model.lower_bounds"), raw.getType(), raw);
    }
    Value newState;
    if (batch)
      newState = tensor::EmptyOp::create(
          b, loc,
          SmallVector<OpFoldResult>{tensor::getMixedSize(b, loc, state, 0), b.getIndexAttr(L),
                                    b.getIndexAttr(H)},
          f32);
    else
      newState = tensor::EmptyOp::create(b, loc, stateType.getShape(), f32);

    for (int64_t i = 0; i < L; ++i) {
      std::string p = "model.layers." + std::to_string(i);
      // token mixer: MLGRU
      Value residual = h;
      Value x = rmsNorm(h, p + ".attn_norm.weight");
      Value a = bitLinear(x, p + ".attn.i_proj");
      Value fz = bitLinear(x, p + ".attn.f_proj");
      Value lb = (lowerBounds && i > 0) ? row(lowerBounds, i) : Value();
      Value f = mlir::tern::ForgetGateOp::create(b, nameLoc(p + ".attn.forget"), fz.getType(), fz, lb);
      Value hidden;
      if (batch) {
        // Each sequence steps from its own previous state.
        hidden = mlir::tern::MLGRUStepOp::create(b, nameLoc(p + ".attn"), a.getType(), a, f,
                                                 layerOfBatch(state, i));
        newState = insertLayerOfBatch(hidden, newState, i);
      } else {
        auto gru = mlir::tern::MLGRUOp::create(b, nameLoc(p + ".attn"), a.getType(),
                                               row(state, i).getType(), a, f, row(state, i));
        newState = insertRow(gru.getFinalState(), newState, i);
        hidden = gru.getHidden();
      }
      Value g = bitLinear(x, p + ".attn.g_proj");
      Value o = mlir::tern::SwishGateNormOp::create(b, nameLoc(p + ".attn.g_norm"), g.getType(), g,
                                              hidden, f32Tensor(p + ".attn.g_norm.weight"),
                                              b.getF32FloatAttr(float(config.rmsNormEps)));
      Value r = arith::AddFOp::create(b, loc, residual, bitLinear(o, p + ".attn.o_proj"));
      // channel mixer: GLU
      Value xm = rmsNorm(r, p + ".mlp_norm.weight");
      Value gu = bitLinear(xm, p + ".mlp.gate_proj");
      auto glu = mlir::tern::GLUOp::create(b, nameLoc(p + ".mlp"),
                                     RankedTensorType::get({tokens, config.intermediateSize}, f32), gu);
      h = arith::AddFOp::create(b, loc, r, bitLinear(glu, p + ".mlp.down_proj"));
    }
    Value normed = rmsNorm(h, "model.norm.weight");
    Value logits = bitLinear(normed, "lm_head");
    func::ReturnOp::create(b, loc, ValueRange{logits, newState});
    return fn;
  }

  /// tern_decode: one token; the same computation as prefill with T = 1.
  void buildDecode(func::FuncOp prefill) {
    int64_t L = config.numLayers, H = config.hiddenSize, V = config.vocabSize;
    auto idsType = RankedTensorType::get({1}, b.getI32Type());
    auto stateType = RankedTensorType::get({L, H}, f32);
    auto logitsType = RankedTensorType::get({1, V}, f32);
    auto fn = func::FuncOp::create(b, loc, kDecodeFunction,
                                   b.getFunctionType({idsType, stateType}, {logitsType, stateType}));
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(fn.addEntryBlock());
    Value ids = tensor::CastOp::create(b, loc, prefill.getArgumentTypes()[0], fn.getArgument(0));
    auto call = func::CallOp::create(b, loc, prefill, ValueRange{ids, fn.getArgument(1)});
    Value logits = tensor::CastOp::create(b, loc, logitsType, call.getResult(0));
    func::ReturnOp::create(b, loc, ValueRange{logits, call.getResult(1)});
  }
};

} // namespace

OwningOpRef<ModuleOp> importHGRNBit(MLIRContext &context, const Checkpoint &checkpoint) {
  context.loadDialect<mlir::tern::TernDialect, arith::ArithDialect, func::FuncDialect,
                      tensor::TensorDialect>();
  return Importer(context, checkpoint).run();
}

} // namespace tern
