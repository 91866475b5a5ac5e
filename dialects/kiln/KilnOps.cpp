//===- KilnOps.cpp - kiln primitive operations ----------------------------===//
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <algorithm>
#include <limits>
#include <type_traits>

using namespace mlir;
using namespace mlir::kiln;

namespace {

/// The shape two same-shaped operands agree on: per dimension, the static
/// extent where either operand has one. Fails if ranks or static extents
/// differ.
FailureOr<SmallVector<int64_t>> joinShapes(ArrayRef<int64_t> lhs,
                                           ArrayRef<int64_t> rhs) {
  if (lhs.size() != rhs.size())
    return failure();
  SmallVector<int64_t> joined;
  joined.reserve(lhs.size());
  for (auto [l, r] : llvm::zip_equal(lhs, rhs)) {
    if (!ShapedType::isDynamic(l) && !ShapedType::isDynamic(r) && l != r)
      return failure();
    joined.push_back(ShapedType::isDynamic(l) ? r : l);
  }
  return joined;
}

/// Whether `declared` keeps every static extent of `inferred`: equal ranks,
/// and where inference knows an extent the declaration states the same one
/// (it may state one inference leaves dynamic). A declaration less static
/// than inference would leave lowerings no operand to read the extent from.
bool keepsStaticExtents(ArrayRef<int64_t> inferred,
                        ArrayRef<int64_t> declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [known, stated] : llvm::zip_equal(inferred, declared))
    if (!ShapedType::isDynamic(known) && known != stated)
      return false;
  return true;
}

std::string describeType(Type type) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  stream << type;
  return text;
}

/// The extent two broadcast extents give: a static 1 stretches; a dynamic
/// extent is taken to equal the other (it never broadcasts).
FailureOr<int64_t> broadcastExtent(int64_t a, int64_t b) {
  if (a == 1)
    return b;
  if (b == 1)
    return a;
  if (ShapedType::isDynamic(a))
    return b;
  if (ShapedType::isDynamic(b) || a == b)
    return a;
  return failure();
}

/// numpy's broadcast of `types`' shapes, aligned at the right.
FailureOr<SmallVector<int64_t>>
broadcastShapes(ArrayRef<RankedTensorType> types) {
  int64_t rank = 0;
  for (RankedTensorType type : types)
    rank = std::max(rank, type.getRank());
  SmallVector<int64_t> shape(rank, 1);
  for (RankedTensorType type : types) {
    const int64_t offset = rank - type.getRank();
    for (int64_t dim = 0; dim < type.getRank(); ++dim) {
      FailureOr<int64_t> extent =
          broadcastExtent(shape[offset + dim], type.getDimSize(dim));
      if (failed(extent))
        return failure();
      shape[offset + dim] = *extent;
    }
  }
  return shape;
}

/// Ranked tensor types of `operands`, or an error naming the culprit.
FailureOr<SmallVector<RankedTensorType>>
rankedOperandTypes(std::optional<Location> location, ValueRange operands,
                   size_t expected) {
  if (operands.size() != expected) {
    (void)emitOptionalError(location, "expected ", expected, " operands, got ",
                            operands.size());
    return failure();
  }
  SmallVector<RankedTensorType> types;
  for (Value operand : operands) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type) {
      (void)emitOptionalError(location, "operands must be ranked tensors");
      return failure();
    }
    types.push_back(type);
  }
  return types;
}

std::string describeTypes(ArrayRef<RankedTensorType> types) {
  std::string text;
  for (size_t i = 0; i < types.size(); ++i)
    text += (i ? " vs " : "") + describeType(types[i]);
  return text;
}

LogicalResult inferBroadcastBinary(std::optional<Location> location,
                                   ValueRange operands, bool booleanResult,
                                   SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 2);
  if (failed(types))
    return failure();
  RankedTensorType lhs = (*types)[0], rhs = (*types)[1];
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(location,
                             "element types differ: ", describeTypes(*types));
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(*types);
  if (failed(shape))
    return emitOptionalError(
        location, "operand shapes do not broadcast: ", describeTypes(*types));
  Type element = booleanResult ? IntegerType::get(lhs.getContext(), 1)
                               : lhs.getElementType();
  inferred.push_back(RankedTensorType::get(*shape, element));
  return success();
}

bool compatibleTensorTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [a, b] : llvm::zip_equal(inferred, actual)) {
    auto left = dyn_cast<RankedTensorType>(a);
    auto right = dyn_cast<RankedTensorType>(b);
    if (!left || !right || left.getElementType() != right.getElementType() ||
        !keepsStaticExtents(left.getShape(), right.getShape()))
      return false;
  }
  return true;
}

/// Checks the declared result against `inferred`, with a readable message.
LogicalResult verifyDeclaredResult(Operation *op, LogicalResult inference,
                                   ArrayRef<Type> inferred) {
  if (failed(inference))
    return failure();
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  auto expected = cast<RankedTensorType>(inferred.front());
  if (!compatibleTensorTypes(expected, result))
    return op->emitOpError("result type ")
           << result << " is incompatible with the inferred " << expected;
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary operations
//===----------------------------------------------------------------------===//

/// Result type inference for broadcasting binary ops.
template <typename OpTy>
LogicalResult inferBinaryOp(MLIRContext *, std::optional<Location> location,
                            ValueRange operands, OpaqueProperties,
                            SmallVectorImpl<Type> &inferred) {
  return inferBroadcastBinary(
      location, operands,
      OpTy::template hasTrait<mlir::kiln::OpTrait::BooleanResult>(), inferred);
}

} // namespace

/// The InferTypeOpInterface methods and the verifier of an op whose result
/// type `infer<Op>` computes.
#define KILN_DEFINE_INFERRED_OP(Op, infer)                                     \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *context, std::optional<Location> location,                  \
      ValueRange operands, DictionaryAttr, OpaqueProperties properties,        \
      RegionRange, SmallVectorImpl<Type> &inferred) {                          \
    return infer<Op>(context, location, operands, properties, inferred);       \
  }                                                                            \
  bool Op::isCompatibleReturnTypes(TypeRange inferred, TypeRange actual) {     \
    return compatibleTensorTypes(inferred, actual);                            \
  }                                                                            \
  LogicalResult Op::verify() {                                                 \
    SmallVector<Type, 1> inferred;                                             \
    LogicalResult inference =                                                  \
        infer<Op>(getContext(), getLoc(), getOperation()->getOperands(),       \
                  getOperation()->getPropertiesStorage(), inferred);           \
    return verifyDeclaredResult(*this, inference, inferred);                   \
  }

KILN_DEFINE_INFERRED_OP(AddOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(SubOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(MulOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(DivOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(PowOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(MaximumOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(MinimumOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(ModOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(EqOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(NeOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(LtOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(LeOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(GtOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(GeOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(LogicalAndOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(LogicalOrOp, inferBinaryOp)
KILN_DEFINE_INFERRED_OP(LogicalXorOp, inferBinaryOp)

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

namespace {

template <typename OpTy>
LogicalResult inferSelectOp(MLIRContext *, std::optional<Location> location,
                            ValueRange operands, OpaqueProperties,
                            SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 3);
  if (failed(types))
    return failure();
  if ((*types)[1].getElementType() != (*types)[2].getElementType())
    return emitOptionalError(location,
                             "on_true and on_false element types differ: ",
                             describeTypes(ArrayRef(*types).drop_front()));
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(*types);
  if (failed(shape))
    return emitOptionalError(
        location, "operand shapes do not broadcast: ", describeTypes(*types));
  inferred.push_back(
      RankedTensorType::get(*shape, (*types)[1].getElementType()));
  return success();
}

} // namespace

KILN_DEFINE_INFERRED_OP(SelectOp, inferSelectOp)

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto operand = cast<RankedTensorType>(getOperand().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (!keepsStaticExtents(operand.getShape(), result.getShape()))
    return emitOpError("result shape must match the operand's: ")
           << operand << " to " << result;
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {

/// The shape left after reducing `axes` of `shape`, or an error if an axis is
/// out of range or repeated.
FailureOr<SmallVector<int64_t>> reducedShape(std::optional<Location> location,
                                             ArrayRef<int64_t> shape,
                                             ArrayRef<int64_t> axes,
                                             bool keepdims) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes) {
    if (axis < 0 || axis >= rank) {
      (void)emitOptionalError(location, "axis ", axis,
                              " is out of range for rank ", rank);
      return failure();
    }
    if (reduced[axis]) {
      (void)emitOptionalError(location, "axis ", axis, " is repeated");
      return failure();
    }
    reduced[axis] = true;
  }
  SmallVector<int64_t> result;
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (!reduced[dim])
      result.push_back(shape[dim]);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

LogicalResult inferReduction(std::optional<Location> location,
                             ValueRange operands, ArrayRef<int64_t> axes,
                             bool keepdims, Type resultElement,
                             SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 1);
  if (failed(types))
    return failure();
  RankedTensorType operand = (*types)[0];
  FailureOr<SmallVector<int64_t>> shape =
      reducedShape(location, operand.getShape(), axes, keepdims);
  if (failed(shape))
    return failure();
  inferred.push_back(RankedTensorType::get(
      *shape, resultElement ? resultElement : operand.getElementType()));
  return success();
}

/// Result type inference for every reduction op, from its properties.
template <typename OpTy>
LogicalResult inferReductionOp(MLIRContext *context,
                               std::optional<Location> location,
                               ValueRange operands, OpaqueProperties properties,
                               SmallVectorImpl<Type> &inferred) {
  constexpr bool isArgReduction =
      std::is_same_v<OpTy, ArgmaxOp> || std::is_same_v<OpTy, ArgminOp>;
  const auto *props = properties.as<typename OpTy::Properties *>();
  if (!props)
    return emitOptionalError(location, "missing properties");
  const bool keepdims = props->keepdims && props->keepdims.getValue();
  if constexpr (isArgReduction) {
    if (!props->axis)
      return emitOptionalError(location, "missing axis");
    return inferReduction(location, operands, {props->axis.getInt()}, keepdims,
                          IntegerType::get(context, 64), inferred);
  } else {
    if (!props->axes)
      return emitOptionalError(location, "missing axes");
    return inferReduction(location, operands, props->axes.asArrayRef(),
                          keepdims, Type(), inferred);
  }
}

} // namespace

KILN_DEFINE_INFERRED_OP(ReduceSumOp, inferReductionOp)
KILN_DEFINE_INFERRED_OP(ReduceProdOp, inferReductionOp)
KILN_DEFINE_INFERRED_OP(ReduceMeanOp, inferReductionOp)
KILN_DEFINE_INFERRED_OP(ReduceMaxOp, inferReductionOp)
KILN_DEFINE_INFERRED_OP(ReduceMinOp, inferReductionOp)
KILN_DEFINE_INFERRED_OP(ArgmaxOp, inferReductionOp)
KILN_DEFINE_INFERRED_OP(ArgminOp, inferReductionOp)

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

namespace {

template <typename OpTy>
LogicalResult inferMatmulOp(MLIRContext *, std::optional<Location> location,
                            ValueRange operands, OpaqueProperties,
                            SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 2);
  if (failed(types))
    return failure();
  RankedTensorType lhs = (*types)[0], rhs = (*types)[1];
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(
        location, "operands must have rank 2 or more: ", describeTypes(*types));
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(location,
                             "element types differ: ", describeTypes(*types));
  const int64_t lhsK = lhs.getShape().back();
  const int64_t rhsK = rhs.getShape()[rhs.getRank() - 2];
  if (!ShapedType::isDynamic(lhsK) && !ShapedType::isDynamic(rhsK) &&
      lhsK != rhsK)
    return emitOptionalError(location, "contraction extents differ (", lhsK,
                             " vs ", rhsK, "): ", describeTypes(*types));
  // Batch dimensions broadcast; the matrices do not.
  auto batchOf = [](RankedTensorType type) {
    return RankedTensorType::get(type.getShape().drop_back(2),
                                 type.getElementType());
  };
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes({batchOf(lhs), batchOf(rhs)});
  if (failed(shape))
    return emitOptionalError(
        location, "batch dimensions do not broadcast: ", describeTypes(*types));
  shape->push_back(lhs.getShape()[lhs.getRank() - 2]);
  shape->push_back(rhs.getShape().back());
  inferred.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

} // namespace

KILN_DEFINE_INFERRED_OP(MatmulOp, inferMatmulOp)

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

namespace {

/// Marks "no bound" in slice begin/end (Python's None).
constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::min();

/// The `axis` attribute of a concat or take: present and in [0, rank).
FailureOr<int64_t> checkedAxis(std::optional<Location> location,
                               IntegerAttr axis, int64_t rank) {
  if (!axis) {
    (void)emitOptionalError(location, "missing axis");
    return failure();
  }
  const int64_t value = axis.getInt();
  if (value < 0 || value >= rank) {
    (void)emitOptionalError(location, "axis ", value,
                            " is out of range for rank ", rank);
    return failure();
  }
  return value;
}

template <typename OpTy>
LogicalResult inferTransposeOp(MLIRContext *, std::optional<Location> location,
                               ValueRange operands, OpaqueProperties properties,
                               SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 1);
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  if (!props || !props->permutation)
    return emitOptionalError(location, "missing permutation");
  RankedTensorType operand = (*types)[0];
  ArrayRef<int64_t> permutation = props->permutation.asArrayRef();
  if (static_cast<int64_t>(permutation.size()) != operand.getRank())
    return emitOptionalError(location, "permutation has ", permutation.size(),
                             " entries for rank ", operand.getRank());
  SmallVector<bool> seen(operand.getRank(), false);
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= operand.getRank() || seen[dim])
      return emitOptionalError(location,
                               "permutation is not a permutation "
                               "of 0..",
                               operand.getRank() - 1);
    seen[dim] = true;
    shape.push_back(operand.getDimSize(dim));
  }
  inferred.push_back(RankedTensorType::get(shape, operand.getElementType()));
  return success();
}

/// The extent of x[begin:end:step] along a dimension of static `extent`.
int64_t sliceExtent(int64_t extent, int64_t begin, int64_t end, int64_t step) {
  auto clamp = [extent](int64_t index, int64_t unbounded) {
    if (index == kUnbounded)
      return unbounded;
    if (index < 0)
      index += extent;
    return std::min(std::max<int64_t>(index, 0), extent);
  };
  const int64_t first = clamp(begin, 0), last = clamp(end, extent);
  // (last - first - 1) / step + 1, which cannot overflow as
  // (last - first + step - 1) / step did for a step near INT64_MAX.
  return last <= first ? 0 : (last - first - 1) / step + 1;
}

template <typename OpTy>
LogicalResult inferSliceOp(MLIRContext *, std::optional<Location> location,
                           ValueRange operands, OpaqueProperties properties,
                           SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 1);
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  if (!props || !props->begin || !props->end || !props->step)
    return emitOptionalError(location, "missing begin, end or step");
  RankedTensorType operand = (*types)[0];
  ArrayRef<int64_t> begin = props->begin.asArrayRef(),
                    end = props->end.asArrayRef(),
                    step = props->step.asArrayRef();
  const auto rank = static_cast<size_t>(operand.getRank());
  if (begin.size() != rank || end.size() != rank || step.size() != rank)
    return emitOptionalError(location, "begin, end and step need ", rank,
                             " entries each");
  SmallVector<int64_t> shape;
  for (size_t dim = 0; dim < rank; ++dim) {
    if (step[dim] <= 0)
      return emitOptionalError(location, "step must be positive, got ",
                               step[dim], " for dimension ", dim);
    const int64_t extent = operand.getDimSize(dim);
    shape.push_back(ShapedType::isDynamic(extent)
                        ? ShapedType::kDynamic
                        : sliceExtent(extent, begin[dim], end[dim], step[dim]));
  }
  inferred.push_back(RankedTensorType::get(shape, operand.getElementType()));
  return success();
}

template <typename OpTy>
LogicalResult inferConcatOp(MLIRContext *, std::optional<Location> location,
                            ValueRange operands, OpaqueProperties properties,
                            SmallVectorImpl<Type> &inferred) {
  if (operands.empty())
    return emitOptionalError(location, "needs at least one operand");
  auto types = rankedOperandTypes(location, operands, operands.size());
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  RankedTensorType first = (*types)[0];
  FailureOr<int64_t> checked = checkedAxis(
      location, props ? props->axis : IntegerAttr(), first.getRank());
  if (failed(checked))
    return failure();
  const int64_t axis = *checked;
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (RankedTensorType type : *types) {
    if (type.getRank() != first.getRank() ||
        type.getElementType() != first.getElementType())
      return emitOptionalError(location,
                               "operands differ in rank or element "
                               "type: ",
                               describeTypes(*types));
    for (int64_t dim = 0; dim < first.getRank(); ++dim) {
      const int64_t extent = type.getDimSize(dim);
      if (dim == axis) {
        shape[dim] =
            ShapedType::isDynamic(shape[dim]) || ShapedType::isDynamic(extent)
                ? ShapedType::kDynamic
                : shape[dim] + extent;
        continue;
      }
      if (!ShapedType::isDynamic(extent) &&
          !ShapedType::isDynamic(shape[dim]) && extent != shape[dim])
        return emitOptionalError(
            location, "operands differ off the axis: ", describeTypes(*types));
      if (ShapedType::isDynamic(shape[dim]))
        shape[dim] = extent;
    }
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

template <typename OpTy>
LogicalResult inferTakeOp(MLIRContext *, std::optional<Location> location,
                          ValueRange operands, OpaqueProperties properties,
                          SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 2);
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  RankedTensorType operand = (*types)[0], indices = (*types)[1];
  FailureOr<int64_t> checked = checkedAxis(
      location, props ? props->axis : IntegerAttr(), operand.getRank());
  if (failed(checked))
    return failure();
  const int64_t axis = *checked;
  SmallVector<int64_t> shape(operand.getShape().take_front(axis));
  shape.append(indices.getShape().begin(), indices.getShape().end());
  shape.append(operand.getShape().begin() + axis + 1, operand.getShape().end());
  inferred.push_back(RankedTensorType::get(shape, operand.getElementType()));
  return success();
}

template <typename OpTy>
LogicalResult inferPadOp(MLIRContext *, std::optional<Location> location,
                         ValueRange operands, OpaqueProperties properties,
                         SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 1);
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  if (!props || !props->low || !props->high)
    return emitOptionalError(location, "missing low or high");
  RankedTensorType operand = (*types)[0];
  ArrayRef<int64_t> low = props->low.asArrayRef(),
                    high = props->high.asArrayRef();
  if (static_cast<int64_t>(low.size()) != operand.getRank() ||
      static_cast<int64_t>(high.size()) != operand.getRank())
    return emitOptionalError(location, "low and high need ", operand.getRank(),
                             " entries each");
  SmallVector<int64_t> shape;
  for (int64_t dim = 0; dim < operand.getRank(); ++dim) {
    if (low[dim] < 0 || high[dim] < 0)
      return emitOptionalError(location, "pads must be non-negative");
    int64_t pads, padded = ShapedType::kDynamic;
    if (__builtin_add_overflow(low[dim], high[dim], &pads))
      return emitOptionalError(location, "pads of dimension ", dim,
                               " overflow a 64-bit extent");
    const int64_t extent = operand.getDimSize(dim);
    if (!ShapedType::isDynamic(extent) &&
        (__builtin_add_overflow(extent, pads, &padded) ||
         ShapedType::isDynamic(padded)))
      return emitOptionalError(location, "padded dimension ", dim,
                               " overflows a 64-bit extent");
    shape.push_back(padded);
  }
  inferred.push_back(RankedTensorType::get(shape, operand.getElementType()));
  return success();
}

template <typename OpTy>
LogicalResult inferScatterAddOp(MLIRContext *, std::optional<Location> location,
                                ValueRange operands,
                                OpaqueProperties properties,
                                SmallVectorImpl<Type> &inferred) {
  auto types = rankedOperandTypes(location, operands, 3);
  if (failed(types))
    return failure();
  RankedTensorType dest = (*types)[0], updates = (*types)[2];
  if (dest.getElementType() != updates.getElementType())
    return emitOptionalError(location,
                             "dest and updates element types "
                             "differ: ",
                             describeTypes(*types));
  const auto *props = properties.as<typename OpTy::Properties *>();
  FailureOr<int64_t> checked = checkedAxis(
      location, props ? props->axis : IntegerAttr(), dest.getRank());
  if (failed(checked))
    return failure();
  // updates must have take's result shape for (dest, indices).
  RankedTensorType indices = (*types)[1];
  SmallVector<int64_t> expected(dest.getShape().take_front(*checked));
  expected.append(indices.getShape().begin(), indices.getShape().end());
  expected.append(dest.getShape().begin() + *checked + 1,
                  dest.getShape().end());
  if (failed(joinShapes(expected, updates.getShape())))
    return emitOptionalError(
        location, "updates must have shape ",
        describeType(RankedTensorType::get(expected, dest.getElementType())),
        ", got ", describeType(updates));
  inferred.push_back(dest);
  return success();
}

/// Generators and broadcast_to take one index operand per dynamic extent.
LogicalResult verifyDynamicExtents(Operation *op, ValueRange extents) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  if (static_cast<int64_t>(extents.size()) != result.getNumDynamicDims())
    return op->emitOpError("needs one index operand per dynamic result "
                           "extent: ")
           << result.getNumDynamicDims() << ", got " << extents.size();
  return success();
}

} // namespace

KILN_DEFINE_INFERRED_OP(TransposeOp, inferTransposeOp)
KILN_DEFINE_INFERRED_OP(SliceOp, inferSliceOp)
KILN_DEFINE_INFERRED_OP(ConcatOp, inferConcatOp)
KILN_DEFINE_INFERRED_OP(TakeOp, inferTakeOp)
KILN_DEFINE_INFERRED_OP(PadOp, inferPadOp)
KILN_DEFINE_INFERRED_OP(ScatterAddOp, inferScatterAddOp)

LogicalResult ReshapeOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  auto operand = cast<RankedTensorType>(getOperand().getType());
  auto result = cast<RankedTensorType>(getType());
  if (operand.getElementType() != result.getElementType())
    return emitOpError("element types differ: ") << operand << " to " << result;
  if (operand.hasStaticShape() && result.hasStaticShape() &&
      operand.getNumElements() != result.getNumElements())
    return emitOpError("element counts differ: ")
           << operand << " to " << result;
  return success();
}

LogicalResult BroadcastToOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  auto operand = cast<RankedTensorType>(getOperand().getType());
  auto result = cast<RankedTensorType>(getType());
  if (operand.getElementType() != result.getElementType())
    return emitOpError("element types differ: ") << operand << " to " << result;
  const int64_t offset = result.getRank() - operand.getRank();
  if (offset < 0)
    return emitOpError("cannot broadcast ")
           << operand << " to lower rank " << result;
  for (int64_t dim = 0; dim < operand.getRank(); ++dim) {
    const int64_t from = operand.getDimSize(dim),
                  to = result.getDimSize(offset + dim);
    if (from == 1 || ShapedType::isDynamic(from) || ShapedType::isDynamic(to) ||
        from == to)
      continue;
    return emitOpError("cannot broadcast ") << operand << " to " << result;
  }
  return success();
}

LogicalResult IotaOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  auto result = cast<RankedTensorType>(getType());
  // The I64Attr reads back as uint64_t: a negative dimension wraps.
  const auto dimension = static_cast<int64_t>(getDimension());
  if (dimension < 0 || dimension >= result.getRank())
    return emitOpError("dimension ")
           << dimension << " is out of range for rank " << result.getRank();
  return success();
}

LogicalResult RandomUniformOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  if (!(getLow().convertToDouble() < getHigh().convertToDouble()))
    return emitOpError("needs low < high");
  return success();
}

LogicalResult RandomNormalOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  if (!(getStddev().convertToDouble() >= 0))
    return emitOpError("needs stddev >= 0");
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

namespace {

/// The window attributes of a convolution or pooling op, one entry per
/// spatial dimension; pooling has no dilations.
struct SpatialWindow {
  ArrayRef<int64_t> window, strides, low, high;
  std::optional<ArrayRef<int64_t>> dilations;
};

/// Checks that a (N, C, spatial...) operand of `rank` has 1 to 3 spatial
/// dimensions.
LogicalResult checkSpatialRank(std::optional<Location> location, int64_t rank) {
  if (rank < 3 || rank > 5)
    return emitOptionalError(location,
                             "expected 1 to 3 spatial dimensions "
                             "(rank 3 to 5), got rank ",
                             rank);
  return success();
}

/// Checks the attributes' lengths and ranges for `spatialRank` dimensions.
LogicalResult checkSpatialWindow(std::optional<Location> location,
                                 int64_t spatialRank,
                                 const SpatialWindow &attrs) {
  if (failed(checkSpatialRank(location, spatialRank + 2)))
    return failure();
  auto check = [&](ArrayRef<int64_t> values, const char *name,
                   int64_t least) -> LogicalResult {
    if (static_cast<int64_t>(values.size()) != spatialRank)
      return emitOptionalError(location, name, " needs ", spatialRank,
                               " entries, got ", values.size());
    for (int64_t value : values)
      if (!ShapedType::isDynamic(value) && value < least)
        return emitOptionalError(location, name, " entries must be >= ",
                                 least, ", got ", value);
    return success();
  };
  if (failed(check(attrs.window, "window", 1)))
    return failure();
  if (attrs.dilations && failed(check(*attrs.dilations, "dilations", 1)))
    return failure();
  if (failed(check(attrs.strides, "strides", 1)) ||
      failed(check(attrs.low, "padding_low", 0)) ||
      failed(check(attrs.high, "padding_high", 0)))
    return failure();
  return success();
}

/// The extent of a windowed dimension: `(extent + low + high - span) /
/// stride + 1` with span the dilated window; dynamic for a dynamic extent.
FailureOr<int64_t> windowedExtent(std::optional<Location> location,
                                  int64_t extent, int64_t window,
                                  int64_t dilation, int64_t stride,
                                  int64_t low, int64_t high) {
  // The pads' sum first: lowerings add it to dynamic extents as a constant.
  int64_t pads, span, padded;
  if (__builtin_add_overflow(low, high, &pads)) {
    (void)emitOptionalError(location, "window arithmetic overflows");
    return failure();
  }
  if (ShapedType::isDynamic(extent) || ShapedType::isDynamic(window))
    return ShapedType::kDynamic;
  if (__builtin_mul_overflow(dilation, window - 1, &span) ||
      __builtin_add_overflow(span, 1, &span) ||
      __builtin_add_overflow(extent, pads, &padded)) {
    (void)emitOptionalError(location, "window arithmetic overflows");
    return failure();
  }
  if (padded < span) {
    (void)emitOptionalError(location, "window of ", span,
                            " is larger than the padded extent ", padded);
    return failure();
  }
  return (padded - span) / stride + 1;
}

/// Whether two extents can be equal (either dynamic, or the same).
bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks a convolution's three shapes against each other: input (N, C,
/// spatial...), filter (O, C / groups, window...), output (N, O, out...).
/// `output` may hold dynamic extents still to infer (an empty shape: infer
/// all of it, returned in `inferred`).
LogicalResult checkConvolution(std::optional<Location> location,
                               RankedTensorType input, RankedTensorType filter,
                               ArrayRef<int64_t> output, ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                               ArrayRef<int64_t> dilations, int64_t groups,
                               SmallVectorImpl<int64_t> *inferred) {
  if (input.getElementType() != filter.getElementType())
    return emitOptionalError(location, "element types differ: ",
                             describeType(input), " vs ", describeType(filter));
  const int64_t rank = input.getRank();
  if (filter.getRank() != rank || (!output.empty() &&
                                   static_cast<int64_t>(output.size()) != rank))
    return emitOptionalError(
        location, "input, filter and output need the same rank, got ",
        describeType(input), " and ", describeType(filter),
        output.empty()
            ? std::string()
            : " and an output of rank " + std::to_string(output.size()));
  // Before the window is read from the filter's dimensions after the first
  // two.
  if (failed(checkSpatialRank(location, rank)))
    return failure();
  if (failed(checkSpatialWindow(location, rank - 2,
                                {filter.getShape().drop_front(2), strides, low,
                                 high, dilations})))
    return failure();
  if (groups < 1)
    return emitOptionalError(location, "groups must be >= 1, got ", groups);
  const int64_t channels = input.getDimSize(1), perGroup = filter.getDimSize(1),
                filters = filter.getDimSize(0);
  int64_t grouped;
  if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(perGroup) &&
      (__builtin_mul_overflow(perGroup, groups, &grouped) ||
       channels != grouped))
    return emitOptionalError(location, "input has ", channels,
                             " channels but the filter takes ", perGroup,
                             " per group x ", groups, " groups");
  if (!ShapedType::isDynamic(filters) && filters % groups != 0)
    return emitOptionalError(location, "filter count ", filters,
                             " is not divisible by groups ", groups);
  SmallVector<int64_t> shape = {input.getDimSize(0), filters};
  for (int64_t dim = 0; dim < rank - 2; ++dim) {
    FailureOr<int64_t> extent = windowedExtent(
        location, input.getDimSize(dim + 2), filter.getDimSize(dim + 2),
        dilations[dim], strides[dim], low[dim], high[dim]);
    if (failed(extent))
      return failure();
    shape.push_back(*extent);
  }
  if (!output.empty())
    for (int64_t dim = 0; dim < rank; ++dim)
      if (!extentsAgree(shape[dim], output[dim]))
        return emitOptionalError(
            location, "output extent ", output[dim], " of dimension ", dim,
            " does not match the ", shape[dim], " the input and filter give");
  if (inferred)
    inferred->assign(shape.begin(), shape.end());
  return success();
}

template <typename OpTy>
LogicalResult inferConvolutionOp(MLIRContext *, std::optional<Location> location,
                                 ValueRange operands, OpaqueProperties properties,
                                 SmallVectorImpl<Type> &inferred) {
  // input, filter and the optional bias.
  auto types =
      rankedOperandTypes(location, operands, operands.size() == 3 ? 3 : 2);
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  if (!props || !props->strides || !props->padding_low ||
      !props->padding_high || !props->dilations || !props->groups)
    return emitOptionalError(location, "missing convolution attributes");
  if (types->size() == 3) {
    RankedTensorType bias = (*types)[2], filter = (*types)[1];
    if (bias.getElementType() != filter.getElementType() ||
        bias.getRank() != 1 ||
        !extentsAgree(bias.getDimSize(0), filter.getDimSize(0)))
      return emitOptionalError(location, "bias ", describeType(bias),
                               " does not fit filter ", describeType(filter),
                               ": expected one element per filter");
  }
  SmallVector<int64_t> shape;
  if (failed(checkConvolution(
          location, (*types)[0], (*types)[1], {}, props->strides.asArrayRef(),
          props->padding_low.asArrayRef(), props->padding_high.asArrayRef(),
          props->dilations.asArrayRef(), props->groups.getInt(), &shape)))
    return failure();
  inferred.push_back(
      RankedTensorType::get(shape, (*types)[0].getElementType()));
  return success();
}

/// The pooled shape of `input`.
LogicalResult inferPooledShape(std::optional<Location> location,
                               RankedTensorType input, ArrayRef<int64_t> window,
                               ArrayRef<int64_t> strides, ArrayRef<int64_t> low,
                               ArrayRef<int64_t> high,
                               SmallVectorImpl<int64_t> &shape) {
  const int64_t rank = input.getRank();
  if (failed(checkSpatialWindow(location, rank - 2,
                                {window, strides, low, high, std::nullopt})))
    return failure();
  shape.assign({input.getDimSize(0), input.getDimSize(1)});
  for (int64_t dim = 0; dim < rank - 2; ++dim) {
    FailureOr<int64_t> extent =
        windowedExtent(location, input.getDimSize(dim + 2), window[dim], 1,
                       strides[dim], low[dim], high[dim]);
    if (failed(extent))
      return failure();
    shape.push_back(*extent);
  }
  return success();
}

template <typename OpTy>
LogicalResult inferPoolingOp(MLIRContext *, std::optional<Location> location,
                             ValueRange operands, OpaqueProperties properties,
                             SmallVectorImpl<Type> &inferred) {
  const size_t count = std::is_same_v<OpTy, PoolOp> ? 1 : 2;
  auto types = rankedOperandTypes(location, operands, count);
  if (failed(types))
    return failure();
  const auto *props = properties.as<typename OpTy::Properties *>();
  if (!props || !props->window || !props->strides || !props->padding_low ||
      !props->padding_high)
    return emitOptionalError(location, "missing pooling attributes");
  RankedTensorType input = (*types)[0];
  SmallVector<int64_t> shape;
  if (failed(inferPooledShape(location, input, props->window.asArrayRef(),
                              props->strides.asArrayRef(),
                              props->padding_low.asArrayRef(),
                              props->padding_high.asArrayRef(), shape)))
    return failure();
  if (count == 1) {
    inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
    return success();
  }
  // pool_backward: output_grad has the pooled shape; the result is input's.
  RankedTensorType grad = (*types)[1];
  if (grad.getElementType() != input.getElementType() ||
      grad.getRank() != input.getRank())
    return emitOptionalError(location, "output_grad ", describeType(grad),
                             " does not fit input ", describeType(input));
  for (int64_t dim = 0; dim < input.getRank(); ++dim)
    if (!extentsAgree(shape[dim], grad.getDimSize(dim)))
      return emitOptionalError(location, "output_grad extent ",
                               grad.getDimSize(dim), " of dimension ", dim,
                               " does not match the pooled ", shape[dim]);
  inferred.push_back(input);
  return success();
}

} // namespace

KILN_DEFINE_INFERRED_OP(ConvolutionOp, inferConvolutionOp)
KILN_DEFINE_INFERRED_OP(PoolOp, inferPoolingOp)
KILN_DEFINE_INFERRED_OP(PoolBackwardOp, inferPoolingOp)

LogicalResult ConvolutionBackwardDataOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  auto input = cast<RankedTensorType>(getType());
  auto grad = cast<RankedTensorType>(getOutputGrad().getType());
  if (grad.getElementType() != input.getElementType())
    return emitOpError("element types differ: ") << grad << " vs " << input;
  return checkConvolution(getLoc(), input,
                          cast<RankedTensorType>(getFilter().getType()),
                          grad.getShape(), getStrides(), getPaddingLow(),
                          getPaddingHigh(), getDilations(), getGroups(),
                          nullptr);
}

LogicalResult ConvolutionBackwardFilterOp::verify() {
  if (failed(verifyDynamicExtents(*this, getDynamicExtents())))
    return failure();
  auto grad = cast<RankedTensorType>(getOutputGrad().getType());
  auto input = cast<RankedTensorType>(getInput().getType());
  if (grad.getElementType() != input.getElementType())
    return emitOpError("element types differ: ") << grad << " vs " << input;
  return checkConvolution(getLoc(), input, cast<RankedTensorType>(getType()),
                          grad.getShape(), getStrides(), getPaddingLow(),
                          getPaddingHigh(), getDilations(), getGroups(),
                          nullptr);
}

LogicalResult LibraryCallOp::verify() {
  if (getOutputs().empty())
    return emitOpError("needs at least one output");
  const bool onTensors = llvm::all_of(getOutputs().getTypes(), [](Type type) {
    return isa<RankedTensorType>(type);
  });
  const bool onBuffers = llvm::all_of(getOutputs().getTypes(), [](Type type) {
    return isa<MemRefType>(type);
  });
  if (!onTensors && !onBuffers)
    return emitOpError("outputs must be all tensors or all buffers");
  if (onBuffers && getNumResults() != 0)
    return emitOpError("on buffers returns nothing, got ") << getNumResults()
                                                           << " results";
  if (onTensors && getResultTypes() != getOutputs().getTypes())
    return emitOpError("results must have the outputs' types");
  // Bufferization and kiln-library-call-to-func take the inputs in the
  // outputs' form.
  for (Type type : getInputs().getTypes()) {
    if (onTensors && !isa<RankedTensorType>(type))
      return emitOpError("inputs on tensors must be ranked tensors, got ")
             << type;
    if (onBuffers && !isa<MemRefType>(type))
      return emitOpError("inputs on buffers must be buffers, got ") << type;
  }
  return success();
}

void LibraryCallOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  // On tensors, none (its results are its only output); on buffers, what
  // buffer deallocation and other memory passes need to know.
  for (OpOperand &input : getInputsMutable())
    if (isa<MemRefType>(input.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &input,
                           SideEffects::DefaultResource::get());
  for (OpOperand &output : getOutputsMutable())
    if (isa<MemRefType>(output.get().getType()))
      effects.emplace_back(MemoryEffects::Write::get(), &output,
                           SideEffects::DefaultResource::get());
}

#undef KILN_DEFINE_INFERRED_OP

#define GET_OP_CLASSES
#include "dialects/kiln/KilnOps.cpp.inc"
