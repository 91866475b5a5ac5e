//===- DataMovementLowering.cpp - shape ops and generators to linalg ------===//
//
// transpose, broadcast_to, iota, take and the random generators become
// linalg.generic ops (fusable with their consumers); slice becomes a
// tensor.extract_slice with bounds computed at run time; concat a chain of
// tensor.insert_slice ops; reshape tensor.reshape; pad tensor.pad;
// scatter_add a sequential loop nest of extract/insert on the accumulator.
//
//===----------------------------------------------------------------------===//
#include "compiler/transforms/DataMovementLowering.h"

#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::min();

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

/// All-parallel generic over `resultType` (given its dynamic extents) whose
/// body is `body(builder, loc, inputElements)`.
Value parallelGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType,
    ValueRange dynamicExtents, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Value init = b.create<tensor::EmptyOp>(loc, resultType, dynamicExtents);
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, resultType, inputs, init, maps, iterators,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            nested.create<linalg::YieldOp>(
                nestedLoc, body(nested, nestedLoc, args.drop_back()));
          })
      .getResult(0);
}

/// The dynamic extents of `type` taken from `source`'s dimensions
/// `sourceDims[d]` (one entry per dimension of `type`).
SmallVector<Value> dynamicExtentsFrom(OpBuilder &b, Location loc,
                                      RankedTensorType type, Value source,
                                      ArrayRef<int64_t> sourceDims) {
  SmallVector<Value> extents;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim))
      extents.push_back(b.create<tensor::DimOp>(loc, source, sourceDims[dim]));
  return extents;
}

struct TransposeToLinalg : public OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> permutation = op.getPermutation();
    // Iterating over the result, operand dimension permutation[i] is d_i.
    SmallVector<AffineExpr> exprs(permutation.size());
    for (auto [resultDim, operandDim] : llvm::enumerate(permutation))
      exprs[operandDim] = rewriter.getAffineDimExpr(resultDim);
    AffineMap map =
        AffineMap::get(resultType.getRank(), 0, exprs, rewriter.getContext());
    SmallVector<Value> extents = dynamicExtentsFrom(
        rewriter, loc, resultType, adaptor.getOperand(), permutation);
    rewriter.replaceOp(
        op,
        parallelGeneric(
            rewriter, loc, resultType, extents, adaptor.getOperand(), map,
            [](OpBuilder &, Location, ValueRange args) { return args[0]; }));
    return success();
  }
};

struct BroadcastToToLinalg : public OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto operandType = cast<RankedTensorType>(adaptor.getOperand().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    const int64_t offset = resultType.getRank() - operandType.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t dim = 0; dim < operandType.getRank(); ++dim)
      exprs.push_back(operandType.getDimSize(dim) == 1 &&
                              resultType.getDimSize(offset + dim) != 1
                          ? rewriter.getAffineConstantExpr(0)
                          : rewriter.getAffineDimExpr(offset + dim));
    AffineMap map =
        AffineMap::get(resultType.getRank(), 0, exprs, rewriter.getContext());
    rewriter.replaceOp(
        op, parallelGeneric(rewriter, op.getLoc(), resultType,
                            adaptor.getDynamicExtents(), adaptor.getOperand(),
                            map, [](OpBuilder &, Location, ValueRange args) {
                              return args[0];
                            }));
    return success();
  }
};

/// An index value converted to `type` (integer or float).
Value indexTo(OpBuilder &b, Location loc, Value index, Type type) {
  Value wide = b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
  if (isa<FloatType>(type))
    return b.create<arith::SIToFPOp>(loc, type, wide);
  if (type.getIntOrFloatBitWidth() < 64)
    return b.create<arith::TruncIOp>(loc, type, wide);
  return wide;
}

struct IotaToLinalg : public OpConversionPattern<IotaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(IotaOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    const int64_t dimension = op.getDimension();
    rewriter.replaceOp(
        op, parallelGeneric(
                rewriter, op.getLoc(), resultType, adaptor.getDynamicExtents(),
                {}, {}, [&](OpBuilder &b, Location loc, ValueRange) {
                  Value index = b.create<linalg::IndexOp>(loc, dimension);
                  return indexTo(b, loc, index, resultType.getElementType());
                }));
    return success();
  }
};

struct SliceToTensor : public OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value operand = adaptor.getOperand();
    auto operandType = cast<RankedTensorType>(operand.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    Value zero = indexConstant(rewriter, loc, 0);
    for (int64_t dim = 0; dim < operandType.getRank(); ++dim) {
      Value extent = rewriter.create<tensor::DimOp>(loc, operand, dim);
      // Python's bounds: negative from the end, clamped to [0, extent].
      auto bound = [&](int64_t value, Value unbounded) -> Value {
        if (value == kUnbounded)
          return unbounded;
        Value index = indexConstant(rewriter, loc, value);
        if (value < 0)
          index = rewriter.create<arith::AddIOp>(loc, index, extent);
        index = rewriter.create<arith::MaxSIOp>(loc, index, zero);
        return rewriter.create<arith::MinSIOp>(loc, index, extent);
      };
      Value first = bound(op.getBegin()[dim], zero);
      Value last = bound(op.getEnd()[dim], extent);
      Value step = indexConstant(rewriter, loc, op.getStep()[dim]);
      Value span = rewriter.create<arith::SubIOp>(loc, last, first);
      Value count = rewriter.create<arith::CeilDivSIOp>(loc, span, step);
      count = rewriter.create<arith::MaxSIOp>(loc, count, zero);
      offsets.push_back(first);
      sizes.push_back(count);
      strides.push_back(step);
    }
    Value slice = rewriter.create<tensor::ExtractSliceOp>(loc, operand, offsets,
                                                          sizes, strides);
    if (slice.getType() != op.getType())
      slice = rewriter.create<tensor::CastOp>(loc, op.getType(), slice);
    rewriter.replaceOp(op, slice);
    return success();
  }
};

struct ConcatToTensor : public OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    const int64_t axis = op.getAxis();
    ValueRange inputs = adaptor.getInputs();
    // Extents: the axis sums, the others come from the first input.
    SmallVector<Value> axisExtents;
    for (Value input : inputs)
      axisExtents.push_back(rewriter.create<tensor::DimOp>(loc, input, axis));
    SmallVector<Value> dynamic;
    for (int64_t dim = 0; dim < resultType.getRank(); ++dim) {
      if (!resultType.isDynamicDim(dim))
        continue;
      if (dim != axis) {
        dynamic.push_back(rewriter.create<tensor::DimOp>(loc, inputs[0], dim));
        continue;
      }
      Value total = indexConstant(rewriter, loc, 0);
      for (Value extent : axisExtents)
        total = rewriter.create<arith::AddIOp>(loc, total, extent);
      dynamic.push_back(total);
    }
    Value result = rewriter.create<tensor::EmptyOp>(loc, resultType, dynamic);
    Value offset = indexConstant(rewriter, loc, 0);
    for (auto [input, axisExtent] : llvm::zip_equal(inputs, axisExtents)) {
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t dim = 0; dim < inputType.getRank(); ++dim) {
        offsets.push_back(dim == axis ? OpFoldResult(offset)
                                      : OpFoldResult(rewriter.getIndexAttr(0)));
        sizes.push_back(
            inputType.isDynamicDim(dim)
                ? OpFoldResult(rewriter.create<tensor::DimOp>(loc, input, dim)
                                   .getResult())
                : OpFoldResult(
                      rewriter.getIndexAttr(inputType.getDimSize(dim))));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      result = rewriter.create<tensor::InsertSliceOp>(loc, input, result,
                                                      offsets, sizes, strides);
      offset = rewriter.create<arith::AddIOp>(loc, offset, axisExtent);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The index `raw` (any integer type) clipped to [0, extent - 1] or wrapped
/// modulo extent.
Value boundedIndex(OpBuilder &b, Location loc, Value raw, Value extent,
                   bool wrap) {
  Value index = b.create<arith::IndexCastOp>(loc, b.getIndexType(), raw);
  Value zero = indexConstant(b, loc, 0), one = indexConstant(b, loc, 1);
  if (wrap) {
    // ((i mod n) + n) mod n, with n >= 1 for the division.
    Value n = b.create<arith::MaxSIOp>(loc, extent, one);
    Value r = b.create<arith::RemSIOp>(loc, index, n);
    r = b.create<arith::AddIOp>(loc, r, n);
    return b.create<arith::RemSIOp>(loc, r, n);
  }
  Value last = b.create<arith::SubIOp>(loc, extent, one);
  last = b.create<arith::MaxSIOp>(loc, last, zero);
  index = b.create<arith::MaxSIOp>(loc, index, zero);
  return b.create<arith::MinSIOp>(loc, index, last);
}

struct TakeToLinalg : public OpConversionPattern<TakeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TakeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value operand = adaptor.getOperand(), indices = adaptor.getIndices();
    auto operandType = cast<RankedTensorType>(operand.getType());
    auto indicesType = cast<RankedTensorType>(indices.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    const int64_t axis = op.getAxis();
    const int64_t indexRank = indicesType.getRank();
    const bool wrap = op.getMode() == IndexMode::wrap;

    // Dynamic result extents: leading and trailing from the operand, the
    // middle from the indices.
    SmallVector<Value> dynamic;
    for (int64_t dim = 0; dim < resultType.getRank(); ++dim) {
      if (!resultType.isDynamicDim(dim))
        continue;
      if (dim < axis)
        dynamic.push_back(rewriter.create<tensor::DimOp>(loc, operand, dim));
      else if (dim < axis + indexRank)
        dynamic.push_back(
            rewriter.create<tensor::DimOp>(loc, indices, dim - axis));
      else
        dynamic.push_back(
            rewriter.create<tensor::DimOp>(loc, operand, dim - indexRank + 1));
    }
    SmallVector<AffineExpr> indexExprs;
    for (int64_t dim = 0; dim < indexRank; ++dim)
      indexExprs.push_back(rewriter.getAffineDimExpr(axis + dim));
    AffineMap indicesMap = AffineMap::get(resultType.getRank(), 0, indexExprs,
                                          rewriter.getContext());
    Value extent = rewriter.create<tensor::DimOp>(loc, operand, axis);
    rewriter.replaceOp(
        op, parallelGeneric(
                rewriter, loc, resultType, dynamic, indices, indicesMap,
                [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
                  Value index = boundedIndex(b, bodyLoc, args[0], extent, wrap);
                  SmallVector<Value> coordinates;
                  for (int64_t dim = 0; dim < operandType.getRank(); ++dim) {
                    if (dim == axis)
                      coordinates.push_back(index);
                    else
                      coordinates.push_back(b.create<linalg::IndexOp>(
                          bodyLoc, dim < axis ? dim : dim + indexRank - 1));
                  }
                  return b.create<tensor::ExtractOp>(bodyLoc, operand,
                                                     coordinates);
                }));
    return success();
  }
};

struct ReshapeToTensor : public OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    if (resultType.hasStaticShape() &&
        adaptor.getOperand().getType() == resultType) {
      rewriter.replaceOp(op, adaptor.getOperand());
      return success();
    }
    SmallVector<Value> extents;
    auto dynamic = adaptor.getDynamicExtents().begin();
    for (int64_t dim = 0; dim < resultType.getRank(); ++dim)
      extents.push_back(
          resultType.isDynamicDim(dim)
              ? *dynamic++
              : indexConstant(rewriter, loc, resultType.getDimSize(dim)));
    // Typed explicitly: a rank-0 result has no extents to infer it from.
    auto shapeType =
        RankedTensorType::get({resultType.getRank()}, rewriter.getIndexType());
    Value shape =
        rewriter.create<tensor::FromElementsOp>(loc, shapeType, extents);
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, resultType,
                                                   adaptor.getOperand(), shape);
    return success();
  }
};

/// A float constant converted to `type` (floats, or integers truncating).
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(floatType, value));
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

struct PadToTensor : public OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // A filled tensor of the padded shape with the operand inserted: MLIR
    // 19's tensor.pad bufferization mishandles dynamic extents.
    Location loc = op.getLoc();
    Value operand = adaptor.getOperand();
    auto operandType = cast<RankedTensorType>(operand.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<Value> dynamic;
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t dim = 0; dim < resultType.getRank(); ++dim) {
      const int64_t low = op.getLow()[dim], high = op.getHigh()[dim];
      Value extent;
      if (operandType.isDynamicDim(dim)) {
        extent = rewriter.create<tensor::DimOp>(loc, operand, dim);
        sizes.push_back(extent);
      } else {
        sizes.push_back(rewriter.getIndexAttr(operandType.getDimSize(dim)));
      }
      if (resultType.isDynamicDim(dim))
        dynamic.push_back(rewriter.create<arith::AddIOp>(
            loc, extent, indexConstant(rewriter, loc, low + high)));
      offsets.push_back(rewriter.getIndexAttr(low));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value value = scalarConstant(rewriter, loc, resultType.getElementType(),
                                 op.getValue().convertToDouble());
    Value filled =
        rewriter
            .create<linalg::FillOp>(
                loc, value,
                rewriter.create<tensor::EmptyOp>(loc, resultType, dynamic)
                    .getResult())
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(op, operand, filled,
                                                       offsets, sizes, strides);
    return success();
  }
};

struct ScatterAddToLoops : public OpConversionPattern<ScatterAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dest = adaptor.getDest(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    auto updatesType = cast<RankedTensorType>(updates.getType());
    const int64_t axis = op.getAxis();
    const int64_t indexRank =
        cast<RankedTensorType>(indices.getType()).getRank();
    const bool wrap = op.getMode() == IndexMode::wrap;
    const int64_t destRank = cast<RankedTensorType>(dest.getType()).getRank();
    Value extent = rewriter.create<tensor::DimOp>(loc, dest, axis);
    // Sequential loops over the updates: repeated indices accumulate.
    SmallVector<Value> lower, upper, steps;
    for (int64_t dim = 0; dim < updatesType.getRank(); ++dim) {
      lower.push_back(indexConstant(rewriter, loc, 0));
      upper.push_back(rewriter.create<tensor::DimOp>(loc, updates, dim));
      steps.push_back(indexConstant(rewriter, loc, 1));
    }
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lower, upper, steps, ValueRange{dest},
        [&](OpBuilder &b, Location bodyLoc, ValueRange ivs,
            ValueRange accumulated) -> scf::ValueVector {
          Value raw = b.create<tensor::ExtractOp>(bodyLoc, indices,
                                                  ivs.slice(axis, indexRank));
          Value index = boundedIndex(b, bodyLoc, raw, extent, wrap);
          SmallVector<Value> coordinates;
          for (int64_t dim = 0; dim < destRank; ++dim)
            coordinates.push_back(dim < axis    ? ivs[dim]
                                  : dim == axis ? index
                                                : ivs[dim + indexRank - 1]);
          Value old =
              b.create<tensor::ExtractOp>(bodyLoc, accumulated[0], coordinates);
          Value update = b.create<tensor::ExtractOp>(bodyLoc, updates, ivs);
          Value sum =
              isa<FloatType>(old.getType())
                  ? b.create<arith::AddFOp>(bodyLoc, old, update).getResult()
                  : b.create<arith::AddIOp>(bodyLoc, old, update).getResult();
          return {b.create<tensor::InsertOp>(bodyLoc, sum, accumulated[0],
                                             coordinates)};
        });
    Value result = nest.results.empty() ? dest : nest.results.front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Philox 4x32-10 (Salmon et al., SC'11) on counter (c0..c3) and key
/// (k0, k1), in i32 arithmetic.
SmallVector<Value> philox(OpBuilder &b, Location loc, SmallVector<Value> c,
                          Value k0, Value k1) {
  auto constant = [&](uint32_t value) {
    return b.create<arith::ConstantOp>(
        loc, b.getI32IntegerAttr(static_cast<int32_t>(value)));
  };
  Value m0 = constant(0xD2511F53u), m1 = constant(0xCD9E8D57u);
  Value w0 = constant(0x9E3779B9u), w1 = constant(0xBB67AE85u);
  for (int round = 0; round < 10; ++round) {
    auto product0 = b.create<arith::MulUIExtendedOp>(loc, m0, c[0]);
    auto product1 = b.create<arith::MulUIExtendedOp>(loc, m1, c[2]);
    Value next0 = b.create<arith::XOrIOp>(
        loc, b.create<arith::XOrIOp>(loc, product1.getHigh(), c[1]), k0);
    Value next2 = b.create<arith::XOrIOp>(
        loc, b.create<arith::XOrIOp>(loc, product0.getHigh(), c[3]), k1);
    c = {next0, product1.getLow(), next2, product0.getLow()};
    k0 = b.create<arith::AddIOp>(loc, k0, w0);
    k1 = b.create<arith::AddIOp>(loc, k1, w1);
  }
  return c;
}

/// A uniform float in (0, 1] (open at 0 so that log() is finite) or [0, 1)
/// from 24 random bits, in f32, widened to `type`.
Value unitFloat(OpBuilder &b, Location loc, Value bits, bool excludeZero,
                Type type) {
  Value top = b.create<arith::ShRUIOp>(
      loc, bits, b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(8)));
  Value asFloat = b.create<arith::UIToFPOp>(loc, b.getF32Type(), top);
  if (excludeZero)
    asFloat = b.create<arith::AddFOp>(
        loc, asFloat,
        b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0f)));
  Value scaled = b.create<arith::MulFOp>(
      loc, asFloat,
      b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0f / 16777216.0f)));
  if (type.isF32())
    return scaled;
  return b.create<arith::ExtFOp>(loc, type, scaled);
}

template <typename OpTy>
struct RandomToLinalg : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using Adaptor = typename OpConversionPattern<OpTy>::OpAdaptor;

  LogicalResult
  matchAndRewrite(OpTy op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type element = resultType.getElementType();
    // Compute in f32 for narrow types, f64 for f64.
    Type compute = element.isF64() ? element : rewriter.getF32Type();
    // Row-major strides of the result, for the element's linear index.
    SmallVector<Value> extents;
    auto dynamic = adaptor.getDynamicExtents().begin();
    for (int64_t dim = 0; dim < resultType.getRank(); ++dim)
      extents.push_back(
          resultType.isDynamicDim(dim)
              ? *dynamic++
              : indexConstant(rewriter, loc, resultType.getDimSize(dim)));
    SmallVector<Value> strides(resultType.getRank());
    Value stride = indexConstant(rewriter, loc, 1);
    for (int64_t dim = resultType.getRank() - 1; dim >= 0; --dim) {
      strides[dim] = stride;
      stride = rewriter.create<arith::MulIOp>(loc, stride, extents[dim]);
    }
    // The seed, read once per kernel call.
    Value seed = rewriter.create<tensor::ExtractOp>(loc, adaptor.getSeed(),
                                                    ValueRange{});
    const bool normal = std::is_same_v<OpTy, RandomNormalOp>;
    const double a =
        normal
            ? op->template getAttrOfType<FloatAttr>("mean").getValueAsDouble()
            : op->template getAttrOfType<FloatAttr>("low").getValueAsDouble();
    const double bParam =
        normal
            ? op->template getAttrOfType<FloatAttr>("stddev").getValueAsDouble()
            : op->template getAttrOfType<FloatAttr>("high").getValueAsDouble();
    rewriter.replaceOp(
        op,
        parallelGeneric(
            rewriter, loc, resultType, adaptor.getDynamicExtents(), {}, {},
            [&](OpBuilder &b, Location bodyLoc, ValueRange) -> Value {
              Value linear = indexConstant(b, bodyLoc, 0);
              for (int64_t dim = 0; dim < resultType.getRank(); ++dim)
                linear = b.create<arith::AddIOp>(
                    bodyLoc, linear,
                    b.create<arith::MulIOp>(
                        bodyLoc, b.create<linalg::IndexOp>(bodyLoc, dim),
                        strides[dim]));
              Value wide =
                  b.create<arith::IndexCastOp>(bodyLoc, b.getI64Type(), linear);
              Type i32 = b.getI32Type();
              Value low = b.create<arith::TruncIOp>(bodyLoc, i32, wide);
              Value high = b.create<arith::TruncIOp>(
                  bodyLoc, i32,
                  b.create<arith::ShRUIOp>(
                      bodyLoc, wide,
                      b.create<arith::ConstantOp>(bodyLoc,
                                                  b.getI64IntegerAttr(32))));
              Value zero32 =
                  b.create<arith::ConstantOp>(bodyLoc, b.getI32IntegerAttr(0));
              auto key = [&](int64_t shift) -> Value {
                Value shifted = seed;
                if (shift != 0)
                  shifted = b.create<arith::ShRUIOp>(
                      bodyLoc, seed,
                      b.create<arith::ConstantOp>(bodyLoc,
                                                  b.getI64IntegerAttr(shift)));
                return b.create<arith::TruncIOp>(bodyLoc, i32, shifted);
              };
              SmallVector<Value> bits = philox(
                  b, bodyLoc, {low, high, zero32, zero32}, key(0), key(32));
              auto constant = [&](double value) {
                return b.create<arith::ConstantOp>(
                    bodyLoc, b.getFloatAttr(compute, value));
              };
              Value sample;
              if (!normal) {
                Value u = unitFloat(b, bodyLoc, bits[0], false, compute);
                sample = b.create<arith::AddFOp>(
                    bodyLoc, constant(a),
                    b.create<arith::MulFOp>(bodyLoc, u, constant(bParam - a)));
              } else {
                // Box-Muller: sqrt(-2 ln u1) cos(2 pi u2).
                Value u1 = unitFloat(b, bodyLoc, bits[0], true, compute);
                Value u2 = unitFloat(b, bodyLoc, bits[1], false, compute);
                Value radius = b.create<math::SqrtOp>(
                    bodyLoc, b.create<arith::MulFOp>(
                                 bodyLoc, constant(-2.0),
                                 b.create<math::LogOp>(bodyLoc, u1)));
                Value angle = b.create<arith::MulFOp>(
                    bodyLoc, constant(6.283185307179586), u2);
                Value z = b.create<arith::MulFOp>(
                    bodyLoc, radius, b.create<math::CosOp>(bodyLoc, angle));
                sample = b.create<arith::AddFOp>(
                    bodyLoc, constant(a),
                    b.create<arith::MulFOp>(bodyLoc, z, constant(bParam)));
              }
              if (compute != element)
                sample = b.create<arith::TruncFOp>(bodyLoc, element, sample);
              return sample;
            }));
    return success();
  }
};

} // namespace

void mlir::kiln::populateDataMovementToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<TransposeToLinalg, BroadcastToToLinalg, IotaToLinalg,
               SliceToTensor, ConcatToTensor, TakeToLinalg, ReshapeToTensor,
               PadToTensor, ScatterAddToLoops, RandomToLinalg<RandomUniformOp>,
               RandomToLinalg<RandomNormalOp>>(patterns.getContext());
}
