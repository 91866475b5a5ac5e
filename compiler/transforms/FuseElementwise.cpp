//===- FuseElementwise.cpp - one kernel per chain of elementwise ops ------===//
//
// Fuses linalg.generic producers into their consumers (MLIR's elementwise
// fusion on tensors), so a chain of elementwise and broadcast ops, ending in a
// reduction or not, becomes one loop nest that reads each input once. Splat
// constants fold into the body.
//
// A producer with several consumers is fused into each of them only when its
// body is cheap to recompute (plain arithmetic, no math library calls);
// otherwise it stays a kernel of its own and its result is materialized once.
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNFUSEELEMENTWISE
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

/// At most this many arith ops may be recomputed per element when a
/// multi-use producer is fused into each consumer.
constexpr int kCheapBodyOps = 8;

bool isCheapToRecompute(linalg::GenericOp producer) {
  int count = 0;
  for (Operation &op : producer.getBody()->without_terminator()) {
    if (isa<math::MathDialect>(op.getDialect()))
      return false;
    if (isa<arith::DivFOp, arith::DivSIOp, arith::RemFOp, arith::RemSIOp>(op))
      return false;
    ++count;
  }
  return count <= kCheapBodyOps;
}

bool shouldFuse(OpOperand *fusedOperand) {
  auto producer = fusedOperand->get().getDefiningOp<linalg::GenericOp>();
  if (!producer)
    return true; // Constants and fills: always.
  Value result = fusedOperand->get();
  return result.hasOneUse() || isCheapToRecompute(producer);
}

struct KilnFuseElementwisePass
    : public mlir::kiln::impl::KilnFuseElementwiseBase<
          KilnFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    // Fused producers whose results nobody uses any more disappear.
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
