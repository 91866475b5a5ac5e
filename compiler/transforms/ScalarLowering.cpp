//===- ScalarLowering.cpp - one element of an elementwise primitive -------===//
//
// The per-op formulas live with the ops (ElementwiseOpInterface, in
// dialects/kiln/ElementwiseScalars.cpp); this adds what every op shares:
// f16 and bf16 compute in f32 and round once at the end, and uint8 ops
// (marked by stripUnsignedTypes) pick unsigned arithmetic.
//
//===----------------------------------------------------------------------===//
#include "compiler/transforms/ScalarLowering.h"

#include "compiler/transforms/Signedness.h"
#include "dialects/kiln/KilnOps.h"

using namespace mlir;
using namespace mlir::kiln;

bool mlir::kiln::isElementwisePrimitive(Operation *op) {
  return isa<ElementwiseOpInterface>(op);
}

Value mlir::kiln::buildElementwiseScalar(OpBuilder &builder, Location loc,
                                         Operation *op, ValueRange scalars,
                                         Type resultElement) {
  auto elementwise = cast<ElementwiseOpInterface>(op);
  ScalarBuilder s(builder, loc);
  const bool isUnsigned = op->hasAttr(kUnsignedAttr);
  // select and cast work on the stored values.
  if (isa<SelectOp, CastOp>(op))
    return elementwise.buildScalar(s, scalars, resultElement, isUnsigned);
  SmallVector<Value, 3> widened;
  for (Value scalar : scalars)
    widened.push_back(s.widen(scalar));
  Value result =
      elementwise.buildScalar(s, widened, resultElement, isUnsigned);
  if (!result || result.getType() == resultElement)
    return result;
  return s.cast(result, resultElement);
}
