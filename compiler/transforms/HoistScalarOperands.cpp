//===- HoistScalarOperands.cpp - rank-0 operands read before the loop -----===//
//
// A rank-0 input of a linalg.generic (an optimizer's learning rate, a
// scalar argument) becomes, once bufferized and lowered to loops, a load
// inside the loop from a buffer that may alias the loop's stores: LLVM then
// neither hoists it nor vectorizes. This pass extracts such operands before
// the op and lets the body use the value, so each is read once (MLIR's
// linalg-inline-scalar-operands extracts inside the body instead, which
// lowers to the same in-loop load).
//
//===----------------------------------------------------------------------===//
#include "compiler/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNHOISTSCALAROPERANDS
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

/// Whether `operand` is a rank-0 tensor input read through an indexing map
/// with no results (the same element at every iteration).
bool isScalarInput(linalg::GenericOp op, OpOperand &operand) {
  auto type = dyn_cast<RankedTensorType>(operand.get().getType());
  return type && type.getRank() == 0 &&
         op.getMatchingIndexingMap(&operand).getNumResults() == 0;
}

struct KilnHoistScalarOperandsPass
    : public mlir::kiln::impl::KilnHoistScalarOperandsBase<
          KilnHoistScalarOperandsPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op.hasPureTensorSemantics())
        return;
      for (OpOperand *operand : op.getDpsInputOperands()) {
        if (!isScalarInput(op, *operand))
          continue;
        BlockArgument element = op.getMatchingBlockArgument(operand);
        if (element.use_empty())
          continue;
        rewriter.setInsertionPoint(op);
        Value value = rewriter.create<tensor::ExtractOp>(
            op.getLoc(), operand->get(), ValueRange{});
        rewriter.replaceAllUsesWith(element, value);
      }
    });
    // The operands whose block arguments lost their uses go.
    RewritePatternSet patterns(&getContext());
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
