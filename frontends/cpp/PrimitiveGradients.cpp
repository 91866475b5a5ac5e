//===- PrimitiveGradients.cpp ---------------------------------------------===//
#include "frontends/cpp/PrimitiveGradients.h"

#include "compiler/Autodiff.h"
#include "compiler/GraphBuilder.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "frontends/cpp/ops/Ops.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/cpu/Convolution.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>

namespace kiln {
namespace autograd {
namespace {

using Grads = std::vector<NDArray>;
const char *const kOp = "backward";

/// A tensor as the runtime's convolution kernels see it, read when the
/// kernel runs (a captured buffer may have moved by then).
StridedView<float> floatView(const Tensor &tensor) {
  return StridedView<float>(static_cast<float *>(tensor.data()), tensor.shape(),
                            tensor.strides());
}

/// The library calls' params of a convolution's signature attributes.
std::vector<int64_t>
convolutionParams(const std::map<std::string, std::vector<int64_t>> &attributes) {
  std::vector<int64_t> params;
  for (const char *name :
       {"strides", "padding_low", "padding_high", "dilations", "groups"}) {
    const std::vector<int64_t> &values = attributes.at(name);
    params.insert(params.end(), values.begin(), values.end());
  }
  return params;
}

/// The gradients of y = convolution(x, w) (+ b where `withBias`) for dy, as
/// one engine op (see runtime's convolutionBackward: the output gradient is
/// converted to oneDNN's layout once, not once per gradient, and the bias
/// gradient is summed as it is read). `attributes` are the convolution's
/// signature attributes. Returns dx, dw and db (none without the bias).
std::vector<NDArray> convolutionGradients(
    const NDArray &x, const NDArray &w, const NDArray &dy, bool withBias,
    const std::map<std::string, std::vector<int64_t>> &attributes) {
  NDArray dx = NDArray::empty(x.shape(), DType::Float32, dy.device());
  NDArray dw = NDArray::empty(w.shape(), DType::Float32, dy.device());
  NDArray db = withBias ? NDArray::empty({w.shape()[0]}, DType::Float32,
                                         dy.device())
                        : NDArray();
  std::vector<VarPtr> written = {dx.var(), dw.var()};
  std::optional<Tensor> biasGrad;
  if (withBias) {
    written.push_back(db.var());
    biasGrad = db.tensor();
  }
  Engine::global().push(
      [x = x.tensor(), w = w.tensor(), dy = dy.tensor(), dx = dx.tensor(),
       dw = dw.tensor(), biasGrad, params = convolutionParams(attributes)] {
        std::optional<StridedView<float>> biasView;
        if (biasGrad)
          biasView.emplace(floatView(*biasGrad));
        convolutionBackward(floatView(x), floatView(w), floatView(dy),
                            floatView(dx), floatView(dw), params,
                            biasView ? &*biasView : nullptr);
      },
      dy.device(), {x.var(), w.var(), dy.var()}, written,
      /*priority=*/0, "convolution_backward");
  return {dx, dw, db};
}

/// dw and db of y = convolution(x, w) + b for dy, as one engine op: the
/// library sums the bias gradient as it reads dy for the filter's.
std::pair<NDArray, NDArray> convolutionFilterAndBiasGradients(
    const NDArray &x, const NDArray &w, const NDArray &dy,
    const std::map<std::string, std::vector<int64_t>> &attributes) {
  NDArray dw = NDArray::empty(w.shape(), DType::Float32, dy.device());
  NDArray db = NDArray::empty({w.shape()[0]}, DType::Float32, dy.device());
  Engine::global().push(
      [x = x.tensor(), dy = dy.tensor(), dw = dw.tensor(), db = db.tensor(),
       params = convolutionParams(attributes)] {
        convolutionFilterGradient(floatView(x), floatView(dy), floatView(dw),
                                  floatView(db), params);
      },
      dy.device(), {x.var(), dy.var()}, {dw.var(), db.var()},
      /*priority=*/0, "convolution_backward_filter");
  return {dw, db};
}

NDArray ew(const char *primitive, const std::vector<NDArray> &inputs) {
  return dispatch::elementwise(kOp, primitive, inputs, inputs[0].dtype());
}
NDArray constant(double value, const NDArray &like) {
  return dispatch::scalar(value, like.dtype());
}
NDArray mul(const NDArray &a, const NDArray &b) { return ew("mul", {a, b}); }
NDArray div(const NDArray &a, const NDArray &b) { return ew("div", {a, b}); }
NDArray neg(const NDArray &a) { return ew("neg", {a}); }
NDArray scaled(const NDArray &a, double factor) {
  return mul(a, constant(factor, a));
}
/// 1 where `comparison` holds, else 0, in a's dtype.
NDArray where(const char *comparison, const NDArray &a, const NDArray &b) {
  return dispatch::cast(
      dispatch::elementwise(kOp, comparison, {a, b}, DType::Bool), a.dtype());
}

using dispatch::broadcastTo;
using dispatch::reshape;

/// The gradient of a broadcast from `shape`: summed over the broadcast
/// axes.
NDArray sumTo(const NDArray &grad, const Shape &shape) {
  if (grad.shape() == shape)
    return grad;
  const Shape &from = grad.shape();
  const size_t lead = from.size() - shape.size();
  std::vector<int64_t> axes;
  for (size_t d = 0; d < from.size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && from[d] != 1))
      axes.push_back(static_cast<int64_t>(d));
  NDArray summed =
      dispatch::reduction("reduce_sum", grad, axes, true, grad.dtype());
  return reshape(summed, shape);
}

/// A broadcasting primitive's partials; `need[i]` says whether input i takes
/// a gradient (the others may be left none).
using Partials =
    std::function<Grads(const Grads &in, const NDArray &out, const NDArray &g,
                        const std::vector<bool> &need)>;
using Slope = std::function<NDArray(const NDArray &x, const NDArray &out)>;

/// kiln-autodiff's gradient of the elementwise `primitive` (unary or
/// binary) on rank-1 arrays of `dtype`, gradients only, of the operands
/// `need` marks (the others are grad_req null):
/// `@<primitive>_grad(operands..., dy) -> (gradients...)`. Derived from the
/// dialect's rule (GradientOpInterface) once per primitive, dtype and
/// `need`, then kept.
const std::string &elementwiseGradientSource(const std::string &primitive,
                                             DType dtype,
                                             const std::vector<bool> &need) {
  static std::mutex mutex;
  static auto *sources = new std::map<std::string, std::string>;
  std::string key = primitive + "/" + dtypeName(dtype) + "/";
  for (bool needed : need)
    key += needed ? '1' : '0';
  std::lock_guard<std::mutex> lock(mutex);
  auto found = sources->find(key);
  if (found != sources->end())
    return found->second;
  compiler::Graph forward(primitive, kOp);
  std::vector<std::string> gradReq;
  std::vector<compiler::Value> operands;
  for (bool needed : need) {
    operands.push_back(forward.argument(dtype, 1));
    gradReq.push_back(needed ? "write" : "null");
  }
  forward.result(operands.size() == 1
                     ? forward.unary(primitive, operands[0])
                     : forward.binary(primitive, operands[0], operands[1]));
  std::string source = compiler::gradientSource(forward.source(), gradReq,
                                                /*gradientsOnly=*/true);
  return sources->emplace(std::move(key), std::move(source)).first->second;
}

/// The gradients of an elementwise primitive's operands `in` (those `need`
/// marks; none for the others) as one kernel, from the primitive's graph
/// gradient rule: one pass over the operands and g instead of a kernel, and
/// an array, per operation of the rule (relu's mask was three: compare,
/// cast, multiply; maximum's six). Taken where nobody differentiates the
/// gradient again (create_graph needs recorded primitives) and outside
/// captures, whose elementwise fusion already merges the rule's kernels
/// with their neighbours; for operands of g's shape and dtype (broadcast
/// ones need sums) that flatten to contiguous arrays. Nothing otherwise.
std::optional<Grads> fusedGradient(const char *primitive, const Grads &in,
                                   const NDArray &g,
                                   const std::vector<bool> &need) {
  const DType dtype = g.dtype();
  if (isRecording() || fusion::ElementwiseFusion::current() ||
      !ops::isFloatDType(dtype) || g.size() == 0 ||
      std::find(need.begin(), need.end(), true) == need.end())
    return std::nullopt;
  // Contiguous arrays only (a flat kernel's contract): reshape copies a
  // strided view of another shape, but leaves a strided rank-1 view (a
  // column, a diagonal) as it is; that takes the recorded path.
  const Shape flat = {g.size()};
  std::vector<NDArray> inputs;
  for (const NDArray &operand : in) {
    if (operand.dtype() != dtype || operand.shape() != g.shape())
      return std::nullopt;
    inputs.push_back(reshape(operand, flat));
  }
  inputs.push_back(reshape(g, flat));
  for (const NDArray &input : inputs)
    if (!input.tensor().isContiguous())
      return std::nullopt;
  Grads result(in.size()), outputs;
  for (size_t i = 0; i < in.size(); ++i)
    if (need[i]) {
      result[i] = NDArray::empty(flat, dtype, g.device());
      outputs.push_back(result[i]);
    }
  dispatch::graphIntoFlat(kOp,
                          elementwiseGradientSource(primitive, dtype, need),
                          inputs, outputs, /*onePass=*/false);
  for (NDArray &gradient : result)
    if (!gradient.isNone())
      gradient = reshape(gradient, g.shape());
  return result;
}

/// Rules of broadcasting primitives: partials, then summed to each input's
/// shape. With `fused`, the primitive whose rule runs as one kernel where
/// its operands are not broadcast (fusedGradient).
BackwardFn broadcasting(Partials partials, const char *fused = nullptr) {
  return
      [partials, fused](const Grads &in, const Grads &out, const Grads &grads) {
        std::vector<bool> need;
        for (const NDArray &input : in)
          need.push_back(takesGradient(input));
        if (fused)
          if (std::optional<Grads> gradients =
                  fusedGradient(fused, in, grads[0], need))
            return *gradients;
        Grads result = partials(in, out[0], grads[0], need);
        for (size_t i = 0; i < in.size(); ++i)
          if (!result[i].isNone())
            result[i] = sumTo(result[i], in[i].shape());
        return result;
      };
}

using Rule = std::pair<const std::string, BackwardFn>;

/// The rule of the broadcasting `primitive` whose gradient is more than g
/// itself: one kernel where its operands are not broadcast, else
/// `partials` summed.
Rule fusedBroadcasting(const char *primitive, Partials partials) {
  return {primitive, broadcasting(std::move(partials), primitive)};
}

/// The rule of the unary `primitive`: g * slope(x, y), fused where it can
/// be (fusedGradient), else as recorded primitives.
Rule unary(const char *primitive, Slope slope) {
  return {primitive, [primitive, slope](const Grads &in, const Grads &out,
                                        const Grads &grads) {
            if (std::optional<Grads> fused =
                    fusedGradient(primitive, in, grads[0], {true}))
              return *fused;
            return Grads{mul(grads[0], slope(in[0], out[0]))};
          }};
}

/// maximum's or minimum's rule: g goes to the left operand where
/// `left` (x, y) holds, to the right one where `right` does.
Rule extremum(const char *primitive, const char *left, const char *right) {
  return fusedBroadcasting(
      primitive, [left, right](auto &in, auto &, auto &g, auto &need) {
        return Grads{need[0] ? mul(g, where(left, in[0], in[1])) : NDArray(),
                     need[1] ? mul(g, where(right, in[0], in[1])) : NDArray()};
      });
}

const std::map<std::string, BackwardFn> &elementwiseRules() {
  static const auto *rules = new std::map<std::string, BackwardFn>{
      {"add", broadcasting([](auto &, auto &, auto &g, auto &) {
         return Grads{g, g};
       })},
      {"sub", broadcasting([](auto &, auto &, auto &g, auto &need) {
         return Grads{g, need[1] ? neg(g) : NDArray()};
       })},
      fusedBroadcasting("mul",
                        [](auto &in, auto &, auto &g, auto &need) {
                          return Grads{need[0] ? mul(g, in[1]) : NDArray(),
                                       need[1] ? mul(g, in[0]) : NDArray()};
                        }),
      fusedBroadcasting(
          "div",
          [](auto &in, auto &out, auto &g, auto &need) {
            NDArray ga = div(g, in[1]);
            return Grads{ga, need[1] ? neg(mul(ga, out)) : NDArray()};
          }),
      fusedBroadcasting("pow",
                        [](auto &in, auto &out, auto &g, auto &need) {
                          Grads result(2);
                          if (need[0])
                            result[0] = mul(
                                g, mul(in[1],
                                       ew("pow",
                                          {in[0],
                                           ew("sub",
                                              {in[1], constant(1, in[1])})})));
                          if (need[1])
                            result[1] = mul(g, mul(out, ew("log", {in[0]})));
                          return result;
                        }),
      // Ties go to the left operand.
      extremum("maximum", "ge", "lt"),
      extremum("minimum", "le", "gt"),
      fusedBroadcasting("mod",
                        [](auto &in, auto &, auto &g, auto &need) {
                          return Grads{
                              g, need[1] ? neg(mul(g, ew("floor",
                                                         {div(in[0], in[1])})))
                                         : NDArray()};
                        }),
      {"select", broadcasting([](auto &in, auto &, auto &g, auto &need) {
         NDArray zero = constant(0, g);
         auto select = [&](const NDArray &x, const NDArray &y) {
           return dispatch::elementwise(kOp, "select", {in[0], x, y},
                                        g.dtype());
         };
         return Grads{NDArray(), need[1] ? select(g, zero) : NDArray(),
                      need[2] ? select(zero, g) : NDArray()};
       })},
      {"neg", [](auto &, auto &, auto &grads) { return Grads{neg(grads[0])}; }},
      unary("abs", [](auto &x, auto &) { return ew("sign", {x}); }),
      unary("square", [](auto &x, auto &) { return scaled(x, 2); }),
      unary("relu",
            [](auto &x, auto &) { return where("gt", x, constant(0, x)); }),
      unary("sigmoid",
            [](auto &, auto &out) {
              return mul(out, ew("sub", {constant(1, out), out}));
            }),
      unary("exp", [](auto &, auto &out) { return out; }),
      unary("expm1",
            [](auto &, auto &out) {
              return ew("add", {out, constant(1, out)});
            }),
      unary("log", [](auto &x, auto &) { return ew("reciprocal", {x}); }),
      unary("log1p",
            [](auto &x, auto &) {
              return ew("reciprocal", {ew("add", {x, constant(1, x)})});
            }),
      unary("sqrt",
            [](auto &, auto &out) { return div(constant(0.5, out), out); }),
      unary("rsqrt",
            [](auto &, auto &out) {
              return scaled(mul(out, mul(out, out)), -0.5);
            }),
      unary("tanh",
            [](auto &, auto &out) {
              return ew("sub", {constant(1, out), mul(out, out)});
            }),
      unary("sin", [](auto &x, auto &) { return ew("cos", {x}); }),
      // asin' = 1 / sqrt(1 - x^2), acos' = -asin', atan' = 1 / (1 + x^2).
      unary("asin",
            [](auto &x, auto &) {
              return ew("rsqrt", {ew("sub", {constant(1, x), mul(x, x)})});
            }),
      unary("acos",
            [](auto &x, auto &) {
              return neg(ew("rsqrt", {ew("sub", {constant(1, x), mul(x, x)})}));
            }),
      unary("atan",
            [](auto &x, auto &) {
              return ew("reciprocal", {ew("add", {constant(1, x), mul(x, x)})});
            }),
      unary("cos", [](auto &x, auto &) { return neg(ew("sin", {x})); }),
      unary("reciprocal", [](auto &, auto &out) { return neg(mul(out, out)); }),
      unary("erf",
            [](auto &x, auto &) {
              return scaled(ew("exp", {neg(mul(x, x))}), 2 / std::sqrt(M_PI));
            }),
      {"cast",
       [](auto &in, auto &,
          auto &
              grads) { return Grads{dispatch::cast(grads[0], in[0].dtype())}; }},
  };
  return *rules;
}

/// The reduced axes given back (as extent 1) and broadcast to `shape`.
NDArray expandReduced(const NDArray &x, const Shape &shape,
                      const std::vector<int64_t> &axes) {
  Shape kept = shape;
  for (int64_t axis : axes)
    kept[axis] = 1;
  return broadcastTo(reshape(x, kept), shape);
}

} // namespace

BackwardFn elementwiseGradient(const std::string &primitive) {
  auto found = elementwiseRules().find(primitive);
  return found == elementwiseRules().end() ? nullptr : found->second;
}

BackwardFn reductionGradient(const std::string &primitive,
                             const std::vector<int64_t> &axes) {
  if (primitive != "reduce_sum" && primitive != "reduce_mean" &&
      primitive != "reduce_max" && primitive != "reduce_min" &&
      primitive != "reduce_prod")
    return nullptr;
  return [primitive, axes](const Grads &in, const Grads &out,
                           const Grads &grads) -> Grads {
    const NDArray &x = in[0];
    NDArray grad = expandReduced(grads[0], x.shape(), axes);
    if (primitive == "reduce_sum")
      return {grad};
    if (primitive == "reduce_mean") {
      int64_t count = 1;
      for (int64_t axis : axes)
        count *= x.shape()[axis];
      return {scaled(grad, 1.0 / std::max<int64_t>(count, 1))};
    }
    NDArray result = expandReduced(out[0], x.shape(), axes);
    if (primitive == "reduce_prod")
      return {mul(grad, div(result, x))};
    // max/min: every position equal to the extreme takes the gradient.
    return {mul(grad, where("eq", x, result))};
  };
}

BackwardFn generatedGradient(const compiler::KernelSignature &signature) {
  const std::string &primitive = signature.primitive;
  auto scalarAttribute = [&](const char *name) {
    auto found = signature.attributes.find(name);
    return found == signature.attributes.end() || found->second.empty()
               ? int64_t{0}
               : found->second.front();
  };
  if (primitive == "broadcast_to")
    return [](const Grads &in, const Grads &, const Grads &grads) {
      return Grads{sumTo(grads[0], in[0].shape())};
    };
  if (primitive == "concat") {
    const int64_t axis = scalarAttribute("axis");
    return [axis](const Grads &in, const Grads &, const Grads &grads) {
      const Tensor &g = grads[0].tensor();
      Grads result;
      int64_t begin = 0;
      for (const NDArray &input : in) {
        Shape shape = g.shape();
        shape[axis] = input.shape()[axis];
        result.push_back(grads[0].view(g.strided(
            shape, g.strides(), g.offset() + begin * g.strides()[axis])));
        begin += shape[axis];
      }
      return result;
    };
  }
  auto listAttribute = [&](const char *name) {
    auto found = signature.attributes.find(name);
    return found == signature.attributes.end() ? std::vector<int64_t>{}
                                               : found->second;
  };
  if (primitive == "transpose") {
    // The inverse permutation, as a view of the gradient.
    const std::vector<int64_t> permutation = listAttribute("permutation");
    return [permutation](const Grads &, const Grads &, const Grads &grads) {
      const Tensor &g = grads[0].tensor();
      Shape shape(permutation.size()), strides(permutation.size());
      for (size_t d = 0; d < permutation.size(); ++d) {
        shape[permutation[d]] = g.shape()[d];
        strides[permutation[d]] = g.strides()[d];
      }
      return Grads{grads[0].view(g.strided(shape, strides, g.offset()))};
    };
  }
  if (primitive == "reshape")
    return [](const Grads &in, const Grads &, const Grads &grads) {
      return Grads{reshape(grads[0], in[0].shape())};
    };
  if (primitive == "pad") {
    // The gradient's interior: a view that drops the padding.
    const std::vector<int64_t> low = listAttribute("low");
    return [low](const Grads &in, const Grads &, const Grads &grads) {
      const Tensor &g = grads[0].tensor();
      int64_t offset = g.offset();
      for (size_t d = 0; d < low.size(); ++d)
        offset += low[d] * g.strides()[d];
      return Grads{
          grads[0].view(g.strided(in[0].shape(), g.strides(), offset))};
    };
  }
  if (primitive == "slice") {
    // Zeros of the input's shape with the gradient written at the sliced
    // positions (begin and end as Python's, INT64_MIN for none).
    const std::vector<int64_t> begin = listAttribute("begin"),
                               step = listAttribute("step");
    return [begin, step](const Grads &in, const Grads &, const Grads &grads) {
      const NDArray &x = in[0];
      NDArray zeros =
          dispatch::cast(broadcastTo(constant(0, x), x.shape()), x.dtype());
      const Tensor &z = zeros.tensor();
      Shape strides(z.rank());
      int64_t offset = z.offset();
      for (int64_t d = 0; d < z.rank(); ++d) {
        const int64_t extent = x.shape()[d];
        int64_t first = begin[d] == std::numeric_limits<int64_t>::min() ? 0
                        : begin[d] < 0 ? begin[d] + extent
                                       : begin[d];
        first = std::min(std::max<int64_t>(first, 0), extent);
        offset += first * z.strides()[d];
        strides[d] = z.strides()[d] * step[d];
      }
      NDArray region = zeros.view(z.strided(grads[0].shape(), strides, offset));
      dispatch::cast(grads[0], x.dtype(), region);
      return Grads{zeros};
    };
  }
  if (primitive == "convolution" || primitive == "convolution_backward_data" ||
      primitive == "convolution_backward_filter") {
    // The three convolution primitives are each other's gradients: with
    // x the input, w the filter and y the output, each computes one of
    // y = conv(x, w), x = data(y, w), w = filter(x, y) from the other two.
    auto as = [signature](const char *name) {
      compiler::KernelSignature other{name, {}, {}};
      other.attributes = signature.attributes;
      return other;
    };
    const auto conv = as("convolution"), data = as("convolution_backward_data"),
               filter = as("convolution_backward_filter");
    const int which = primitive == "convolution"                 ? 0
                      : primitive == "convolution_backward_data" ? 1
                                                                 : 2;
    return [=](const Grads &in, const Grads &, const Grads &grads) {
      const NDArray &g = grads[0];
      Grads result(in.size());
      auto make = [&](const compiler::KernelSignature &s,
                      std::vector<NDArray> operands, const NDArray &like) {
        return dispatch::generate(kOp, s, operands, like.shape(), like.dtype());
      };
      if (which == 0) { // in: x, w and the optional bias
        const bool wantX = takesGradient(in[0]), wantW = takesGradient(in[1]),
                   wantB = in.size() == 3 && takesGradient(in[2]);
        // Float32 on the CPU, not differentiated again: the runtime's
        // library calls of more than one gradient at once.
        const bool library =
            !isRecording() && g.dtype() == DType::Float32 &&
            in[0].dtype() == DType::Float32 &&
            in[1].dtype() == DType::Float32 &&
            g.device().type == DeviceType::CPU;
        if (library && wantX && wantW &&
            convolutionBackwardTogether(in[0].shape()[1], g.shape()[1],
                                        signature.attributes.at("groups")[0])) {
          Grads all =
              convolutionGradients(in[0], in[1], g, wantB, signature.attributes);
          all.resize(in.size());
          return all;
        }
        if (wantX)
          result[0] = make(data, {g, in[1]}, in[0]);
        if (library && wantW && wantB) {
          std::tie(result[1], result[2]) = convolutionFilterAndBiasGradients(
              in[0], in[1], g, signature.attributes);
          return result;
        }
        if (wantW)
          result[1] = make(filter, {in[0], g}, in[1]);
        if (wantB) { // Summed over the images and positions.
          std::vector<int64_t> axes = {0};
          for (size_t d = 2; d < g.shape().size(); ++d)
            axes.push_back(static_cast<int64_t>(d));
          result[2] = dispatch::reduction("reduce_sum", g, axes, false,
                                          g.dtype());
        }
      } else if (which == 1) { // in: y, w; out: x
        if (takesGradient(in[0]))
          result[0] = make(conv, {g, in[1]}, in[0]);
        if (takesGradient(in[1]))
          result[1] = make(filter, {g, in[0]}, in[1]);
      } else { // in: x, y; out: w
        if (takesGradient(in[0]))
          result[0] = make(data, {in[1], g}, in[0]);
        if (takesGradient(in[1]))
          result[1] = make(conv, {in[0], g}, in[1]);
      }
      return result;
    };
  }
  if (primitive == "pool_backward") {
    // Linear in the output gradient, constant in the input (a.e.): for avg
    // the adjoint of spreading by the divisor is the average pooling itself.
    compiler::KernelSignature forward{"pool", {}, {}};
    forward.attributes = signature.attributes;
    const bool max = scalarAttribute("kind") == 0;
    return [forward, max](const Grads &in, const Grads &, const Grads &grads) {
      if (max)
        throw Error("Pooling: max pooling's gradient is not differentiable "
                    "again (MXNet 1.9.1 refuses it too); use avg pooling or "
                    "create_graph=False");
      return Grads{NDArray(), dispatch::generate(kOp, forward, {grads[0]},
                                                 in[1].shape(), in[1].dtype())};
    };
  }
  if (primitive == "pool") {
    compiler::KernelSignature backward{"pool_backward", {}, {}};
    backward.attributes = signature.attributes;
    return [backward](const Grads &in, const Grads &, const Grads &grads) {
      return Grads{dispatch::generate(kOp, backward, {in[0], grads[0]},
                                      in[0].shape(), in[0].dtype())};
    };
  }
  if (primitive == "take" || primitive == "scatter_add") {
    compiler::KernelSignature take{"take", {}, {}};
    take.attributes["axis"] = {scalarAttribute("axis")};
    take.attributes["mode"] = {scalarAttribute("mode")};
    compiler::KernelSignature scatter = take;
    scatter.primitive = "scatter_add";
    if (primitive == "take")
      return [scatter](const Grads &in, const Grads &, const Grads &grads) {
        const NDArray &a = in[0];
        NDArray zeros =
            dispatch::cast(broadcastTo(constant(0, a), a.shape()), a.dtype());
        return Grads{dispatch::generate(kOp, scatter, {zeros, in[1], grads[0]},
                                        a.shape(), a.dtype()),
                     NDArray()};
      };
    return [take](const Grads &in, const Grads &, const Grads &grads) {
      const NDArray &updates = in[2];
      return Grads{grads[0], NDArray(),
                   dispatch::generate(kOp, take, {grads[0], in[1]},
                                      updates.shape(), updates.dtype())};
    };
  }
  return nullptr;
}

BackwardFn matmulGradient() {
  return [](const Grads &in, const Grads &, const Grads &grads) {
    const NDArray &a = in[0], &b = in[1], &g = grads[0];
    // Only the gradients wanted: a network's input takes none.
    Grads result(2);
    if (takesGradient(a))
      result[0] =
          sumTo(dispatch::matmul(g, dispatch::swapLastTwo(b)), a.shape());
    if (takesGradient(b))
      result[1] =
          sumTo(dispatch::matmul(dispatch::swapLastTwo(a), g), b.shape());
    return result;
  };
}

std::vector<std::string> differentiablePrimitives() {
  std::vector<std::string> names;
  for (const auto &[name, rule] : elementwiseRules())
    names.push_back(name);
  for (const char *name : {"reduce_sum",
                           "reduce_mean",
                           "reduce_max",
                           "reduce_min",
                           "reduce_prod",
                           "broadcast_to",
                           "concat",
                           "take",
                           "scatter_add",
                           "transpose",
                           "reshape",
                           "pad",
                           "slice",
                           "matmul",
                           "view",
                           "view_scatter",
                           "convolution",
                           "convolution_backward_data",
                           "convolution_backward_filter",
                           "pool",
                           "pool_backward"})
    names.push_back(name);
  return names;
}

} // namespace autograd
} // namespace kiln
