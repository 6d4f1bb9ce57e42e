//===- StridedCopiesToLinalg.cpp - memref.copy of subviews to loops -------===//
#include "backends/cpu/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSTRIDEDCOPIESTOLINALG
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

bool hasIdentityLayout(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getLayout().isIdentity();
}

struct StridedCopiesToLinalgPass
    : mlir::tern::impl::TernStridedCopiesToLinalgBase<StridedCopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!hasIdentityLayout(copy.getSource()) || !hasIdentityLayout(copy.getTarget()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
