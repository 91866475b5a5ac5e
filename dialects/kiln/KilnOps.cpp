//===- KilnOps.cpp - kiln primitive operations ----------------------------===//
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <algorithm>

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
        failed(joinShapes(left.getShape(), right.getShape())))
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

} // namespace

//===----------------------------------------------------------------------===//
// Broadcasting binary operations
//===----------------------------------------------------------------------===//

#define KILN_DEFINE_BROADCAST_BINARY(Op)                                       \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> location, ValueRange operands,    \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferBroadcastBinary(location, operands, Op::kBooleanResult,        \
                                inferred);                                     \
  }                                                                            \
  bool Op::isCompatibleReturnTypes(TypeRange inferred, TypeRange actual) {     \
    return compatibleTensorTypes(inferred, actual);                            \
  }                                                                            \
  LogicalResult Op::verify() {                                                 \
    SmallVector<Type, 1> inferred;                                             \
    LogicalResult inference = inferBroadcastBinary(                            \
        getLoc(), getOperation()->getOperands(), kBooleanResult, inferred);    \
    return verifyDeclaredResult(*this, inference, inferred);                   \
  }

KILN_DEFINE_BROADCAST_BINARY(AddOp)
KILN_DEFINE_BROADCAST_BINARY(SubOp)
KILN_DEFINE_BROADCAST_BINARY(MulOp)
KILN_DEFINE_BROADCAST_BINARY(DivOp)
KILN_DEFINE_BROADCAST_BINARY(PowOp)
KILN_DEFINE_BROADCAST_BINARY(MaximumOp)
KILN_DEFINE_BROADCAST_BINARY(MinimumOp)
KILN_DEFINE_BROADCAST_BINARY(ModOp)
KILN_DEFINE_BROADCAST_BINARY(EqOp)
KILN_DEFINE_BROADCAST_BINARY(NeOp)
KILN_DEFINE_BROADCAST_BINARY(LtOp)
KILN_DEFINE_BROADCAST_BINARY(LeOp)
KILN_DEFINE_BROADCAST_BINARY(GtOp)
KILN_DEFINE_BROADCAST_BINARY(GeOp)
KILN_DEFINE_BROADCAST_BINARY(LogicalAndOp)
KILN_DEFINE_BROADCAST_BINARY(LogicalOrOp)
KILN_DEFINE_BROADCAST_BINARY(LogicalXorOp)

#undef KILN_DEFINE_BROADCAST_BINARY

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

namespace {

LogicalResult inferSelect(std::optional<Location> location, ValueRange operands,
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

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &inferred) {
  return inferSelect(location, operands, inferred);
}

bool SelectOp::isCompatibleReturnTypes(TypeRange inferred, TypeRange actual) {
  return compatibleTensorTypes(inferred, actual);
}

LogicalResult SelectOp::verify() {
  SmallVector<Type, 1> inferred;
  LogicalResult inference =
      inferSelect(getLoc(), getOperation()->getOperands(), inferred);
  return verifyDeclaredResult(*this, inference, inferred);
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto operand = cast<RankedTensorType>(getOperand().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (failed(joinShapes(operand.getShape(), result.getShape())))
    return emitOpError("result shape must match the operand's: ")
           << operand << " to " << result;
  return success();
}

#define GET_OP_CLASSES
#include "dialects/kiln/KilnOps.cpp.inc"
