//===- TritStats.cpp - example-trit-stats ---------------------------------===//
#include "Passes.h"

#include "dialects/Tern/IR/Packing.h"
#include "dialects/Tern/IR/WeightData.h"

namespace example {
#define GEN_PASS_DEF_EXAMPLETRITSTATS
#include "Passes.h.inc"
} // namespace example

using namespace mlir;

namespace {

struct TritStatsPass : example::impl::ExampleTritStatsBase<TritStatsPass> {
  void runOnOperation() override {
    getOperation().walk([&](tern::TernaryConstantOp op) {
      auto type = cast<tern::TritsType>(op.getType());
      std::optional<ArrayRef<char>> bytes = tern::getRawElementBytes(op.getValue());
      if (!bytes) {
        op.emitRemark("example-trit-stats: cannot read the trits (a splat?)");
        return;
      }
      // tern's own decoder of every packing (none, two_bit, two_bit_tiled, base3).
      int64_t total = type.getRows() * type.getCols();
      std::vector<int8_t> trits(total);
      tern::unpackTrits(reinterpret_cast<const uint8_t *>(bytes->data()), type.getRows(),
                        type.getCols(), type.getPacking(), trits.data());
      int64_t zeros = llvm::count(trits, int8_t(0));
      float fraction = total ? float(zeros) / float(total) : 0.0f;
      op->setAttr("example.zero_fraction", FloatAttr::get(Float32Type::get(op.getContext()),
                                                          fraction));
      op.emitRemark() << "example-trit-stats: " << zeros << " of " << total << " trits are zero";
    });
  }
};

} // namespace
