//===- KilnGradients.cpp - the primitives' gradient rules -----------------===//
//
// GradientOpInterface for every differentiable primitive: the ops that give
// each operand's gradient (vector-Jacobian product) from the gradient of
// the result, built from other primitives so that the backward function is
// again a kiln function that fuses and compiles like any other. The rules
// are those of eager autograd (frontends/cpp/PrimitiveGradients.cpp), which
// follow MXNet 1.9.1's backward kernels: masks multiply (max/min, relu,
// maximum/minimum send the whole gradient to every tie on the side MXNet
// picks), and a broadcast operand's gradient is summed over the dimensions
// it was stretched along.
//
// Shapes stay polymorphic: an extent the types leave dynamic is read with
// tensor.dim, so one backward function serves every batch size, as the
// forward does.
//
//===----------------------------------------------------------------------===//
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>

namespace mlir {
namespace kiln {
namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// A rank-0 constant of `element` type.
Value scalar(OpBuilder &b, Location loc, Type element, double value) {
  auto type = RankedTensorType::get({}, element);
  Attribute attribute;
  if (auto floatType = dyn_cast<FloatType>(element))
    attribute = b.getFloatAttr(floatType, value);
  else
    attribute = b.getIntegerAttr(element, static_cast<int64_t>(value));
  return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, attribute));
}
/// A rank-0 i64 constant, exact for every int64_t.
Value integerScalar(OpBuilder &b, Location loc, int64_t value) {
  auto type = RankedTensorType::get({}, b.getI64Type());
  return b.create<ConstantOp>(
      loc, DenseElementsAttr::get(type, b.getI64IntegerAttr(value)));
}
Value scalarLike(OpBuilder &b, Location loc, Value like, double value) {
  return scalar(b, loc, tensorType(like).getElementType(), value);
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

/// Dimension `axis` of `tensor` as an index.
Value dimOf(OpBuilder &b, Location loc, Value tensor, int64_t axis) {
  int64_t extent = tensorType(tensor).getDimSize(axis);
  if (!ShapedType::isDynamic(extent))
    return indexConstant(b, loc, extent);
  return b.create<tensor::DimOp>(loc, tensor, axis);
}

/// The dynamic extents of `type`, in order, read from `like` (a value whose
/// shape agrees with `type` at run time).
SmallVector<Value> dynamicExtents(OpBuilder &b, Location loc,
                                  RankedTensorType type, Value like) {
  SmallVector<Value> extents;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      extents.push_back(b.create<tensor::DimOp>(loc, like, d));
  return extents;
}

/// `value` seen with `type` (same shape up to static/dynamic extents).
Value castTo(OpBuilder &b, Location loc, Value value, RankedTensorType type) {
  if (value.getType() == type)
    return value;
  return b.create<tensor::CastOp>(loc, type, value);
}

/// `x` stretched to the shape of `like` (of x's element type).
Value broadcastLike(OpBuilder &b, Location loc, Value x, Value like) {
  RankedTensorType likeType = tensorType(like);
  auto type = RankedTensorType::get(likeType.getShape(),
                                    tensorType(x).getElementType());
  if (x.getType() == type)
    return x;
  return b.create<BroadcastToOp>(loc, type, x,
                                 dynamicExtents(b, loc, type, like));
}

/// The gradient of a broadcast operand: `grad` (the result's shape) summed
/// over the leading dimensions the operand lacks and over those where the
/// operand has a static 1 that was stretched, giving `operand`'s type.
Value sumToOperand(OpBuilder &b, Location loc, Value grad, Value operand) {
  RankedTensorType from = tensorType(grad), to = tensorType(operand);
  const int64_t lead = from.getRank() - to.getRank();
  SmallVector<int64_t> stretched;
  for (int64_t d = lead; d < from.getRank(); ++d)
    if (to.getDimSize(d - lead) == 1 && from.getDimSize(d) != 1)
      stretched.push_back(d);
  Value summed = grad;
  if (!stretched.empty())
    summed = b.create<ReduceSumOp>(loc, summed, stretched, /*keepdims=*/true);
  if (lead > 0) {
    SmallVector<int64_t> leading(lead);
    std::iota(leading.begin(), leading.end(), 0);
    summed = b.create<ReduceSumOp>(loc, summed, leading, /*keepdims=*/false);
  }
  auto type = RankedTensorType::get(to.getShape(), from.getElementType());
  return castTo(b, loc, summed, type);
}

/// 1 where `mask` (i1) holds, else 0, in `like`'s element type: masks
/// multiply, as MXNet's backward kernels do.
Value maskOf(OpBuilder &b, Location loc, Value mask, Value like) {
  RankedTensorType maskType = tensorType(mask);
  auto type = RankedTensorType::get(maskType.getShape(),
                                    tensorType(like).getElementType());
  return b.create<CastOp>(loc, type, mask);
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return b.create<MulOp>(loc, x, y);
}
Value mulBy(OpBuilder &b, Location loc, Value x, double factor) {
  return mul(b, loc, x, scalarLike(b, loc, x, factor));
}

/// The result of a reduction along `axes` given back as extent 1 (when it
/// dropped them) and stretched to the operand's shape.
Value expandReduced(OpBuilder &b, Location loc, Value reduced, Value operand,
                    ArrayRef<int64_t> axes, bool keepdims) {
  RankedTensorType operandType = tensorType(operand);
  Value kept = reduced;
  if (!keepdims && !axes.empty()) {
    SmallVector<int64_t> shape(operandType.getShape());
    for (int64_t axis : axes)
      shape[axis] = 1;
    auto keptType =
        RankedTensorType::get(shape, tensorType(reduced).getElementType());
    kept = b.create<ReshapeOp>(loc, keptType, reduced,
                               dynamicExtents(b, loc, keptType, operand));
  }
  return broadcastLike(b, loc, kept, operand);
}

/// The last two dimensions swapped.
Value swapLastTwo(OpBuilder &b, Location loc, Value x) {
  const int64_t rank = tensorType(x).getRank();
  SmallVector<int64_t> permutation(rank);
  std::iota(permutation.begin(), permutation.end(), 0);
  std::swap(permutation[rank - 1], permutation[rank - 2]);
  return b.create<TransposeOp>(loc, x, permutation);
}

/// A rank-0 i64 tensor holding `index`.
Value indexTensor(OpBuilder &b, Location loc, Value index) {
  Value asI64 = b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
  return b.create<tensor::FromElementsOp>(
      loc, RankedTensorType::get({}, b.getI64Type()), ValueRange{asI64});
}

/// The i64 indices `first + i * step` for i in [0, count): the positions a
/// slice or concatenation piece takes along one dimension.
Value strideIndices(OpBuilder &b, Location loc, Value count, Value first,
                    int64_t step) {
  std::optional<int64_t> staticCount = getConstantIntValue(count);
  auto type = RankedTensorType::get(
      {staticCount ? *staticCount : ShapedType::kDynamic}, b.getI64Type());
  SmallVector<Value> extents;
  if (!staticCount)
    extents.push_back(count);
  Value indices = b.create<IotaOp>(loc, type, extents, /*dimension=*/0);
  if (step != 1)
    indices = b.create<MulOp>(loc, indices, integerScalar(b, loc, step));
  std::optional<int64_t> staticFirst = getConstantIntValue(first);
  if (staticFirst && *staticFirst == 0)
    return indices;
  Value offset = staticFirst ? integerScalar(b, loc, *staticFirst)
                             : indexTensor(b, loc, first);
  return b.create<AddOp>(loc, indices, offset);
}

/// `grad` (a piece of a larger tensor along `axis`) scattered into zeros
/// whose extent along `axis` is `extent` (of `like`'s dimension) at
/// `indices`.
Value scatterAlong(OpBuilder &b, Location loc, Value grad, Value like,
                   int64_t axis, Value indices) {
  RankedTensorType gradType = tensorType(grad);
  SmallVector<int64_t> shape(gradType.getShape());
  shape[axis] = tensorType(like).getDimSize(axis);
  auto destType = RankedTensorType::get(shape, gradType.getElementType());
  SmallVector<Value> extents;
  for (int64_t d = 0; d < destType.getRank(); ++d)
    if (destType.isDynamicDim(d))
      extents.push_back(d == axis ? dimOf(b, loc, like, d)
                                  : dimOf(b, loc, grad, d));
  Value zeros = b.create<BroadcastToOp>(
      loc, destType, scalar(b, loc, gradType.getElementType(), 0.0), extents);
  return b.create<ScatterAddOp>(loc, zeros, indices, grad, axis,
                                IndexMode::clip);
}

LogicalResult noRule(Operation *op, const Twine &why) {
  return op->emitOpError() << "has no gradient " << why;
}

} // namespace

Value buildZerosLike(OpBuilder &b, Location loc, Value like) {
  return broadcastLike(b, loc, scalarLike(b, loc, like, 0.0), like);
}

//===----------------------------------------------------------------------===//
// Elementwise unary primitives: grad = g * slope(x, y)
//===----------------------------------------------------------------------===//

namespace {
/// The unary rules: each gives the slope dy/dx from the operand and the
/// result; the gradient is g * slope.
template <class Slope>
LogicalResult unaryGradient(Operation *op, OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &operandGrads, Slope slope) {
  Location loc = op->getLoc();
  Value x = op->getOperand(0), y = op->getResult(0);
  operandGrads[0] = mul(b, loc, grads[0], slope(b, loc, x, y));
  return success();
}
} // namespace

#define KILN_UNARY_GRADIENT(OpClass, ...)                                      \
  LogicalResult OpClass::buildGradient(OpBuilder &b, ValueRange grads,         \
                                       SmallVectorImpl<Value> &operandGrads) { \
    return unaryGradient(                                                      \
        getOperation(), b, grads, operandGrads,                                \
        [](OpBuilder &b, Location loc, Value x, Value y) -> Value {            \
          (void)x;                                                             \
          (void)y;                                                             \
          __VA_ARGS__                                                          \
        });                                                                    \
  }

LogicalResult NegOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads[0] = b.create<NegOp>(getLoc(), grads[0]);
  return success();
}
KILN_UNARY_GRADIENT(AbsOp, return b.create<SignOp>(loc, x);)
KILN_UNARY_GRADIENT(SquareOp, return mulBy(b, loc, x, 2.0);)
KILN_UNARY_GRADIENT(ReluOp, {
  Value positive = b.create<GtOp>(loc, x, scalarLike(b, loc, x, 0.0));
  return maskOf(b, loc, positive, x);
})
KILN_UNARY_GRADIENT(ExpOp, return y;)
KILN_UNARY_GRADIENT(Expm1Op,
                    return b.create<AddOp>(loc, y, scalarLike(b, loc, y, 1.0));)
KILN_UNARY_GRADIENT(LogOp, return b.create<ReciprocalOp>(loc, x);)
KILN_UNARY_GRADIENT(Log1pOp, {
  Value onePlus = b.create<AddOp>(loc, x, scalarLike(b, loc, x, 1.0));
  return b.create<ReciprocalOp>(loc, onePlus);
})
KILN_UNARY_GRADIENT(SqrtOp,
                    return b.create<DivOp>(loc, scalarLike(b, loc, y, 0.5), y);)
KILN_UNARY_GRADIENT(RsqrtOp, {
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3.
  return mulBy(b, loc, mul(b, loc, y, mul(b, loc, y, y)), -0.5);
})
KILN_UNARY_GRADIENT(TanhOp, {
  return b.create<SubOp>(loc, scalarLike(b, loc, y, 1.0), mul(b, loc, y, y));
})
KILN_UNARY_GRADIENT(SigmoidOp, {
  return mul(b, loc, y, b.create<SubOp>(loc, scalarLike(b, loc, y, 1.0), y));
})
KILN_UNARY_GRADIENT(ErfOp, {
  Value negSquare = b.create<NegOp>(loc, mul(b, loc, x, x));
  return mulBy(b, loc, b.create<ExpOp>(loc, negSquare), 2 / std::sqrt(M_PI));
})
KILN_UNARY_GRADIENT(SinOp, return b.create<CosOp>(loc, x);)
KILN_UNARY_GRADIENT(CosOp,
                    { return b.create<NegOp>(loc, b.create<SinOp>(loc, x)); })
// asin' = 1 / sqrt(1 - x^2), acos' = -asin', atan' = 1 / (1 + x^2).
KILN_UNARY_GRADIENT(AsinOp, {
  Value oneMinus =
      b.create<SubOp>(loc, scalarLike(b, loc, x, 1.0), mul(b, loc, x, x));
  return b.create<RsqrtOp>(loc, oneMinus);
})
KILN_UNARY_GRADIENT(AcosOp, {
  Value oneMinus =
      b.create<SubOp>(loc, scalarLike(b, loc, x, 1.0), mul(b, loc, x, x));
  return b.create<NegOp>(loc, b.create<RsqrtOp>(loc, oneMinus));
})
KILN_UNARY_GRADIENT(AtanOp, {
  Value onePlus =
      b.create<AddOp>(loc, scalarLike(b, loc, x, 1.0), mul(b, loc, x, x));
  return b.create<ReciprocalOp>(loc, onePlus);
})
KILN_UNARY_GRADIENT(ReciprocalOp,
                    return b.create<NegOp>(loc, mul(b, loc, y, y));)

#undef KILN_UNARY_GRADIENT

//===----------------------------------------------------------------------===//
// Broadcasting binary primitives: partials, summed to each operand's shape
//===----------------------------------------------------------------------===//

namespace {
/// Sums each partial to its operand's shape.
LogicalResult broadcastGradients(Operation *op, OpBuilder &b,
                                 SmallVectorImpl<Value> &operandGrads) {
  for (unsigned i = 0; i < op->getNumOperands(); ++i)
    if (operandGrads[i])
      operandGrads[i] =
          sumToOperand(b, op->getLoc(), operandGrads[i], op->getOperand(i));
  return success();
}
} // namespace

LogicalResult AddOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads[0] = operandGrads[1] = grads[0];
  return broadcastGradients(*this, b, operandGrads);
}

LogicalResult SubOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads[0] = grads[0];
  operandGrads[1] = b.create<NegOp>(getLoc(), grads[0]);
  return broadcastGradients(*this, b, operandGrads);
}

LogicalResult MulOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  operandGrads[0] = mul(b, getLoc(), grads[0], getRhs());
  operandGrads[1] = mul(b, getLoc(), grads[0], getLhs());
  return broadcastGradients(*this, b, operandGrads);
}

LogicalResult DivOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  // d(x/y)/dx = 1/y; d(x/y)/dy = -(x/y)/y.
  Value overRhs = b.create<DivOp>(getLoc(), grads[0], getRhs());
  operandGrads[0] = overRhs;
  operandGrads[1] =
      b.create<NegOp>(getLoc(), mul(b, getLoc(), overRhs, getResult()));
  return broadcastGradients(*this, b, operandGrads);
}

LogicalResult PowOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  // d(x^y)/dx = y x^(y-1); d(x^y)/dy = x^y ln x.
  Value exponentLess =
      b.create<SubOp>(loc, getRhs(), scalarLike(b, loc, getRhs(), 1.0));
  Value slope =
      mul(b, loc, getRhs(), b.create<PowOp>(loc, getLhs(), exponentLess));
  operandGrads[0] = mul(b, loc, grads[0], slope);
  operandGrads[1] =
      mul(b, loc, grads[0],
          mul(b, loc, getResult(), b.create<LogOp>(loc, getLhs())));
  return broadcastGradients(*this, b, operandGrads);
}

namespace {
/// maximum and minimum: the gradient goes to the operand that won, with
/// ties to the left one as in MXNet's backward (`LhsWins` is ge for
/// maximum, le for minimum; `RhsWins` its strict opposite).
template <class LhsWins, class RhsWins>
LogicalResult extremumGradient(Operation *op, OpBuilder &b, ValueRange grads,
                               SmallVectorImpl<Value> &operandGrads) {
  Location loc = op->getLoc();
  Value lhs = op->getOperand(0), rhs = op->getOperand(1), g = grads[0];
  Value lhsWins = b.create<LhsWins>(loc, lhs, rhs);
  Value rhsWins = b.create<RhsWins>(loc, lhs, rhs);
  operandGrads[0] = mul(b, loc, g, maskOf(b, loc, lhsWins, g));
  operandGrads[1] = mul(b, loc, g, maskOf(b, loc, rhsWins, g));
  return broadcastGradients(op, b, operandGrads);
}
} // namespace

LogicalResult MaximumOp::buildGradient(OpBuilder &b, ValueRange grads,
                                       SmallVectorImpl<Value> &operandGrads) {
  return extremumGradient<GeOp, LtOp>(*this, b, grads, operandGrads);
}

LogicalResult MinimumOp::buildGradient(OpBuilder &b, ValueRange grads,
                                       SmallVectorImpl<Value> &operandGrads) {
  return extremumGradient<LeOp, GtOp>(*this, b, grads, operandGrads);
}

LogicalResult ModOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  // x mod y = x - floor(x / y) y.
  Value quotient =
      b.create<FloorOp>(loc, b.create<DivOp>(loc, getLhs(), getRhs()));
  operandGrads[0] = grads[0];
  operandGrads[1] = b.create<NegOp>(loc, mul(b, loc, grads[0], quotient));
  return broadcastGradients(*this, b, operandGrads);
}

LogicalResult SelectOp::buildGradient(OpBuilder &b, ValueRange grads,
                                      SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  Value zero = scalarLike(b, loc, grads[0], 0.0);
  operandGrads[1] = b.create<SelectOp>(loc, getCondition(), grads[0], zero);
  operandGrads[2] = b.create<SelectOp>(loc, getCondition(), zero, grads[0]);
  return broadcastGradients(*this, b, operandGrads);
}

LogicalResult CastOp::buildGradient(OpBuilder &b, ValueRange grads,
                                    SmallVectorImpl<Value> &operandGrads) {
  // Back to the operand's element type; integer operands take none. The
  // cast keeps the cotangent's shape (a cast may not forget a static
  // extent), and tensor.cast then gives the operand's type.
  RankedTensorType operandType = tensorType(getOperand());
  if (!isa<FloatType>(operandType.getElementType()))
    return success();
  auto type = RankedTensorType::get(tensorType(grads[0]).getShape(),
                                    operandType.getElementType());
  operandGrads[0] = castTo(
      b, getLoc(), b.create<CastOp>(getLoc(), type, grads[0]), operandType);
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind { Sum, Mean, Prod, Extreme };

LogicalResult reductionGradient(Operation *op, OpBuilder &b, Value grad,
                                ArrayRef<int64_t> axes, bool keepdims,
                                ReduceKind kind,
                                SmallVectorImpl<Value> &operandGrads) {
  Location loc = op->getLoc();
  Value x = op->getOperand(0), y = op->getResult(0);
  if (axes.empty()) { // Reduces nothing: the identity.
    operandGrads[0] = castTo(b, loc, grad, tensorType(x));
    return success();
  }
  Value spread = expandReduced(b, loc, grad, x, axes, keepdims);
  switch (kind) {
  case ReduceKind::Sum:
    operandGrads[0] = spread;
    break;
  case ReduceKind::Mean: {
    // Divided by the number of reduced elements (at least 1, as eager), in
    // f32 for f16 and bf16, whose range a count can pass (65504).
    Value count = indexConstant(b, loc, 1);
    for (int64_t axis : axes)
      count = b.createOrFold<arith::MulIOp>(loc, count, dimOf(b, loc, x, axis));
    count =
        b.createOrFold<arith::MaxSIOp>(loc, count, indexConstant(b, loc, 1));
    RankedTensorType spreadType = tensorType(spread);
    Type element = spreadType.getElementType();
    Type computeType =
        element.isF16() || element.isBF16() ? Type(b.getF32Type()) : element;
    Value divisor;
    if (std::optional<int64_t> known = getConstantIntValue(count)) {
      divisor = scalar(b, loc, computeType, static_cast<double>(*known));
    } else {
      Value asInteger =
          b.create<arith::IndexCastOp>(loc, b.getI64Type(), count);
      Value asFloat = b.create<arith::SIToFPOp>(loc, computeType, asInteger);
      divisor = b.create<tensor::FromElementsOp>(
          loc, RankedTensorType::get({}, computeType), ValueRange{asFloat});
    }
    if (computeType == element) {
      operandGrads[0] = b.create<DivOp>(loc, spread, divisor);
      break;
    }
    auto wide = RankedTensorType::get(spreadType.getShape(), computeType);
    Value quotient =
        b.create<DivOp>(loc, b.create<CastOp>(loc, wide, spread), divisor);
    operandGrads[0] = b.create<CastOp>(loc, spreadType, quotient);
    break;
  }
  case ReduceKind::Prod: {
    Value result = expandReduced(b, loc, y, x, axes, keepdims);
    operandGrads[0] = mul(b, loc, spread, b.create<DivOp>(loc, result, x));
    break;
  }
  case ReduceKind::Extreme: {
    // Every position equal to the extreme takes the whole gradient.
    Value result = expandReduced(b, loc, y, x, axes, keepdims);
    Value isExtreme = b.create<EqOp>(loc, x, result);
    operandGrads[0] = mul(b, loc, spread, maskOf(b, loc, isExtreme, spread));
    break;
  }
  }
  return success();
}
} // namespace

#define KILN_REDUCTION_GRADIENT(OpClass, Kind)                                 \
  LogicalResult OpClass::buildGradient(OpBuilder &b, ValueRange grads,         \
                                       SmallVectorImpl<Value> &operandGrads) { \
    return reductionGradient(*this, b, grads[0], getAxes(), getKeepdims(),     \
                             ReduceKind::Kind, operandGrads);                  \
  }
KILN_REDUCTION_GRADIENT(ReduceSumOp, Sum)
KILN_REDUCTION_GRADIENT(ReduceMeanOp, Mean)
KILN_REDUCTION_GRADIENT(ReduceProdOp, Prod)
KILN_REDUCTION_GRADIENT(ReduceMaxOp, Extreme)
KILN_REDUCTION_GRADIENT(ReduceMinOp, Extreme)
#undef KILN_REDUCTION_GRADIENT

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::buildGradient(OpBuilder &b, ValueRange grads,
                                         SmallVectorImpl<Value> &operandGrads) {
  ArrayRef<int64_t> permutation = getPermutation();
  SmallVector<int64_t> inverse(permutation.size());
  for (size_t d = 0; d < permutation.size(); ++d)
    inverse[permutation[d]] = static_cast<int64_t>(d);
  operandGrads[0] =
      castTo(b, getLoc(), b.create<TransposeOp>(getLoc(), grads[0], inverse),
             tensorType(getOperand()));
  return success();
}

LogicalResult
BroadcastToOp::buildGradient(OpBuilder &b, ValueRange grads,
                             SmallVectorImpl<Value> &operandGrads) {
  operandGrads[0] = sumToOperand(b, getLoc(), grads[0], getOperand());
  return success();
}

LogicalResult ReshapeOp::buildGradient(OpBuilder &b, ValueRange grads,
                                       SmallVectorImpl<Value> &operandGrads) {
  RankedTensorType type = tensorType(getOperand());
  operandGrads[0] =
      b.create<ReshapeOp>(getLoc(), type, grads[0],
                          dynamicExtents(b, getLoc(), type, getOperand()));
  return success();
}

LogicalResult SliceOp::buildGradient(OpBuilder &b, ValueRange grads,
                                     SmallVectorImpl<Value> &operandGrads) {
  // Scattered back one sliced dimension at a time into zeros: position i of
  // the slice came from first + i * step.
  Location loc = getLoc();
  Value x = getOperand();
  RankedTensorType xType = tensorType(x);
  constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  Value grad = grads[0];
  for (int64_t d = 0; d < xType.getRank(); ++d) {
    const int64_t begin = getBegin()[d], end = getEnd()[d], step = getStep()[d];
    const int64_t extent = xType.getDimSize(d);
    const bool whole =
        step == 1 && (begin == kNone || begin == 0) &&
        (end == kNone || (!ShapedType::isDynamic(extent) && end >= extent));
    if (whole) // Nothing cut off here; only the types may differ.
      continue;
    // first = begin (>= 0), 0 (none), or max(begin + extent, 0).
    Value first;
    if (begin == kNone)
      first = indexConstant(b, loc, 0);
    else if (begin >= 0)
      first = indexConstant(b, loc, begin);
    else
      first = b.create<arith::MaxSIOp>(
          loc,
          b.create<arith::AddIOp>(loc, dimOf(b, loc, x, d),
                                  indexConstant(b, loc, begin)),
          indexConstant(b, loc, 0));
    Value indices = strideIndices(b, loc, dimOf(b, loc, grad, d), first, step);
    grad = scatterAlong(b, loc, grad, x, d, indices);
  }
  operandGrads[0] = castTo(b, loc, grad, xType);
  return success();
}

LogicalResult ConcatOp::buildGradient(OpBuilder &b, ValueRange grads,
                                      SmallVectorImpl<Value> &operandGrads) {
  // Each input's piece of the gradient, taken at its positions along axis.
  Location loc = getLoc();
  const int64_t axis = static_cast<int64_t>(getAxis());
  Value offset = indexConstant(b, loc, 0);
  for (unsigned i = 0; i < getInputs().size(); ++i) {
    Value input = getInputs()[i];
    Value extent = dimOf(b, loc, input, axis);
    Value indices = strideIndices(b, loc, extent, offset, 1);
    Value piece =
        b.create<TakeOp>(loc, grads[0], indices, axis, IndexMode::clip);
    operandGrads[i] = castTo(b, loc, piece, tensorType(input));
    offset = b.create<arith::AddIOp>(loc, offset, extent);
  }
  return success();
}

LogicalResult PadOp::buildGradient(OpBuilder &b, ValueRange grads,
                                   SmallVectorImpl<Value> &operandGrads) {
  // The interior: a slice from low to -high.
  constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  SmallVector<int64_t> begin(getLow()), end, step(begin.size(), 1);
  for (int64_t high : getHigh())
    end.push_back(high == 0 ? kNone : -high);
  Value interior = b.create<SliceOp>(getLoc(), grads[0], begin, end, step);
  operandGrads[0] = castTo(b, getLoc(), interior, tensorType(getOperand()));
  return success();
}

LogicalResult TakeOp::buildGradient(OpBuilder &b, ValueRange grads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  Value zeros = buildZerosLike(b, loc, getOperand());
  operandGrads[0] = b.create<ScatterAddOp>(loc, zeros, getIndices(), grads[0],
                                           getAxis(), getMode());
  return success();
}

LogicalResult
ScatterAddOp::buildGradient(OpBuilder &b, ValueRange grads,
                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads[0] = grads[0];
  Value taken =
      b.create<TakeOp>(getLoc(), grads[0], getIndices(), getAxis(), getMode());
  operandGrads[2] = castTo(b, getLoc(), taken, tensorType(getUpdates()));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and library-backed primitives
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradient(OpBuilder &b, ValueRange grads,
                                      SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  Value g = grads[0];
  operandGrads[0] = sumToOperand(
      b, loc, b.create<MatmulOp>(loc, g, swapLastTwo(b, loc, getRhs())),
      getLhs());
  operandGrads[1] = sumToOperand(
      b, loc, b.create<MatmulOp>(loc, swapLastTwo(b, loc, getLhs()), g),
      getRhs());
  return success();
}

namespace {
/// A convolution primitive of `type` computed from `operands` with `from`'s
/// attributes (the three convolution primitives share them): with x the
/// input, w the filter and y the output, each computes one of y = conv(x,
/// w), x = data(y, w), w = filter(x, y) from the other two, and so each is
/// the others' gradient.
template <class OpClass>
Value convolutionLike(OpBuilder &b, Operation *from, Value first, Value second,
                      Value shapeOf) {
  Location loc = from->getLoc();
  SmallVector<NamedAttribute> attributes;
  for (const char *name :
       {"strides", "padding_low", "padding_high", "dilations", "groups"})
    attributes.push_back(b.getNamedAttr(name, from->getAttr(name)));
  RankedTensorType type = tensorType(shapeOf);
  SmallVector<Value> operands{first, second};
  if constexpr (!std::is_same_v<OpClass, ConvolutionOp>)
    llvm::append_range(operands, dynamicExtents(b, loc, type, shapeOf));
  Operation *op;
  if constexpr (std::is_same_v<OpClass, ConvolutionOp>)
    op = b.create<ConvolutionOp>(loc, operands, attributes);
  else
    op = b.create<OpClass>(loc, TypeRange{type}, operands, attributes);
  return castTo(b, loc, op->getResult(0), type);
}
} // namespace

LogicalResult
ConvolutionOp::buildGradient(OpBuilder &b, ValueRange grads,
                             SmallVectorImpl<Value> &operandGrads) {
  Operation *op = getOperation();
  Value x = getInput(), w = getFilter(), g = grads[0];
  operandGrads[0] = convolutionLike<ConvolutionBackwardDataOp>(b, op, g, w, x);
  operandGrads[1] =
      convolutionLike<ConvolutionBackwardFilterOp>(b, op, x, g, w);
  if (Value bias = getBias()) {
    // The bias is broadcast over the images and positions: its gradient
    // sums g over every axis but the channel axis.
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < tensorType(g).getRank(); ++d)
      axes.push_back(d);
    Value summed = b.create<ReduceSumOp>(getLoc(), g, axes, /*keepdims=*/false);
    operandGrads[2] = castTo(b, getLoc(), summed, tensorType(bias));
  }
  return success();
}

LogicalResult
ConvolutionBackwardDataOp::buildGradient(OpBuilder &b, ValueRange grads,
                                         SmallVectorImpl<Value> &operandGrads) {
  // This op is x = data(y, w); g has x's shape.
  Operation *op = getOperation();
  Value y = getOutputGrad(), w = getFilter(), g = grads[0];
  operandGrads[0] = convolutionLike<ConvolutionOp>(b, op, g, w, y);
  operandGrads[1] =
      convolutionLike<ConvolutionBackwardFilterOp>(b, op, g, y, w);
  return success();
}

LogicalResult ConvolutionBackwardFilterOp::buildGradient(
    OpBuilder &b, ValueRange grads, SmallVectorImpl<Value> &operandGrads) {
  // This op is w = filter(x, y); g has w's shape.
  Operation *op = getOperation();
  Value x = getInput(), y = getOutputGrad(), g = grads[0];
  operandGrads[0] = convolutionLike<ConvolutionBackwardDataOp>(b, op, y, g, x);
  operandGrads[1] = convolutionLike<ConvolutionOp>(b, op, x, g, y);
  return success();
}

namespace {
SmallVector<NamedAttribute> poolingAttributes(OpBuilder &b, Operation *from) {
  SmallVector<NamedAttribute> attributes;
  for (const char *name : {"kind", "window", "strides", "padding_low",
                           "padding_high", "count_include_pad"})
    attributes.push_back(b.getNamedAttr(name, from->getAttr(name)));
  return attributes;
}
} // namespace

LogicalResult PoolOp::buildGradient(OpBuilder &b, ValueRange grads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Operation *op =
      b.create<PoolBackwardOp>(getLoc(), ValueRange{getInput(), grads[0]},
                               poolingAttributes(b, getOperation()));
  operandGrads[0] =
      castTo(b, getLoc(), op->getResult(0), tensorType(getInput()));
  return success();
}

LogicalResult
PoolBackwardOp::buildGradient(OpBuilder &b, ValueRange grads,
                              SmallVectorImpl<Value> &operandGrads) {
  // Linear in the output gradient and constant (almost everywhere) in the
  // input. For avg, the adjoint of spreading by the divisor is the average
  // pooling itself; max routes to winners, whose gradient MXNet 1.9.1 has
  // no rule for either.
  if (getKind() == PoolKind::max)
    return noRule(*this, "for max pooling: max pooling's backward is not "
                         "differentiable again (MXNet 1.9.1 refuses it too)");
  Operation *op = b.create<PoolOp>(getLoc(), ValueRange{grads[0]},
                                   poolingAttributes(b, getOperation()));
  operandGrads[1] =
      castTo(b, getLoc(), op->getResult(0), tensorType(getOutputGrad()));
  return success();
}

} // namespace kiln
} // namespace mlir
