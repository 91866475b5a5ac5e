//===- Gradients.cpp - frontend ops that override their primitives' rules -===//
//
// Most ops need no gradient rule: autograd differentiates the primitives
// they dispatch (frontends/cpp/PrimitiveGradients.cpp). The exceptions,
// recorded whole: softmax and log_softmax, which run one fused graph kernel
// (softmax may take a length, which takes no gradient), _slice_scatter,
// which writes through an internal view, and stop_gradient (BlockGrad),
// whose gradient is zero by definition. Their rules are made of
// ops, so they differentiate again.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

namespace kiln {
namespace ops {

void registerGradients(OpRegistry &registry) {
  for (const bool logarithm : {false, true})
    registry.setGradient(
        logarithm ? "log_softmax" : "softmax",
        [logarithm](const GradientArgs &args) -> std::vector<NDArray> {
          const std::string axis = std::to_string(args.attrs.getInt("axis"));
          const double temperature = args.attrs.isNone("temperature")
                                         ? 1.0
                                         : args.attrs.getFloat("temperature");
          const NDArray &out = args.output, &g = args.outputGrad;
          const AttrMap keep = {{"axis", axis}, {"keepdims", "True"}};
          auto mul = [](const NDArray &a, const NDArray &b) {
            return call("broadcast_mul", {a, b});
          };
          NDArray grad;
          if (logarithm)
            grad = call("broadcast_sub",
                        {g, mul(call("exp", {out}), call("sum", {g}, keep))});
          else
            grad = mul(out, call("broadcast_sub",
                                 {g, call("sum", {mul(g, out)}, keep)}));
          if (temperature != 1.0)
            grad = callScalar("_mul_scalar", grad, 1 / temperature);
          // dtype= makes the output another dtype than the data; positions
          // past softmax's length have output 0, so their gradient is 0
          // already. The length's gradient is zero, which MXNet writes
          // (under 'write' a length's old gradient does not survive).
          const NDArray &data = args.inputs[0];
          if (grad.dtype() != data.dtype())
            grad = call("cast", {grad}, {{"dtype", dtypeName(data.dtype())}});
          std::vector<NDArray> grads = {grad};
          if (args.inputs.size() > 1)
            grads.push_back(call("zeros_like", {args.inputs[1]}));
          return grads;
        });
  registry.setGradient(
      "stop_gradient", [](const GradientArgs &args) -> std::vector<NDArray> {
        return {call("zeros_like", {args.inputs[0]})};
      });
  registry.setGradient(
      "_slice_scatter", [](const GradientArgs &args) -> std::vector<NDArray> {
        return {call("slice", {args.outputGrad},
                     {{"begin", args.attrs.getString("begin")},
                      {"end", args.attrs.getString("end")},
                      {"step", args.attrs.getString("step")}})};
      });
}

} // namespace ops
} // namespace kiln
