//===- LowerMath.cpp - math ops to vectorizable code or libm --------------===//
#include "compiler/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_KILNLOWERMATH
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;

namespace {

/// f64 ops that LLVM has no accurate lowering for: its intrinsics lack tanh,
/// erf and the inverse trigonometric functions, and MLIR's LLVM lowering of
/// expm1 and log1p loses the precision near 0 that is their reason to exist.
bool needsLibm(Operation *op) {
  if (!isa<math::TanhOp, math::ErfOp, math::ExpM1Op, math::Log1pOp,
           math::AsinOp, math::AcosOp, math::AtanOp>(op))
    return false;
  Type type = getElementTypeOrSelf(op->getResult(0).getType());
  return type.isF64();
}

/// MLIR's f32 sin and cos approximations lose accuracy away from 0 (errors of
/// several 1e-7 absolute past |x| ~ 8). Computing them in f64 through libm and
/// rounding once keeps f32 results correctly rounded, at the price of a call.
template <typename OpTy> struct ComputeInF64 : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32())
      return failure();
    Location loc = op.getLoc();
    Value wide = rewriter.create<arith::ExtFOp>(loc, rewriter.getF64Type(),
                                                op.getOperand());
    Value result = rewriter.create<OpTy>(loc, wide);
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, op.getType(), result);
    return success();
  }
};

struct KilnLowerMathPass
    : public mlir::kiln::impl::KilnLowerMathBase<KilnLowerMathPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();

    RewritePatternSet approximations(context);
    // asin, acos and atan too: libm's f64 rounded once is correctly rounded
    // f32, which a polynomial is not guaranteed to be.
    approximations.add<ComputeInF64<math::SinOp>, ComputeInF64<math::CosOp>,
                       ComputeInF64<math::AsinOp>, ComputeInF64<math::AcosOp>,
                       ComputeInF64<math::AtanOp>>(context, /*benefit=*/2);
    populateMathPolynomialApproximationPatterns(approximations);
    if (failed(applyPatternsAndFoldGreedily(module, std::move(approximations))))
      return signalPassFailure();

    ConversionTarget target(*context);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addDynamicallyLegalDialect<math::MathDialect>(
        [](Operation *op) { return !needsLibm(op); });
    RewritePatternSet libm(context);
    populateMathToLibmConversionPatterns(libm);
    if (failed(applyPartialConversion(module, target, std::move(libm))))
      signalPassFailure();
  }
};

} // namespace
