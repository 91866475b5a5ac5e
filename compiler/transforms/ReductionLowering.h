//===- ReductionLowering.h - kiln reductions to linalg ----------*- C++ -*-===//
#ifndef KILN_COMPILER_TRANSFORMS_REDUCTIONLOWERING_H
#define KILN_COMPILER_TRANSFORMS_REDUCTIONLOWERING_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace kiln {

/// Patterns lowering reduce_{sum,prod,mean,max,min} and argmax/argmin to
/// linalg on tensors, for convert-kiln-to-linalg.
void populateReductionToLinalgPatterns(RewritePatternSet &patterns);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_TRANSFORMS_REDUCTIONLOWERING_H
