//===- ElementwiseScalars.cpp - each elementwise primitive on one element -===//
//
// ElementwiseOpInterface::buildScalar of every elementwise primitive: the
// arith/math computation that convert-kiln-to-linalg puts in the body of
// the op's linalg.generic. An op declared in KilnOps.td with the interface
// and no definition here fails to link, so no primitive lacks a lowering.
//
// Semantics follow MXNet where numpy and C differ: integer division and
// remainder by 0 give 0 rather than trapping, the remainder takes the
// divisor's sign (Python's), and NaN gives 0 for sign and relu.
//
//===----------------------------------------------------------------------===//
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

using FP = arith::CmpFPredicate;
using IP = arith::CmpIPredicate;

Value zeroLike(ScalarBuilder &s, Value x) { return s.constant(x.getType(), 0); }

/// Python's modulo: the remainder takes the divisor's sign.
Value adjustRemainder(ScalarBuilder &s, Value remainder, Value divisor,
                      Value remainderNonZero, Value remainderNegative,
                      Value divisorNegative) {
  Value signsDiffer = s.op<arith::XOrIOp>({remainderNegative, divisorNegative});
  Value adjust = s.op<arith::AndIOp>({remainderNonZero, signsDiffer});
  Value adjusted = ScalarBuilder::isFloat(remainder)
                       ? s.op<arith::AddFOp>({remainder, divisor})
                       : s.op<arith::AddIOp>({remainder, divisor});
  return s.select(adjust, adjusted, remainder);
}

/// A divisor that cannot trap: 1 where `y` is 0 or (signed) -1, whose
/// results the caller patches (x / 0 is 0; INT_MIN / -1 traps on x86).
Value safeDivisor(ScalarBuilder &s, Value y, bool isUnsigned, Value &byZero,
                  Value &byMinusOne) {
  Type t = y.getType();
  byZero = s.cmpi(IP::eq, y, s.constant(t, 0));
  Value patched = byZero;
  if (!isUnsigned) {
    byMinusOne = s.cmpi(IP::eq, y, s.constant(t, -1));
    patched = s.op<arith::OrIOp>({byZero, byMinusOne});
  }
  return s.select(patched, s.constant(t, 1), y);
}

/// The predicate for an ordered integer comparison; i1 and uint8 compare
/// as unsigned (for i1: false < true).
IP integerPredicate(IP signedPredicate, Value x, bool isUnsigned) {
  if (!(isUnsigned || x.getType().isInteger(1)))
    return signedPredicate;
  switch (signedPredicate) {
  case IP::slt:
    return IP::ult;
  case IP::sle:
    return IP::ule;
  case IP::sgt:
    return IP::ugt;
  case IP::sge:
    return IP::uge;
  default:
    return signedPredicate;
  }
}

Value compare(ScalarBuilder &s, ValueRange x, FP floatPredicate,
              IP integerSignedPredicate, bool isUnsigned) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.cmpf(floatPredicate, x[0], x[1]);
  return s.cmpi(integerPredicate(integerSignedPredicate, x[0], isUnsigned),
                x[0], x[1]);
}

/// An op defined on floats only (the verifier refuses integer operands).
template <typename MathOp> Value floatOnly(ScalarBuilder &s, ValueRange x) {
  return ScalarBuilder::isFloat(x[0]) ? s.op<MathOp>(x) : Value();
}

} // namespace

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

Value NegOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<arith::NegFOp>(x);
  // Two's complement; uint8 wraps.
  return s.op<arith::SubIOp>({zeroLike(s, x[0]), x[0]});
}

Value AbsOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                         bool isUnsigned) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<math::AbsFOp>(x);
  return isUnsigned ? x[0] : s.op<math::AbsIOp>(x);
}

Value SignOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                          bool isUnsigned) {
  Type t = x[0].getType();
  if (isUnsigned)
    return s.oneIf(s.truth(x[0]), t);
  Value zero = zeroLike(s, x[0]);
  // NaN is neither positive nor negative: 0, as MXNet.
  if (ScalarBuilder::isFloat(x[0])) {
    Value negativeOrZero = s.select(s.cmpf(FP::OLT, x[0], zero),
                                    s.constant(t, -1), zero);
    return s.select(s.cmpf(FP::OGT, x[0], zero), s.constant(t, 1),
                    negativeOrZero);
  }
  Value positive = s.cmpi(IP::sgt, x[0], zero);
  Value negative = s.cmpi(IP::slt, x[0], zero);
  return s.select(positive, s.constant(t, 1),
                  s.select(negative, s.constant(t, -1), zero));
}

Value SquareOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return ScalarBuilder::isFloat(x[0]) ? s.op<arith::MulFOp>({x[0], x[0]})
                                      : s.op<arith::MulIOp>({x[0], x[0]});
}

Value ReluOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                          bool isUnsigned) {
  // x <= 0 ? 0 : x, so that NaN stays NaN as in MXNet's relu (its
  // Activation(act_type='relu') gives 0: frontends/cpp/ops/ActivationOps).
  if (ScalarBuilder::isFloat(x[0]))
    return s.select(s.cmpf(FP::OLE, x[0], zeroLike(s, x[0])), zeroLike(s, x[0]),
                    x[0]);
  return isUnsigned ? x[0] : s.op<arith::MaxSIOp>({x[0], zeroLike(s, x[0])});
}

Value ExpOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::ExpOp>(s, x);
}
Value Expm1Op::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::ExpM1Op>(s, x);
}
Value LogOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::LogOp>(s, x);
}
Value Log1pOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::Log1pOp>(s, x);
}
Value SqrtOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::SqrtOp>(s, x);
}
Value RsqrtOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::RsqrtOp>(s, x);
}
Value TanhOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::TanhOp>(s, x);
}
Value ErfOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::ErfOp>(s, x);
}
Value SinOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::SinOp>(s, x);
}
Value CosOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::CosOp>(s, x);
}
Value AsinOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::AsinOp>(s, x);
}
Value AcosOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::AcosOp>(s, x);
}
Value AtanOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::AtanOp>(s, x);
}
Value FloorOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::FloorOp>(s, x);
}
Value CeilOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return floatOnly<math::CeilOp>(s, x);
}
Value RoundOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  // math.round takes halves away from zero, as MXNet's round.
  return floatOnly<math::RoundOp>(s, x);
}

Value SigmoidOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  if (!ScalarBuilder::isFloat(x[0]))
    return {};
  Type t = x[0].getType();
  Value expNeg = s.op<math::ExpOp>(s.op<arith::NegFOp>(x));
  return s.op<arith::DivFOp>(
      {s.constant(t, 1), s.op<arith::AddFOp>({s.constant(t, 1), expNeg})});
}

Value ReciprocalOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  if (!ScalarBuilder::isFloat(x[0]))
    return {};
  return s.op<arith::DivFOp>({s.constant(x[0].getType(), 1), x[0]});
}

Value LogicalNotOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  Type t = x[0].getType();
  if (t.isInteger(1))
    return s.op<arith::XOrIOp>({x[0], s.constant(t, 1)});
  Value isZero = ScalarBuilder::isFloat(x[0])
                     ? s.cmpf(FP::OEQ, x[0], zeroLike(s, x[0]))
                     : s.cmpi(IP::eq, x[0], zeroLike(s, x[0]));
  return s.oneIf(isZero, t);
}

//===----------------------------------------------------------------------===//
// Binary arithmetic
//===----------------------------------------------------------------------===//

Value AddOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<arith::AddFOp>(x);
  // On i1, add is or.
  return x[0].getType().isInteger(1) ? s.op<arith::OrIOp>(x)
                                     : s.op<arith::AddIOp>(x);
}

Value SubOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return ScalarBuilder::isFloat(x[0]) ? s.op<arith::SubFOp>(x)
                                      : s.op<arith::SubIOp>(x);
}

Value MulOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<arith::MulFOp>(x);
  // On i1, mul is and.
  return x[0].getType().isInteger(1) ? s.op<arith::AndIOp>(x)
                                     : s.op<arith::MulIOp>(x);
}

Value DivOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                         bool isUnsigned) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<arith::DivFOp>(x);
  // Truncating, as C and MXNet; x / 0 is 0; INT_MIN / -1 wraps to INT_MIN.
  Value byZero, byMinusOne;
  Value divisor = safeDivisor(s, x[1], isUnsigned, byZero, byMinusOne);
  Value zero = zeroLike(s, x[0]);
  if (isUnsigned)
    return s.select(byZero, zero, s.op<arith::DivUIOp>({x[0], divisor}));
  Value quotient = s.op<arith::DivSIOp>({x[0], divisor});
  Value negated = s.op<arith::SubIOp>({zero, x[0]});
  return s.select(byZero, zero, s.select(byMinusOne, negated, quotient));
}

Value ModOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                         bool isUnsigned) {
  Value zero = zeroLike(s, x[0]);
  if (ScalarBuilder::isFloat(x[0])) {
    // MXNet: x mod 0 is 0 (numpy would give NaN).
    Value remainder = s.op<arith::RemFOp>(x);
    Value result = adjustRemainder(
        s, remainder, x[1], s.cmpf(FP::UNE, remainder, zero),
        s.cmpf(FP::OLT, remainder, zero), s.cmpf(FP::OLT, x[1], zero));
    return s.select(s.cmpf(FP::OEQ, x[1], zero), zero, result);
  }
  Value byZero, byMinusOne;
  Value divisor = safeDivisor(s, x[1], isUnsigned, byZero, byMinusOne);
  if (isUnsigned)
    return s.select(byZero, zero, s.op<arith::RemUIOp>({x[0], divisor}));
  Value remainder = s.op<arith::RemSIOp>({x[0], divisor});
  Value result = adjustRemainder(s, remainder, x[1],
                                 s.cmpi(IP::ne, remainder, zero),
                                 s.cmpi(IP::slt, remainder, zero),
                                 s.cmpi(IP::slt, x[1], zero));
  return s.select(s.op<arith::OrIOp>({byZero, byMinusOne}), zero, result);
}

Value PowOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                         bool isUnsigned) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<math::PowFOp>(x);
  // MXNet 1.9.1 computes integer powers in float32 (mshadow's math::pow is
  // powf for every integer type) and converts back as x86's cvttss2si
  // does: toward zero, and where the result does not fit (or is NaN: 0 to
  // a negative power is inf) the lowest value of int32, or of int64 for
  // int64 arrays; int8 and uint8 keep the low byte of that int32. So
  // int32 3 ** 19 is 1162261504, 7 ** 11 as uint8 is 128, 2 ** -1 is 0.
  Type t = x[0].getType();
  Type f32 = s.b.getF32Type();
  Value base = s.cast(x[0], f32, isUnsigned);
  Value exponent = s.cast(x[1], f32, isUnsigned);
  Value power = s.b.create<math::PowFOp>(s.loc, base, exponent);
  const bool is64 = t.isInteger(64);
  Type wide = is64 ? t : s.b.getI32Type();
  const double limit = is64 ? 9223372036854775808.0 : 2147483648.0;
  Value fits =
      s.op<arith::AndIOp>({s.cmpf(FP::OGE, power, s.constant(f32, -limit)),
                           s.cmpf(FP::OLT, power, s.constant(f32, limit))});
  // fptosi of a value out of range is poison: convert an in-range one.
  Value inRange = s.select(fits, power, s.constant(f32, 0));
  Value truncated = s.b.create<arith::FPToSIOp>(s.loc, wide, inRange);
  Value lowest = s.b.create<arith::ConstantOp>(
      s.loc, s.b.getIntegerAttr(wide, is64 ? INT64_MIN : INT32_MIN));
  Value result = s.select(fits, truncated, lowest);
  return wide == t ? result : s.b.create<arith::TruncIOp>(s.loc, t, result);
}

Value MaximumOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                             bool isUnsigned) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<arith::MaximumFOp>(x);
  if (x[0].getType().isInteger(1))
    return s.op<arith::OrIOp>(x);
  return isUnsigned ? s.op<arith::MaxUIOp>(x) : s.op<arith::MaxSIOp>(x);
}

Value MinimumOp::buildScalar(ScalarBuilder &s, ValueRange x, Type,
                             bool isUnsigned) {
  if (ScalarBuilder::isFloat(x[0]))
    return s.op<arith::MinimumFOp>(x);
  if (x[0].getType().isInteger(1))
    return s.op<arith::AndIOp>(x);
  return isUnsigned ? s.op<arith::MinUIOp>(x) : s.op<arith::MinSIOp>(x);
}

//===----------------------------------------------------------------------===//
// Comparisons and logical operations (i1 results)
//===----------------------------------------------------------------------===//

Value EqOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool isUnsigned) {
  return compare(s, x, FP::OEQ, IP::eq, isUnsigned);
}
Value NeOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool isUnsigned) {
  // Unordered: NaN != NaN is true.
  return compare(s, x, FP::UNE, IP::ne, isUnsigned);
}
Value LtOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool isUnsigned) {
  return compare(s, x, FP::OLT, IP::slt, isUnsigned);
}
Value LeOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool isUnsigned) {
  return compare(s, x, FP::OLE, IP::sle, isUnsigned);
}
Value GtOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool isUnsigned) {
  return compare(s, x, FP::OGT, IP::sgt, isUnsigned);
}
Value GeOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool isUnsigned) {
  return compare(s, x, FP::OGE, IP::sge, isUnsigned);
}

Value LogicalAndOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return s.op<arith::AndIOp>({s.truth(x[0]), s.truth(x[1])});
}
Value LogicalOrOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return s.op<arith::OrIOp>({s.truth(x[0]), s.truth(x[1])});
}
Value LogicalXorOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return s.op<arith::XOrIOp>({s.truth(x[0]), s.truth(x[1])});
}

//===----------------------------------------------------------------------===//
// Selection and conversion: on stored values, no widening
//===----------------------------------------------------------------------===//

Value SelectOp::buildScalar(ScalarBuilder &s, ValueRange x, Type, bool) {
  return s.select(x[0], x[1], x[2]);
}

Value CastOp::buildScalar(ScalarBuilder &s, ValueRange x, Type resultElement,
                          bool isUnsigned) {
  Value value = s.widen(x[0]);
  return s.cast(value, resultElement, isUnsigned,
                (*this)->hasAttr(kUnsignedResultAttr));
}
