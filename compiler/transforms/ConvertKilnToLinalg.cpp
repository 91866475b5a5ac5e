//===- ConvertKilnToLinalg.cpp - kiln primitives to linalg ----------------===//
#include "compiler/Passes.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// A `tensor.empty` of `type`, taking each dynamic extent from `like`.
Value createEmptyLike(OpBuilder &builder, Location loc, RankedTensorType type,
                      Value like) {
  SmallVector<Value> dynamicExtents;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim))
      dynamicExtents.push_back(
          builder.create<tensor::DimOp>(loc, like, dim).getResult());
  return builder.create<tensor::EmptyOp>(loc, type, dynamicExtents);
}

/// Lowers a same-shape elementwise binary primitive to a `linalg.generic`
/// whose body is `buildScalar(lhs, rhs)`.
template <typename SourceOp>
struct ElementwiseBinaryToLinalg : public OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  using Adaptor = typename OpConversionPattern<SourceOp>::OpAdaptor;

  LogicalResult
  matchAndRewrite(SourceOp op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Value init = createEmptyLike(rewriter, loc, resultType, adaptor.getLhs());
    SmallVector<AffineMap> maps(
        3, rewriter.getMultiDimIdentityMap(resultType.getRank()));
    SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                               utils::IteratorType::parallel);
    bool scalarBuilt = true;
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &body, Location bodyLoc, ValueRange args) {
          Value scalar = buildScalar(body, bodyLoc, args[0], args[1]);
          scalarBuilt = static_cast<bool>(scalar);
          body.create<linalg::YieldOp>(bodyLoc,
                                       scalar ? scalar : args[0]);
        });
    if (!scalarBuilt) {
      rewriter.eraseOp(generic);
      return rewriter.notifyMatchFailure(
          op, "element type has no scalar lowering");
    }
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }

  static Value buildScalar(OpBuilder &builder, Location loc, Value lhs,
                           Value rhs);
};

template <>
Value ElementwiseBinaryToLinalg<AddOp>::buildScalar(OpBuilder &builder,
                                                    Location loc, Value lhs,
                                                    Value rhs) {
  Type type = lhs.getType();
  if (isa<FloatType>(type))
    return builder.create<arith::AddFOp>(loc, lhs, rhs);
  if (type.isInteger(1))
    return builder.create<arith::OrIOp>(loc, lhs, rhs); // bool: numpy's or
  if (isa<IntegerType>(type))
    return builder.create<arith::AddIOp>(loc, lhs, rhs);
  return {};
}

struct ConvertKilnToLinalgPass
    : public mlir::kiln::impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    target.addIllegalDialect<KilnDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(context);
    patterns.add<ElementwiseBinaryToLinalg<AddOp>>(context);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
