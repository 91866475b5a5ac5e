//===- DataMovementLowering.h - shape ops and generators --------*- C++ -*-===//
#ifndef KILN_COMPILER_TRANSFORMS_DATAMOVEMENTLOWERING_H
#define KILN_COMPILER_TRANSFORMS_DATAMOVEMENTLOWERING_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace kiln {

/// Patterns lowering transpose, broadcast_to, iota, slice, concat, take and
/// the random generators to linalg and tensor ops.
void populateDataMovementToLinalgPatterns(RewritePatternSet &patterns);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_TRANSFORMS_DATAMOVEMENTLOWERING_H
