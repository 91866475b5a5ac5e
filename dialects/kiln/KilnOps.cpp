//===- KilnOps.cpp - kiln primitive operations ----------------------------===//
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

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

LogicalResult inferElementwiseBinary(std::optional<Location> location,
                                     ValueRange operands,
                                     SmallVectorImpl<Type> &inferred) {
  if (operands.size() != 2)
    return emitOptionalError(location, "expected 2 operands, got ",
                             operands.size());
  auto lhs = dyn_cast<RankedTensorType>(operands[0].getType());
  auto rhs = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!lhs || !rhs)
    return emitOptionalError(location, "operands must be ranked tensors");
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(location, "element types differ: ",
                             describeType(lhs), " vs ", describeType(rhs));
  FailureOr<SmallVector<int64_t>> shape =
      joinShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return emitOptionalError(location, "operand shapes differ: ",
                             describeType(lhs), " vs ", describeType(rhs));
  inferred.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

LogicalResult verifyElementwiseBinary(Operation *op) {
  SmallVector<Type, 1> inferred;
  if (failed(inferElementwiseBinary(op->getLoc(), op->getOperands(),
                                    inferred)))
    return failure();
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  auto expected = cast<RankedTensorType>(inferred.front());
  if (failed(joinShapes(result.getShape(), expected.getShape())))
    return op->emitOpError("result type ")
           << result << " is incompatible with the inferred " << expected;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// AddOp
//===----------------------------------------------------------------------===//

LogicalResult AddOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                      ValueRange operands, DictionaryAttr,
                                      OpaqueProperties, RegionRange,
                                      SmallVectorImpl<Type> &inferred) {
  return inferElementwiseBinary(location, operands, inferred);
}

bool AddOp::isCompatibleReturnTypes(TypeRange inferred, TypeRange actual) {
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

LogicalResult AddOp::verify() { return verifyElementwiseBinary(*this); }

#define GET_OP_CLASSES
#include "dialects/kiln/KilnOps.cpp.inc"
