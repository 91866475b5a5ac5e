//===- ScalarBuilder.cpp --------------------------------------------------===//
#include "dialects/kiln/ScalarBuilder.h"

#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir {
namespace kiln {

Value ScalarBuilder::constant(Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(floatType, value));
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value ScalarBuilder::truth(Value x) {
  Type type = x.getType();
  if (type.isInteger(1))
    return x;
  if (isa<FloatType>(type))
    return cmpf(arith::CmpFPredicate::UNE, x, constant(type, 0));
  return cmpi(arith::CmpIPredicate::ne, x, constant(type, 0));
}

Value ScalarBuilder::widen(Value x) {
  return isNarrowFloat(x.getType()) ? cast(x, b.getF32Type()) : x;
}

/// f64 to bf16 or f16, correctly rounded. There is no library routine for
/// either here (GCC 12's libgcc lacks __truncdfbf2 and __truncdfhf2), and
/// going through f32 would round twice. So: round to f32 *to odd* (toward
/// zero, then set the last bit if anything was lost), which makes the second
/// rounding exact (f32 keeps more than two bits beyond either's mantissa).
Value ScalarBuilder::truncF64ToNarrow(Value x, Type to) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value nearest = b.create<arith::TruncFOp>(loc, f32, x);
  Value back = b.create<arith::ExtFOp>(loc, b.getF64Type(), nearest);
  Value bits = b.create<arith::BitcastOp>(loc, i32, nearest);
  Value inexact = cmpf(arith::CmpFPredicate::UNE, back, x);
  Value roundedAway = cmpf(arith::CmpFPredicate::OGT, op<math::AbsFOp>(back),
                           op<math::AbsFOp>(x));
  // One ulp toward zero: the magnitude bits, whatever the sign.
  Value towardZero =
      select(roundedAway, op<arith::SubIOp>({bits, constant(i32, 1)}), bits);
  Value odd = select(inexact, op<arith::OrIOp>({towardZero, constant(i32, 1)}),
                     towardZero);
  Value f32Odd = b.create<arith::BitcastOp>(loc, f32, odd);
  return b.create<arith::TruncFOp>(loc, to, f32Odd);
}

Value ScalarBuilder::cast(Value x, Type to, bool fromUnsigned,
                          bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (isNarrowFloat(to) && !from.isF32() && !from.isInteger(1)) {
    // Through f64 (exact for every narrow float and integer up to 2^53),
    // then one correct rounding.
    Value wide = from.isF64() ? x : cast(x, b.getF64Type(), fromUnsigned);
    return truncF64ToNarrow(wide, to);
  }
  if (from.isInteger(1) && to.isBF16())
    // 0 or 1, exact in f32; LLVM would convert an i1 straight to bf16
    // through __truncsfbf2, which GCC 12's libgcc lacks.
    return cast(cast(x, b.getF32Type(), fromUnsigned), to);
  if (to.isInteger(1))
    return truth(x);
  auto toFloat = dyn_cast<FloatType>(to);
  if (auto fromFloat = dyn_cast<FloatType>(from)) {
    if (toFloat)
      return fromFloat.getWidth() < toFloat.getWidth()
                 ? b.create<arith::ExtFOp>(loc, to, x).getResult()
                 : b.create<arith::TruncFOp>(loc, to, x).getResult();
    if (toUnsigned) {
      // Through i32 and truncation: negative values wrap as numpy's do on
      // x86, where fptoui of a negative would be undefined.
      Value wide = b.create<arith::FPToSIOp>(loc, b.getI32Type(), x);
      return b.create<arith::TruncIOp>(loc, to, wide);
    }
    return b.create<arith::FPToSIOp>(loc, to, x);
  }
  if (toFloat)
    return from.isInteger(1) || fromUnsigned
               ? b.create<arith::UIToFPOp>(loc, to, x).getResult()
               : b.create<arith::SIToFPOp>(loc, to, x).getResult();
  const unsigned fromWidth = from.getIntOrFloatBitWidth();
  const unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth > toWidth)
    return b.create<arith::TruncIOp>(loc, to, x);
  if (fromWidth == toWidth)
    return x; // int8 <-> uint8: the same bits.
  return from.isInteger(1) || fromUnsigned
             ? b.create<arith::ExtUIOp>(loc, to, x).getResult()
             : b.create<arith::ExtSIOp>(loc, to, x).getResult();
}

} // namespace kiln
} // namespace mlir
