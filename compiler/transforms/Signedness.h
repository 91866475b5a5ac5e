//===- Signedness.h - uint8 in a signless lowering --------------*- C++ -*-===//
//
// arith and linalg want signless integers, but kiln tensors may hold uint8
// (MLIR's ui8). Before lowering, every kiln op working on unsigned values is
// marked, and every type in the module becomes signless; the scalar and
// reduction lowerings then pick unsigned division, comparison, extension and
// conversion for the marked ops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_TRANSFORMS_SIGNEDNESS_H
#define KILN_COMPILER_TRANSFORMS_SIGNEDNESS_H

#include "dialects/kiln/KilnDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace kiln {

// The marks are kUnsignedAttr and kUnsignedResultAttr (KilnDialect.h).

/// Marks kiln ops on unsigned values, then makes every type signless.
void stripUnsignedTypes(ModuleOp module);

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_TRANSFORMS_SIGNEDNESS_H
