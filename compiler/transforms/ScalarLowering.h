//===- ScalarLowering.h - one element of an elementwise primitive -*- C++
//-*-===//
//
// The scalar arith/math computation of each elementwise kiln primitive, used
// as the body of the linalg.generic it lowers to (and, later, of fused
// kernels). Kept apart from the pattern that builds the loops so that fusion
// can reuse it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_TRANSFORMS_SCALARLOWERING_H
#define KILN_COMPILER_TRANSFORMS_SCALARLOWERING_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace mlir {
namespace kiln {

/// Whether `op` is an elementwise primitive buildElementwiseScalar knows.
bool isElementwisePrimitive(Operation *op);

/// Builds `op`'s computation on one element of each operand (`scalars`, in
/// operand order) and returns the result element of type `resultElement`.
/// Returns null when the element type has no lowering for this primitive.
Value buildElementwiseScalar(OpBuilder &builder, Location loc, Operation *op,
                             ValueRange scalars, Type resultElement);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_TRANSFORMS_SCALARLOWERING_H
