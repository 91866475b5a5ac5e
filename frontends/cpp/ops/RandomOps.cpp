//===- RandomOps.cpp - MXNet's random samplers ----------------------------===//
//
// MXNet 1.9.1's dense random operators: _random_<distribution> (numbers as
// parameters), _random_<distribution>_like (shape and dtype of an array),
// _sample_<distribution> (arrays of parameters, `shape` samples for each),
// _sample_multinomial and _shuffle. The densities are in
// RandomDensityOps.cpp.
//
// Every sampler is written from the counter-based random primitives
// (random_uniform, random_normal: Philox 4x32-10 on each element's linear
// index, keyed by a rank-0 operand), so a seed (mx.random.seed) reproduces
// every array whatever the threading, and one compiled kernel serves every
// call. Each call draws fresh keys from the seed; two keys give independent
// streams. Samplers compute in float64 and round once to the output dtype.
//
// Rejection samplers never loop on data: each element gets a fixed number
// of proposals, each from its own key, and keeps the first one accepted.
// The chance that all are rejected is below 4e-11 per element (gamma) and
// 2e-10 (Poisson's large-lambda branch); such an element then gets a fixed
// central value (gamma: d = alpha' - 1/3, near the mode; Poisson: floor of
// lambda).
//
//  * gamma(alpha, beta): Marsaglia and Tsang (2000), 8 proposals; alpha < 1
//    draws gamma(alpha + 1) * U^(1/alpha). beta is the scale (mean
//    alpha * beta), as MXNet's sampler.
//  * poisson(lam): below 10, inversion of the CDF over its first 40 terms
//    (the mass beyond is below 1e-12) with a 48-bit uniform; from 10,
//    Hoermann's transformed rejection (PTRS, 1993), 16 proposals. MXNet
//    samples exactly as well (Knuth's product method below 12, Numerical
//    Recipes' rejection above).
//  * negative_binomial(k, p): poisson(gamma(k, (1 - p) / p)); generalized
//    (mu, alpha): poisson(gamma(1 / alpha, alpha * mu)), poisson(mu) at
//    alpha = 0.
//  * exponential(lam): -log1p(-U) / lam; randint: floor(low + U (high -
//    low)) with a 48-bit U.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Elementwise.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"
#include "runtime/Executable.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>

namespace kiln {
namespace ops {
namespace {

std::atomic<uint64_t> randomSeed{0};
std::atomic<uint64_t> randomCalls{0};

/// A key for the next random draw: the seed mixed with a call counter
/// (SplitMix64's finalizer), so consecutive draws differ.
int64_t nextRandomKey() {
  uint64_t z = randomSeed.load() * 0x9e3779b97f4a7c15ull + randomCalls++;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<int64_t>(z ^ (z >> 31));
}

/// The key operand of a random primitive. It is an input, not an
/// attribute, so one kernel serves every call.
NDArray keyOperand() {
  constexpr int64_t kKeyMask = 0xffffffffffffll; // Exact in a double.
  ExecutableCapture *capture = Executable::current();
  // Captured into an executable, each run must draw anew: a launch before
  // the kernel that reads the key writes the next one when the run pushes
  // (so capturing itself draws nothing).
  NDArray key = dispatch::scalar(
      capture ? 0.0 : static_cast<double>(nextRandomKey() & kKeyMask),
      DType::Int64);
  if (capture) {
    const Tensor tensor = key.tensor();
    capture->recordDeferred(
        [tensor]() -> std::function<void()> {
          const int64_t value = nextRandomKey() & kKeyMask;
          return [tensor, value] {
            std::memcpy(tensor.data(), &value, sizeof value);
          };
        },
        key.device(), {key.var()}, "random_key");
  }
  return key;
}

constexpr DType kF64 = DType::Float64;

/// U[low, high) or N(low, high^2) of `shape` and `dtype` (into out) from the
/// primitive itself.
NDArray primitiveDraw(const std::string &op, bool normal, double a, double b,
                      const Shape &shape, DType dtype,
                      const NDArray &out = NDArray()) {
  compiler::KernelSignature signature{
      normal ? "random_normal" : "random_uniform", {}, {}};
  signature.floatAttributes[normal ? "mean" : "low"] = {a};
  signature.floatAttributes[normal ? "stddev" : "high"] = {b};
  return dispatch::generate(op, signature, {keyOperand()}, shape, dtype, out);
}

/// U[0, 1) (24 random bits) or N(0, 1) in float64.
NDArray unit(const Ew &e, const Shape &shape) {
  return primitiveDraw(e.op(), false, 0, 1, shape, kF64);
}
NDArray standardNormal(const Ew &e, const Shape &shape) {
  return primitiveDraw(e.op(), true, 0, 1, shape, kF64);
}
/// U[0, 1) with 48 random bits: u1 + u2 2^-24, at most 1 - 2^-48.
NDArray unit48(const Ew &e, const Shape &shape) {
  return e.add(unit(e, shape), e.mul(unit(e, shape), e.c(0x1p-24)));
}

NDArray boolOp(const Ew &e, const char *primitive,
               const std::vector<NDArray> &inputs) {
  return dispatch::elementwise(e.op(), primitive, inputs, DType::Bool);
}

/// The first accepted of a fixed number of proposals, kept element by
/// element: `propose(j)` gives proposal j's value and whether it is
/// accepted; an element none accepts keeps `fallback`.
template <typename Propose>
NDArray firstAccepted(const Ew &e, int proposals, const NDArray &fallback,
                      Propose propose) {
  NDArray value, taken;
  for (int j = 0; j < proposals; ++j) {
    auto [candidate, accepted] = propose(j);
    if (j == 0) {
      value = e.select(accepted, candidate, fallback);
      taken = accepted;
      continue;
    }
    NDArray fresh =
        boolOp(e, "logical_and", {accepted, boolOp(e, "logical_not", {taken})});
    value = e.select(fresh, candidate, value);
    taken = boolOp(e, "logical_or", {taken, accepted});
  }
  return value;
}

constexpr int kGammaProposals = 8;
constexpr double kPoissonInversionBelow = 10;
constexpr int kPoissonInversionTerms = 40;
constexpr int kPoissonProposals = 16;

/// gamma(alpha, 1) of `shape` (alpha broadcasts to it), by Marsaglia and
/// Tsang: d = alpha - 1/3, c = 1 / sqrt(9 d); x ~ N(0, 1), v = (1 + c x)^3,
/// accepted when v > 0 and ln U < x^2 / 2 + d - d v + d ln v; the sample is
/// d v. Acceptance is at least 0.95 per proposal (alpha = 1), so all 8 are
/// rejected with probability below 4e-11. alpha < 1 samples alpha + 1 and
/// multiplies by U^(1/alpha).
NDArray standardGamma(const Ew &e, const NDArray &alpha, const Shape &shape) {
  NDArray boost = e.test("lt", alpha, e.c(1));
  NDArray shifted = e.add(alpha, e.select(boost, e.c(1), e.c(0)));
  NDArray d = e.sub(shifted, e.c(1.0 / 3));
  NDArray c = e("rsqrt", {e.mul(d, e.c(9))});
  NDArray value = firstAccepted(e, kGammaProposals, d, [&](int) {
    NDArray x = standardNormal(e, shape);
    NDArray t = e.add(e.c(1), e.mul(c, x));
    NDArray v = e.mul(e.mul(t, t), t);
    NDArray positive = e.test("gt", v, e.c(0));
    NDArray logV = e("log", {e.select(positive, v, e.c(1))});
    NDArray bound = e.add(e.mul(e("square", {x}), e.c(0.5)),
                          e.mul(d, e.add(e.sub(e.c(1), v), logV)));
    NDArray accepted =
        e.both(positive, e.test("lt", e("log", {unit(e, shape)}), bound));
    return std::make_pair(e.mul(d, v), accepted);
  });
  NDArray power = e("pow", {unit48(e, shape), e.div(e.c(1), alpha)});
  return e.mul(value, e.select(boost, power, e.c(1)));
}

/// ln k! for whole k >= 0: a table below 16, Stirling's series (error
/// below 1e-12) from there.
NDArray logFactorial(const Ew &e, const NDArray &k) {
  double table[16];
  for (int i = 0; i < 16; ++i)
    table[i] = std::lgamma(i + 1.0);
  NDArray small =
      call("take",
           {NDArray::fromData(table, {16}, kF64),
            dispatch::cast(e("minimum", {k, e.c(15)}), DType::Int64)},
           {{"mode", "clip"}});
  NDArray z = e.add(k, e.c(1));
  NDArray r = e.div(e.c(1), z), r2 = e("square", {r});
  NDArray series = e.mul(r, e.horner(r2, {1.0 / 1260, -1.0 / 360, 1.0 / 12}));
  NDArray stirling =
      e.add(e.sub(e.mul(e.sub(z, e.c(0.5)), e("log", {z})), z),
            e.add(series, e.c(0.5 * std::log(2 * 3.14159265358979323846))));
  return e.select(e.test("lt", k, e.c(16)), small, stirling);
}

/// Poisson(lam) for lam < 10: the number of CDF terms F(0), F(1), ... at
/// or below a 48-bit uniform, over the first 40 terms.
NDArray poissonByInversion(const Ew &e, const NDArray &lam,
                           const Shape &shape) {
  NDArray u = unit48(e, shape);
  NDArray term = e("exp", {e.neg(lam)});
  NDArray cdf = term;
  NDArray count;
  for (int k = 0; k < kPoissonInversionTerms; ++k) {
    NDArray past = dispatch::cast(e.test("ge", u, cdf), kF64);
    count = k == 0 ? past : e.add(count, past);
    term = e.mul(term, e.mul(lam, e.c(1.0 / (k + 1))));
    cdf = e.add(cdf, term);
  }
  return count;
}

/// Poisson(lam) for lam >= 10 by Hoermann's PTRS: 16 proposals of
/// acceptance 0.75 (lam = 10) to 0.89 (large lam).
NDArray poissonByRejection(const Ew &e, const NDArray &lam,
                           const Shape &shape) {
  NDArray root = e("sqrt", {lam}), logLam = e("log", {lam});
  NDArray b = e.add(e.c(0.931), e.mul(root, e.c(2.53)));
  NDArray a = e.add(e.c(-0.059), e.mul(b, e.c(0.02483)));
  NDArray logInvAlpha =
      e("log", {e.add(e.c(1.1239), e.div(e.c(1.1328), e.sub(b, e.c(3.4))))});
  NDArray vr = e.sub(e.c(0.9277), e.div(e.c(3.6224), e.sub(b, e.c(2))));
  NDArray fallback = e("floor", {lam});
  return firstAccepted(e, kPoissonProposals, fallback, [&](int) {
    NDArray u = e.sub(unit(e, shape), e.c(0.5));
    NDArray v = unit(e, shape);
    NDArray us = e.sub(e.c(0.5), e("abs", {u}));
    NDArray k =
        e("floor", {e.add(e.mul(e.add(e.div(e.mul(a, e.c(2)), us), b), u),
                          e.add(lam, e.c(0.43)))});
    NDArray quick = e.both(e.test("ge", us, e.c(0.07)), e.test("le", v, vr));
    NDArray rejected =
        boolOp(e, "logical_or",
               {e.test("lt", k, e.c(0)),
                e.both(e.test("lt", us, e.c(0.013)), e.test("gt", v, us))});
    NDArray whole = e("maximum", {k, e.c(0)});
    NDArray lhs = e.sub(e.add(e("log", {v}), logInvAlpha),
                        e("log", {e.add(e.div(a, e("square", {us})), b)}));
    NDArray rhs =
        e.sub(e.sub(e.mul(whole, logLam), lam), logFactorial(e, whole));
    NDArray slow =
        e.both(boolOp(e, "logical_not", {rejected}), e.test("le", lhs, rhs));
    return std::make_pair(k, boolOp(e, "logical_or", {quick, slow}));
  });
}

/// Poisson(lam) of `shape`; `known` is lam when it is one number, which
/// picks the branch on the host.
NDArray poisson(const Ew &e, const NDArray &lam, const Shape &shape,
                std::optional<double> known = std::nullopt) {
  if (known)
    return *known < kPoissonInversionBelow ? poissonByInversion(e, lam, shape)
                                           : poissonByRejection(e, lam, shape);
  NDArray small = e.test("lt", lam, e.c(kPoissonInversionBelow));
  // Each branch sees a lam in its own range.
  NDArray inverted = poissonByInversion(e, e.select(small, lam, e.c(0)), shape);
  NDArray rejected = poissonByRejection(
      e, e.select(small, e.c(kPoissonInversionBelow), lam), shape);
  return e.select(small, inverted, rejected);
}

//===----------------------------------------------------------------------===//
// Distributions
//===----------------------------------------------------------------------===//

struct Param {
  /// The name in _random_<distribution> and _sample_<distribution>.
  const char *name;
  const char *sampleName;
  const char *defaultValue;
};

/// Samples of `shape` in float64 from parameters in float64 that broadcast
/// to it; `known` holds the parameters' values when they are numbers.
using Sampler = std::function<NDArray(
    const Ew &, const std::vector<NDArray> &params, const Shape &shape,
    const std::vector<std::optional<double>> &known)>;

struct Distribution {
  const char *name;
  std::vector<Param> params;
  /// MXNet's checks of number parameters: the message's comparison ("> 0")
  /// for each parameter that has one, else nullptr.
  std::vector<const char *> checks;
  Sampler sample;
  const char *doc;
};

/// Whether `value` passes MXNet's check `comparison`.
bool passes(const char *comparison, double value) {
  const std::string c = comparison;
  return c == "> 0" ? value > 0 : value >= 0;
}

const std::vector<Distribution> &distributions() {
  static const std::vector<Distribution> table = {
      {"uniform",
       {{"low", "low", "0"}, {"high", "high", "1"}},
       {nullptr, nullptr},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &) {
         return e.add(p[0], e.mul(unit(e, shape), e.sub(p[1], p[0])));
       },
       "Samples of the uniform distribution on [low, high)."},
      {"normal",
       {{"loc", "mu", "0"}, {"scale", "sigma", "1"}},
       {nullptr, "> 0"},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &) {
         return e.add(p[0], e.mul(standardNormal(e, shape), p[1]));
       },
       "Samples of the normal distribution N(loc, scale^2) (Box-Muller)."},
      {"gamma",
       {{"alpha", "alpha", "1"}, {"beta", "beta", "1"}},
       {"> 0", "> 0"},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &) {
         return e.mul(standardGamma(e, p[0], shape), p[1]);
       },
       "Samples of the gamma distribution of shape alpha and scale beta "
       "(mean alpha * beta), by Marsaglia and Tsang's method with 8 "
       "proposals per sample."},
      {"exponential",
       {{"lam", "lam", "1"}},
       {"> 0"},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &) {
         return e.div(e.neg(e("log1p", {e.neg(unit48(e, shape))})), p[0]);
       },
       "Samples of the exponential distribution of rate lam (mean 1 / lam)."},
      {"poisson",
       {{"lam", "lam", "1"}},
       {">= 0"},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &known) {
         return poisson(e, p[0], shape, known[0]);
       },
       "Samples of the Poisson distribution of mean lam (whole numbers in "
       "the output dtype): CDF inversion below 10, transformed rejection "
       "(PTRS) from 10."},
      {"negative_binomial",
       {{"k", "k", "1"}, {"p", "p", "1"}},
       {">= 0", nullptr},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &) {
         NDArray scale = e.div(e.sub(e.c(1), p[1]), p[1]);
         return poisson(e, e.mul(standardGamma(e, p[0], shape), scale), shape);
       },
       "Samples of the negative binomial distribution: failures before the "
       "k-th success of trials with success probability p, drawn as "
       "poisson(gamma(k, (1 - p) / p))."},
      {"generalized_negative_binomial",
       {{"mu", "mu", "1"}, {"alpha", "alpha", "1"}},
       {">= 0", ">= 0"},
       [](const Ew &e, const std::vector<NDArray> &p, const Shape &shape,
          const std::vector<std::optional<double>> &) {
         NDArray zero = e.test("eq", p[1], e.c(0));
         NDArray alpha = e.select(zero, e.c(1), p[1]);
         NDArray rate = e.mul(standardGamma(e, e.div(e.c(1), alpha), shape),
                              e.mul(alpha, p[0]));
         return poisson(e, e.select(zero, p[0], rate), shape);
       },
       "Samples of the generalized negative binomial distribution of mean mu "
       "and dispersion alpha (variance mu + alpha mu^2), drawn as "
       "poisson(gamma(1 / alpha, alpha * mu)); poisson(mu) at alpha = 0."},
  };
  return table;
}

//===----------------------------------------------------------------------===//
// Shapes, dtypes and results
//===----------------------------------------------------------------------===//

/// The `shape` attribute, or out's shape when it is None or () (MXNet
/// infers it from out then); else an error.
Shape requestedShape(const std::string &op, const Attrs &attrs,
                     const NDArray &out) {
  std::optional<std::vector<int64_t>> shape =
      attrs.getOptionalIntTuple("shape");
  if (shape && !shape->empty()) {
    for (int64_t extent : *shape)
      if (extent < 0)
        throw Error(formatMessage(op, ": shape ", shapeToString(*shape),
                                  " has a negative extent"));
    return *shape;
  }
  if (!out.isNone())
    return out.shape();
  throw Error(formatMessage(op,
                            ": shape expected a non-empty tuple (or an "
                            "out array to take it from), got ",
                            shape ? "()" : "None"));
}

/// The `dtype` attribute, one of `allowed` (MXNet's choices); None gives
/// out's dtype when out is given, else `fallback`.
DType requestedDType(const std::string &op, const Attrs &attrs,
                     const NDArray &out, std::initializer_list<DType> allowed,
                     DType fallback) {
  if (attrs.isNone("dtype"))
    return out.isNone() ? fallback : out.dtype();
  const std::string name = attrs.getString("dtype");
  std::string choices = "'None'";
  for (DType dtype : allowed) {
    if (name == dtypeName(dtype))
      return dtype;
    choices += std::string(", '") + dtypeName(dtype) + "'";
  }
  throw Error(formatMessage(op, ": dtype expected one of ", choices, ", got '",
                            name, "'"));
}

const std::initializer_list<DType> kFloatTypes = {
    DType::Float16, DType::Float32, DType::Float64};

/// A float64 result rounded to `dtype` (into out). float64 reaches float16
/// through float32 (the JIT has no direct conversion).
NDArray rounded(const NDArray &result, DType dtype, const NDArray &out) {
  if (dtype == DType::Float16 || dtype == DType::BFloat16)
    return dispatch::cast(dispatch::cast(result, DType::Float32), dtype, out);
  return dispatch::cast(result, dtype, out);
}

NDArray asFloat64(const NDArray &x) {
  return x.dtype() == kF64 ? x : dispatch::cast(x, kF64);
}

/// Number parameters checked as MXNet checks them; each as a float64
/// scalar.
std::vector<NDArray> numberParams(const std::string &op,
                                  const Distribution &dist, const Attrs &attrs,
                                  std::vector<std::optional<double>> &known) {
  std::vector<NDArray> params;
  for (size_t i = 0; i < dist.params.size(); ++i) {
    const char *name = dist.params[i].name;
    // negative_binomial's k is an integer (MXNet's `int`).
    const bool whole =
        std::string(dist.name) == "negative_binomial" && name[0] == 'k';
    const double value =
        whole ? static_cast<double>(attrs.getInt(name)) : attrs.getFloat(name);
    if (dist.checks[i] && !passes(dist.checks[i], value))
      throw Error(formatMessage(op, ": ", name, " expected ", dist.checks[i],
                                ", got ", value));
    known.push_back(value);
    params.push_back(dispatch::scalar(value, kF64));
  }
  if (std::string(dist.name) == "uniform" &&
      !(attrs.getFloat("low") <= attrs.getFloat("high")))
    throw Error(formatMessage(
        op, ": low expected <= high, got low=", attrs.getFloat("low"),
        ", high=", attrs.getFloat("high")));
  return params;
}

/// Samples for number parameters: uniform and normal straight from their
/// primitives, the others through their float64 samplers.
NDArray sampleFromNumbers(const std::string &op, const Distribution &dist,
                          const Attrs &attrs, const Shape &shape, DType dtype,
                          const NDArray &out) {
  std::vector<std::optional<double>> known;
  std::vector<NDArray> params = numberParams(op, dist, attrs, known);
  const std::string name = dist.name;
  if (name == "uniform" && *known[0] == *known[1]) // U[a, a] is a
    return dispatch::generate(op, {"broadcast_to", {}, {}},
                              {dispatch::scalar(*known[0], dtype)}, shape,
                              dtype, out);
  if (name == "uniform" || name == "normal") {
    // The primitives' parameters are compile-time attributes: always draw
    // U[0, 1) or N(0, 1) (one kernel for every call) and scale and shift
    // with run-time scalars, so an initializer with a new scale per layer
    // compiles nothing.
    const bool normal = name == "normal";
    const double a = *known[0], b = *known[1];
    const double scale = normal ? b : b - a;
    if (a == 0 && scale == 1)
      return primitiveDraw(op, normal, 0, 1, shape, dtype, out);
    NDArray draw = primitiveDraw(op, normal, 0, 1, shape, dtype);
    NDArray scaled = dispatch::elementwise(
        op, "mul", {draw, dispatch::scalar(scale, dtype)}, dtype);
    return dispatch::elementwise(
        op, "add", {scaled, dispatch::scalar(a, dtype)}, dtype, out);
  }
  Ew e(op, kF64);
  return rounded(dist.sample(e, params, shape, known), dtype, out);
}

/// _sample_<distribution>: parameter arrays of one shape P and dtype,
/// `shape` S samples for each, output P + S.
NDArray sampleFromArrays(const std::string &op, const Distribution &dist,
                         const std::vector<NDArray> &in, const Attrs &attrs,
                         const NDArray &out) {
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].shape() != in[0].shape())
      throw Error(formatMessage(
          op, ": ", dist.params[i].sampleName, " expected the shape of ",
          dist.params[0].sampleName, ", ", shapeToString(in[0].shape()),
          ", got ", shapeToString(in[i].shape())));
    if (in[i].dtype() != in[0].dtype())
      throw Error(formatMessage(
          op, ": ", dist.params[i].sampleName, " expected the dtype of ",
          dist.params[0].sampleName, ", ", dtypeName(in[0].dtype()), ", got ",
          dtypeName(in[i].dtype())));
  }
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].dtype() == DType::Bool)
      throw Error(formatMessage(op, ": ", dist.params[i].sampleName,
                                " expected a numeric array, got bool"));
  const Shape perParam = attrs.getIntTuple("shape");
  for (int64_t extent : perParam)
    if (extent < 0)
      throw Error(formatMessage(op, ": shape ", shapeToString(perParam),
                                " has a negative extent"));
  const DType dtype =
      requestedDType(op, attrs, NDArray(), kFloatTypes, DType::Float32);
  Shape outShape = in[0].shape();
  outShape.insert(outShape.end(), perParam.begin(), perParam.end());
  const int64_t rows = in[0].size();
  const int64_t each = checkedExtentProduct(op, numElements(perParam), 1);
  checkedExtentProduct(op, rows, each);
  // Parameters as (rows, 1) against samples (rows, each).
  std::vector<NDArray> params;
  for (const NDArray &param : in)
    params.push_back(dispatch::reshape(asFloat64(param), {rows, 1}));
  Ew e(op, kF64);
  NDArray samples = dist.sample(
      e, params, {rows, each},
      std::vector<std::optional<double>>(params.size(), std::nullopt));
  NDArray result = dispatch::reshape(samples, outShape);
  return rounded(result, dtype, out);
}

/// MXNet's samplers take no gradient: zeros for every input.
std::vector<NDArray> zeroGradients(const GradientArgs &args) {
  std::vector<NDArray> grads;
  for (const NDArray &input : args.inputs)
    grads.push_back(zerosOf(input.shape(), input.dtype()));
  return grads;
}

/// MXNet's _backward_sample_multinomial: only the log-probabilities carry a
/// gradient, d log p[s] / d p[s] = 1 / p[s], so each sample j of a row adds
/// grad_prob[j] / data[row, s_j] at its category s_j; the samples take none.
std::vector<NDArray> multinomialGradient(const OutputsGradientArgs &args) {
  const NDArray &data = args.inputs[0];
  if (args.outputs.size() < 2)
    return {zerosOf(data.shape(), data.dtype())};
  const int64_t categories = data.shape().back();
  const int64_t rows =
      numElements(data.shape()) / std::max<int64_t>(categories, 1);
  const int64_t count =
      numElements(args.outputs[0].shape()) / std::max<int64_t>(rows, 1);
  const std::string type = dtypeName(data.dtype());
  // (rows, count, categories): 1 at each sample's category.
  NDArray hot = call("one_hot",
                     {call("reshape", {args.outputs[0]},
                           {{"shape", shapeAttr({rows, count})}})},
                     {{"depth", std::to_string(categories)}, {"dtype", type}});
  NDArray table =
      call("reshape", {data}, {{"shape", shapeAttr({rows, 1, categories})}});
  NDArray picked =
      call("sum", {call("broadcast_mul", {hot, table})}, {{"axis", "2"}});
  NDArray ratio =
      call("elemwise_div", {call("reshape", {args.outputGrads[1]},
                                 {{"shape", shapeAttr({rows, count})}}),
                            picked});
  NDArray spread = call("broadcast_mul",
                        {hot, call("reshape", {ratio},
                                   {{"shape", shapeAttr({rows, count, 1})}})});
  return {call("reshape", {call("sum", {spread}, {{"axis", "1"}})},
               {{"shape", shapeAttr(data.shape())}})};
}

//===----------------------------------------------------------------------===//
// multinomial and shuffle
//===----------------------------------------------------------------------===//

std::vector<NDArray> sampleMultinomial(const NDArray &data, const Attrs &attrs,
                                       const std::vector<NDArray> &outs) {
  const std::string op = "_sample_multinomial";
  if (!isFloatDType(data.dtype()))
    throw Error(formatMessage(op,
                              ": data expected a floating-point array, "
                              "got ",
                              dtypeName(data.dtype())));
  if (data.shape().empty())
    throw Error(formatMessage(op, ": data expected rank 1 or more, got a "
                                  "rank-0 array"));
  const bool getProb = attrs.getBool("get_prob");
  const DType dtype =
      requestedDType(op, attrs, NDArray(),
                     {DType::Float16, DType::Float32, DType::Float64,
                      DType::Int32, DType::UInt8},
                     DType::Int32);
  const int64_t categories = data.shape().back();
  if (categories == 0)
    throw Error(formatMessage(op,
                              ": data expected at least one category "
                              "in its last axis, got shape ",
                              shapeToString(data.shape())));
  const Shape batch(data.shape().begin(), data.shape().end() - 1);
  const Shape perRow = attrs.getIntTuple("shape");
  for (int64_t extent : perRow)
    if (extent < 0)
      throw Error(formatMessage(op, ": shape ", shapeToString(perRow),
                                " has a negative extent"));
  Shape outShape = batch;
  outShape.insert(outShape.end(), perRow.begin(), perRow.end());
  if (outShape.empty())
    outShape = {1};
  const size_t expected = getProb ? 2 : 1;
  if (!outs.empty() && outs.size() != expected)
    throw Error(formatMessage(op, ": out expected ", expected, " arrays, got ",
                              outs.size()));
  const int64_t rows = numElements(batch);
  const int64_t count = checkedExtentProduct(op, numElements(perRow), 1);
  checkedExtentProduct(op, rows * count, categories);
  Ew e(op, kF64);
  // A sample is the number of cumulative probabilities at or below a
  // uniform draw (MXNet's: the first category whose cumulative sum exceeds
  // it), the last category when the row sums to less than the draw.
  NDArray table = dispatch::reshape(asFloat64(data), {rows, categories});
  NDArray cumulative = call("cumsum", {table}, {{"axis", "1"}});
  NDArray u = unit48(e, {rows, count});
  NDArray below = e.select(
      e.test("le", dispatch::reshape(cumulative, {rows, 1, categories}),
             dispatch::reshape(u, {rows, count, 1})),
      e.c(1), e.c(0));
  NDArray index =
      e("minimum", {dispatch::reduction("reduce_sum", below, {2}, false, kF64),
                    e.c(static_cast<double>(categories - 1))});
  std::vector<NDArray> results = {rounded(dispatch::reshape(index, outShape),
                                          dtype,
                                          outs.empty() ? NDArray() : outs[0])};
  if (getProb) {
    // log p of each sample, in data's dtype: p[row * categories + index].
    NDArray rowStart = e.mul(call("_arange", {},
                                  {{"start", "0"},
                                   {"stop", std::to_string(rows)},
                                   {"dtype", "float64"}}),
                             e.c(static_cast<double>(categories)));
    NDArray flat = e.add(dispatch::reshape(rowStart, {rows, 1}), index);
    NDArray picked = call("take", {dispatch::reshape(data, {rows * categories}),
                                   dispatch::cast(flat, DType::Int64)});
    results.push_back(dispatch::elementwise(
        op, "log", {dispatch::reshape(picked, outShape)}, data.dtype(),
        outs.empty() ? NDArray() : outs[1]));
  }
  return results;
}

NDArray shuffle(const NDArray &data, const NDArray &out) {
  const std::string op = "_shuffle";
  if (data.shape().empty())
    throw Error(formatMessage(op, ": data expected rank 1 or more, got a "
                                  "rank-0 array"));
  Ew e(op, kF64);
  // A random permutation: the order of 48-bit uniform keys (ties, of
  // probability about n^2 / 2^49, keep the original order).
  NDArray keys = unit48(e, {data.shape()[0]});
  NDArray order = call("argsort", {keys}, {{"dtype", "int64"}});
  return invokeOp("take", {data, order}, {{"axis", "0"}}, out);
}

const AttrSpec kCtx{"ctx", AttrSpec::Kind::String, ""};
const AttrSpec kDTypeNone{"dtype", AttrSpec::Kind::String, "None"};
const AttrSpec kShapeNone{"shape", AttrSpec::Kind::OptionalIntTuple, "None"};

const char *kRandomDoc =
    "\n\nshape: the output's shape (None takes out's); dtype: float16, "
    "float32 or float64 (None: out's dtype, else float32); ctx: the context "
    "to make the samples on (the current one by default). Each call draws "
    "fresh keys from mx.random.seed's seed, so a seed reproduces the "
    "sequence of arrays.";

} // namespace

void setRandomSeed(int64_t seed) {
  randomSeed = static_cast<uint64_t>(seed);
  randomCalls = 0;
}

uint64_t randomDrawCount() { return randomCalls.load(); }

void setRandomDrawCount(uint64_t count) { randomCalls = count; }

void registerRandomOps(OpRegistry &registry) {
  for (const Distribution &dist : distributions()) {
    const std::string base = dist.name;
    // _random_<name>: number parameters.
    std::vector<AttrSpec> attrs;
    for (const Param &param : dist.params)
      attrs.push_back(
          {param.name,
           base == "negative_binomial" && std::string(param.name) == "k"
               ? AttrSpec::Kind::Int
               : AttrSpec::Kind::Float,
           param.defaultValue});
    std::vector<AttrSpec> withShape = attrs;
    withShape.insert(withShape.end(), {kShapeNone, kCtx, kDTypeNone});
    const std::string randomName = "_random_" + base;
    std::vector<std::string> aliases = {"random_" + base};
    if (base == "uniform" || base == "normal")
      aliases.push_back(base);
    registry.add({randomName,
                  {},
                  withShape,
                  dist.doc + std::string(kRandomDoc),
                  [randomName, &dist](const std::vector<NDArray> &,
                                      const Attrs &attrs, const NDArray &out) {
                    autograd::RecordingScope unrecorded(false);
                    const Shape shape = requestedShape(randomName, attrs, out);
                    const DType dtype = requestedDType(
                        randomName, attrs, out, kFloatTypes, DType::Float32);
                    return sampleFromNumbers(randomName, dist, attrs, shape,
                                             dtype, out);
                  }},
                 aliases);
    // _random_<name>_like: data's shape and dtype.
    const std::string likeName = "_random_" + base + "_like";
    registry.add(
        {likeName,
         {"data"},
         attrs,
         dist.doc + std::string("\n\nThe output has data's shape and dtype "
                                "(float16, float32 or float64)."),
         [likeName, &dist](const std::vector<NDArray> &in, const Attrs &attrs,
                           const NDArray &out) {
           autograd::RecordingScope unrecorded(false);
           requireFloat(likeName, in[0]);
           return sampleFromNumbers(likeName, dist, attrs, in[0].shape(),
                                    in[0].dtype(), out);
         }});
    // _sample_<name>: parameter arrays.
    const std::string sampleName = "_sample_" + base;
    std::vector<std::string> inputs;
    for (const Param &param : dist.params)
      inputs.push_back(param.sampleName);
    registry.add(
        {sampleName,
         inputs,
         {{"shape", AttrSpec::Kind::IntTuple, "()"}, kDTypeNone},
         dist.doc + std::string("\n\nParameters are arrays of one shape P "
                                "(and dtype); `shape` S samples are drawn "
                                "for each, so the output has shape P + S. "
                                "dtype: float16, float32 or float64 (None: "
                                "float32). Constant to autograd (zero "
                                "gradients, as MXNet)."),
         [sampleName, &dist](const std::vector<NDArray> &in, const Attrs &attrs,
                             const NDArray &out) {
           return sampleFromArrays(sampleName, dist, in, attrs, out);
         },
         nullptr,
         zeroGradients},
        {"sample_" + base});
  }
  registry.add(
      {"_random_randint",
       {},
       {{"low", AttrSpec::Kind::Int, std::nullopt},
        {"high", AttrSpec::Kind::Int, std::nullopt},
        kShapeNone,
        kCtx,
        kDTypeNone},
       "Integers drawn uniformly from [low, high): floor(low + U (high - "
       "low)) with a 48-bit uniform U (every integer reachable for ranges "
       "up to 2^48).\n\ndtype: int32 or int64 (None: out's dtype, else "
       "int32).",
       [](const std::vector<NDArray> &, const Attrs &attrs,
          const NDArray &out) {
         const std::string op = "_random_randint";
         const int64_t low = attrs.getInt("low"), high = attrs.getInt("high");
         if (!(low < high))
           throw Error(formatMessage(op, ": low expected < high, got low=", low,
                                     ", high=", high));
         const Shape shape = requestedShape(op, attrs, out);
         const DType dtype = requestedDType(
             op, attrs, out, {DType::Int32, DType::Int64}, DType::Int32);
         Ew e(op, kF64);
         const double lowValue = static_cast<double>(low);
         const double width = static_cast<double>(high) - lowValue;
         NDArray value =
             e("floor",
               {e.add(e.mul(unit48(e, shape), e.c(width)), e.c(lowValue))});
         value = e("minimum", {value, e.c(static_cast<double>(high - 1))});
         return dispatch::cast(value, dtype, out);
       }},
      {"random_randint"});
  OpSpec multinomial{
      "_sample_multinomial",
      {"data"},
      {{"shape", AttrSpec::Kind::IntTuple, "()"},
       {"get_prob", AttrSpec::Kind::Bool, "False"},
       {"dtype", AttrSpec::Kind::String, "int32"}},
      "Samples of the categorical distributions in data's last axis (each "
      "row of probabilities should sum to 1): `shape` samples per row, "
      "output batch shape + shape ((1,) when both are empty). With "
      "get_prob, also the log-probability of each sample, in data's dtype, "
      "which autograd differentiates as MXNet's _backward_sample_multinomial "
      "(grad_prob / data at each sample's category; none through the "
      "samples)."
      "\n\ndtype: int32 (default), uint8, float16, float32 or float64.",
      nullptr};
  multinomial.computeOutputs = [](const std::vector<NDArray> &in,
                                  const Attrs &attrs,
                                  const std::vector<NDArray> &outs) {
    return sampleMultinomial(in[0], attrs, outs);
  };
  multinomial.outputsGradient = multinomialGradient;
  registry.add(multinomial, {"sample_multinomial"});
  registry.add(
      {"_shuffle",
       {"data"},
       {},
       "data with its first axis in a random order (a new array); "
       "any dtype.",
       [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
         autograd::RecordingScope unrecorded(false);
         return shuffle(in[0], out);
       }},
      {"shuffle"});
}

} // namespace ops
} // namespace kiln
