//===- CanonicalizeGlobals.cpp - constant globals by content, not by chance -===//
//
// One-shot bufferization turns each constant tensor into a `memref.global` named
// `__constant_<shape>[_<n>]`, numbered and placed in the order it bufferizes the
// functions. With function boundaries that order comes from iterating a pointer-keyed
// map (upstream, fixed after LLVM 22 by llvm/llvm-project#184722): the same model
// then compiled to artifacts whose weights lay in a different order, under different
// symbols, from one run to the next, and `--random-weights`, which gives each entry
// of the weights list its own stream, synthesized different weights for the same
// tensor. This pass orders and names those globals by what they hold: the resource
// key of a checkpoint tensor (`model.layers.0.attn.i_proj.weight.trits_1`), else the
// printed value.
//
#include "backends/cpu/Passes.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCANONICALIZEGLOBALS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kPrefix = "__constant_";

/// What orders a global: resource-backed values first, by key, then the others by their
/// printed value (type included).
std::pair<int, std::string> keyOf(memref::GlobalOp global) {
  Attribute value = *global.getInitialValue();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return {0, resource.getRawHandle().getKey().str()};
  std::string printed;
  llvm::raw_string_ostream os(printed);
  os << global.getType() << ' ' << value;
  return {1, printed};
}

/// The name bufferization gives a constant of `type`: `__constant_<shape>x<element>`.
std::string baseName(MemRefType type) {
  std::string name = kPrefix.str();
  llvm::raw_string_ostream os(name);
  for (int64_t d : type.getShape())
    os << d << 'x';
  os << type.getElementType();
  return name;
}

struct CanonicalizeGlobalsPass
    : mlir::tern::impl::TernCanonicalizeGlobalsBase<CanonicalizeGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<std::pair<int, std::string>, memref::GlobalOp>> keyed;
    for (auto global : module.getOps<memref::GlobalOp>())
      if (global.getSymName().starts_with(kPrefix) && global.getConstant() &&
          global.getInitialValue() && global.isPrivate() && global.getType().hasStaticShape())
        keyed.push_back({keyOf(global), global});
    if (keyed.empty())
      return;
    llvm::stable_sort(keyed, [](const auto &a, const auto &b) { return a.first < b.first; });

    // In that order at the top of the module, named in that order; every reference follows in
    // one walk (the new names are the old ones permuted).
    Block *body = module.getBody();
    for (auto &[key, global] : llvm::reverse(keyed))
      if (&body->front() != global.getOperation())
        global->moveBefore(&body->front());
    llvm::StringMap<int64_t> used;
    llvm::StringMap<StringAttr> renamed;
    for (auto &[key, global] : keyed) {
      std::string base = baseName(global.getType());
      int64_t n = used[base]++;
      renamed[global.getSymName()] =
          StringAttr::get(&getContext(), n == 0 ? base : base + "_" + std::to_string(n - 1));
    }
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
      auto it = renamed.find(ref.getValue());
      if (it == renamed.end())
        return std::nullopt;
      return FlatSymbolRefAttr::get(it->second);
    });
    replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true, /*replaceLocs=*/false,
                                          /*replaceTypes=*/false);
    for (auto &[key, global] : keyed)
      global.setSymName(renamed[global.getSymName()].getValue());
  }
};

} // namespace
