//===- OperationReport.cpp - operations, bytes and energy per token -------===//
#include "compiler/Report/OperationReport.h"
#include "compiler/Report/EnergyTable.h"

#include "compiler/Import/HGRNImporter.h"

#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/IR/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cctype>
#include <cstdio>

using namespace mlir;

namespace tern {

using mlir::tern::DequantizeOp;
using mlir::tern::getRawElementBytes;
using mlir::tern::Packing;
using mlir::tern::QuantizeOp;
using mlir::tern::TernaryAccumulateOp;
using mlir::tern::TernaryConstantOp;
using mlir::tern::TritsType;
using mlir::tern::unpackTrits;

ProjectionCosts &ProjectionCosts::operator+=(const ProjectionCosts &other) {
  parameters += other.parameters;
  packedBytes += other.packedBytes;
  addsSubtracts += other.addsSubtracts;
  multiplications += other.multiplications;
  denseMultiplications += other.denseMultiplications;
  bytesRead += other.bytesRead;
  denseBytesRead += other.denseBytesRead;
  energyPJ += other.energyPJ;
  denseEnergyPJ += other.denseEnergyPJ;
  return *this;
}

namespace {

int64_t elementBytes(Type type) { return (type.getIntOrFloatBitWidth() + 7) / 8; }

/// The dense float baseline: f32 weights and activations, one multiply and
/// one add per weight.
void addDenseBaseline(ProjectionCosts &costs, int64_t weights, int64_t inputs) {
  costs.denseMultiplications += weights;
  costs.denseBytesRead += 4 * (weights + inputs);
  costs.denseEnergyPJ += double(weights) * (EnergyTable::kFloat32Mult + EnergyTable::kFloat32Add) +
                         EnergyTable::dramRead(4.0 * double(weights + inputs));
}

/// How many trits of a ternary constant are not zero (all of them when the
/// bytes cannot be read).
int64_t nonZeroTrits(TernaryConstantOp constant) {
  auto type = cast<TritsType>(constant.getType());
  int64_t total = type.getRows() * type.getCols();
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      dense && dense.isSplat() && type.getPacking() == Packing::none)
    return dense.getSplatValue<APInt>().isZero() ? 0 : total;
  std::optional<ArrayRef<char>> bytes = getRawElementBytes(constant.getValue());
  if (!bytes)
    return total;
  std::vector<int8_t> trits(total);
  unpackTrits(reinterpret_cast<const uint8_t *>(bytes->data()), type.getRows(), type.getCols(),
              type.getPacking(), trits.data());
  return total - llvm::count(trits, int8_t(0));
}

/// The weight operand of a linalg contraction that stayed dense, if a constant.
arith::ConstantOp denseWeight(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumReductionLoops() == 0)
    return nullptr;
  for (OpOperand *input : op.getDpsInputOperands())
    if (auto constant = input->get().getDefiningOp<arith::ConstantOp>();
        constant && isa<ElementsAttr>(constant.getValue()))
      return constant;
  return nullptr;
}

class ReportBuilder {
public:
  void visit(Operation *op) {
    if (auto acc = dyn_cast<TernaryAccumulateOp>(op))
      return accumulate(acc);
    if (auto quantize = dyn_cast<QuantizeOp>(op)) {
      // s_x = 127 / max|y| per row, then y * s_x per element.
      int64_t k = quantize.getInput().getType().getDimSize(1);
      return extraMultiplications(op, ShapedType::isDynamic(k) ? 0 : k + 1);
    }
    if (auto dequantize = dyn_cast<DequantizeOp>(op)) {
      // s_x * s_w and a division per element.
      int64_t n = dequantize.getInput().getType().getDimSize(1);
      return extraMultiplications(op, ShapedType::isDynamic(n) ? 0 : 2 * n);
    }
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      if (arith::ConstantOp weight = denseWeight(linalgOp))
        return dense(linalgOp, weight);
  }

  OperationReport finish() {
    OperationReport report;
    llvm::StringMap<size_t> layerIndex;
    for (Projection &p : projections) {
      std::string layer = layerOf(p.name);
      auto [it, added] = layerIndex.try_emplace(layer, report.layers.size());
      if (added)
        report.layers.push_back(Layer{layer, {}, {}});
      Layer &l = report.layers[it->second];
      l.total += p.costs;
      report.total += p.costs;
      l.projections.push_back(std::move(p));
    }
    return report;
  }

private:
  /// The op's name location (what the importer and tern-eliminate-matmul
  /// give every op of a projection), else file:line, else the op's name and
  /// its position.
  std::string nameOf(Operation *op) {
    for (Location loc = op->getLoc();;) {
      if (auto name = dyn_cast<NameLoc>(loc))
        return name.getName().str();
      if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty()) {
        loc = fused.getLocations().front();
        continue;
      }
      if (auto file = dyn_cast<FileLineColLoc>(loc))
        return (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
                Twine(file.getLine()))
            .str();
      return (op->getName().getStringRef() + "#" + Twine(projections.size())).str();
    }
  }

  /// "model.layers.3.attn.i_proj" -> "model.layers.3"; other names stay.
  static std::string layerOf(StringRef name) {
    size_t at = name.find("layers.");
    if (at == StringRef::npos)
      return name.str();
    size_t end = at + 7;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end])))
      ++end;
    return end == at + 7 ? name.str() : name.substr(0, end).str();
  }

  Projection &projection(Operation *op, bool ternary) {
    std::string name = nameOf(op);
    auto [it, added] = index.try_emplace(name, projections.size());
    if (added)
      projections.push_back(Projection{name, ternary, {}});
    return projections[it->second];
  }

  void accumulate(TernaryAccumulateOp acc) {
    auto trits = cast<TritsType>(acc.getWeight().getType());
    int64_t n = trits.getRows(), k = trits.getCols();
    auto constant = acc.getWeight().getDefiningOp<TernaryConstantOp>();
    int64_t nonZero = constant ? nonZeroTrits(constant) : n * k;
    Type input = acc.getInput().getType().getElementType();
    Type sum = acc.getType().getElementType();
    ProjectionCosts &c = projection(acc, /*ternary=*/true).costs;
    c.parameters += n * k;
    c.packedBytes += trits.getStorageType().getNumElements();
    c.addsSubtracts += nonZero;
    c.bytesRead += trits.getStorageType().getNumElements() + k * elementBytes(input);
    c.energyPJ += double(nonZero) * EnergyTable::add(sum) +
                  EnergyTable::dramRead(double(trits.getStorageType().getNumElements() +
                                               k * elementBytes(input)));
    if (acc.getScaleAttr()) {
      c.multiplications += n;
      c.energyPJ += double(n) * EnergyTable::mult(sum);
    }
    addDenseBaseline(c, n * k, k);
  }

  void extraMultiplications(Operation *op, int64_t count) {
    ProjectionCosts &c = projection(op, /*ternary=*/true).costs;
    c.multiplications += count;
    c.energyPJ += double(count) * EnergyTable::kFloat32Mult;
  }

  void dense(linalg::LinalgOp op, arith::ConstantOp weight) {
    auto values = cast<ElementsAttr>(weight.getValue());
    int64_t p = values.getNumElements();
    // K: the weight's extents along reduction loops.
    AffineMap map;
    for (OpOperand *input : op.getDpsInputOperands())
      if (input->get() == weight.getResult())
        map = op.getMatchingIndexingMap(input);
    int64_t k = 1;
    auto iterators = op.getIteratorTypesArray();
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      if (auto dim = dyn_cast<AffineDimExpr>(map.getResult(i));
          dim && iterators[dim.getPosition()] == utils::IteratorType::reduction)
        k *= values.getShapedType().getDimSize(i);
    Type element = getElementTypeOrSelf(op->getResult(0).getType());
    int64_t inputBytes = 4;
    for (OpOperand *input : op.getDpsInputOperands())
      if (input->get() != weight.getResult())
        inputBytes = elementBytes(getElementTypeOrSelf(input->get().getType()));
    ProjectionCosts &c = projection(op, /*ternary=*/false).costs;
    c.parameters += p;
    c.packedBytes += p * elementBytes(values.getElementType());
    c.addsSubtracts += p;
    c.multiplications += p;
    c.bytesRead += p * elementBytes(values.getElementType()) + k * inputBytes;
    c.energyPJ += double(p) * (EnergyTable::mult(element) + EnergyTable::add(element)) +
                  EnergyTable::dramRead(double(p * elementBytes(values.getElementType()) +
                                               k * inputBytes));
    addDenseBaseline(c, p, k);
  }

  std::vector<Projection> projections;
  llvm::StringMap<size_t> index;
};

std::string nanojoules(double pj) { return llvm::formatv("{0:f3}", pj / 1000.0).str(); }

void printRow(llvm::raw_ostream &os, StringRef name, const ProjectionCosts &c) {
  os << llvm::formatv("{0,-40} {1,12} {2,12} {3,12} {4,10} {5,12} {6,12} {7,12} {8,12} {9,12} "
                      "{10,12}\n",
                      name, c.parameters, c.packedBytes, c.addsSubtracts, c.multiplications,
                      c.denseMultiplications, c.multiplicationsEliminated(), c.bytesRead,
                      c.denseBytesRead, nanojoules(c.energyPJ), nanojoules(c.denseEnergyPJ));
}

/// A double as `format` prints it (llvm::json would print 17 digits).
void number(llvm::json::OStream &j, StringRef key, double value, const char *format = "%g") {
  j.attributeBegin(key);
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  j.rawValue(text);
  j.attributeEnd();
}

void writeCosts(llvm::json::OStream &j, const ProjectionCosts &c) {
  j.attribute("parameters", c.parameters);
  j.attribute("packed_bytes", c.packedBytes);
  j.attribute("adds_subtracts", c.addsSubtracts);
  j.attribute("multiplications", c.multiplications);
  j.attribute("dense_multiplications", c.denseMultiplications);
  j.attribute("multiplications_eliminated", c.multiplicationsEliminated());
  j.attribute("bytes_read", c.bytesRead);
  j.attribute("dense_bytes_read", c.denseBytesRead);
  number(j, "energy_pj", c.energyPJ, "%.1f");
  number(j, "dense_energy_pj", c.denseEnergyPJ, "%.1f");
}

} // namespace

OperationReport computeOperationReport(ModuleOp module) {
  ReportBuilder builder;
  module.walk([&](Operation *op) {
    // The batch-decode function repeats prefill's projections for several sequences at once: a
    // per-token report counts each projection once.
    auto fn = op->getParentOfType<func::FuncOp>();
    if (!fn || fn.getSymName() != ::tern::kDecodeBatchFunction)
      builder.visit(op);
  });
  return builder.finish();
}

void printReportText(const OperationReport &report, llvm::raw_ostream &os) {
  os << "Per token (one row of activations through every projection); energy from\n"
     << EnergyTable::kSource << ":\n"
     << llvm::format("  pJ per int8 add %g, int32 add %g, f32 add %g, f32 mult %g, "
                     "32-bit DRAM read %g\n\n",
                     EnergyTable::kInt8Add, EnergyTable::kInt32Add, EnergyTable::kFloat32Add,
                     EnergyTable::kFloat32Mult, EnergyTable::kDram32BitAccess);
  os << llvm::formatv("{0,-40} {1,12} {2,12} {3,12} {4,10} {5,12} {6,12} {7,12} {8,12} {9,12} "
                      "{10,12}\n",
                      "layer / projection", "params", "packed B", "adds+subs", "mults",
                      "dense mults", "mults saved", "B read", "dense B", "nJ", "dense nJ");
  for (const Layer &layer : report.layers) {
    bool alone = layer.projections.size() == 1 && layer.projections[0].name == layer.name;
    if (!alone)
      printRow(os, layer.name, layer.total);
    for (const Projection &p : layer.projections)
      printRow(os, (alone ? "" : "  ") + p.name + (p.ternary ? "" : " (dense)"), p.costs);
  }
  printRow(os, "total", report.total);
  const ProjectionCosts &t = report.total;
  if (t.energyPJ > 0)
    os << llvm::formatv("\nenergy per token: {0} nJ ternary, {1} nJ dense float ({2:f1}x); "
                        "multiplications per token: {3} instead of {4}\n",
                        nanojoules(t.energyPJ), nanojoules(t.denseEnergyPJ),
                        t.denseEnergyPJ / t.energyPJ, t.multiplications, t.denseMultiplications);
}

void printReportJSON(const OperationReport &report, llvm::raw_ostream &os) {
  llvm::json::OStream j(os, 2);
  j.object([&] {
    j.attribute("unit", "per token: one row of activations through every projection");
    j.attributeObject("energy_table", [&] {
      j.attribute("source", EnergyTable::kSource);
      j.attributeObject("pj", [&] {
        number(j, "int8_add", EnergyTable::kInt8Add);
        number(j, "int32_add", EnergyTable::kInt32Add);
        number(j, "int8_mult", EnergyTable::kInt8Mult);
        number(j, "int32_mult", EnergyTable::kInt32Mult);
        number(j, "f16_add", EnergyTable::kFloat16Add);
        number(j, "f32_add", EnergyTable::kFloat32Add);
        number(j, "f16_mult", EnergyTable::kFloat16Mult);
        number(j, "f32_mult", EnergyTable::kFloat32Mult);
        number(j, "dram_32bit_read", EnergyTable::kDram32BitAccess);
      });
    });
    j.attributeArray("layers", [&] {
      for (const Layer &layer : report.layers)
        j.object([&] {
          j.attribute("name", layer.name);
          j.attributeArray("projections", [&] {
            for (const Projection &p : layer.projections)
              j.object([&] {
                j.attribute("name", p.name);
                j.attribute("kind", p.ternary ? "ternary" : "dense");
                writeCosts(j, p.costs);
              });
          });
          j.attributeObject("total", [&] { writeCosts(j, layer.total); });
        });
    });
    j.attributeObject("total", [&] { writeCosts(j, report.total); });
  });
  os << "\n";
}

} // namespace tern
