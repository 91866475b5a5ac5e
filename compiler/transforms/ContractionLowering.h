//===- ContractionLowering.h - kiln.matmul to linalg ------------*- C++ -*-===//
#ifndef KILN_COMPILER_TRANSFORMS_CONTRACTIONLOWERING_H
#define KILN_COMPILER_TRANSFORMS_CONTRACTIONLOWERING_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace kiln {

/// Marks the linalg.generic a kiln.matmul lowers to, so that after
/// bufferization kiln-matmul-to-dnnl can hand f32 ones to oneDNN.
inline constexpr const char kMatmulMarker[] = "kiln.matmul";

/// Patterns lowering kiln.matmul to linalg on tensors.
void populateContractionToLinalgPatterns(RewritePatternSet &patterns);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_TRANSFORMS_CONTRACTIONLOWERING_H
