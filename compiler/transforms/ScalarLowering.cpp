//===- ScalarLowering.cpp - one element of an elementwise primitive -------===//
#include "compiler/transforms/ScalarLowering.h"

#include "compiler/transforms/Signedness.h"
#include "dialects/kiln/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::kiln;

namespace {

bool isNarrowFloat(Type type) { return type.isF16() || type.isBF16(); }

/// Small helpers over one builder and location.
class Scalars {
public:
  Scalars(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  Value constant(Type type, double value) {
    if (auto floatType = dyn_cast<FloatType>(type))
      return b.create<arith::ConstantOp>(loc, b.getFloatAttr(floatType, value));
    return b.create<arith::ConstantOp>(
        loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
  }
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
  Value truth(Value x) {
    Type type = x.getType();
    if (type.isInteger(1))
      return x;
    if (isa<FloatType>(type))
      return cmpf(arith::CmpFPredicate::UNE, x, constant(type, 0));
    return cmpi(arith::CmpIPredicate::ne, x, constant(type, 0));
  }
  /// `condition ? 1 : 0` in `type`.
  Value oneIf(Value condition, Type type) {
    return select(condition, constant(type, 1), constant(type, 0));
  }

  OpBuilder &b;
  Location loc;
};

Value buildFloatUnary(Scalars &s, Operation *op, Value x) {
  Type t = x.getType();
  auto gt0 = [&] {
    return s.cmpf(arith::CmpFPredicate::OGT, x, s.constant(t, 0));
  };
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) { return s.op<arith::NegFOp>(x); })
      .Case([&](AbsOp) { return s.op<math::AbsFOp>(x); })
      .Case([&](SignOp) {
        Value negative = s.cmpf(arith::CmpFPredicate::OLT, x, s.constant(t, 0));
        return s.select(
            gt0(), s.constant(t, 1),
            s.select(negative, s.constant(t, -1), s.constant(t, 0)));
      })
      .Case([&](SquareOp) {
        return s.op<arith::MulFOp>({x, x});
      })
      .Case([&](ReluOp) { return s.select(gt0(), x, s.constant(t, 0)); })
      .Case([&](ExpOp) { return s.op<math::ExpOp>(x); })
      .Case([&](Expm1Op) { return s.op<math::ExpM1Op>(x); })
      .Case([&](LogOp) { return s.op<math::LogOp>(x); })
      .Case([&](Log1pOp) { return s.op<math::Log1pOp>(x); })
      .Case([&](SqrtOp) { return s.op<math::SqrtOp>(x); })
      .Case([&](RsqrtOp) { return s.op<math::RsqrtOp>(x); })
      .Case([&](TanhOp) { return s.op<math::TanhOp>(x); })
      .Case([&](SigmoidOp) {
        Value expNeg = s.op<math::ExpOp>(s.op<arith::NegFOp>(x));
        return s.op<arith::DivFOp>(
            {s.constant(t, 1),
             s.op<arith::AddFOp>({s.constant(t, 1), expNeg})});
      })
      .Case([&](ErfOp) { return s.op<math::ErfOp>(x); })
      .Case([&](SinOp) { return s.op<math::SinOp>(x); })
      .Case([&](CosOp) { return s.op<math::CosOp>(x); })
      .Case([&](FloorOp) { return s.op<math::FloorOp>(x); })
      .Case([&](CeilOp) { return s.op<math::CeilOp>(x); })
      .Case([&](RoundOp) { return s.op<math::RoundOp>(x); })
      .Case([&](ReciprocalOp) {
        return s.op<arith::DivFOp>({s.constant(t, 1), x});
      })
      .Case([&](LogicalNotOp) {
        return s.oneIf(s.cmpf(arith::CmpFPredicate::OEQ, x, s.constant(t, 0)),
                       t);
      })
      .Default([](Operation *) { return Value(); });
}

Value buildIntegerUnary(Scalars &s, Operation *op, Value x, bool isUnsigned) {
  Type t = x.getType();
  if (isUnsigned) {
    // uint8: |x| = x, relu(x) = x, sign(x) = x != 0; negation wraps.
    if (isa<AbsOp, ReluOp>(op))
      return x;
    if (isa<SignOp>(op))
      return s.oneIf(s.truth(x), t);
  }
  if (t.isInteger(1)) {
    if (isa<LogicalNotOp>(op))
      return s.op<arith::XOrIOp>({x, s.constant(t, 1)});
    return {};
  }
  auto zero = [&] { return s.constant(t, 0); };
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) {
        return s.op<arith::SubIOp>({zero(), x});
      })
      .Case([&](AbsOp) { return s.op<math::AbsIOp>(x); })
      .Case([&](SignOp) {
        Value positive = s.cmpi(arith::CmpIPredicate::sgt, x, zero());
        Value negative = s.cmpi(arith::CmpIPredicate::slt, x, zero());
        return s.select(positive, s.constant(t, 1),
                        s.select(negative, s.constant(t, -1), zero()));
      })
      .Case([&](SquareOp) {
        return s.op<arith::MulIOp>({x, x});
      })
      .Case([&](ReluOp) {
        return s.op<arith::MaxSIOp>({x, zero()});
      })
      .Case([&](LogicalNotOp) {
        return s.oneIf(s.cmpi(arith::CmpIPredicate::eq, x, zero()), t);
      })
      .Default([](Operation *) { return Value(); });
}

/// Python's modulo: the remainder takes the divisor's sign.
Value adjustRemainder(Scalars &s, Value remainder, Value divisor,
                      Value remainderNonZero, Value remainderNegative,
                      Value divisorNegative) {
  Value signsDiffer = s.op<arith::XOrIOp>({remainderNegative, divisorNegative});
  Value adjust = s.op<arith::AndIOp>({remainderNonZero, signsDiffer});
  Value adjusted = isa<FloatType>(remainder.getType())
                       ? s.op<arith::AddFOp>({remainder, divisor})
                       : s.op<arith::AddIOp>({remainder, divisor});
  return s.select(adjust, adjusted, remainder);
}

Value buildFloatBinary(Scalars &s, Operation *op, Value x, Value y) {
  Type t = x.getType();
  using P = arith::CmpFPredicate;
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) {
        return s.op<arith::AddFOp>({x, y});
      })
      .Case([&](SubOp) {
        return s.op<arith::SubFOp>({x, y});
      })
      .Case([&](MulOp) {
        return s.op<arith::MulFOp>({x, y});
      })
      .Case([&](DivOp) {
        return s.op<arith::DivFOp>({x, y});
      })
      .Case([&](PowOp) {
        return s.op<math::PowFOp>({x, y});
      })
      .Case([&](MaximumOp) {
        return s.op<arith::MaximumFOp>({x, y});
      })
      .Case([&](MinimumOp) {
        return s.op<arith::MinimumFOp>({x, y});
      })
      .Case([&](ModOp) {
        // MXNet: x mod 0 is 0 (numpy would give NaN).
        Value zero = s.constant(t, 0);
        Value remainder = s.op<arith::RemFOp>({x, y});
        Value result = adjustRemainder(
            s, remainder, y, s.cmpf(P::UNE, remainder, zero),
            s.cmpf(P::OLT, remainder, zero), s.cmpf(P::OLT, y, zero));
        return s.select(s.cmpf(P::OEQ, y, zero), zero, result);
      })
      .Case([&](EqOp) { return s.cmpf(P::OEQ, x, y); })
      .Case([&](NeOp) { return s.cmpf(P::UNE, x, y); })
      .Case([&](LtOp) { return s.cmpf(P::OLT, x, y); })
      .Case([&](LeOp) { return s.cmpf(P::OLE, x, y); })
      .Case([&](GtOp) { return s.cmpf(P::OGT, x, y); })
      .Case([&](GeOp) { return s.cmpf(P::OGE, x, y); })
      .Default([](Operation *) { return Value(); });
}

/// uint8 division, remainder, power, maximum and minimum.
Value buildUnsignedBinary(Scalars &s, Operation *op, Value x, Value y) {
  Type t = x.getType();
  using P = arith::CmpIPredicate;
  auto zero = [&] { return s.constant(t, 0); };
  auto safe = [&](Value &byZero) {
    byZero = s.cmpi(P::eq, y, zero());
    return s.select(byZero, s.constant(t, 1), y);
  };
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](MaximumOp) {
        return s.op<arith::MaxUIOp>({x, y});
      })
      .Case([&](MinimumOp) {
        return s.op<arith::MinUIOp>({x, y});
      })
      .Case([&](DivOp) {
        Value byZero;
        Value quotient = s.op<arith::DivUIOp>({x, safe(byZero)});
        return s.select(byZero, zero(), quotient);
      })
      .Case([&](ModOp) {
        Value byZero;
        Value remainder = s.op<arith::RemUIOp>({x, safe(byZero)});
        return s.select(byZero, zero(), remainder);
      })
      .Case([&](PowOp) {
        // In i32 so that exponents >= 128 are not read as negative; the
        // product wraps to the same 8 bits.
        Type i32 = s.b.getI32Type();
        Value wideX = s.b.create<arith::ExtUIOp>(s.loc, i32, x);
        Value wideY = s.b.create<arith::ExtUIOp>(s.loc, i32, y);
        Value power = s.b.create<math::IPowIOp>(s.loc, wideX, wideY);
        return s.b.create<arith::TruncIOp>(s.loc, t, power);
      })
      .Default([](Operation *) { return Value(); });
}

Value buildIntegerBinary(Scalars &s, Operation *op, Value x, Value y,
                         bool isUnsigned) {
  Type t = x.getType();
  const bool isBool = t.isInteger(1);
  // i1 and uint8 compare as unsigned (for i1: false < true).
  using P = arith::CmpIPredicate;
  const bool unsignedCompare = isBool || isUnsigned;
  P lt = unsignedCompare ? P::ult : P::slt,
    le = unsignedCompare ? P::ule : P::sle;
  P gt = unsignedCompare ? P::ugt : P::sgt,
    ge = unsignedCompare ? P::uge : P::sge;
  if (isUnsigned && isa<MaximumOp, MinimumOp, DivOp, ModOp, PowOp>(op))
    return buildUnsignedBinary(s, op, x, y);
  // Division and remainder by 0, and INT_MIN / -1, trap on x86: divide by a
  // safe divisor and patch those cases afterwards.
  auto safeDivisor = [&](Value &byZero, Value &byMinusOne) {
    byZero = s.cmpi(P::eq, y, s.constant(t, 0));
    byMinusOne = s.cmpi(P::eq, y, s.constant(t, -1));
    return s.select(s.op<arith::OrIOp>({byZero, byMinusOne}), s.constant(t, 1),
                    y);
  };
  auto common = TypeSwitch<Operation *, Value>(op)
                    .Case([&](EqOp) { return s.cmpi(P::eq, x, y); })
                    .Case([&](NeOp) { return s.cmpi(P::ne, x, y); })
                    .Case([&](LtOp) { return s.cmpi(lt, x, y); })
                    .Case([&](LeOp) { return s.cmpi(le, x, y); })
                    .Case([&](GtOp) { return s.cmpi(gt, x, y); })
                    .Case([&](GeOp) { return s.cmpi(ge, x, y); })
                    .Default([](Operation *) { return Value(); });
  if (common)
    return common;
  if (isBool)
    return TypeSwitch<Operation *, Value>(op)
        .Case([&](AddOp) {
          return s.op<arith::OrIOp>({x, y});
        })
        .Case([&](MulOp) {
          return s.op<arith::AndIOp>({x, y});
        })
        .Case([&](MaximumOp) {
          return s.op<arith::OrIOp>({x, y});
        })
        .Case([&](MinimumOp) {
          return s.op<arith::AndIOp>({x, y});
        })
        .Default([](Operation *) { return Value(); });
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) {
        return s.op<arith::AddIOp>({x, y});
      })
      .Case([&](SubOp) {
        return s.op<arith::SubIOp>({x, y});
      })
      .Case([&](MulOp) {
        return s.op<arith::MulIOp>({x, y});
      })
      .Case([&](MaximumOp) {
        return s.op<arith::MaxSIOp>({x, y});
      })
      .Case([&](MinimumOp) {
        return s.op<arith::MinSIOp>({x, y});
      })
      .Case([&](DivOp) {
        // Truncating, as C and MXNet; x / 0 is 0.
        Value byZero, byMinusOne;
        Value quotient =
            s.op<arith::DivSIOp>({x, safeDivisor(byZero, byMinusOne)});
        Value zero = s.constant(t, 0);
        Value negated = s.op<arith::SubIOp>({zero, x});
        return s.select(byZero, zero, s.select(byMinusOne, negated, quotient));
      })
      .Case([&](ModOp) {
        Value byZero, byMinusOne;
        Value remainder =
            s.op<arith::RemSIOp>({x, safeDivisor(byZero, byMinusOne)});
        Value zero = s.constant(t, 0);
        Value result = adjustRemainder(
            s, remainder, y, s.cmpi(P::ne, remainder, zero),
            s.cmpi(P::slt, remainder, zero), s.cmpi(P::slt, y, zero));
        return s.select(s.op<arith::OrIOp>({byZero, byMinusOne}), zero, result);
      })
      .Case([&](PowOp) {
        // x ^ -n truncates to 0 unless |x| is 1; 0 ^ -n is 0 here rather
        // than a division by zero.
        Value zero = s.constant(t, 0), one = s.constant(t, 1);
        Value negativeExponent = s.cmpi(P::slt, y, zero);
        Value power = s.b.create<math::IPowIOp>(
            s.loc, x, s.select(negativeExponent, zero, y));
        Value oddExponent = s.cmpi(P::ne, s.op<arith::AndIOp>({y, one}), zero);
        Value minusOnePower = s.select(oddExponent, s.constant(t, -1), one);
        Value reciprocal = s.select(
            s.cmpi(P::eq, x, one), one,
            s.select(s.cmpi(P::eq, x, s.constant(t, -1)), minusOnePower, zero));
        return s.select(negativeExponent, reciprocal, power);
      })
      .Default([](Operation *) { return Value(); });
}

Value buildLogical(Scalars &s, Operation *op, Value x, Value y) {
  Value a = s.truth(x), b = s.truth(y);
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](LogicalAndOp) {
        return s.op<arith::AndIOp>({a, b});
      })
      .Case([&](LogicalOrOp) {
        return s.op<arith::OrIOp>({a, b});
      })
      .Case([&](LogicalXorOp) {
        return s.op<arith::XOrIOp>({a, b});
      })
      .Default([](Operation *) { return Value(); });
}

/// f64 to bf16, correctly rounded. There is no library routine for it here
/// (GCC 12's libgcc lacks __truncdfbf2), and going through f32 would round
/// twice. So: round to f32 *to odd* (toward zero, then set the last bit if
/// anything was lost), which makes the second rounding exact.
Value truncF64ToBF16(Scalars &s, Value x) {
  OpBuilder &b = s.b;
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value nearest = b.create<arith::TruncFOp>(s.loc, f32, x);
  Value back = b.create<arith::ExtFOp>(s.loc, b.getF64Type(), nearest);
  Value bits = b.create<arith::BitcastOp>(s.loc, i32, nearest);
  Value inexact = s.cmpf(arith::CmpFPredicate::UNE, back, x);
  Value roundedAway = s.cmpf(arith::CmpFPredicate::OGT,
                             s.op<math::AbsFOp>(back), s.op<math::AbsFOp>(x));
  // One ulp toward zero: the magnitude bits, whatever the sign.
  Value towardZero = s.select(
      roundedAway, s.op<arith::SubIOp>({bits, s.constant(i32, 1)}), bits);
  Value odd =
      s.select(inexact, s.op<arith::OrIOp>({towardZero, s.constant(i32, 1)}),
               towardZero);
  Value f32Odd = b.create<arith::BitcastOp>(s.loc, f32, odd);
  return b.create<arith::TruncFOp>(s.loc, b.getBF16Type(), f32Odd);
}

/// numpy's astype between any two element types; `fromUnsigned` and
/// `toUnsigned` say which integers are uint8.
Value buildCast(Scalars &s, Value x, Type to, bool fromUnsigned = false,
                bool toUnsigned = false) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isBF16() && !from.isF32() && !from.isInteger(1)) {
    // Through f64 (exact for every f16 and integer up to 2^53), then one
    // correct rounding.
    Value wide =
        from.isF64() ? x : buildCast(s, x, s.b.getF64Type(), fromUnsigned);
    return truncF64ToBF16(s, wide);
  }
  if (to.isInteger(1))
    return s.truth(x);
  auto toFloat = dyn_cast<FloatType>(to);
  if (auto fromFloat = dyn_cast<FloatType>(from)) {
    if (toFloat)
      return fromFloat.getWidth() < toFloat.getWidth()
                 ? s.b.create<arith::ExtFOp>(s.loc, to, x).getResult()
                 : s.b.create<arith::TruncFOp>(s.loc, to, x).getResult();
    if (toUnsigned) {
      // Through i32 and truncation: negative values wrap as numpy's do on
      // x86, where fptoui of a negative would be undefined.
      Value wide = s.b.create<arith::FPToSIOp>(s.loc, s.b.getI32Type(), x);
      return s.b.create<arith::TruncIOp>(s.loc, to, wide);
    }
    return s.b.create<arith::FPToSIOp>(s.loc, to, x);
  }
  if (toFloat)
    return from.isInteger(1) || fromUnsigned
               ? s.b.create<arith::UIToFPOp>(s.loc, to, x).getResult()
               : s.b.create<arith::SIToFPOp>(s.loc, to, x).getResult();
  const unsigned fromWidth = from.getIntOrFloatBitWidth();
  const unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth > toWidth)
    return s.b.create<arith::TruncIOp>(s.loc, to, x);
  if (fromWidth == toWidth)
    return x; // int8 <-> uint8: the same bits.
  return from.isInteger(1) || fromUnsigned
             ? s.b.create<arith::ExtUIOp>(s.loc, to, x).getResult()
             : s.b.create<arith::ExtSIOp>(s.loc, to, x).getResult();
}

} // namespace

bool mlir::kiln::isElementwisePrimitive(Operation *op) {
  return isa<NegOp, AbsOp, SignOp, SquareOp, ReluOp, ExpOp, Expm1Op, LogOp,
             Log1pOp, SqrtOp, RsqrtOp, TanhOp, SigmoidOp, ErfOp, SinOp, CosOp,
             FloorOp, CeilOp, RoundOp, ReciprocalOp, LogicalNotOp, AddOp, SubOp,
             MulOp, DivOp, PowOp, MaximumOp, MinimumOp, ModOp, EqOp, NeOp, LtOp,
             LeOp, GtOp, GeOp, LogicalAndOp, LogicalOrOp, LogicalXorOp,
             SelectOp, CastOp>(op);
}

Value mlir::kiln::buildElementwiseScalar(OpBuilder &builder, Location loc,
                                         Operation *op, ValueRange scalars,
                                         Type resultElement) {
  Scalars s(builder, loc);
  if (isa<SelectOp>(op))
    return s.select(scalars[0], scalars[1], scalars[2]);
  const bool isUnsigned = op->hasAttr(kUnsignedAttr);

  // f16 and bf16 compute in f32 and round once at the end.
  Type f32 = builder.getF32Type();
  auto widen = [&](Value x) -> Value {
    return isNarrowFloat(x.getType()) ? buildCast(s, x, f32) : x;
  };
  auto narrow = [&](Value x) -> Value {
    if (!x || x.getType() == resultElement)
      return x;
    return buildCast(s, x, resultElement);
  };
  if (isa<CastOp>(op)) {
    Value x = widen(scalars[0]);
    return x.getType() == resultElement
               ? x
               : buildCast(s, x, resultElement, isUnsigned,
                           op->hasAttr(kUnsignedResultAttr));
  }

  if (scalars.size() == 1) {
    Value x = widen(scalars[0]);
    return narrow(isa<FloatType>(x.getType())
                      ? buildFloatUnary(s, op, x)
                      : buildIntegerUnary(s, op, x, isUnsigned));
  }
  Value x = widen(scalars[0]), y = widen(scalars[1]);
  if (isa<LogicalAndOp, LogicalOrOp, LogicalXorOp>(op))
    return buildLogical(s, op, x, y);
  return narrow(isa<FloatType>(x.getType())
                    ? buildFloatBinary(s, op, x, y)
                    : buildIntegerBinary(s, op, x, y, isUnsigned));
}
