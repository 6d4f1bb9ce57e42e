//===- StageGraph.cpp - the top function as stages and streams -----------===//
#include "backends/hls/StageGraph.h"

#include "backends/hls/HLSAttrs.h"
#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::tern;

namespace tern::hls {
namespace {

FailureOr<std::string> elementTypeOf(Operation *op, Type type) {
  Type element = cast<ShapedType>(type).getElementType();
  if (element.isF32())
    return std::string("float");
  if (element.isInteger(8))
    return std::string("ap_int<8>");
  if (element.isInteger(32))
    return std::string("ap_int<32>");
  return op->emitError("tern-hls: no stream element type for ") << type;
}

int64_t rowElements(Type type) {
  auto ranked = cast<RankedTensorType>(type);
  return ranked.getRank() < 2 ? 1 : ranked.getDimSize(ranked.getRank() - 1);
}

bool isConstant(Operation *def) {
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def))
    return slice.getSource().getDefiningOp() && isConstant(slice.getSource().getDefiningOp());
  return isa<arith::ConstantOp, TernaryConstantOp>(def);
}

/// The row `r` of a static [1, H]-shaped slice at offsets [r, 0], or -1.
int64_t stateRowOf(tensor::ExtractSliceOp slice) {
  ArrayRef<int64_t> offsets = slice.getStaticOffsets();
  if (offsets.size() != 2 || offsets[1] != 0 || ShapedType::isDynamic(offsets[0]))
    return -1;
  return offsets[0];
}

struct Builder {
  StageGraph graph;
  llvm::DenseMap<Operation *, int> stageIndex;
  llvm::StringSet<> streamNames;

  std::string uniqueStreamName(std::string name) {
    std::string unique = name;
    for (int n = 1; streamNames.contains(unique); ++n)
      unique = name + "_" + std::to_string(n);
    streamNames.insert(unique);
    return unique;
  }

  /// A stream from `value` (a stage result) to `consumer` (-1: a top output).
  FailureOr<int> addStream(OpResult value, int consumer, StringRef consumerName) {
    int producer = stageIndex.lookup(value.getOwner());
    Stage &from = graph.stages[producer];
    Stream stream;
    std::string base = from.name;
    if (from.op->getNumResults() > 1)
      base += "_" + std::to_string(value.getResultNumber());
    stream.name = uniqueStreamName(base + "_to_" + consumerName.str());
    FailureOr<std::string> element = elementTypeOf(from.op, value.getType());
    if (failed(element))
      return failure();
    stream.elementType = *element;
    stream.depth = from.op->getAttrOfType<DenseI64ArrayAttr>(kStreamDepthAttr)[value.getResultNumber()];
    stream.rowElements = rowElements(value.getType());
    stream.producer = producer;
    stream.consumer = consumer;
    graph.streams.push_back(stream);
    int index = int(graph.streams.size()) - 1;
    from.outputs[value.getResultNumber()].push_back(index);
    return index;
  }

  /// A port stream of the layer top ("x" in, "y" out).
  int addPort(StringRef name, Type type, int producer, int consumer) {
    Stream stream;
    stream.name = name.str();
    stream.elementType = "float";
    stream.rowElements = rowElements(type);
    stream.producer = producer;
    stream.consumer = consumer;
    stream.isPort = true;
    streamNames.insert(name);
    graph.streams.push_back(stream);
    return int(graph.streams.size()) - 1;
  }

  LogicalResult classifyOperand(int index, OpOperand &operand) {
    Stage &stage = graph.stages[index];
    Value value = operand.get();
    StageInput &input = stage.inputs[operand.getOperandNumber()];
    if (auto result = dyn_cast<OpResult>(value)) {
      Operation *def = result.getOwner();
      if (stageIndex.count(def)) {
        FailureOr<int> stream = addStream(result, index, stage.name);
        if (failed(stream))
          return failure();
        input = {StageInput::Kind::Stream, *stream, -1};
        return success();
      }
      auto slice = dyn_cast<tensor::ExtractSliceOp>(def);
      auto sliced = slice ? dyn_cast<BlockArgument>(slice.getSource()) : BlockArgument();
      if (graph.isModel && sliced && sliced.getArgNumber() == 1) {
        int64_t row = stateRowOf(slice);
        if (!isa<MLGRUOp>(stage.op) || operand.getOperandNumber() != 2 || row < 0)
          return stage.op->emitError("tern-hls: only a tern.mlgru's initial state may read a "
                                     "[1, H] row of the state argument");
        input = {StageInput::Kind::State, -1, row};
        return success();
      }
      if (isConstant(def)) {
        input = {StageInput::Kind::Constant, -1, -1};
        return success();
      }
      return stage.op->emitError("tern-hls: operand ")
             << operand.getOperandNumber() << " comes from '" << def->getName()
             << "', which is neither a stage, a constant nor the state";
    }
    auto argument = cast<BlockArgument>(value);
    if (graph.isModel && argument.getArgNumber() == 0 && isa<EmbeddingOp>(stage.op) &&
        operand.getOperandNumber() == 1) {
      input = {StageInput::Kind::TokenId, -1, -1};
      return success();
    }
    if (!graph.isModel && argument.getArgNumber() == 0 && argument.hasOneUse()) {
      input = {StageInput::Kind::Stream, addPort("x", argument.getType(), -1, index), -1};
      return success();
    }
    return stage.op->emitError("tern-hls: operand ")
           << operand.getOperandNumber() << " is function argument "
           << argument.getArgNumber() << ", which no port of the " << (graph.isModel ? "model" : "layer")
           << " top carries there";
  }

  /// The returned state must be every layer's final MLGRU state inserted at
  /// its own row: then the state arrays updated in place are the result.
  LogicalResult checkReturnedState(Value state) {
    llvm::SmallDenseSet<int64_t> rows;
    while (auto insert = state.getDefiningOp<tensor::InsertSliceOp>()) {
      ArrayRef<int64_t> offsets = insert.getStaticOffsets();
      auto mlgru = insert.getSource().getDefiningOp<MLGRUOp>();
      if (!mlgru || insert.getSource() != mlgru.getFinalState() || offsets.size() != 2 ||
          ShapedType::isDynamic(offsets[0]) || offsets[1] != 0)
        return insert.emitError("tern-hls: the returned state must be built from tern.mlgru "
                                "final states inserted at [row, 0]");
      auto initial = mlgru.getInitialState().getDefiningOp<tensor::ExtractSliceOp>();
      if (!initial || stateRowOf(initial) != offsets[0])
        return insert.emitError("tern-hls: a layer's final state goes to row ")
               << offsets[0] << " but its initial state is not read from that row";
      rows.insert(offsets[0]);
      state = insert.getDest();
    }
    if (int64_t(rows.size()) != graph.layers)
      return graph.top.emitError("tern-hls: the returned state updates ")
             << rows.size() << " of " << graph.layers << " rows";
    return success();
  }

  LogicalResult build(func::FuncOp top) {
    graph.top = top;
    graph.isModel = top->getAttrOfType<StringAttr>(kTopAttr).getValue() == kTopModel;
    for (Operation &op : top.getBody().front()) {
      std::optional<StageKind> kind = stageKindOf(&op);
      if (!kind)
        continue;
      auto name = op.getAttrOfType<StringAttr>(kStageAttr);
      auto depths = op.getAttrOfType<DenseI64ArrayAttr>(kStreamDepthAttr);
      if (!name || !depths || depths.size() != int64_t(op.getNumResults()))
        return op.emitError("tern-hls: a stage op without ")
               << kStageAttr << " / " << kStreamDepthAttr << " (run tern-hls-dataflow)";
      Stage stage;
      stage.op = &op;
      stage.kind = *kind;
      stage.name = name.str();
      stage.inputs.resize(op.getNumOperands());
      stage.outputs.resize(op.getNumResults());
      if (auto accumulate = dyn_cast<TernaryAccumulateOp>(op))
        stage.traceKey = constantName(accumulate.getWeight()).value_or(stage.name);
      stageIndex[&op] = int(graph.stages.size());
      graph.stages.push_back(std::move(stage));
    }
    if (graph.isModel) {
      auto stateType = cast<RankedTensorType>(top.getArgument(1).getType());
      graph.layers = stateType.getDimSize(0);
      graph.hidden = stateType.getDimSize(1);
      graph.vocab = rowElements(top.getResultTypes()[0]);
      auto maxTokens = top->getAttrOfType<IntegerAttr>(kMaxTokensAttr);
      if (!maxTokens)
        return top.emitError("tern-hls: the model top has no ") << kMaxTokensAttr;
      graph.maxTokens = maxTokens.getInt();
    }
    for (size_t index = 0; index < graph.stages.size(); ++index)
      for (OpOperand &operand : graph.stages[index].op->getOpOperands())
        if (failed(classifyOperand(int(index), operand)))
          return failure();

    auto ret = cast<func::ReturnOp>(top.getBody().front().getTerminator());
    auto logits = dyn_cast<OpResult>(ret.getOperand(0));
    if (!logits || !stageIndex.count(logits.getOwner()))
      return ret.emitError("tern-hls: the first result must be computed by a stage");
    if (graph.isModel) {
      FailureOr<int> stream = addStream(logits, -1, "logits");
      if (failed(stream) || failed(checkReturnedState(ret.getOperand(1))))
        return failure();
      graph.logitsStream = *stream;
    } else {
      int producer = stageIndex.lookup(logits.getOwner());
      int port = addPort("y", logits.getType(), producer, -1);
      graph.stages[producer].outputs[logits.getResultNumber()].push_back(port);
      graph.layerIn = rowElements(top.getArgument(0).getType());
      graph.layerOut = rowElements(logits.getType());
      top.walk([&](TernaryAccumulateOp accumulate) {
        graph.layerName = constantName(accumulate.getWeight()).value_or("tern_layer");
      });
    }
    for (Stage &stage : graph.stages)
      for (OpResult result : stage.op->getResults())
        for (Operation *user : result.getUsers())
          if (!stageIndex.count(user) && !isa<func::ReturnOp>(user) &&
              !(isa<MLGRUOp>(stage.op) && result.getResultNumber() == 1 &&
                isa<tensor::InsertSliceOp>(user)))
            return user->emitError("tern-hls: '")
                   << user->getName() << "' reads the result of stage " << stage.name
                   << "; only stages and the return may";
    return success();
  }
};

} // namespace

FailureOr<StageGraph> buildStageGraph(ModuleOp module) {
  func::FuncOp top;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(kTopAttr))
      top = fn;
  if (!top)
    return module.emitError("tern-hls: no function has ")
           << kTopAttr << " (run tern-hls-interfaces)";
  if (!top->hasAttr(kDataflowAttr))
    return top.emitError("tern-hls: the top function has no ")
           << kDataflowAttr << " (run tern-hls-dataflow)";
  Builder builder;
  if (failed(builder.build(top)))
    return failure();
  return std::move(builder.graph);
}

} // namespace tern::hls
