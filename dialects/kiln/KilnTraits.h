//===- KilnTraits.h - marker traits of kiln primitives ----------*- C++ -*-===//
//
// Traits that say something about a primitive without code of their own;
// declared in KilnInterfaces.td, asked for with op->hasTrait<...>() or
// RegisteredOperationName::hasTrait<...>().
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_KILN_KILNTRAITS_H
#define KILN_DIALECTS_KILN_KILNTRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace mlir {
namespace kiln {
namespace OpTrait {

/// The result is constant to autograd (comparisons, rounding, random).
template <typename ConcreteType>
class NoGradient : public ::mlir::OpTrait::TraitBase<ConcreteType, NoGradient> {
};

/// Operands must be floating point.
template <typename ConcreteType>
class FloatOperands
    : public ::mlir::OpTrait::TraitBase<ConcreteType, FloatOperands> {};

/// The result element type is i1.
template <typename ConcreteType>
class BooleanResult
    : public ::mlir::OpTrait::TraitBase<ConcreteType, BooleanResult> {};

/// Not a primitive: created by lowerings only (kiln.library_call).
template <typename ConcreteType>
class LoweringStage
    : public ::mlir::OpTrait::TraitBase<ConcreteType, LoweringStage> {};

} // namespace OpTrait
} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECTS_KILN_KILNTRAITS_H
