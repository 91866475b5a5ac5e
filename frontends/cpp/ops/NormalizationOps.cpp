//===- NormalizationOps.cpp - LayerNorm, InstanceNorm, GroupNorm, L2, LRN -===//
//
// MXNet 1.9.1's LayerNorm, InstanceNorm, GroupNorm, L2Normalization and LRN.
//
// The first four normalize over one axis of a rank-2 or rank-3 view of the
// data (a NormView: LayerNorm's (outer, C, inner) over C, InstanceNorm's
// (N, C, spatial) over spatial, GroupNorm's (N, G, C/G * spatial) over the
// last), so each forward pass is one fused kernel (FusedGraph.h) whose rows
// are independent: mean, variance and the affine scaling run per row while
// it is in cache. Their gradients are written (the decomposition's would be
// a dozen kernels): the input's as one fused kernel,
//   dx = rstd * (g' - mean(g') - xhat * mean(g' * xhat)),  g' = g * gamma,
// gamma's and beta's as sums of g * xhat and g over the other axes; under
// create_graph the same formulas run as recorded primitives, so they
// differentiate again. As MXNet's, the gradients of the mean and std
// outputs (output_mean_var) are ignored.
//
// LRN is a decomposition (a sum of shifted squares over the channels), so
// autograd differentiates its primitives.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/FusedGraph.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <algorithm>

namespace kiln {
namespace ops {
namespace {

/// Data as a rank-2 or rank-3 array normalized along `axis` (1 or 2), with
/// its parameters (gamma, beta) along axis 1.
struct NormView {
  Shape shape;
  int64_t axis;
  /// The parameters' shape in the view: 1 but on axis 1.
  Shape paramShape;
  /// The axes the parameters' gradients sum over: all but 1.
  std::vector<int64_t> paramSums;
  /// The broadcast dimensions of the parameters (FusedGraph units).
  uint64_t paramUnits;
};

/// A view (outer, middle, inner) normalized along `axis`, rank 2 when inner
/// is 1 (then the reduction runs along the contiguous last axis).
NormView viewOf(int64_t outer, int64_t middle, int64_t inner, int64_t axis) {
  if (inner == 1 && axis == 1)
    return {{outer, middle}, 1, {1, middle}, {0}, 0b01};
  return {{outer, middle, inner}, axis, {1, middle, 1}, {0, 2}, 0b101};
}

int64_t product(const Shape &shape, size_t begin, size_t end) {
  int64_t result = 1;
  for (size_t i = begin; i < end; ++i)
    result *= shape[i];
  return result;
}

/// The extent-1 reduced shape of the view.
Shape keptShape(const NormView &view) {
  Shape kept = view.shape;
  kept[view.axis] = 1;
  return kept;
}

// The formulas, for FusedGraph values and recorded arrays alike.

template <class V> struct Moments { V centered, rstd; };
template <class V> Moments<V> moments(const V &x, int64_t axis, const V &eps) {
  V centered = x - meanOver(x, {axis});
  return {centered, fn("rsqrt", meanOver(centered * centered, {axis}) + eps)};
}
template <class V>
V normForward(const V &x, const V &gamma, const V &beta, int64_t axis,
              const V &eps) {
  Moments<V> m = moments(x, axis, eps);
  return m.centered * m.rstd * gamma + beta;
}
template <class V> V normStd(const V &x, int64_t axis, const V &eps) {
  V centered = x - meanOver(x, {axis});
  return fn("sqrt", meanOver(centered * centered, {axis}) + eps);
}
template <class V>
V normInputGradient(const V &x, const V &gamma, const V &g, int64_t axis,
                    const V &eps) {
  Moments<V> m = moments(x, axis, eps);
  V xhat = m.centered * m.rstd;
  V scaled = g * gamma;
  return m.rstd * (scaled - meanOver(scaled, {axis}) -
                   xhat * meanOver(scaled * xhat, {axis}));
}
/// What gamma's gradient sums.
template <class V>
V normGammaTerm(const V &x, const V &g, int64_t axis, const V &eps) {
  Moments<V> m = moments(x, axis, eps);
  return g * m.centered * m.rstd;
}

/// The normalized, scaled and shifted data: one fused kernel.
NDArray normalize(const std::string &op, const NormView &view, const NDArray &x,
                  const NDArray &gamma, const NDArray &beta, double eps) {
  FusedGraph graph(op, view.shape.size());
  const DType dtype = computeTypeOf(x.dtype());
  GValue y = normForward(graph.input(dispatch::reshape(x, view.shape), dtype),
                         graph.input(dispatch::reshape(gamma, view.paramShape),
                                     dtype, view.paramUnits),
                         graph.input(dispatch::reshape(beta, view.paramShape),
                                     dtype, view.paramUnits),
                         view.axis, graph.number(eps, dtype));
  return dispatch::reshape(
      graph.run(y, view.shape, x.dtype(), /*splitRows=*/true), x.shape());
}

/// [mean, std] over the view's axis, each of `shape` (MXNet's).
std::vector<NDArray> meanAndStd(const std::string &op, const NormView &view,
                                const NDArray &x, double eps,
                                const Shape &shape) {
  NDArray data = dispatch::reshape(x, view.shape);
  NDArray mean = dispatch::reduction("reduce_mean", data, {view.axis},
                                     /*keepdims=*/true, x.dtype());
  FusedGraph graph(op, view.shape.size());
  const DType dtype = computeTypeOf(x.dtype());
  GValue std =
      normStd(graph.input(data, dtype), view.axis, graph.number(eps, dtype));
  NDArray deviation = graph.run(std, keptShape(view), x.dtype(), true);
  return {dispatch::reshape(mean, shape), dispatch::reshape(deviation, shape)};
}

/// The gradients of data, gamma and beta (none where an input takes none).
std::vector<NDArray> normBackward(const std::string &op, const NormView &view,
                                  const std::vector<NDArray> &inputs,
                                  const NDArray &outputGrad, double eps) {
  const NDArray &data = inputs[0], &gammaIn = inputs[1];
  const NDArray x = dispatch::reshape(data, view.shape),
                g = dispatch::reshape(outputGrad, view.shape),
                gamma = dispatch::reshape(gammaIn, view.paramShape);
  const Shape paramShape = gammaIn.shape();
  std::vector<NDArray> grads(3);
  auto wanted = [&](size_t i) { return autograd::takesGradient(inputs[i]); };
  if (autograd::isRecording()) {
    // create_graph: recorded primitives, differentiable again.
    Ew e(op, data.dtype());
    const EValue xv{&e, x}, gv{&e, g}, epsv{&e, e.c(eps)};
    if (wanted(0))
      grads[0] =
          normInputGradient(xv, EValue{&e, gamma}, gv, view.axis, epsv).a;
    if (wanted(1))
      grads[1] =
          sumOver(normGammaTerm(xv, gv, view.axis, epsv), view.paramSums).a;
    if (wanted(2))
      grads[2] = sumOver(gv, view.paramSums).a;
  } else {
    const DType dtype = computeTypeOf(data.dtype());
    if (wanted(0)) {
      FusedGraph graph(op, view.shape.size());
      GValue dx = normInputGradient(
          graph.input(x, dtype), graph.input(gamma, dtype, view.paramUnits),
          graph.input(g, dtype), view.axis, graph.number(eps, dtype));
      grads[0] = graph.run(dx, view.shape, data.dtype(), true);
    }
    if (wanted(1)) {
      FusedGraph graph(op, view.shape.size());
      GValue term = normGammaTerm(graph.input(x, dtype), graph.input(g, dtype),
                                  view.axis, graph.number(eps, dtype));
      grads[1] = dispatch::reduction(
          "reduce_sum", graph.run(term, view.shape, data.dtype(), true),
          view.paramSums, false, data.dtype());
    }
    if (wanted(2))
      grads[2] = dispatch::reduction("reduce_sum", g, view.paramSums, false,
                                     data.dtype());
  }
  if (!grads[0].isNone())
    grads[0] = dispatch::reshape(grads[0], data.shape());
  for (size_t i = 1; i < 3; ++i)
    if (!grads[i].isNone())
      grads[i] = dispatch::reshape(grads[i], paramShape);
  return grads;
}

/// `op: name expected shape (extent,) (what), got ...` and the same for the
/// dtype (data's).
void requireParam(const std::string &op, const char *name, const NDArray &param,
                  int64_t extent, const char *what, const NDArray &data) {
  if (param.shape() != Shape{extent})
    throw Error(formatMessage(op, ": ", name, " expected shape ",
                              shapeToString({extent}), " (", what, "), got ",
                              shapeToString(param.shape())));
  if (param.dtype() != data.dtype())
    throw Error(formatMessage(op, ": ", name, " expected dtype ",
                              dtypeName(data.dtype()), " (data's), got ",
                              dtypeName(param.dtype())));
}

void requireRank(const std::string &op, const NDArray &x, size_t rank,
                 const char *why = "") {
  requireFloat(op, x);
  if (x.shape().size() < rank)
    throw Error(formatMessage(op, ": data expected rank ", rank, " or more",
                              why, ", got shape ", shapeToString(x.shape())));
}

// LayerNorm, InstanceNorm and GroupNorm: their views.

NormView layerView(const Shape &shape, int64_t axis) {
  return viewOf(product(shape, 0, axis), shape[axis],
                product(shape, axis + 1, shape.size()), 1);
}
NormView instanceView(const Shape &shape) {
  return viewOf(shape[0], shape[1], product(shape, 2, shape.size()), 2);
}
NormView groupView(const Shape &shape, int64_t groups) {
  return viewOf(shape[0], groups, product(shape, 1, shape.size()) / groups, 2);
}

/// LayerNorm's arguments checked; its view.
NormView layerArguments(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "LayerNorm";
  const NDArray &x = in[0];
  requireRank(op, x, 1);
  const int64_t axis = checkedAxis(op, attrs.getInt("axis"),
                                   static_cast<int64_t>(x.shape().size()));
  for (size_t i = 1; i < 3; ++i)
    requireParam(op, i == 1 ? "gamma" : "beta", in[i], x.shape()[axis],
                 "data's extent along axis", x);
  return layerView(x.shape(), axis);
}

NormView groupArguments(const std::vector<NDArray> &in, const Attrs &attrs) {
  const std::string op = "GroupNorm";
  const NDArray &x = in[0];
  requireRank(op, x, 3, " (N, C, ...)");
  const int64_t groups = attrs.getInt("num_groups");
  if (groups < 1 || x.shape()[1] % groups != 0)
    throw Error(formatMessage("GroupNorm: num_groups expected a positive "
                              "divisor of the ",
                              x.shape()[1], " channels, got ", groups));
  for (size_t i = 1; i < 3; ++i)
    requireParam(op, i == 1 ? "gamma" : "beta", in[i], groups,
                 "num_groups: MXNet 1.9.1 scales each group", x);
  return groupView(x.shape(), groups);
}

NormView instanceArguments(const std::vector<NDArray> &in) {
  const std::string op = "InstanceNorm";
  const NDArray &x = in[0];
  requireRank(op, x, 3, " (N, C, ...)");
  for (size_t i = 1; i < 3; ++i)
    requireParam(op, i == 1 ? "gamma" : "beta", in[i], x.shape()[1],
                 "data's channels", x);
  return instanceView(x.shape());
}

/// LayerNorm or GroupNorm: the output, then with output_mean_var the mean
/// and std of `momentShape`.
std::vector<NDArray> normOutputs(const std::string &op, const NormView &view,
                                 const std::vector<NDArray> &in,
                                 const Attrs &attrs, const Shape &momentShape,
                                 const std::vector<NDArray> &outs) {
  const double eps = attrs.getFloat("eps");
  std::vector<NDArray> results = {
      normalize(op, view, in[0], in[1], in[2], eps)};
  if (attrs.getBool("output_mean_var")) {
    std::vector<NDArray> moments =
        meanAndStd(op, view, in[0], eps, momentShape);
    results.insert(results.end(), moments.begin(), moments.end());
  }
  return deliverOutputs(op, std::move(results), outs);
}

const char *kNormErrors =
    "\n\nErrors: integer data, gamma or beta of another shape or dtype.";

void registerLayerNorms(OpRegistry &registry) {
  OpSpec layer{
      "LayerNorm",
      {"data", "gamma", "beta"},
      {{"axis", AttrSpec::Kind::Int, "-1"},
       {"eps", AttrSpec::Kind::Float, "1e-05"},
       {"output_mean_var", AttrSpec::Kind::Bool, "False"}},
      std::string(
          "Layer normalization along one axis, as MXNet 1.9.1's LayerNorm: "
          "(x - mean) / sqrt(var + eps) * gamma + beta, mean and variance "
          "(biased) over `axis` (default -1), gamma and beta of shape (C,), "
          "C data's extent along it. One fused kernel.\n\ndata: floating "
          "point, rank 1 or more (float16/bfloat16 compute in float32); eps "
          "default 1e-5. output_mean_var=True also returns the mean and std "
          "(sqrt(var + eps)), of data's shape with 1 on the axis, whose "
          "gradients are ignored, as in MXNet.") +
          kNormErrors + " An axis out of range."};
  layer.computeOutputs = [](const std::vector<NDArray> &in, const Attrs &attrs,
                            const std::vector<NDArray> &outs) {
    const NormView view = layerArguments(in, attrs);
    const int64_t axis =
        checkedAxis("LayerNorm", attrs.getInt("axis"), in[0].shape().size());
    Shape momentShape = in[0].shape();
    momentShape[axis] = 1;
    return normOutputs("LayerNorm", view, in, attrs, momentShape, outs);
  };
  layer.outputsGradient = [](const OutputsGradientArgs &args) {
    return normBackward("LayerNorm", layerArguments(args.inputs, args.attrs),
                        args.inputs, args.outputGrads[0],
                        args.attrs.getFloat("eps"));
  };
  registry.add(std::move(layer));

  OpSpec group{
      "GroupNorm",
      {"data", "gamma", "beta"},
      {{"num_groups", AttrSpec::Kind::Int, "1"},
       {"eps", AttrSpec::Kind::Float, "1e-05"},
       {"output_mean_var", AttrSpec::Kind::Bool, "False"}},
      std::string(
          "Group normalization, as MXNet 1.9.1's GroupNorm: data (N, C, ...) "
          "as (N, num_groups, C / num_groups, ...), each group normalized "
          "by its mean and (biased) variance, (x - mean) / sqrt(var + eps), "
          "then scaled and shifted per group: gamma and beta have shape "
          "(num_groups,) in MXNet 1.9.1, not (C,). One fused "
          "kernel.\n\ndata: floating point, rank 3 or more; num_groups "
          "(default 1) divides C; eps default 1e-5. output_mean_var=True also "
          "returns the mean and std (sqrt(var + eps)), of shape (N, "
          "num_groups), whose gradients are ignored, as in MXNet.") +
          kNormErrors + " Rank below 3, num_groups not dividing C."};
  group.computeOutputs = [](const std::vector<NDArray> &in, const Attrs &attrs,
                            const std::vector<NDArray> &outs) {
    const NormView view = groupArguments(in, attrs);
    return normOutputs("GroupNorm", view, in, attrs,
                       {in[0].shape()[0], attrs.getInt("num_groups")}, outs);
  };
  group.outputsGradient = [](const OutputsGradientArgs &args) {
    return normBackward("GroupNorm", groupArguments(args.inputs, args.attrs),
                        args.inputs, args.outputGrads[0],
                        args.attrs.getFloat("eps"));
  };
  registry.add(std::move(group));

  registry.add(
      {"InstanceNorm",
       {"data", "gamma", "beta"},
       {{"eps", AttrSpec::Kind::Float, "0.001"}},
       std::string(
           "Instance normalization, as MXNet 1.9.1's InstanceNorm: each "
           "(sample, channel) of data (N, C, ...) normalized over its "
           "spatial elements, (x - mean) / sqrt(var + eps) * gamma + beta "
           "with the (biased) variance, gamma and beta of shape (C,). One "
           "fused kernel.\n\ndata: floating point (MXNet takes float32 "
           "only), rank 3 or more; eps default 1e-3.") +
           kNormErrors + " Rank below 3.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return normalize("InstanceNorm", instanceArguments(in), in[0], in[1],
                          in[2], attrs.getFloat("eps"));
       },
       nullptr,
       [](const GradientArgs &args) {
         return normBackward("InstanceNorm", instanceArguments(args.inputs),
                             args.inputs, args.outputGrad,
                             args.attrs.getFloat("eps"));
       }});
}

// L2Normalization: x / sqrt(sum(x^2) + eps) over a view's axis.

template <class V> V l2Forward(const V &x, int64_t axis, const V &eps) {
  return x * fn("rsqrt", sumOver(x * x, {axis}) + eps);
}
template <class V>
V l2Gradient(const V &x, const V &g, int64_t axis, const V &eps) {
  V rnorm = fn("rsqrt", sumOver(x * x, {axis}) + eps);
  V y = x * rnorm;
  return (g - y * sumOver(g * y, {axis})) * rnorm;
}

NormView l2View(const NDArray &x, const Attrs &attrs) {
  const std::string op = "L2Normalization";
  const std::string mode =
      attrs.getChoice("mode", {"instance", "channel", "spatial"});
  const Shape &shape = x.shape();
  if (mode == "instance") {
    requireRank(op, x, 1);
    return viewOf(shape[0], product(shape, 1, shape.size()), 1, 1);
  }
  requireRank(op, x, 3,
              mode == "channel" ? " in channel mode" : " in spatial mode");
  const int64_t rest = product(shape, 2, shape.size());
  return viewOf(shape[0], shape[1], rest, mode == "channel" ? 1 : 2);
}

NDArray l2Normalize(const NDArray &x, const Attrs &attrs) {
  const NormView view = l2View(x, attrs);
  FusedGraph graph("L2Normalization", view.shape.size());
  const DType dtype = computeTypeOf(x.dtype());
  GValue y = l2Forward(graph.input(dispatch::reshape(x, view.shape), dtype),
                       view.axis, graph.number(attrs.getFloat("eps"), dtype));
  return dispatch::reshape(graph.run(y, view.shape, x.dtype(), true),
                           x.shape());
}

std::vector<NDArray> l2Backward(const GradientArgs &args) {
  const NDArray &data = args.inputs[0];
  const NormView view = l2View(data, args.attrs);
  const NDArray x = dispatch::reshape(data, view.shape),
                g = dispatch::reshape(args.outputGrad, view.shape);
  const double eps = args.attrs.getFloat("eps");
  NDArray grad;
  if (autograd::isRecording()) {
    Ew e("L2Normalization", data.dtype());
    grad = l2Gradient(EValue{&e, x}, EValue{&e, g}, view.axis,
                      EValue{&e, e.c(eps)})
               .a;
  } else {
    FusedGraph graph("L2Normalization", view.shape.size());
    const DType dtype = computeTypeOf(data.dtype());
    grad = graph.run(l2Gradient(graph.input(x, dtype), graph.input(g, dtype),
                                view.axis, graph.number(eps, dtype)),
                     view.shape, data.dtype(), true);
  }
  return {dispatch::reshape(grad, data.shape())};
}

// LRN: x * (knorm + alpha / nsize * sum of x^2 over nsize channels)^-beta.

NDArray lrn(const NDArray &x, const Attrs &attrs) {
  const std::string op = "LRN";
  requireFloat(op, x);
  if (x.shape().size() != 4)
    throw Error(formatMessage("LRN: data expected rank 4 (N, C, H, W), got "
                              "shape ",
                              shapeToString(x.shape())));
  const int64_t size = attrs.getInt("nsize");
  if (size < 1)
    throw Error(formatMessage("LRN: nsize expected 1 or more, got ", size));
  const double alpha = attrs.getFloat("alpha"), beta = attrs.getFloat("beta"),
               knorm = attrs.getFloat("knorm");
  // Channel c sums channels [c - half, c + half], clipped, half =
  // (nsize - 1) / 2: an even nsize sums nsize - 1 channels but still scales
  // by alpha / nsize, as MXNet 1.9.1 (oneDNN) does. Past C - 1 channels the
  // window reaches only zeros, so half stops there (a huge nsize costs no
  // more than the channel count).
  const int64_t channels = x.shape()[1];
  const int64_t before = std::max<int64_t>(
                    0, std::min((size - 1) / 2, channels - 1)),
                after = before;
  Ew e(op, x.dtype());
  NDArray squares = e("square", {x});
  auto zeros = [&](int64_t count) {
    Shape shape = x.shape();
    shape[1] = count;
    return zerosOf(shape, x.dtype());
  };
  std::vector<NDArray> parts;
  if (before > 0)
    parts.push_back(zeros(before));
  parts.push_back(squares);
  if (after > 0)
    parts.push_back(zeros(after));
  NDArray padded =
      parts.size() == 1 ? squares : call("concat", parts, {{"dim", "1"}});
  NDArray sum;
  for (int64_t k = 0; k <= before + after; ++k) {
    NDArray window = call("slice_axis", {padded},
                          {{"axis", "1"},
                           {"begin", std::to_string(k)},
                           {"end", std::to_string(k + channels)}});
    sum = k == 0 ? window : e.add(sum, window);
  }
  NDArray norm = e.add(e.mul(sum, e.c(alpha / size)), e.c(knorm));
  return e.mul(x, e("pow", {norm, e.c(-beta)}));
}

void registerOtherNorms(OpRegistry &registry) {
  registry.add(
      {"L2Normalization",
       {"data"},
       {{"eps", AttrSpec::Kind::Float, "1e-10"},
        {"mode", AttrSpec::Kind::String, "instance"}},
       "x / sqrt(sum(x^2) + eps), as MXNet 1.9.1's L2Normalization; the sum "
       "runs, by mode, over all axes but 0 ('instance', the default; each "
       "element alone for 1-D data), over axis 1 ('channel'), or over axes "
       "2 and beyond ('spatial'). One fused kernel; the gradient is "
       "written, (g - y sum(g y)) / norm.\n\ndata: floating point; rank 3 "
       "or more in channel and spatial modes. eps default 1e-10.\n\nErrors: "
       "integer data, too low a rank, an unknown mode.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         requireFloat("L2Normalization", in[0]);
         return l2Normalize(in[0], attrs);
       },
       nullptr,
       l2Backward});
  registry.add(
      {"LRN",
       {"data"},
       {{"alpha", AttrSpec::Kind::Float, "0.0001"},
        {"beta", AttrSpec::Kind::Float, "0.75"},
        {"knorm", AttrSpec::Kind::Float, "2"},
        {"nsize", AttrSpec::Kind::Int, std::nullopt}},
       "Local response normalization across channels, as MXNet 1.9.1's "
       "LRN: x / (knorm + alpha / nsize * sum of x^2 over nsize neighbouring "
       "channels)^beta, the window [c - h, c + h] clipped to the channels, h "
       "= (nsize - 1) / 2 (an even nsize sums nsize - 1 channels, as MXNet "
       "1.9.1's oneDNN path does). Defaults alpha 1e-4, beta 0.75, knorm 2; "
       "nsize "
       "required.\n\ndata: floating point (MXNet takes float32 only), rank "
       "4 (N, C, H, W).\n\nErrors: integer data, another rank, nsize below "
       "1.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         return lrn(in[0], attrs);
       }});
}

} // namespace

void registerNormalizationOps(OpRegistry &registry) {
  registerLayerNorms(registry);
  registerOtherNorms(registry);
}

} // namespace ops
} // namespace kiln
