//===- Gradients.cpp - the gradient rules of the differentiable ops -------===//
//
// Each rule maps (inputs, output, output gradient) to input gradients using
// registered ops only, so backward runs through the kernel cache and rules
// differentiate again (higher-order gradients). Ops left out here are either
// constant to autograd (comparisons, argmax, one_hot, creation, rounding) or
// composites whose parts are recorded (pick, tile, repeat, reshape_like,
// broadcast_like's broadcast, ...).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace {

using Grads = std::vector<NDArray>;

NDArray mul(const NDArray &a, const NDArray &b) {
  return call("broadcast_mul", {a, b});
}
NDArray div(const NDArray &a, const NDArray &b) {
  return call("broadcast_div", {a, b});
}
NDArray neg(const NDArray &a) { return call("negative", {a}); }
NDArray scale(const NDArray &a, double factor) {
  return callScalar("_mul_scalar", a, factor);
}

/// Gradient of a reduction over `axes`: `grad` given the reduced axes back
/// (as extent 1), broadcast to `shape`.
NDArray expandReduced(const NDArray &grad, const Shape &shape,
                      const std::vector<int64_t> &axes) {
  Shape kept = shape;
  for (int64_t axis : axes)
    kept[axis] = 1;
  return broadcastTo(reshapeTo(grad, kept), shape);
}

int64_t nonNegativeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

NDArray sliceAlong(const NDArray &x, int64_t axis, int64_t begin, int64_t end) {
  return call("slice_axis", {x},
              {{"axis", std::to_string(axis)},
               {"begin", std::to_string(begin)},
               {"end", std::to_string(end)}});
}

/// A unary rule from d(out)/d(in) written with x and out.
void unary(OpRegistry &registry, const std::string &name,
           std::function<NDArray(const NDArray &x, const NDArray &out)> slope) {
  registry.setGradient(name, [slope](const GradientArgs &args) -> Grads {
    return {mul(args.outputGrad, slope(args.inputs[0], args.output))};
  });
}

/// A broadcasting binary rule from the two partial derivatives.
void binary(OpRegistry &registry, const std::string &name,
            std::function<Grads(const NDArray &a, const NDArray &b,
                                const NDArray &out, const NDArray &grad)>
                partials) {
  registry.setGradient(name, [partials](const GradientArgs &args) -> Grads {
    const NDArray &a = args.inputs[0], &b = args.inputs[1];
    Grads full = partials(a, b, args.output, args.outputGrad);
    return {sumToShape(full[0], a.shape()), sumToShape(full[1], b.shape())};
  });
}

void registerArithmetic(OpRegistry &registry) {
  for (const char *prefix : {"broadcast_", "elemwise_"}) {
    const std::string p = prefix;
    binary(registry, p + "add", [](auto &, auto &, auto &, auto &g) {
      return Grads{g, g};
    });
    binary(registry, p + "sub", [](auto &, auto &, auto &, auto &g) {
      return Grads{g, neg(g)};
    });
    binary(registry, p + "mul", [](auto &a, auto &b, auto &, auto &g) {
      return Grads{mul(g, b), mul(g, a)};
    });
    binary(registry, p + "div", [](auto &, auto &b, auto &out, auto &g) {
      NDArray ga = div(g, b);
      return Grads{ga, neg(mul(ga, out))};
    });
  }
  binary(registry, "broadcast_mod", [](auto &a, auto &b, auto &, auto &g) {
    return Grads{g, neg(mul(g, call("floor", {div(a, b)})))};
  });
  binary(registry, "broadcast_power", [](auto &a, auto &b, auto &out, auto &g) {
    NDArray ga = mul(g, mul(b, call("broadcast_power",
                                    {a, callScalar("_minus_scalar", b, 1)})));
    return Grads{ga, mul(g, mul(out, call("log", {a})))};
  });
  binary(registry, "broadcast_maximum", [](auto &a, auto &b, auto &, auto &g) {
    return Grads{mul(g, call("broadcast_greater_equal", {a, b})),
                 mul(g, call("broadcast_lesser", {a, b}))};
  });
  binary(registry, "broadcast_minimum", [](auto &a, auto &b, auto &, auto &g) {
    return Grads{mul(g, call("broadcast_lesser_equal", {a, b})),
                 mul(g, call("broadcast_greater", {a, b}))};
  });

  // Scalar forms: s is the scalar attribute.
  auto scalarRule =
      [&](const std::string &name,
          std::function<NDArray(const NDArray &x, const NDArray &out,
                                const NDArray &g, double s)>
              rule) {
        registry.setGradient(name, [rule](const GradientArgs &args) -> Grads {
          return {rule(args.inputs[0], args.output, args.outputGrad,
                       args.attrs.getFloat("scalar"))};
        });
      };
  scalarRule("_plus_scalar", [](auto &, auto &, auto &g, double) { return g; });
  scalarRule("_minus_scalar",
             [](auto &, auto &, auto &g, double) { return g; });
  scalarRule("_rminus_scalar",
             [](auto &, auto &, auto &g, double) { return neg(g); });
  scalarRule("_mul_scalar",
             [](auto &, auto &, auto &g, double s) { return scale(g, s); });
  scalarRule("_div_scalar",
             [](auto &, auto &, auto &g, double s) { return scale(g, 1 / s); });
  scalarRule("_rdiv_scalar", [](auto &x, auto &out, auto &g, double) {
    return neg(div(mul(g, out), x)); // d(s/x) = -s/x^2 = -out/x
  });
  scalarRule("_mod_scalar", [](auto &, auto &, auto &g, double) { return g; });
  scalarRule("_rmod_scalar", [](auto &x, auto &, auto &g, double s) {
    return neg(mul(g, call("floor", {callScalar("_rdiv_scalar", x, s)})));
  });
  scalarRule("_power_scalar", [](auto &x, auto &, auto &g, double s) {
    return mul(g, scale(callScalar("_power_scalar", x, s - 1), s));
  });
  scalarRule("_rpower_scalar", [](auto &, auto &out, auto &g, double s) {
    return mul(g, scale(out, std::log(s)));
  });
  scalarRule("_maximum_scalar", [](auto &x, auto &, auto &g, double s) {
    return mul(g, callScalar("_greater_equal_scalar", x, s));
  });
  scalarRule("_minimum_scalar", [](auto &x, auto &, auto &g, double s) {
    return mul(g, callScalar("_lesser_equal_scalar", x, s));
  });
}

void registerUnary(OpRegistry &registry) {
  registry.setGradient("negative", [](const GradientArgs &args) -> Grads {
    return {neg(args.outputGrad)};
  });
  unary(registry, "abs", [](auto &x, auto &) { return call("sign", {x}); });
  unary(registry, "square", [](auto &x, auto &) { return scale(x, 2); });
  unary(registry, "relu",
        [](auto &x, auto &) { return callScalar("_greater_scalar", x, 0); });
  unary(registry, "sigmoid", [](auto &, auto &out) {
    return mul(out, callScalar("_rminus_scalar", out, 1));
  });
  unary(registry, "exp", [](auto &, auto &out) { return out; });
  unary(registry, "expm1",
        [](auto &, auto &out) { return callScalar("_plus_scalar", out, 1); });
  unary(registry, "log",
        [](auto &x, auto &) { return call("reciprocal", {x}); });
  unary(registry, "log1p", [](auto &x, auto &) {
    return call("reciprocal", {callScalar("_plus_scalar", x, 1)});
  });
  unary(registry, "sqrt",
        [](auto &, auto &out) { return callScalar("_rdiv_scalar", out, 0.5); });
  unary(registry, "rsqrt", [](auto &, auto &out) {
    return scale(callScalar("_power_scalar", out, 3), -0.5);
  });
  unary(registry, "tanh", [](auto &, auto &out) {
    return callScalar("_rminus_scalar", call("square", {out}), 1);
  });
  unary(registry, "sin", [](auto &x, auto &) { return call("cos", {x}); });
  unary(registry, "cos", [](auto &x, auto &) { return neg(call("sin", {x})); });
  unary(registry, "reciprocal",
        [](auto &, auto &out) { return neg(call("square", {out})); });
  unary(registry, "erf", [](auto &x, auto &) {
    return scale(call("exp", {neg(call("square", {x}))}), 2 / std::sqrt(M_PI));
  });
  registry.setGradient("cast", [](const GradientArgs &args) -> Grads {
    return {call("cast", {args.outputGrad},
                 {{"dtype", dtypeName(args.inputs[0].dtype())}})};
  });
  registry.setGradient("clip", [](const GradientArgs &args) -> Grads {
    const NDArray &x = args.inputs[0];
    NDArray inside = mul(
        callScalar("_greater_equal_scalar", x, args.attrs.getFloat("a_min")),
        callScalar("_lesser_equal_scalar", x, args.attrs.getFloat("a_max")));
    return {mul(args.outputGrad, inside)};
  });
}

void registerReductions(OpRegistry &registry) {
  for (const char *name : {"sum", "mean", "max", "min", "prod"}) {
    const std::string op = name;
    registry.setGradient(op, [op](const GradientArgs &args) -> Grads {
      const NDArray &x = args.inputs[0];
      const std::vector<int64_t> axes = reducedAxes(op, x, args.attrs);
      NDArray grad = expandReduced(args.outputGrad, x.shape(), axes);
      if (op == "sum")
        return {grad};
      if (op == "mean") {
        int64_t count = 1;
        for (int64_t axis : axes)
          count *= x.shape()[axis];
        return {scale(grad, 1.0 / std::max<int64_t>(count, 1))};
      }
      NDArray out = expandReduced(args.output, x.shape(), axes);
      if (op == "prod")
        return {mul(grad, div(out, x))};
      // max/min: every position equal to the extreme takes the gradient.
      return {mul(grad, call("broadcast_equal", {x, out}))};
    });
  }
}

void registerShapes(OpRegistry &registry) {
  for (const char *name : {"Reshape", "Flatten", "expand_dims", "squeeze"})
    registry.setGradient(name, [](const GradientArgs &args) -> Grads {
      return {reshapeTo(args.outputGrad, args.inputs[0].shape())};
    });
  registry.setGradient("broadcast_to", [](const GradientArgs &args) -> Grads {
    return {sumToShape(args.outputGrad, args.inputs[0].shape())};
  });
  registry.setGradient("transpose", [](const GradientArgs &args) -> Grads {
    const int64_t rank = args.inputs[0].shape().size();
    std::vector<int64_t> axes = args.attrs.getIntTuple("axes");
    if (axes.empty())
      return {call("transpose", {args.outputGrad})};
    Shape inverse(rank);
    for (int64_t i = 0; i < rank; ++i)
      inverse[axes[i] < 0 ? axes[i] + rank : axes[i]] = i;
    return {
        call("transpose", {args.outputGrad}, {{"axes", shapeAttr(inverse)}})};
  });
  registry.setGradient("SwapAxis", [](const GradientArgs &args) -> Grads {
    return {call("SwapAxis", {args.outputGrad},
                 {{"dim1", std::to_string(args.attrs.getInt("dim1"))},
                  {"dim2", std::to_string(args.attrs.getInt("dim2"))}})};
  });
  registry.setGradient("reverse", [](const GradientArgs &args) -> Grads {
    return {call("reverse", {args.outputGrad},
                 {{"axis", args.attrs.getString("axis")}})};
  });
  registry.setGradient("slice", [](const GradientArgs &args) -> Grads {
    return {call("_slice_scatter", {args.outputGrad},
                 {{"shape", shapeAttr(args.inputs[0].shape())},
                  {"begin", args.attrs.getString("begin")},
                  {"end", args.attrs.getString("end")},
                  {"step", args.attrs.getString("step")}})};
  });
  registry.setGradient("_slice_scatter", [](const GradientArgs &args) -> Grads {
    return {call("slice", {args.outputGrad},
                 {{"begin", args.attrs.getString("begin")},
                  {"end", args.attrs.getString("end")},
                  {"step", args.attrs.getString("step")}})};
  });
  registry.setGradient("slice_axis", [](const GradientArgs &args) -> Grads {
    const Shape &shape = args.inputs[0].shape();
    const int64_t rank = shape.size();
    int64_t axis = args.attrs.getInt("axis");
    if (axis < 0)
      axis += rank;
    std::string begin = "(", end = "(";
    for (int64_t d = 0; d <= axis; ++d) {
      begin += d ? ", " : "";
      end += d ? ", " : "";
      begin += d == axis ? std::to_string(args.attrs.getInt("begin")) : "None";
      end += d == axis && !args.attrs.isNone("end")
                 ? std::to_string(args.attrs.getInt("end"))
                 : "None";
    }
    return {call("_slice_scatter", {args.outputGrad},
                 {{"shape", shapeAttr(shape)},
                  {"begin", begin + ")"},
                  {"end", end + ")"}})};
  });
  registry.setGradient("Concat", [](const GradientArgs &args) -> Grads {
    const int64_t dim =
        nonNegativeAxis(args.attrs.getInt("dim"), args.output.shape().size());
    Grads grads;
    int64_t begin = 0;
    for (const NDArray &input : args.inputs) {
      const int64_t extent = input.shape()[dim];
      grads.push_back(sliceAlong(args.outputGrad, dim, begin, begin + extent));
      begin += extent;
    }
    return grads;
  });
  registry.setGradient("stack", [](const GradientArgs &args) -> Grads {
    const int64_t axis =
        nonNegativeAxis(args.attrs.getInt("axis"), args.output.shape().size());
    Grads grads;
    for (size_t i = 0; i < args.inputs.size(); ++i)
      grads.push_back(reshapeTo(sliceAlong(args.outputGrad, axis, i, i + 1),
                                args.inputs[i].shape()));
    return grads;
  });
}

/// 2-D views for dot's rule: lhs (M, K) from all but its last axis, rhs
/// (K, N) from all but its first, unless transposed (rank 2 only).
NDArray asMatrix(const NDArray &x, bool isLhs, bool transposed) {
  const Shape &shape = x.shape();
  if (transposed && shape.size() == 2)
    return x;
  if (isLhs)
    return reshapeTo(x, {x.size() / shape.back(), shape.back()});
  return reshapeTo(x, {shape.front(), x.size() / shape.front()});
}

NDArray dot2(const NDArray &a, const NDArray &b, bool ta, bool tb) {
  return call("dot", {a, b},
              {{"transpose_a", ta ? "True" : "False"},
               {"transpose_b", tb ? "True" : "False"}});
}

void registerLinalg(OpRegistry &registry) {
  registry.setGradient("dot", [](const GradientArgs &args) -> Grads {
    const NDArray &lhs = args.inputs[0], &rhs = args.inputs[1];
    const bool ta =
        args.attrs.getBool("transpose_a") && lhs.shape().size() == 2;
    const bool tb =
        args.attrs.getBool("transpose_b") && rhs.shape().size() == 2;
    NDArray a = asMatrix(lhs, true, ta), b = asMatrix(rhs, false, tb);
    const int64_t rows = ta ? a.shape()[1] : a.shape()[0];
    const int64_t columns = tb ? b.shape()[0] : b.shape()[1];
    NDArray g = reshapeTo(args.outputGrad, {rows, columns});
    NDArray ga, gb;
    if (!ta && !tb) {
      ga = dot2(g, b, false, true);
      gb = dot2(a, g, true, false);
    } else if (!ta && tb) {
      ga = dot2(g, b, false, false);
      gb = dot2(g, a, true, false);
    } else if (ta && !tb) {
      ga = dot2(b, g, false, true);
      gb = dot2(a, g, false, false);
    } else {
      ga = dot2(b, g, true, true);
      gb = dot2(g, a, true, true);
    }
    return {reshapeTo(ga, lhs.shape()), reshapeTo(gb, rhs.shape())};
  });
  registry.setGradient("batch_dot", [](const GradientArgs &args) -> Grads {
    const NDArray &a = args.inputs[0], &b = args.inputs[1],
                  &g = args.outputGrad;
    const bool ta = args.attrs.getBool("transpose_a");
    const bool tb = args.attrs.getBool("transpose_b");
    auto bdot = [](const NDArray &x, const NDArray &y, bool tx, bool ty) {
      return call("batch_dot", {x, y},
                  {{"transpose_a", tx ? "True" : "False"},
                   {"transpose_b", ty ? "True" : "False"}});
    };
    if (!ta && !tb)
      return {bdot(g, b, false, true), bdot(a, g, true, false)};
    if (!ta && tb)
      return {bdot(g, b, false, false), bdot(g, a, true, false)};
    if (ta && !tb)
      return {bdot(b, g, false, true), bdot(a, g, false, false)};
    return {bdot(b, g, true, true), bdot(g, a, true, true)};
  });
}

void registerNeural(OpRegistry &registry) {
  for (const bool logarithm : {false, true})
    registry.setGradient(
        logarithm ? "log_softmax" : "softmax",
        [logarithm](const GradientArgs &args) -> Grads {
          const std::string axis = std::to_string(args.attrs.getInt("axis"));
          const double temperature = args.attrs.isNone("temperature")
                                         ? 1.0
                                         : args.attrs.getFloat("temperature");
          const NDArray &out = args.output, &g = args.outputGrad;
          const AttrMap keep = {{"axis", axis}, {"keepdims", "True"}};
          NDArray grad;
          if (logarithm)
            grad = call("broadcast_sub",
                        {g, mul(call("exp", {out}), call("sum", {g}, keep))});
          else
            grad = mul(out, call("broadcast_sub",
                                 {g, call("sum", {mul(g, out)}, keep)}));
          return {temperature == 1.0 ? grad : scale(grad, 1 / temperature)};
        });
  registry.setGradient("where", [](const GradientArgs &args) -> Grads {
    const NDArray &condition = args.inputs[0], &g = args.outputGrad;
    NDArray zeros = call("zeros_like", {g});
    return {NDArray(), call("where", {condition, g, zeros}),
            call("where", {condition, zeros, g})};
  });
  registry.setGradient("take", [](const GradientArgs &args) -> Grads {
    const NDArray &a = args.inputs[0], &indices = args.inputs[1];
    if (args.attrs.getInt("axis") != 0 &&
        args.attrs.getInt("axis") != -static_cast<int64_t>(a.shape().size()))
      throw Error("take: the gradient is supported for axis 0 only");
    const int64_t rows = a.shape()[0];
    NDArray index = reshapeTo(indices, {indices.size()});
    index = args.attrs.getString("mode") == "wrap"
                ? callScalar("_mod_scalar",
                             callScalar("_plus_scalar",
                                        callScalar("_mod_scalar", index, rows),
                                        rows),
                             rows)
                : call("clip", {index},
                       {{"a_min", "0"}, {"a_max", std::to_string(rows - 1)}});
    // Rows of the gradient summed into the rows they were taken from.
    NDArray hot = call(
        "one_hot", {index},
        {{"depth", std::to_string(rows)}, {"dtype", dtypeName(a.dtype())}});
    NDArray g =
        reshapeTo(args.outputGrad,
                  {indices.size(), a.size() / std::max<int64_t>(rows, 1)});
    return {reshapeTo(dot2(hot, g, true, false), a.shape()), NDArray()};
  });
}

} // namespace

void registerGradients(OpRegistry &registry) {
  registerArithmetic(registry);
  registerUnary(registry);
  registerReductions(registry);
  registerShapes(registry);
  registerLinalg(registry);
  registerNeural(registry);
}

} // namespace ops
} // namespace kiln
