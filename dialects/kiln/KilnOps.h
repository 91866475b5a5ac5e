//===- KilnOps.h - kiln primitive operations --------------------*- C++ -*-===//
#ifndef KILN_DIALECTS_KILN_KILNOPS_H
#define KILN_DIALECTS_KILN_KILNOPS_H

#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnTraits.h"
#include "dialects/kiln/ScalarBuilder.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/kiln/KilnEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/kiln/KilnAttributes.h.inc"
#include "dialects/kiln/KilnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/kiln/KilnOps.h.inc"

namespace mlir {
class OpBuilder;
namespace kiln {

/// Zeros of `like`'s type (ranked, of a float or integer element type): a
/// kiln.constant broadcast to it, its dynamic extents read from `like`. The
/// gradient of what no gradient reaches; defined with the gradient rules
/// (KilnGradients.cpp).
Value buildZerosLike(OpBuilder &builder, Location loc, Value like);

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECTS_KILN_KILNOPS_H
