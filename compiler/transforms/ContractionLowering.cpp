//===- ContractionLowering.cpp - kiln.matmul to linalg --------------------===//
//
// A (batched, broadcasting) matmul becomes one linalg.generic over
// (batch..., m, n, k) with k a reduction, accumulating into a zero-filled
// tensor (f32 for f16/bf16, rounded once at the end). The generic carries the
// kiln.matmul marker for the oneDNN rewrite after bufferization.
//
//===----------------------------------------------------------------------===//
#include "compiler/transforms/ContractionLowering.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

struct MatmulToLinalg : public OpConversionPattern<MatmulOp> {
  using OpConversionPattern<MatmulOp>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    const int64_t batch = resultType.getRank() - 2;
    const int64_t m = batch, n = batch + 1, k = batch + 2;

    // Operand maps: batch dimensions aligned at the right, broadcast ones
    // (static 1 where the result's is not) indexed by 0.
    auto operandMap = [&](RankedTensorType type, int64_t row, int64_t column) {
      SmallVector<AffineExpr> exprs;
      const int64_t operandBatch = type.getRank() - 2;
      for (int64_t dim = 0; dim < operandBatch; ++dim) {
        const int64_t resultDim = batch - operandBatch + dim;
        const bool broadcast =
            type.getDimSize(dim) == 1 && resultType.getDimSize(resultDim) != 1;
        exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                                  : getAffineDimExpr(resultDim, context));
      }
      exprs.push_back(getAffineDimExpr(row, context));
      exprs.push_back(getAffineDimExpr(column, context));
      return AffineMap::get(batch + 3, 0, exprs, context);
    };
    SmallVector<AffineExpr> outExprs;
    for (int64_t dim = 0; dim < batch + 2; ++dim)
      outExprs.push_back(getAffineDimExpr(dim, context));
    SmallVector<AffineMap> maps = {
        operandMap(lhsType, m, k), operandMap(rhsType, k, n),
        AffineMap::get(batch + 3, 0, outExprs, context)};
    SmallVector<utils::IteratorType> iterators(batch + 2,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);

    // Dynamic result extents: batch from an operand that has the extent,
    // m from lhs, n from rhs.
    SmallVector<Value> dynamic;
    for (int64_t dim = 0; dim < resultType.getRank(); ++dim) {
      if (!resultType.isDynamicDim(dim))
        continue;
      Value extent;
      if (dim == m) {
        extent =
            rewriter.create<tensor::DimOp>(loc, lhs, lhsType.getRank() - 2);
      } else if (dim == n) {
        extent =
            rewriter.create<tensor::DimOp>(loc, rhs, rhsType.getRank() - 1);
      } else {
        for (auto [value, type] : {std::pair{lhs, lhsType}, {rhs, rhsType}}) {
          const int64_t operandDim = dim - (batch - (type.getRank() - 2));
          if (operandDim >= 0 && type.isDynamicDim(operandDim)) {
            extent = rewriter.create<tensor::DimOp>(loc, value, operandDim);
            break;
          }
        }
      }
      if (!extent)
        return rewriter.notifyMatchFailure(op, "no operand gives an extent");
      dynamic.push_back(extent);
    }

    Type element = resultType.getElementType();
    Type accumulator =
        element.isF16() || element.isBF16() ? rewriter.getF32Type() : element;
    auto accumulatorType = resultType.clone(accumulator);
    Value zero = rewriter.create<arith::ConstantOp>(
        loc, rewriter.getFloatAttr(accumulator, 0.0));
    Value init =
        rewriter
            .create<linalg::FillOp>(
                loc, zero,
                rewriter.create<tensor::EmptyOp>(loc, accumulatorType, dynamic)
                    .getResult())
            .getResult(0);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, accumulatorType, ValueRange{lhs, rhs}, init, maps, iterators,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value x = args[0], y = args[1];
          if (x.getType() != accumulator) {
            x = b.create<arith::ExtFOp>(bodyLoc, accumulator, x);
            y = b.create<arith::ExtFOp>(bodyLoc, accumulator, y);
          }
          Value product = b.create<arith::MulFOp>(bodyLoc, x, y);
          b.create<linalg::YieldOp>(bodyLoc, ValueRange{b.create<arith::AddFOp>(
                                                 bodyLoc, args[2], product)});
        });
    generic->setAttr(kMatmulMarker, rewriter.getUnitAttr());
    Value result = generic.getResult(0);

    if (accumulator != element) {
      // Round the f32 accumulator to the narrow type once.
      const int64_t rank = resultType.getRank();
      SmallVector<AffineMap> identity(2, rewriter.getMultiDimIdentityMap(rank));
      SmallVector<utils::IteratorType> parallel(rank,
                                                utils::IteratorType::parallel);
      Value empty = rewriter.create<tensor::EmptyOp>(loc, resultType, dynamic);
      result = rewriter
                   .create<linalg::GenericOp>(
                       loc, resultType, result, empty, identity, parallel,
                       [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
                         b.create<linalg::YieldOp>(
                             bodyLoc, ValueRange{b.create<arith::TruncFOp>(
                                          bodyLoc, element, args[0])});
                       })
                   .getResult(0);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::kiln::populateContractionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulToLinalg>(patterns.getContext());
}
