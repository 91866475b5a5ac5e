//===- ReductionLowering.cpp - kiln reductions to linalg ------------------===//
//
// A reduction becomes a `linalg.generic` with `reduction` iterators over the
// reduced axes, accumulating into a filled tensor of the kept dimensions
// (f32 for f16/bf16), then an elementwise epilogue (mean's division, rounding
// back to the narrow type) and, with keepdims, a `tensor.expand_shape` that
// puts the unit dimensions back.
//
//===----------------------------------------------------------------------===//
#include "compiler/transforms/ReductionLowering.h"

#include "compiler/transforms/Signedness.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

enum class Combine { Sum, Prod, Max, Min };

bool isNarrowFloat(Type type) { return type.isF16() || type.isBF16(); }

Value constantOf(OpBuilder &b, Location loc, Type type, double floatValue,
                 APInt intValue) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc,
                                       b.getFloatAttr(floatType, floatValue));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, intValue));
}

/// The identity of `combine` in `type` (uint8 when `isUnsigned`).
Value identityOf(OpBuilder &b, Location loc, Combine combine, Type type,
                 bool isUnsigned) {
  const unsigned width = type.getIntOrFloatBitWidth();
  const double inf = std::numeric_limits<double>::infinity();
  switch (combine) {
  case Combine::Sum:
    return constantOf(b, loc, type, 0, APInt(width, 0));
  case Combine::Prod:
    return constantOf(b, loc, type, 1, APInt(width, 1));
  case Combine::Max:
    return constantOf(b, loc, type, -inf,
                      isUnsigned ? APInt::getMinValue(width)
                                 : APInt::getSignedMinValue(width));
  case Combine::Min:
    break;
  }
  return constantOf(b, loc, type, inf,
                    isUnsigned ? APInt::getMaxValue(width)
                               : APInt::getSignedMaxValue(width));
}

Value combineValues(OpBuilder &b, Location loc, Combine combine, Value acc,
                    Value x, bool isUnsigned) {
  if (isUnsigned && combine == Combine::Max)
    return b.create<arith::MaxUIOp>(loc, acc, x);
  if (isUnsigned && combine == Combine::Min)
    return b.create<arith::MinUIOp>(loc, acc, x);
  // Reassociation lets LLVM vectorize the accumulation.
  auto reassoc = arith::FastMathFlagsAttr::get(b.getContext(),
                                               arith::FastMathFlags::reassoc);
  const bool isFloat = isa<FloatType>(acc.getType());
  switch (combine) {
  case Combine::Sum:
    return isFloat ? b.create<arith::AddFOp>(loc, acc, x, reassoc).getResult()
                   : b.create<arith::AddIOp>(loc, acc, x).getResult();
  case Combine::Prod:
    return isFloat ? b.create<arith::MulFOp>(loc, acc, x, reassoc).getResult()
                   : b.create<arith::MulIOp>(loc, acc, x).getResult();
  case Combine::Max:
    return isFloat
               ? b.create<arith::MaximumFOp>(loc, acc, x, reassoc).getResult()
               : b.create<arith::MaxSIOp>(loc, acc, x).getResult();
  case Combine::Min:
    break;
  }
  return isFloat ? b.create<arith::MinimumFOp>(loc, acc, x, reassoc).getResult()
                 : b.create<arith::MinSIOp>(loc, acc, x).getResult();
}

/// The pieces every reduction lowering needs.
struct ReductionFrame {
  RankedTensorType input;
  SmallVector<bool> reduced;      // Per input dimension.
  SmallVector<int64_t> keptShape; // The accumulator's shape.
  SmallVector<Value> keptDynamic; // Its dynamic extents.
  SmallVector<AffineMap> maps;    // Input, accumulator.
  SmallVector<utils::IteratorType> iterators;

  ReductionFrame(OpBuilder &b, Location loc, Value operand,
                 ArrayRef<int64_t> axes)
      : input(cast<RankedTensorType>(operand.getType())),
        reduced(input.getRank(), false) {
    for (int64_t axis : axes)
      reduced[axis] = true;
    SmallVector<AffineExpr> keptExprs;
    for (int64_t dim = 0; dim < input.getRank(); ++dim) {
      iterators.push_back(reduced[dim] ? utils::IteratorType::reduction
                                       : utils::IteratorType::parallel);
      if (reduced[dim])
        continue;
      keptShape.push_back(input.getDimSize(dim));
      keptExprs.push_back(b.getAffineDimExpr(dim));
      if (input.isDynamicDim(dim))
        keptDynamic.push_back(b.create<tensor::DimOp>(loc, operand, dim));
    }
    maps.push_back(b.getMultiDimIdentityMap(input.getRank()));
    maps.push_back(
        AffineMap::get(input.getRank(), 0, keptExprs, b.getContext()));
  }

  /// A kept-shape tensor of `type` filled with `value`.
  Value filled(OpBuilder &b, Location loc, Type type, Value value) const {
    Value empty = b.create<tensor::EmptyOp>(
        loc, RankedTensorType::get(keptShape, type), keptDynamic);
    return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
  }

  /// The number of reduced elements, as a value of float `type`.
  Value reducedCount(OpBuilder &b, Location loc, Value operand,
                     Type type) const {
    Value count = b.create<arith::ConstantIndexOp>(loc, 1);
    for (int64_t dim = 0; dim < input.getRank(); ++dim)
      if (reduced[dim])
        count = b.create<arith::MulIOp>(
            loc, count, b.create<tensor::DimOp>(loc, operand, dim));
    Value asInteger = b.create<arith::IndexCastOp>(loc, b.getI64Type(), count);
    return b.create<arith::SIToFPOp>(loc, type, asInteger);
  }

  /// Applies `body` to every element of `value` (kept shape), producing
  /// `type`.
  Value
  mapElements(OpBuilder &b, Location loc, Value value, Type type,
              function_ref<Value(OpBuilder &, Location, Value)> body) const {
    Value empty = b.create<tensor::EmptyOp>(
        loc, RankedTensorType::get(keptShape, type), keptDynamic);
    const int64_t rank = static_cast<int64_t>(keptShape.size());
    SmallVector<AffineMap> identity(2, b.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    return b
        .create<linalg::GenericOp>(
            loc, empty.getType(), value, empty, identity, parallel,
            [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
              nested.create<linalg::YieldOp>(nestedLoc,
                                             body(nested, nestedLoc, args[0]));
            })
        .getResult(0);
  }

  /// `value` (kept shape) reshaped to `resultType`, which has the reduced
  /// dimensions back as 1s when keepdims.
  Value toResult(OpBuilder &b, Location loc, Value value,
                 RankedTensorType resultType) const {
    if (resultType.getRank() == static_cast<int64_t>(keptShape.size())) {
      if (value.getType() != resultType)
        value = b.create<tensor::CastOp>(loc, resultType, value);
      return value;
    }
    // Each kept dimension takes the unit dimensions before it; trailing unit
    // dimensions join the last group.
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (int64_t dim = 0; dim < input.getRank(); ++dim) {
      pending.push_back(dim);
      if (!reduced[dim]) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    if (!groups.empty())
      groups.back().append(pending.begin(), pending.end());
    return b.create<tensor::ExpandShapeOp>(loc, resultType, value, groups);
  }
};

template <typename OpTy>
struct ReduceToLinalg : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using Adaptor = typename OpConversionPattern<OpTy>::OpAdaptor;

  ReduceToLinalg(MLIRContext *context, Combine combine, bool mean)
      : OpConversionPattern<OpTy>(context), combine(combine), mean(mean) {}

  LogicalResult
  matchAndRewrite(OpTy op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value operand = adaptor.getOperand();
    ReductionFrame frame(rewriter, loc, operand, op.getAxes());
    Type element = frame.input.getElementType();
    Type accumulator = isNarrowFloat(element) ? rewriter.getF32Type() : element;

    const bool isUnsigned = op->hasAttr(kUnsignedAttr);
    Value init = frame.filled(
        rewriter, loc, accumulator,
        identityOf(rewriter, loc, combine, accumulator, isUnsigned));
    Value reducedValue =
        rewriter
            .create<linalg::GenericOp>(
                loc, init.getType(), operand, init, frame.maps, frame.iterators,
                [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
                  Value x = args[0];
                  if (x.getType() != accumulator)
                    x = b.create<arith::ExtFOp>(bodyLoc, accumulator, x);
                  b.create<linalg::YieldOp>(
                      bodyLoc, combineValues(b, bodyLoc, combine, args[1], x,
                                             isUnsigned));
                })
            .getResult(0);

    if (mean || accumulator != element) {
      Value count =
          mean ? frame.reducedCount(rewriter, loc, operand, accumulator)
               : Value();
      reducedValue = frame.mapElements(
          rewriter, loc, reducedValue, element,
          [&](OpBuilder &b, Location bodyLoc, Value acc) -> Value {
            if (mean)
              acc = b.create<arith::DivFOp>(bodyLoc, acc, count);
            if (acc.getType() != element)
              acc = b.create<arith::TruncFOp>(bodyLoc, element, acc);
            return acc;
          });
    }
    rewriter.replaceOp(op,
                       frame.toResult(rewriter, loc, reducedValue,
                                      cast<RankedTensorType>(op.getType())));
    return success();
  }

  Combine combine;
  bool mean;
};

/// argmax / argmin: a generic with two accumulators, the best value so far
/// and its index along the axis.
template <typename OpTy>
struct ArgReduceToLinalg : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using Adaptor = typename OpConversionPattern<OpTy>::OpAdaptor;

  ArgReduceToLinalg(MLIRContext *context, bool isMax)
      : OpConversionPattern<OpTy>(context), isMax(isMax) {}

  LogicalResult
  matchAndRewrite(OpTy op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value operand = adaptor.getOperand();
    const int64_t axis = op.getAxis();
    ReductionFrame frame(rewriter, loc, operand, {axis});
    Type element = frame.input.getElementType();
    Type compare = isNarrowFloat(element) ? rewriter.getF32Type() : element;
    Type i64 = rewriter.getI64Type();

    const bool isUnsigned = op->hasAttr(kUnsignedAttr);
    Value bestInit = frame.filled(
        rewriter, loc, compare,
        identityOf(rewriter, loc, isMax ? Combine::Max : Combine::Min, compare,
                   isUnsigned));
    Value indexInit = frame.filled(
        rewriter, loc, i64,
        rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(0)));
    SmallVector<AffineMap> maps = frame.maps;
    maps.push_back(maps.back());
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{bestInit.getType(), indexInit.getType()}, operand,
        ValueRange{bestInit, indexInit}, maps, frame.iterators,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value x = args[0];
          if (x.getType() != compare)
            x = b.create<arith::ExtFOp>(bodyLoc, compare, x);
          Value better;
          if (isa<FloatType>(compare))
            better = b.create<arith::CmpFOp>(bodyLoc,
                                             isMax ? arith::CmpFPredicate::OGT
                                                   : arith::CmpFPredicate::OLT,
                                             x, args[1]);
          else
            better = b.create<arith::CmpIOp>(
                bodyLoc,
                isUnsigned ? (isMax ? arith::CmpIPredicate::ugt
                                    : arith::CmpIPredicate::ult)
                           : (isMax ? arith::CmpIPredicate::sgt
                                    : arith::CmpIPredicate::slt),
                x, args[1]);
          Value position = b.create<arith::IndexCastOp>(
              bodyLoc, i64, b.create<linalg::IndexOp>(bodyLoc, axis));
          // The first element always counts as seen, so an all-NaN or
          // all-lowest row still answers 0.
          Value first = b.create<arith::CmpIOp>(
              bodyLoc, arith::CmpIPredicate::eq, position,
              b.create<arith::ConstantOp>(bodyLoc, b.getI64IntegerAttr(0)));
          Value take = b.create<arith::OrIOp>(bodyLoc, better, first);
          b.create<linalg::YieldOp>(
              bodyLoc,
              ValueRange{
                  b.create<arith::SelectOp>(bodyLoc, take, x, args[1]),
                  b.create<arith::SelectOp>(bodyLoc, take, position, args[2])});
        });
    rewriter.replaceOp(op,
                       frame.toResult(rewriter, loc, generic.getResult(1),
                                      cast<RankedTensorType>(op.getType())));
    return success();
  }

  bool isMax;
};

} // namespace

void mlir::kiln::populateReductionToLinalgPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ReduceToLinalg<ReduceSumOp>>(context, Combine::Sum, false);
  patterns.add<ReduceToLinalg<ReduceProdOp>>(context, Combine::Prod, false);
  patterns.add<ReduceToLinalg<ReduceMeanOp>>(context, Combine::Sum, true);
  patterns.add<ReduceToLinalg<ReduceMaxOp>>(context, Combine::Max, false);
  patterns.add<ReduceToLinalg<ReduceMinOp>>(context, Combine::Min, false);
  patterns.add<ArgReduceToLinalg<ArgmaxOp>>(context, true);
  patterns.add<ArgReduceToLinalg<ArgminOp>>(context, false);
}
