//===- MathOps.cpp - MXNet's math beyond the primitives -------------------===//
//
// MXNet 1.9.1's elementwise math that the kiln dialect has no primitive for
// (sinh ... erfinv, hypot, softsign, hard_sigmoid, smooth_l1, softmin), and
// the small utility operators around them (identity, stop_gradient, add_n,
// nansum/nanprod, moments, cumsum, all_finite, amp_cast, amp_multicast,
// reset_arrays). Each is a decomposition into existing primitives, so
// autograd differentiates it through the primitives' rules; only
// stop_gradient has a rule of its own (ops/Gradients.cpp).
//
// Precision: the transcendental ones compute float16/bfloat16/float32 (and
// integer) arrays in float64 and round once at the end, so their float32
// results are as good as the C library's; integers are cast back,
// truncating, as MXNet does. log2, log10 and cbrt give exact results at exact
// powers and cubes (log2(8) is 3, also for int32), which a float64 formula
// alone misses by an ulp.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Elementwise.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln {
namespace ops {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// y corrected to the whole number r = round(y) where `exact(r)` (a bool
/// array) says r is the exact answer; computed unrecorded, so the gradient
/// is y's. Infinite or NaN y are left alone.
template <typename Exact>
NDArray snapToWhole(const Ew &e, const NDArray &y, Exact exact) {
  NDArray correction;
  {
    autograd::RecordingScope unrecorded(false);
    NDArray r = e("round", {y});
    NDArray delta = e.sub(r, y);
    NDArray close = e.test("lt", e("abs", {delta}), e.c(0.5));
    correction = e.select(e.both(close, exact(r)), delta, e.c(0));
  }
  return e.add(y, correction);
}

/// sin(pi x), exactly 0 at integers: sin(pi (x - n)) with n = round(x),
/// negated for odd n.
NDArray sinPi(const Ew &e, const NDArray &x) {
  NDArray n = e("round", {x});
  NDArray half = e("floor", {e.mul(n, e.c(0.5))});
  NDArray odd = e.sub(n, e.mul(half, e.c(2)));      // 0 or 1
  NDArray sign = e.sub(e.c(1), e.mul(odd, e.c(2))); // 1 or -1
  return e.mul(sign, e("sin", {e.mul(e.sub(x, n), e.c(kPi))}));
}

// Lanczos' approximation (g = 7, 9 terms; about 15 significant digits) of
// Gamma(z) = sqrt(2 pi) t^(z - 1/2) e^-t A(z) for z >= 1/2, with
// t = z + 6.5 and A(z) = p0 + sum_k pk / (z - 1 + k).
constexpr double kLanczosG = 7;
const double kLanczos[] = {
    0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
    771.32342877765313,   -176.61502916214059,   12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

/// A(z) of Lanczos' approximation, as one broadcast over the 8 terms.
NDArray lanczosSum(const Ew &e, const NDArray &z) {
  const Shape shape = z.shape();
  NDArray column = dispatch::reshape(z, {z.size(), 1});
  double offsets[8], coefficients[8];
  for (int k = 0; k < 8; ++k) {
    offsets[k] = k; // z - 1 + (k + 1)
    coefficients[k] = kLanczos[k + 1];
  }
  NDArray offset = NDArray::fromData(offsets, {8}, DType::Float64);
  NDArray coefficient = NDArray::fromData(coefficients, {8}, DType::Float64);
  NDArray terms = e.div(coefficient, e.add(column, offset));
  NDArray sum = dispatch::reduction("reduce_sum", terms, {1}, false, e.dtype());
  return dispatch::reshape(e.add(sum, e.c(kLanczos[0])), shape);
}

/// Where a reflection formula applies (x < 1/2), the argument it needs
/// (1 - x), else x: Lanczos then always runs at z >= 1/2.
struct Reflected {
  NDArray reflect, z, xr;
};
Reflected reflect(const Ew &e, const NDArray &x) {
  NDArray reflect = e.test("lt", x, e.c(0.5));
  // The reflection's own input stays off the integers >= 1 where it is not
  // used, so its unused gradient is finite (0, not 0 * inf).
  return {reflect, e.select(reflect, e.sub(e.c(1), x), x),
          e.select(reflect, x, e.c(0.25))};
}

NDArray gammaFn(const Ew &e, const NDArray &x) {
  Reflected r = reflect(e, x);
  NDArray t = e.add(r.z, e.c(kLanczosG - 0.5));
  // t^(z - 1/2) as two halves around e^-t, so that it overflows only when
  // Gamma does (z ~ 171.6).
  NDArray half = e("pow", {t, e.mul(e.sub(r.z, e.c(0.5)), e.c(0.5))});
  NDArray lanczos = e.mul(e.mul(e.mul(half, e("exp", {e.neg(t)})), half),
                          e.mul(lanczosSum(e, r.z), e.c(std::sqrt(2 * kPi))));
  NDArray reflected = e.div(
      e.c(kPi), e.mul(sinPi(e, r.xr), lanczos)); // pi / (sin(pi x) G(1-x))
  NDArray result = e.select(r.reflect, reflected, lanczos);
  // (n - 1)! exactly at the positive integers n while it is below 2^52 (the
  // approximation is off by an ulp or so): integer arrays truncate it.
  result = snapToWhole(e, result, [&](const NDArray &) {
    return e.both(e.test("gt", x, e.c(0)), e.test("eq", x, e("floor", {x})));
  });
  // As tgamma: NaN at the negative integers and -inf, +inf at +inf.
  NDArray negativeWhole =
      e.both(e.test("lt", x, e.c(0)), e.test("eq", x, e("floor", {x})));
  result = e.select(negativeWhole, e.c(kNaN), result);
  return e.select(e.test("eq", x, e.c(kInf)), e.c(kInf), result);
}

NDArray gammalnFn(const Ew &e, const NDArray &x) {
  Reflected r = reflect(e, x);
  NDArray t = e.add(r.z, e.c(kLanczosG - 0.5));
  // ln Gamma(z) = ln sqrt(2 pi) + (z - 1/2) ln t - t + ln A(z).
  NDArray lanczos = e.add(
      e.sub(e.mul(e.sub(r.z, e.c(0.5)), e("log", {t})), t),
      e.add(e("log", {lanczosSum(e, r.z)}), e.c(0.5 * std::log(2 * kPi))));
  // ln pi - ln |sin(pi x)| - ln Gamma(1 - x): +inf at 0 and the negative
  // integers, as lgamma.
  NDArray reflected =
      e.sub(e.sub(e.c(std::log(kPi)), e("log", {e("abs", {sinPi(e, r.xr)})})),
            lanczos);
  NDArray result = e.select(r.reflect, reflected, lanczos);
  // Exactly 0 at its zeros 1 and 2 (the approximation leaves ~1e-15), and
  // +inf at +-inf, as lgamma.
  NDArray zero;
  {
    autograd::RecordingScope unrecorded(false);
    zero = e.both(e.both(e.test("ge", x, e.c(1)), e.test("le", x, e.c(2))),
                  e.test("eq", x, e("floor", {x})));
    // Subtracted unrecorded: the gradient there stays the formula's.
    zero = e.select(zero, result, e.c(0));
  }
  result = e.sub(result, zero);
  NDArray infinite = e.test("eq", e("abs", {x}), e.c(kInf));
  return e.select(infinite, e.c(kInf), result);
}

NDArray erfinvFn(const Ew &e, const NDArray &x) {
  // M. Giles, "Approximating the erfinv function" (GPU Computing Gems,
  // 2011): its single-precision polynomials in w = -ln(1 - x^2), about 1e-7
  // relative, then one Halley step on erf(y) = x in float64, which brings
  // it to float64's accuracy (cubic convergence) except within ~1e-10 of
  // |x| = 1, where 1 - x itself has lost those digits.
  NDArray w = e.neg(e("log", {e.mul(e.sub(e.c(1), x), e.add(e.c(1), x))}));
  // Each branch sees its input clamped to its own range, so the branch not
  // taken has a finite (zero) gradient.
  NDArray central = e.horner(e.sub(e("minimum", {w, e.c(5)}), e.c(2.5)),
                             {2.81022636e-08, 3.43273939e-07, -3.5233877e-06,
                              -4.39150654e-06, 0.00021858087, -0.00125372503,
                              -0.00417768164, 0.246640727, 1.50140941});
  NDArray tail = e.horner(e.sub(e("sqrt", {e("maximum", {w, e.c(5)})}), e.c(3)),
                          {-0.000200214257, 0.000100950558, 0.00134934322,
                           -0.00367342844, 0.00573950773, -0.0076224613,
                           0.00943887047, 1.00167406, 2.83297682});
  NDArray y = e.mul(e.select(e.test("lt", w, e.c(5)), central, tail), x);
  // Halley: u = (erf(y) - x) / erf'(y), y -= u / (1 + y u).
  NDArray slope =
      e.mul(e("exp", {e.neg(e("square", {y}))}), e.c(2 / std::sqrt(kPi)));
  NDArray u = e.div(e.sub(e("erf", {y}), x), slope);
  y = e.sub(y, e.div(u, e.add(e.c(1), e.mul(y, u))));
  // +-inf at +-1 (the polynomial gives NaN there); NaN beyond stays NaN.
  // The infinities are constants to autograd (x * inf would make the
  // gradient of the branch not taken 0 * inf).
  NDArray edge, infinities;
  {
    autograd::RecordingScope unrecorded(false);
    edge = e.test("eq", e("abs", {x}), e.c(1));
    infinities = e.mul(x, e.c(kInf));
  }
  return e.select(edge, infinities, y);
}

NDArray log2Fn(const Ew &e, const NDArray &x) {
  NDArray y = e.mul(e("log", {x}), e.c(1 / std::log(2.0)));
  return snapToWhole(e, y, [&](const NDArray &r) {
    return e.test("eq", e("pow", {e.c(2), r}), x);
  });
}

NDArray log10Fn(const Ew &e, const NDArray &x) {
  NDArray y = e.mul(e("log", {x}), e.c(1 / std::log(10.0)));
  return snapToWhole(e, y, [&](const NDArray &r) {
    return e.test("eq", e("pow", {e.c(10), r}), x);
  });
}

NDArray cbrtFn(const Ew &e, const NDArray &x) {
  return e.odd(x, [&](const NDArray &a) {
    NDArray y = e("pow", {a, e.c(1.0 / 3)});
    return snapToWhole(e, y, [&](const NDArray &r) {
      return e.test("eq", e.mul(e.mul(r, r), r), a);
    });
  });
}

NDArray sinhFn(const Ew &e, const NDArray &x) {
  // (e^x - e^-x) / 2 with expm1, exact near 0.
  return e.mul(e.sub(e("expm1", {x}), e("expm1", {e.neg(x)})), e.c(0.5));
}

NDArray coshFn(const Ew &e, const NDArray &x) {
  return e.mul(e.add(e("exp", {x}), e("exp", {e.neg(x)})), e.c(0.5));
}

NDArray tanFn(const Ew &e, const NDArray &x) {
  return e.div(e("sin", {x}), e("cos", {x}));
}

NDArray arcsinhFn(const Ew &e, const NDArray &x) {
  // For a >= 0: log1p(a + a^2 / (1 + sqrt(1 + a^2))), exact near 0; from
  // 1e8 on, ln(2a) (the next term, 1/(4a^2), is below float64's ulp).
  constexpr double kLarge = 1e8;
  return e.odd(x, [&](const NDArray &a) {
    NDArray small = e("minimum", {a, e.c(kLarge)});
    NDArray square = e("square", {small});
    NDArray near =
        e("log1p",
          {e.add(small,
                 e.div(square,
                       e.add(e.c(1), e("sqrt", {e.add(e.c(1), square)}))))});
    NDArray far =
        e.add(e("log", {e("maximum", {a, e.c(kLarge)})}), e.c(std::log(2.0)));
    return e.select(e.test("gt", a, e.c(kLarge)), far, near);
  });
}

NDArray arccoshFn(const Ew &e, const NDArray &x) {
  // Below 2: log1p(t + sqrt(t) sqrt(t + 2)) with t = x - 1, exact near 1
  // (NaN below 1; the split root makes the gradient at 1 inf, not
  // inf * 0). From 2 on: ln x + log1p(sqrt(1 - 1/x^2)), which never
  // overflows.
  NDArray t = e.sub(e("minimum", {x, e.c(2)}), e.c(1));
  NDArray near =
      e("log1p",
        {e.add(t, e.mul(e("sqrt", {t}), e("sqrt", {e.add(t, e.c(2))})))});
  NDArray big = e("maximum", {x, e.c(2)});
  NDArray far = e.add(
      e("log", {big}),
      e("log1p",
        {e("sqrt", {e.sub(e.c(1), e("reciprocal", {e("square", {big})}))})}));
  return e.select(e.test("lt", x, e.c(2)), near, far);
}

NDArray arctanhFn(const Ew &e, const NDArray &x) {
  // For a >= 0: log1p(2a / (1 - a)) / 2 (inf at 1, NaN beyond).
  return e.odd(x, [&](const NDArray &a) {
    return e.mul(e("log1p", {e.div(e.mul(a, e.c(2)), e.sub(e.c(1), a))}),
                 e.c(0.5));
  });
}

NDArray rcbrtFn(const Ew &e, const NDArray &x) {
  return e("reciprocal", {cbrtFn(e, x)});
}

NDArray degreesFn(const Ew &e, const NDArray &x) {
  return e.mul(x, e.c(180 / kPi));
}

NDArray radiansFn(const Ew &e, const NDArray &x) {
  return e.mul(x, e.c(kPi / 180));
}

NDArray softsignFn(const Ew &e, const NDArray &x) {
  return e.div(x, e.add(e.c(1), e("abs", {x})));
}

/// How a unary math op computes.
enum class Compute {
  /// Every dtype in float64, rounded once to the input's dtype.
  InFloat64,
  /// Floats in their own dtype (arithmetic only); integers through float
  /// (float64 for int32/int64), truncated back.
  Native
};

struct MathUnary {
  const char *name;
  NDArray (*fn)(const Ew &, const NDArray &);
  Compute compute;
  const char *doc;
};

const MathUnary kMathUnary[] = {
    {"sinh", sinhFn, Compute::InFloat64, "Hyperbolic sine, (e^x - e^-x) / 2."},
    {"cosh", coshFn, Compute::InFloat64,
     "Hyperbolic cosine, (e^x + e^-x) / 2."},
    {"tan", tanFn, Compute::InFloat64, "Tangent, sin(x) / cos(x)."},
    {"arcsinh", arcsinhFn, Compute::InFloat64,
     "Inverse hyperbolic sine, ln(x + sqrt(x^2 + 1)), for every x."},
    {"arccosh", arccoshFn, Compute::InFloat64,
     "Inverse hyperbolic cosine, ln(x + sqrt(x^2 - 1)); NaN below 1."},
    {"arctanh", arctanhFn, Compute::InFloat64,
     "Inverse hyperbolic tangent, ln((1 + x) / (1 - x)) / 2; +-inf at +-1, "
     "NaN beyond."},
    {"log2", log2Fn, Compute::InFloat64,
     "Base-2 logarithm; exact at powers of 2 (log2(8) is 3)."},
    {"log10", log10Fn, Compute::InFloat64,
     "Base-10 logarithm; exact at powers of 10."},
    {"cbrt", cbrtFn, Compute::InFloat64,
     "Cube root, negative for negative x; exact at perfect cubes."},
    {"rcbrt", rcbrtFn, Compute::InFloat64,
     "Reciprocal cube root, 1 / cbrt(x); inf at 0."},
    {"gamma", gammaFn, Compute::InFloat64,
     "The gamma function (tgamma): Lanczos' approximation (g = 7, 9 terms, "
     "about 15 significant digits) with the reflection formula below 1/2; "
     "NaN at the negative integers, inf at 0."},
    {"gammaln", gammalnFn, Compute::InFloat64,
     "ln |gamma(x)| (lgamma), from the same Lanczos approximation (absolute "
     "error about 1e-15, so near its zeros at 1 and 2 the relative error "
     "grows); inf at 0 and the negative integers."},
    {"erfinv", erfinvFn, Compute::InFloat64,
     "Inverse error function: Giles' single-precision approximation refined "
     "by one Halley step in float64 (float32 results correctly rounded or "
     "within an ulp; float64 within a few ulp, except within ~1e-10 of "
     "|x| = 1); +-inf at +-1, NaN beyond."},
    {"degrees", degreesFn, Compute::Native,
     "Radians to degrees, x * 180 / pi."},
    {"radians", radiansFn, Compute::Native,
     "Degrees to radians, x * pi / 180."},
    {"softsign", softsignFn, Compute::Native, "x / (1 + |x|)."},
};

/// The floating-point type integer arrays of `dtype` compute in under
/// Compute::Native: float64 for int32/int64 (every int32 exact), else
/// float32 (as ops/ElementwiseOps.cpp).
DType nativeComputeType(DType dtype) {
  if (isFloatDType(dtype))
    return dtype;
  return dtype == DType::Int32 || dtype == DType::Int64 ? DType::Float64
                                                        : DType::Float32;
}

/// `result` cast to `dtype` (into out). float64 goes to float16 and
/// bfloat16 through float32: the JIT cannot link float64 -> float16
/// conversions today (no __truncdfhf2), and float32 rounds the float64
/// value far below float16's ulp.
NDArray castBack(const NDArray &result, DType dtype, const NDArray &out) {
  if (result.dtype() == DType::Float64 &&
      (dtype == DType::Float16 || dtype == DType::BFloat16))
    return dispatch::cast(dispatch::cast(result, DType::Float32), dtype, out);
  return dispatch::cast(result, dtype, out);
}

/// fn over x in `computeType`, cast back to x's dtype (into out).
NDArray computeIn(const std::string &op, DType computeType,
                  NDArray (*fn)(const Ew &, const NDArray &), const NDArray &x,
                  const NDArray &out) {
  if (x.dtype() == computeType)
    return fn(Ew(op, computeType), x);
  NDArray result = fn(Ew(op, computeType), dispatch::cast(x, computeType));
  return castBack(result, x.dtype(), out);
}

std::string mathDoc(const std::string &what, const std::string &extra = "") {
  return what + "\n\n" + (extra.empty() ? std::string() : extra + "\n\n") +
         "data: any shape; float16, bfloat16, float32 and float64 give their "
         "own dtype, integer arrays are computed in floating point and cast "
         "back, truncating (as MXNet 1.9.1).";
}

/// The same-dtype check of the binary ops, naming `op`.
void requireSameDType(const std::string &op, const NDArray &lhs,
                      const NDArray &rhs) {
  if (lhs.dtype() != rhs.dtype())
    throw Error(formatMessage(op, ": operands must have the same dtype, got ",
                              dtypeName(lhs.dtype()), " and ",
                              dtypeName(rhs.dtype())));
}

void requireSameShape(const std::string &op, const NDArray &lhs,
                      const NDArray &rhs) {
  if (lhs.shape() != rhs.shape())
    throw Error(formatMessage(op,
                              ": operands must have the same shape, got "
                              "lhs ",
                              shapeToString(lhs.shape()), " and rhs ",
                              shapeToString(rhs.shape())));
}

/// sqrt(x^2 + y^2) with broadcasting, in float64 (so that float32 never
/// overflows in the squares), cast back.
NDArray hypot(const std::string &op, const NDArray &x, const NDArray &y,
              const NDArray &out) {
  requireSameDType(op, x, y);
  Ew e(op, DType::Float64);
  auto wide = [](const NDArray &a) {
    return a.dtype() == DType::Float64 ? a : dispatch::cast(a, DType::Float64);
  };
  NDArray result =
      e("sqrt", {e.add(e("square", {wide(x)}), e("square", {wide(y)}))});
  return x.dtype() == DType::Float64 ? result
                                     : castBack(result, x.dtype(), out);
}

/// Attributes of the reductions, as call() passes them on.
AttrMap reduceAttrs(const Attrs &attrs) {
  return {{"axis", attrs.isNone("axis")
                       ? "None"
                       : shapeAttr(*attrs.getOptionalIntTuple("axis"))},
          {"keepdims", attrs.getBool("keepdims") ? "True" : "False"},
          {"exclude", attrs.getBool("exclude") ? "True" : "False"}};
}

/// 1 (float32, shape (1,)) when every element of every array is finite.
NDArray allFinite(const std::string &op, const std::vector<NDArray> &arrays) {
  NDArray count;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const NDArray &x = arrays[i];
    if (!isFloatDType(x.dtype()))
      throw Error(formatMessage(op, ": array ", i,
                                " expected a floating-point dtype, got ",
                                dtypeName(x.dtype())));
    Ew e(op, x.dtype());
    // |x| < inf is false for +-inf and NaN.
    NDArray bad = dispatch::cast(
        dispatch::elementwise(op, "logical_not",
                              {e.test("lt", e("abs", {x}), e.c(kInf))},
                              DType::Bool),
        DType::Float32);
    NDArray sum =
        dispatch::reduction("reduce_sum", dispatch::reshape(bad, {x.size()}),
                            {0}, false, DType::Float32);
    count = count.isNone() ? sum
                           : dispatch::elementwise(op, "add", {count, sum},
                                                   DType::Float32);
  }
  NDArray ok = dispatch::elementwise(
      op, "eq", {count, dispatch::scalar(0, DType::Float32)}, DType::Bool);
  return dispatch::reshape(ok, {1});
}

/// all_finite's result: 1.0 or 0.0; with init_output=False and `out`, out
/// keeps its value where everything is finite and becomes 0 otherwise (the
/// flag accumulates over calls, as MXNet's AMP uses it).
NDArray finiteFlag(const std::string &op, const std::vector<NDArray> &arrays,
                   const Attrs &attrs, const NDArray &out) {
  NDArray ok = allFinite(op, arrays);
  if (attrs.getBool("init_output") || out.isNone())
    return dispatch::cast(ok, DType::Float32, out);
  if (out.shape() != Shape{1} || out.dtype() != DType::Float32)
    throw Error(formatMessage(op,
                              ": out expected a float32 array of shape "
                              "(1,), got ",
                              dtypeName(out.dtype()), " ",
                              shapeToString(out.shape())));
  NDArray kept = dispatch::elementwise(
      op, "select", {ok, out, dispatch::scalar(0, DType::Float32)},
      DType::Float32);
  return dispatch::cast(kept, DType::Float32, out);
}

/// x's cumulative sums along axis, by Hillis and Steele's scan: log2(n)
/// rounds of x + x shifted by 2^k (zeros shifted in), each a few kernels.
NDArray cumulativeSum(NDArray x, int64_t axis) {
  const int64_t n = x.shape()[axis];
  if (n <= 1)
    return call("identity", {x});
  if (x.shape().size() == 1) {
    // As a row (1, n): KernelSignature::key writes a rank-1 argument and a
    // rank-1 unit argument alike ("float32[1]"), so the concats of a
    // vector scan could be handed each other's kernels.
    const Shape shape = x.shape();
    NDArray row = cumulativeSum(
        call("Reshape", {x}, {{"shape", shapeAttr({1, n})}}), 1);
    return call("Reshape", {row}, {{"shape", shapeAttr(shape)}});
  }
  const std::string axisAttr = std::to_string(axis);
  for (int64_t shift = 1; shift < n; shift *= 2) {
    Shape padShape = x.shape();
    padShape[axis] = shift;
    NDArray kept = call("slice_axis", {x},
                        {{"axis", axisAttr},
                         {"begin", "0"},
                         {"end", std::to_string(n - shift)}});
    NDArray shifted = call("concat", {zerosOf(padShape, x.dtype()), kept},
                           {{"dim", axisAttr}});
    x = call("elemwise_add", {x, shifted});
  }
  return x;
}

/// amp_multicast's common type, as MXNet 1.9.1's AMPMultiCastType: the
/// first input's dtype, float32 if any input is float32; with cast_narrow,
/// float32 unless an input is float16 (or bfloat16). Only float16, bfloat16
/// and float32 inputs are cast.
DType multicastType(const std::vector<NDArray> &inputs, bool narrow) {
  DType widest = narrow ? DType::Float32 : inputs.front().dtype();
  for (const NDArray &input : inputs) {
    const DType dtype = input.dtype();
    if (!narrow && dtype == DType::Float32)
      widest = DType::Float32;
    else if (narrow && dtype == DType::Float16)
      widest = DType::Float16;
    else if (narrow && dtype == DType::BFloat16)
      widest = DType::BFloat16;
  }
  return widest;
}

/// The dtype named `name` (one getChoice has accepted).
DType dtypeNamed(const std::string &name) {
  for (DType dtype :
       {DType::Float16, DType::BFloat16, DType::Float32, DType::Float64,
        DType::Int32, DType::Int64, DType::Int8, DType::UInt8})
    if (dtypeName(dtype) == name)
      return dtype;
  throw Error(formatMessage("unknown dtype '", name, "'"));
}

bool isAmpType(DType dtype) {
  return dtype == DType::Float16 || dtype == DType::BFloat16 ||
         dtype == DType::Float32;
}

/// The number given by `attr` must be the number of arrays passed.
void requireCount(const std::string &op, const Attrs &attrs,
                  const std::string &attr, size_t count) {
  const int64_t given = attrs.getInt(attr);
  if (given != static_cast<int64_t>(count))
    throw Error(formatMessage(op, ": ", attr, " is ", given, " but ", count,
                              " arrays were given"));
}

const std::vector<AttrSpec> kReduceAttrs = {
    {"axis", AttrSpec::Kind::OptionalIntTuple, "None"},
    {"keepdims", AttrSpec::Kind::Bool, "False"},
    {"exclude", AttrSpec::Kind::Bool, "False"}};

void registerUnaryMath(OpRegistry &registry) {
  for (const MathUnary &unary : kMathUnary) {
    const std::string name = unary.name;
    registry.add(
        {name,
         {"data"},
         {},
         mathDoc(std::string(unary.doc) + " As MXNet 1.9.1's " + name + ".",
                 unary.compute == Compute::InFloat64
                     ? "Computed in float64 for every dtype and rounded once."
                     : ""),
         [name, fn = unary.fn,
          compute = unary.compute](const std::vector<NDArray> &in,
                                   const Attrs &, const NDArray &out) {
           const NDArray &x = in[0];
           return computeIn(name,
                            compute == Compute::InFloat64
                                ? DType::Float64
                                : nativeComputeType(x.dtype()),
                            fn, x, out);
         }});
  }

  registry.add(
      {"hard_sigmoid",
       {"data"},
       {{"alpha", AttrSpec::Kind::Float, "0.2"},
        {"beta", AttrSpec::Kind::Float, "0.5"}},
       "max(0, min(1, alpha * x + beta)), as MXNet 1.9.1's hard_sigmoid.\n\n"
       "data: floating point, any shape (integers are an error, as in "
       "MXNet). alpha (default 0.2) and beta (default 0.5) are taken in "
       "data's dtype. The gradient is alpha strictly between the kinks and 0 "
       "at and beyond them.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const NDArray &x = in[0];
         requireFloat("hard_sigmoid", x);
         Ew e("hard_sigmoid", x.dtype());
         NDArray y = e.add(e.mul(x, e.c(attrs.getFloat("alpha"))),
                           e.c(attrs.getFloat("beta")));
         NDArray capped = e.select(e.test("lt", y, e.c(1)), y, e.c(1));
         return dispatch::elementwise("hard_sigmoid", "select",
                                      {e.test("gt", y, e.c(0)), capped, e.c(0)},
                                      x.dtype(), out);
       }});

  registry.add(
      {"smooth_l1",
       {"data"},
       {{"scalar", AttrSpec::Kind::Float, "1"}},
       "MXNet 1.9.1's smooth_l1 with sigma = scalar: 0.5 (sigma x)^2 where "
       "|x| < 1 / sigma^2, else |x| - 0.5 / sigma^2; the gradient is sigma^2 x "
       "inside and sign(x) outside.\n\ndata: any shape; integer arrays are "
       "computed in floating point and truncated back. scalar defaults to 1; "
       "0 makes every element 0.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const NDArray &x = in[0];
         const double sigma2 =
             attrs.getFloat("scalar") * attrs.getFloat("scalar");
         auto fn = [](const Ew &e, const NDArray &v, double s2) {
           NDArray quadratic = e.mul(e("square", {v}), e.c(0.5 * s2));
           NDArray magnitude = e("abs", {v});
           NDArray linear = e.sub(magnitude, e.c(0.5 / s2));
           return e.select(e.test("lt", magnitude, e.c(1 / s2)), quadratic,
                           linear);
         };
         const DType computeType = nativeComputeType(x.dtype());
         Ew e("smooth_l1", computeType);
         if (computeType == x.dtype())
           return fn(e, x, sigma2);
         return dispatch::cast(fn(e, dispatch::cast(x, computeType), sigma2),
                               x.dtype(), out);
       }});

  registry.add(
      {"broadcast_hypot",
       {"lhs", "rhs"},
       {},
       "sqrt(lhs^2 + rhs^2) with numpy broadcasting, as MXNet 1.9.1's "
       "broadcast_hypot.\n\nlhs, rhs: one dtype (else an error); computed "
       "in float64 and rounded once, integers truncated back. The gradient "
       "at (0, 0) is NaN, as MXNet's.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         return hypot("broadcast_hypot", in[0], in[1], out);
       }});
  registry.add(
      {"_hypot",
       {"lhs", "rhs"},
       {},
       "sqrt(lhs^2 + rhs^2) of two arrays of one shape and dtype (MXNet's "
       "_hypot; broadcast_hypot broadcasts).",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         requireSameShape("_hypot", in[0], in[1]);
         return hypot("_hypot", in[0], in[1], out);
       }},
      {"_Hypot"});
  registry.add(
      {"_hypot_scalar",
       {"data"},
       {{"scalar", AttrSpec::Kind::Float, "1"}},
       "sqrt(data^2 + scalar^2), the scalar taken in data's dtype (MXNet's "
       "_hypot_scalar).",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return hypot("_hypot_scalar", in[0],
                      dispatch::scalar(attrs.getFloat("scalar"), in[0].dtype()),
                      out);
       }},
      {"_HypotScalar"});

  registry.add(
      {"softmin",
       {"data"},
       {{"axis", AttrSpec::Kind::Int, "-1"},
        {"temperature", AttrSpec::Kind::Float, "None"}},
       "softmax(-data / temperature) along axis (default -1), as MXNet "
       "1.9.1's softmin.\n\ndata: floating point, rank 1 or more. "
       "temperature: None (1) or positive. Errors name softmin.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const NDArray &x = in[0];
         requireFloat("softmin", x);
         const int64_t rank = x.shape().size();
         if (rank == 0)
           throw Error("softmin: expected an array of rank 1 or more");
         const int64_t axis =
             checkedAxis("softmin", attrs.getInt("axis"), rank);
         AttrMap softmaxAttrs = {{"axis", std::to_string(axis)}};
         if (!attrs.isNone("temperature")) {
           const double temperature = attrs.getFloat("temperature");
           if (temperature <= 0)
             throw Error(formatMessage(
                 "softmin: temperature must be positive, got ", temperature));
           softmaxAttrs["temperature"] = floatAttr(temperature);
         }
         return call("softmax", {call("negative", {x})}, softmaxAttrs);
       }});
}

void registerArrayUtilities(OpRegistry &registry) {
  registry.add(
      {"identity",
       {"data"},
       {},
       "A copy of data (any shape and dtype), as MXNet 1.9.1's "
       "identity; the gradient passes through.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         return dispatch::cast(in[0], in[0].dtype(), out);
       }},
      {"_copy"});
  registry.add(
      {"stop_gradient",
       {"data"},
       {},
       "A copy of data whose gradient is zero: autograd stops here "
       "(MXNet 1.9.1's stop_gradient, also called BlockGrad).",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         return dispatch::cast(in[0], in[0].dtype(), out);
       }},
      {"BlockGrad"});

  registry.add(
      {"add_n",
       {"*args"},
       {},
       "The elementwise sum of one or more arrays of one shape and dtype, as "
       "MXNet 1.9.1's add_n (also ElementWiseSum).\n\nErrors: an array whose "
       "shape or dtype differs from the first's.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         const NDArray &first = in.front();
         for (size_t i = 1; i < in.size(); ++i) {
           if (in[i].shape() != first.shape())
             throw Error(formatMessage("add_n: array ", i, " has shape ",
                                       shapeToString(in[i].shape()),
                                       ", expected ",
                                       shapeToString(first.shape())));
           if (in[i].dtype() != first.dtype())
             throw Error(formatMessage("add_n: array ", i, " has dtype ",
                                       dtypeName(in[i].dtype()), ", expected ",
                                       dtypeName(first.dtype())));
         }
         if (in.size() == 1)
           return dispatch::cast(first, first.dtype(), out);
         NDArray sum = first;
         for (size_t i = 1; i < in.size(); ++i)
           sum = dispatch::elementwise("add_n", "add", {sum, in[i]},
                                       first.dtype(),
                                       i + 1 == in.size() ? out : NDArray());
         return sum;
       }},
      {"ElementWiseSum"});

  for (const bool product : {false, true}) {
    const std::string name = product ? "nanprod" : "nansum";
    registry.add(
        {name,
         {"data"},
         kReduceAttrs,
         std::string(product ? "The product" : "The sum") +
             " over axis (all by default) with NaN counted as " +
             (product ? "1" : "0") + ", as MXNet 1.9.1's " + name +
             ".\n\nAttributes as sum's (axis, keepdims, exclude); a "
             "reduction to a scalar gives shape (1,). NaN elements get a "
             "zero gradient.",
         [name, product](const std::vector<NDArray> &in, const Attrs &attrs,
                         const NDArray &out) {
           const NDArray &x = in[0];
           if (x.dtype() == DType::Bool)
             throw Error(formatMessage(name, ": bool arrays are not "
                                             "supported; cast them first"));
           reducedAxes(name, x, attrs); // Its errors name this op.
           NDArray clean = x;
           if (isFloatDType(x.dtype())) {
             Ew e(name, x.dtype());
             clean = e.select(e.test("ne", x, x), e.c(product ? 1 : 0), x);
           }
           return call(product ? "prod" : "sum", {clean}, reduceAttrs(attrs));
         }});
  }

  registry.add(
      {"cumsum",
       {"a"},
       {{"axis", AttrSpec::Kind::OptionalInt, "None"},
        {"dtype", AttrSpec::Kind::String, "None"}},
       "Cumulative sums along axis (of the flattened array when None), as "
       "MXNet 1.9.1's cumsum.\n\na: any dtype but bool. dtype: None (a's "
       "dtype, integers included, as MXNet) or one of float16, float32, "
       "float64, int32, int64, int8; the sums accumulate in it. axis may be "
       "negative. Computed as log2(n) rounds of shifted adds, so float sums "
       "may differ from a sequential sum in the last bits.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         NDArray x = in[0];
         if (x.dtype() == DType::Bool)
           throw Error(
               "cumsum: bool arrays are not supported; cast them first");
         DType dtype = x.dtype();
         if (!attrs.isNone("dtype"))
           dtype = dtypeNamed(
               attrs.getChoice("dtype", {"float16", "float32", "float64",
                                         "int32", "int64", "int8"}));
         if (dtype != x.dtype())
           x = dispatch::cast(x, dtype);
         std::optional<int64_t> axis = attrs.getOptionalInt("axis");
         if (!axis) {
           x = call("Reshape", {x}, {{"shape", shapeAttr({x.size()})}});
           axis = 0;
         } else {
           if (x.shape().empty())
             throw Error("cumsum: an axis needs an array of rank 1 or more");
           axis = checkedAxis("cumsum", *axis, x.shape().size());
         }
         return cumulativeSum(x, *axis);
       }});

  registry.add(
      {"all_finite",
       {"data"},
       {{"init_output", AttrSpec::Kind::Bool, "True"}},
       "1.0 (float32, shape (1,)) if every element of data is finite, else "
       "0.0, as MXNet 1.9.1's all_finite.\n\ndata: floating point (integers "
       "are an error, as in MXNet). init_output=False with out= keeps out's "
       "value when everything is finite and sets it to 0 otherwise; without "
       "out= it gives the flag (MXNet leaves that output uninitialized).",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return finiteFlag("all_finite", in, attrs, out);
       }});
  registry.add(
      {"multi_all_finite",
       {"*data"},
       {{"num_arrays", AttrSpec::Kind::Int, "1"},
        {"init_output", AttrSpec::Kind::Bool, "True"}},
       "all_finite over several floating-point arrays at once: 1.0 (float32, "
       "shape (1,)) if every element of every array is finite, as MXNet "
       "1.9.1's multi_all_finite.\n\nnum_arrays (default 1) must be the "
       "number of arrays given; init_output as all_finite's.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         requireCount("multi_all_finite", attrs, "num_arrays", in.size());
         return finiteFlag("multi_all_finite", in, attrs, out);
       }});

  registry.add(
      {"amp_cast",
       {"data"},
       {{"dtype", AttrSpec::Kind::String, std::nullopt}},
       "Mixed precision's cast, as MXNet 1.9.1's amp_cast: float16, "
       "bfloat16 and float32 arrays are cast to dtype, every other dtype "
       "(float64 and the integers) is copied unchanged.\n\ndtype (required): "
       "float16, bfloat16, float32, float64, int32, int64, int8 or uint8.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         const DType dtype = dtypeNamed(attrs.getChoice(
             "dtype", {"float16", "bfloat16", "float32", "float64", "int32",
                       "int64", "int8", "uint8"}));
         const NDArray &x = in[0];
         return dispatch::cast(x, isAmpType(x.dtype()) ? dtype : x.dtype(),
                               out);
       }});

  OpSpec multicast{
      "amp_multicast",
      {"*data"},
      {{"num_outputs", AttrSpec::Kind::Int, std::nullopt},
       {"cast_narrow", AttrSpec::Kind::Bool, "False"}},
      "Mixed precision's cast of several arrays to one type, as MXNet "
      "1.9.1's amp_multicast: one output per input. The float16, bfloat16 "
      "and float32 inputs become the widest of them (float32 if any input is "
      "float32, else the first input's dtype, as MXNet), or with "
      "cast_narrow=True the narrowest (float16 if any input is float16); "
      "other dtypes are copied unchanged.\n\nnum_outputs (required) must be "
      "the number of arrays given."};
  multicast.computeOutputs = [](const std::vector<NDArray> &in,
                                const Attrs &attrs,
                                const std::vector<NDArray> &outs) {
    requireCount("amp_multicast", attrs, "num_outputs", in.size());
    const DType common = multicastType(in, attrs.getBool("cast_narrow"));
    std::vector<NDArray> results;
    for (size_t i = 0; i < in.size(); ++i)
      results.push_back(dispatch::cast(
          in[i], isAmpType(in[i].dtype()) ? common : in[i].dtype(),
          outs.empty() ? NDArray() : outs[i]));
    return results;
  };
  // Each output is a cast of its input: the gradient is cast back.
  multicast.outputsGradient = [](const OutputsGradientArgs &args) {
    std::vector<NDArray> grads;
    for (size_t i = 0; i < args.inputs.size(); ++i)
      grads.push_back(
          dispatch::cast(args.outputGrads[i], args.inputs[i].dtype()));
    return grads;
  };
  registry.add(std::move(multicast));

  OpSpec moments{
      "moments",
      {"data"},
      {{"axes", AttrSpec::Kind::OptionalIntTuple, "None"},
       {"keepdims", AttrSpec::Kind::Bool, "False"}},
      "[mean, var] of data over axes, as MXNet 1.9.1's moments: var is the "
      "mean of the squared deviations (ddof 0). Integer arrays give "
      "truncated integer results, as mean does.\n\naxes: one or more axes, "
      "negative from the end (None or () is an error, as in MXNet: name "
      "every axis for global moments); keepdims keeps them as extent 1. A "
      "reduction to a scalar gives shape (1,)."};
  moments.computeOutputs = [](const std::vector<NDArray> &in,
                              const Attrs &attrs,
                              const std::vector<NDArray> &outs) {
    const NDArray &x = in[0];
    std::optional<std::vector<int64_t>> given =
        attrs.getOptionalIntTuple("axes");
    if (!given || given->empty())
      throw Error("moments: axes expected one or more axes, got None (name "
                  "every axis for global moments)");
    const int64_t rank = x.shape().size();
    std::vector<int64_t> axes;
    for (int64_t axis : *given) {
      const int64_t normalized = checkedAxis("moments", axis, rank);
      if (std::find(axes.begin(), axes.end(), normalized) != axes.end())
        throw Error(formatMessage("moments: axis ", axis, " is repeated"));
      axes.push_back(normalized);
    }
    const std::string keepdims = attrs.getBool("keepdims") ? "True" : "False";
    const std::string axisAttr = shapeAttr(axes);
    NDArray meanKept =
        call("mean", {x}, {{"axis", axisAttr}, {"keepdims", "True"}});
    NDArray deviation = call("broadcast_sub", {x, meanKept});
    NDArray var = call("mean", {call("square", {deviation})},
                       {{"axis", axisAttr}, {"keepdims", keepdims}});
    NDArray mean =
        call("mean", {x}, {{"axis", axisAttr}, {"keepdims", keepdims}});
    if (!outs.empty()) {
      mean = invokeOp("identity", {mean}, {}, outs[0]);
      var = invokeOp("identity", {var}, {}, outs[1]);
    }
    return std::vector<NDArray>{mean, var};
  };
  // d/dx of mean is g_mean / N; of var (ddof 0) g_var * 2 (x - mean) / N,
  // N the number of elements reduced; both broadcast back over the axes.
  moments.outputsGradient = [](const OutputsGradientArgs &args) {
    const NDArray &x = args.inputs[0];
    const std::vector<int64_t> given = *args.attrs.getOptionalIntTuple("axes");
    std::vector<int64_t> axes;
    for (int64_t axis : given)
      axes.push_back(checkedAxis("moments", axis, x.shape().size()));
    Shape kept = x.shape();
    int64_t count = 1;
    for (int64_t axis : axes) {
      count *= kept[axis];
      kept[axis] = 1;
    }
    auto keptShape = [&](const NDArray &g) {
      return call("reshape", {g}, {{"shape", shapeAttr(kept)}});
    };
    const std::string axisAttr = shapeAttr(axes);
    NDArray meanKept =
        call("mean", {x}, {{"axis", axisAttr}, {"keepdims", "True"}});
    NDArray deviation = call("broadcast_sub", {x, meanKept});
    NDArray fromMean = callScalar("_div_scalar", keptShape(args.outputGrads[0]),
                                  static_cast<double>(count));
    NDArray fromVar = call(
        "broadcast_mul",
        {callScalar("_mul_scalar", deviation, 2.0 / static_cast<double>(count)),
         keptShape(args.outputGrads[1])});
    return std::vector<NDArray>{call("broadcast_add", {fromVar, fromMean})};
  };
  registry.add(std::move(moments));

  OpSpec reset{
      "reset_arrays",
      {"*data"},
      {{"num_arrays", AttrSpec::Kind::Int, std::nullopt}},
      "Sets every element of each floating-point array to 0 in place and "
      "returns nothing, as MXNet 1.9.1's reset_arrays.\n\nnum_arrays "
      "(required) must be the number of arrays given; integer arrays are an "
      "error, as in MXNet."};
  reset.computeOutputs = [](const std::vector<NDArray> &in, const Attrs &attrs,
                            const std::vector<NDArray> &) {
    requireCount("reset_arrays", attrs, "num_arrays", in.size());
    for (size_t i = 0; i < in.size(); ++i)
      if (!isFloatDType(in[i].dtype()))
        throw Error(formatMessage("reset_arrays: array ", i,
                                  " expected a floating-point dtype, got ",
                                  dtypeName(in[i].dtype())));
    for (const NDArray &array : in)
      invokeOp("_zeros", {},
               {{"shape", shapeAttr(array.shape())},
                {"dtype", dtypeName(array.dtype())}},
               array);
    return std::vector<NDArray>{};
  };
  registry.add(std::move(reset));
}

} // namespace

void registerMathOps(OpRegistry &registry) {
  registerUnaryMath(registry);
  registerArrayUtilities(registry);
}

} // namespace ops
} // namespace kiln
