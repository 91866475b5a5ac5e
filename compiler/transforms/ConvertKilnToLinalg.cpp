//===- ConvertKilnToLinalg.cpp - kiln primitives to linalg ----------------===//
#include "compiler/Passes.h"
#include "compiler/transforms/ContractionLowering.h"
#include "compiler/transforms/DataMovementLowering.h"
#include "compiler/transforms/LibraryLowering.h"
#include "compiler/transforms/ReductionLowering.h"
#include "compiler/transforms/ScalarLowering.h"
#include "compiler/transforms/Signedness.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "compiler/Passes.h.inc"
} // namespace kiln
} // namespace mlir

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The indexing map of an operand of type `operand` in an elementwise op whose
/// result has type `result`: aligned at the right, and constant 0 along the
/// dimensions it broadcasts (static extent 1 where the result's is not).
AffineMap broadcastingMap(RankedTensorType operand, RankedTensorType result,
                          MLIRContext *context) {
  const int64_t offset = result.getRank() - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t dim = 0; dim < operand.getRank(); ++dim) {
    const bool broadcast =
        operand.getDimSize(dim) == 1 && result.getDimSize(offset + dim) != 1;
    exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                              : getAffineDimExpr(offset + dim, context));
  }
  return AffineMap::get(result.getRank(), 0, exprs, context);
}

/// A `tensor.empty` of `type`, each dynamic extent read from an operand that
/// has it (one must: only a dynamic operand extent gives a dynamic result).
FailureOr<Value> createEmptyResult(OpBuilder &builder, Location loc,
                                   RankedTensorType type, ValueRange operands) {
  SmallVector<Value> dynamicExtents;
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    if (!type.isDynamicDim(dim))
      continue;
    Value extent;
    for (Value operand : operands) {
      auto operandType = cast<RankedTensorType>(operand.getType());
      const int64_t operandDim = dim - (type.getRank() - operandType.getRank());
      if (operandDim >= 0 && operandType.isDynamicDim(operandDim)) {
        extent = builder.create<tensor::DimOp>(loc, operand, operandDim);
        break;
      }
    }
    if (!extent)
      return failure();
    dynamicExtents.push_back(extent);
  }
  return builder.create<tensor::EmptyOp>(loc, type, dynamicExtents).getResult();
}

/// Lowers any elementwise primitive, broadcasting included, to one
/// `linalg.generic` whose body is the primitive's scalar computation.
struct ElementwiseToLinalg : public ConversionPattern {
  explicit ElementwiseToLinalg(MLIRContext *context)
      : ConversionPattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isElementwisePrimitive(op))
      return rewriter.notifyMatchFailure(op, "not an elementwise primitive");
    Location loc = op->getLoc();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    FailureOr<Value> init =
        createEmptyResult(rewriter, loc, resultType, operands);
    if (failed(init))
      return rewriter.notifyMatchFailure(op, "no operand gives a dynamic "
                                             "result extent");
    SmallVector<AffineMap> maps;
    for (Value operand : operands)
      maps.push_back(broadcastingMap(cast<RankedTensorType>(operand.getType()),
                                     resultType, rewriter.getContext()));
    maps.push_back(rewriter.getMultiDimIdentityMap(resultType.getRank()));
    SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                               utils::IteratorType::parallel);
    bool scalarBuilt = true;
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, operands, ValueRange{*init}, maps, iterators,
        [&](OpBuilder &body, Location bodyLoc, ValueRange args) {
          Value scalar = buildElementwiseScalar(
              body, bodyLoc, op, args.drop_back(), resultType.getElementType());
          scalarBuilt = static_cast<bool>(scalar);
          body.create<linalg::YieldOp>(bodyLoc, scalar ? scalar : args.back());
        });
    if (!scalarBuilt) {
      rewriter.eraseOp(generic);
      return rewriter.notifyMatchFailure(op,
                                         "element type has no scalar lowering");
    }
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// Constants become arith constants: fusion folds splats into kernel bodies.
struct ConstantToArith : public OpConversionPattern<ConstantOp> {
  using OpConversionPattern<ConstantOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct ConvertKilnToLinalgPass
    : public mlir::kiln::impl::ConvertKilnToLinalgBase<
          ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    stripUnsignedTypes(getOperation());
    ConversionTarget target(*context);
    target.addIllegalDialect<KilnDialect>();
    target.addLegalOp<LibraryCallOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(context);
    patterns.add<ElementwiseToLinalg, ConstantToArith>(context);
    populateReductionToLinalgPatterns(patterns);
    populateContractionToLinalgPatterns(patterns);
    populateDataMovementToLinalgPatterns(patterns);
    populateLibraryToCallPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
