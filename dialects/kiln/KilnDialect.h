//===- KilnDialect.h - the kiln dialect -------------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_KILN_KILNDIALECT_H
#define KILN_DIALECTS_KILN_KILNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/kiln/KilnOpsDialect.h.inc"

namespace mlir {
namespace kiln {

// Discardable attributes the lowering puts on kiln ops working on uint8
// values (compiler/transforms/Signedness.h), read by the scalar lowerings.

/// On a kiln op whose operands (for a cast: whose source) are unsigned.
inline constexpr const char kUnsignedAttr[] = "kiln.unsigned";
/// On a kiln.cast whose result is unsigned.
inline constexpr const char kUnsignedResultAttr[] = "kiln.unsigned_result";

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECTS_KILN_KILNDIALECT_H
