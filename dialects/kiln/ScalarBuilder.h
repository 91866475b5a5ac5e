//===- ScalarBuilder.h - arith/math on one element --------------*- C++ -*-===//
//
// What kiln's elementwise primitives build their per-element computation
// with (ElementwiseOpInterface::buildScalar): constants, comparisons,
// selects and numpy's conversions between element types, over one builder
// and location.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_KILN_SCALARBUILDER_H
#define KILN_DIALECTS_KILN_SCALARBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace kiln {

class ScalarBuilder {
public:
  ScalarBuilder(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  /// `value` as a constant of the float or integer `type`.
  Value constant(Type type, double value);
  Value cmpf(arith::CmpFPredicate predicate, Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, predicate, x, y);
  }
  Value cmpi(arith::CmpIPredicate predicate, Value x, Value y) {
    return b.create<arith::CmpIOp>(loc, predicate, x, y);
  }
  Value select(Value condition, Value onTrue, Value onFalse) {
    return b.create<arith::SelectOp>(loc, condition, onTrue, onFalse);
  }
  template <typename OpTy> Value op(ValueRange operands) {
    return b.create<OpTy>(loc, operands).getResult();
  }
  /// x != 0 as i1.
  Value truth(Value x);
  /// `condition ? 1 : 0` in `type`.
  Value oneIf(Value condition, Type type) {
    return select(condition, constant(type, 1), constant(type, 0));
  }
  static bool isFloat(Value x) { return isa<FloatType>(x.getType()); }
  static bool isNarrowFloat(Type type) { return type.isF16() || type.isBF16(); }
  /// f16 and bf16 widened to f32 (where kiln computes them); others as
  /// they are.
  Value widen(Value x);
  /// numpy's astype between any two element types; `fromUnsigned` and
  /// `toUnsigned` say which integers are uint8.
  Value cast(Value x, Type to, bool fromUnsigned = false,
             bool toUnsigned = false);

  OpBuilder &b;
  Location loc;

private:
  Value truncF64ToNarrow(Value x, Type to);
};

} // namespace kiln
} // namespace mlir

#endif // KILN_DIALECTS_KILN_SCALARBUILDER_H
