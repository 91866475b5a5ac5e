//===- RandomDensityOps.cpp - MXNet's densities of distributions ----------===//
//
// MXNet 1.9.1's _random_pdf_<distribution>: the density (or, with is_log,
// the log-density) of uniform, normal, gamma, exponential, poisson,
// negative_binomial, generalized_negative_binomial and dirichlet at each
// sample, for parameter arrays of shape P and samples of shape P + S.
//
// Each is a decomposition into elementwise primitives and the gammaln op,
// so autograd differentiates it in the parameters and the sample; the
// sample of a discrete distribution takes no gradient (stop_gradient), as
// in MXNet. As in MXNet, nothing tests that a sample lies in the support.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Elementwise.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace kiln {
namespace ops {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// The log-density of a distribution at `sample`, its parameters reshaped
/// to broadcast against it (dtype of the sample).
using LogDensity = std::function<NDArray(const Ew &, const NDArray &sample,
                                         const std::vector<NDArray> &params)>;

struct Density {
  const char *name;
  std::vector<const char *> params;
  /// Whether the sample takes no gradient (discrete distributions).
  bool discrete;
  LogDensity logDensity;
  const char *doc;
};

NDArray gammaln(const NDArray &x) { return call("gammaln", {x}); }

/// ln C(x + k - 1, x) = lgamma(x + k) - lgamma(x + 1) - lgamma(k).
NDArray logBinomial(const Ew &e, const NDArray &x, const NDArray &k) {
  return e.sub(e.sub(gammaln(e.add(x, k)), gammaln(e.add(x, e.c(1)))),
               gammaln(k));
}

const std::vector<Density> &densities() {
  static const std::vector<Density> table = {
      {"uniform",
       {"low", "high"},
       false,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         // 1 / (high - low) wherever the sample is, as MXNet.
         NDArray value = e.neg(e("log", {e.sub(p[1], p[0])}));
         return dispatch::broadcastTo(value, x.shape(), e.op());
       },
       "1 / (high - low) (MXNet does not test that the sample lies in "
       "[low, high))."},
      {"normal",
       {"mu", "sigma"},
       false,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         NDArray z = e.div(e.sub(x, p[0]), p[1]);
         return e.sub(e.mul(e("square", {z}), e.c(-0.5)),
                      e.add(e("log", {p[1]}), e.c(0.5 * std::log(2 * kPi))));
       },
       "exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))."},
      {"gamma",
       {"alpha", "beta"},
       false,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         // beta is the rate here, as in MXNet's density (its sampler's beta
         // is the scale).
         return e.sub(e.add(e.mul(p[0], e("log", {p[1]})),
                            e.mul(e.sub(p[0], e.c(1)), e("log", {x}))),
                      e.add(e.mul(p[1], x), gammaln(p[0])));
       },
       "beta^alpha x^(alpha - 1) e^(-beta x) / Gamma(alpha): beta is the "
       "rate, as MXNet's density (the sampler's beta is the scale)."},
      {"exponential",
       {"lam"},
       false,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         return e.sub(e("log", {p[0]}), e.mul(p[0], x));
       },
       "lam e^(-lam x)."},
      {"poisson",
       {"lam"},
       true,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         return e.sub(e.sub(e.mul(x, e("log", {p[0]})), p[0]),
                      gammaln(e.add(x, e.c(1))));
       },
       "lam^x e^(-lam) / x!."},
      {"negative_binomial",
       {"k", "p"},
       true,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         return e.add(logBinomial(e, x, p[0]),
                      e.add(e.mul(p[0], e("log", {p[1]})),
                            e.mul(x, e("log1p", {e.neg(p[1])}))));
       },
       "C(x + k - 1, x) p^k (1 - p)^x: x failures before the k-th success."},
      {"generalized_negative_binomial",
       {"mu", "alpha"},
       true,
       [](const Ew &e, const NDArray &x, const std::vector<NDArray> &p) {
         // The negative binomial with k = 1 / alpha, p = 1 / (1 + alpha mu).
         NDArray k = e.div(e.c(1), p[1]);
         NDArray spread = e.mul(p[1], p[0]);
         NDArray logOnePlus = e("log1p", {spread});
         return e.add(logBinomial(e, x, k),
                      e.sub(e.mul(x, e.sub(e("log", {spread}), logOnePlus)),
                            e.mul(k, logOnePlus)));
       },
       "The negative binomial density with k = 1 / alpha and p = 1 / (1 + "
       "alpha mu) (mean mu, variance mu + alpha mu^2)."},
  };
  return table;
}

/// The density, or with is_log the log-density itself (into out).
NDArray densityResult(const std::string &op, const NDArray &logDensity,
                      bool isLog, const NDArray &out) {
  if (!isLog)
    return dispatch::elementwise(op, "exp", {logDensity}, logDensity.dtype(),
                                 out);
  return out.isNone() ? logDensity
                      : dispatch::cast(logDensity, logDensity.dtype(), out);
}

/// _random_pdf_<distribution>: sample of shape P + S, parameters of shape P
/// and the sample's dtype; the output has the sample's shape.
NDArray density(const std::string &op, const Density &dist,
                const std::vector<NDArray> &in, const Attrs &attrs,
                const NDArray &out) {
  const NDArray &sample = in[0];
  requireFloat(op, sample);
  const Shape &paramShape = in[1].shape();
  for (size_t i = 1; i < in.size(); ++i) {
    const char *name = dist.params[i - 1];
    if (in[i].dtype() != sample.dtype())
      throw Error(formatMessage(
          op, ": ", name, " expected the sample's dtype, ",
          dtypeName(sample.dtype()), ", got ", dtypeName(in[i].dtype())));
    if (in[i].shape() != paramShape)
      throw Error(formatMessage(op, ": ", name, " expected the shape of ",
                                dist.params[0], ", ", shapeToString(paramShape),
                                ", got ", shapeToString(in[i].shape())));
  }
  const Shape &shape = sample.shape();
  if (shape.size() < paramShape.size() ||
      !std::equal(paramShape.begin(), paramShape.end(), shape.begin()))
    throw Error(formatMessage(op, ": sample's shape expected to start with ",
                              dist.params[0], "'s shape ",
                              shapeToString(paramShape), ", got ",
                              shapeToString(shape)));
  Shape broadcastable = paramShape;
  broadcastable.resize(shape.size(), 1);
  std::vector<NDArray> params;
  for (size_t i = 1; i < in.size(); ++i)
    params.push_back(dispatch::reshape(in[i], broadcastable));
  Ew e(op, sample.dtype());
  NDArray x = dist.discrete ? call("stop_gradient", {sample}) : sample;
  NDArray logDensity = dist.logDensity(e, x, params);
  return densityResult(op, logDensity, attrs.getBool("is_log"), out);
}

/// _random_pdf_dirichlet: sample (P..., S..., K), alpha (P..., K); output
/// (P..., S...).
NDArray dirichletDensity(const std::vector<NDArray> &in, const Attrs &attrs,
                         const NDArray &out) {
  const std::string op = "_random_pdf_dirichlet";
  const NDArray &sample = in[0], &alpha = in[1];
  requireFloat(op, sample);
  if (alpha.dtype() != sample.dtype())
    throw Error(formatMessage(op, ": alpha expected the sample's dtype, ",
                              dtypeName(sample.dtype()), ", got ",
                              dtypeName(alpha.dtype())));
  const Shape &shape = sample.shape(), &alphaShape = alpha.shape();
  if (alphaShape.empty() || shape.size() < alphaShape.size() ||
      shape.back() != alphaShape.back() ||
      !std::equal(alphaShape.begin(), alphaShape.end() - 1, shape.begin()))
    throw Error(formatMessage(
        op,
        ": sample's shape expected alpha's leading axes, then any "
        "axes, then alpha's last axis, for alpha of shape ",
        shapeToString(alphaShape), ", got ", shapeToString(shape)));
  const int64_t rank = shape.size();
  Shape broadcastable(alphaShape.begin(), alphaShape.end() - 1);
  broadcastable.resize(rank - 1, 1);
  broadcastable.push_back(alphaShape.back());
  NDArray a = dispatch::reshape(alpha, broadcastable);
  Ew e(op, sample.dtype());
  auto sumLast = [&](const NDArray &x) {
    return dispatch::reduction("reduce_sum", x,
                               {static_cast<int64_t>(x.shape().size()) - 1},
                               false, sample.dtype());
  };
  // sum (a_i - 1) ln x_i + lgamma(sum a_i) - sum lgamma(a_i).
  NDArray logDensity =
      e.add(sumLast(e.mul(e.sub(a, e.c(1)), e("log", {sample}))),
            e.sub(gammaln(sumLast(a)), sumLast(gammaln(a))));
  return densityResult(op, logDensity, attrs.getBool("is_log"), out);
}

const AttrSpec kIsLog{"is_log", AttrSpec::Kind::Bool, "False"};

} // namespace

void registerRandomDensityOps(OpRegistry &registry) {
  for (const Density &dist : densities()) {
    const std::string name = std::string("_random_pdf_") + dist.name;
    std::vector<std::string> inputs = {"sample"};
    inputs.insert(inputs.end(), dist.params.begin(), dist.params.end());
    registry.add(
        {name,
         inputs,
         {kIsLog},
         std::string("The density (log-density with is_log) of the ") +
             dist.name + " distribution at each sample: " + dist.doc +
             "\n\nsample: shape P + S; each parameter: shape P, the sample's "
             "(floating-point) dtype. Output: the sample's shape. "
             "Differentiable in the parameters" +
             (dist.discrete ? " (the sample takes no gradient)."
                            : " and the sample."),
         [name, &dist](const std::vector<NDArray> &in, const Attrs &attrs,
                       const NDArray &out) {
           return density(name, dist, in, attrs, out);
         }},
        {std::string("random_pdf_") + dist.name});
  }
  registry.add(
      {"_random_pdf_dirichlet",
       {"sample", "alpha"},
       {kIsLog},
       "The density (log-density with is_log) of the Dirichlet "
       "distribution: Gamma(sum a) / prod Gamma(a_i) prod x_i^(a_i "
       "- 1).\n\nsample: shape P + S + (K,); alpha: P + (K,), the "
       "sample's dtype. Output: P + S. Differentiable in sample and "
       "alpha.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) { return dirichletDensity(in, attrs, out); }},
      {"random_pdf_dirichlet"});
}

} // namespace ops
} // namespace kiln
