//===- MultiTensorOptimizerOps.cpp - updates of many weights at once ------===//
//
// MXNet 1.9.1's multi-tensor updates: multi_(mp_)sgd(_mom)_update and their
// preloaded_ forms (learning rates and weight decays as arrays, the last
// two inputs), _multi_(mp_)adamw_update, _multi_(mp_)lamb_update, and the
// helpers multi_sum_sq and multi_lars. Inputs are the per-weight groups
// flattened in order (weight, grad[, mom][, weight32] per weight, as MXNet
// takes them); each weight is updated by the single-weight step of
// OptimizerSteps.h, so the kernels are those of sgd_update, _adamw_update
// and lamb_update_phase1/2. The ops return one new weight per weight (a
// list), written into out= when given, as MXNet's optimizers call them
// (out=weights).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"
#include "frontends/cpp/ops/OptimizerSteps.h"
#include "frontends/cpp/ops/UpdateKernel.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

using ComputeOutputs = std::function<std::vector<NDArray>(
    const std::vector<NDArray> &, const Attrs &, const std::vector<NDArray> &)>;

/// How an op lays out its inputs: `group` arrays per weight, named
/// `names`, then `trailing` arrays (preloaded lrs and wds, rescale_grad).
struct Layout {
  std::vector<const char *> names;
  size_t trailing = 0;
  const char *countAttr = "num_weights";
};

/// The weight count, checked against the inputs, the outs and the per-
/// weight tuples (`tuples`: attribute names).
int64_t checkLayout(const std::string &op, const Layout &layout,
                    const std::vector<NDArray> &in, const Attrs &attrs,
                    const std::vector<NDArray> &outs,
                    const std::vector<const char *> &tuples) {
  const int64_t count = attrs.getInt(layout.countAttr);
  if (count < 1)
    throw Error(formatMessage(op, ": ", layout.countAttr,
                              " expected at least 1, got ", count));
  const size_t group = layout.names.size();
  const size_t expected = group * count + layout.trailing;
  if (in.size() != expected) {
    std::string per;
    for (const char *name : layout.names)
      per += (per.empty() ? "" : ", ") + std::string(name);
    throw Error(formatMessage(
        op, ": expected ", expected, " input arrays (", per, " for each of ",
        layout.countAttr, "=", count,
        layout.trailing
            ? std::string(", then ") + std::to_string(layout.trailing) + " more"
            : std::string(),
        "), got ", in.size()));
  }
  if (!outs.empty() && static_cast<int64_t>(outs.size()) != count)
    throw Error(formatMessage(op, ": out has ", outs.size(),
                              " arrays, expected ", layout.countAttr, "=",
                              count));
  for (const char *name : tuples) {
    const size_t size = attrs.getFloatTuple(name).size();
    if (static_cast<int64_t>(size) != count)
      throw Error(formatMessage(op, ": ", name, " has ", size,
                                " values, expected ", layout.countAttr, "=",
                                count));
  }
  return count;
}

/// The i-th weight's output: outs[i], or a new array like the weight.
NDArray outputFor(const std::string &op, const std::vector<NDArray> &outs,
                  size_t i, const NDArray &weight) {
  return updateTarget(op, outs.empty() ? NDArray() : outs[i], weight.shape(),
                      weight.dtype());
}

std::string indexSuffix(size_t i) { return "[" + std::to_string(i) + "]"; }

/// multi_sgd_update and its momentum, mp_ and preloaded_ forms.
ComputeOutputs multiSgd(const std::string &op, bool momentum, bool mixed,
                        bool preloaded) {
  Layout layout;
  layout.names = {"weight", "grad"};
  if (momentum)
    layout.names.push_back("mom");
  if (mixed)
    layout.names.push_back("weight32");
  layout.trailing = preloaded ? 2 : 0;
  return [=](const std::vector<NDArray> &in, const Attrs &attrs,
             const std::vector<NDArray> &outs) {
    const int64_t count =
        checkLayout(op, layout, in, attrs, outs,
                    preloaded ? std::vector<const char *>{}
                              : std::vector<const char *>{"lrs", "wds"});
    const size_t group = layout.names.size();
    NDArray lrs, wds;
    if (preloaded) {
      lrs = in[in.size() - 2];
      wds = in[in.size() - 1];
      for (const auto &[name, array] : {std::pair{"lrs", lrs}, {"wds", wds}})
        if (array.shape() != Shape{count})
          throw Error(formatMessage(op, ": ", name, " has shape ",
                                    shapeToString(array.shape()),
                                    ", expected (", count, ",)"));
    }
    std::vector<NDArray> results;
    for (int64_t i = 0; i < count; ++i) {
      const NDArray &weight = in[group * i];
      const DType dtype = mixed ? DType::Float32 : weight.dtype();
      SgdParams params;
      if (preloaded) {
        params.lr = elementOf(op, "lrs", lrs, i);
        params.wd = elementOf(op, "wds", wds, i);
      } else {
        params.lr = dispatch::scalar(attrs.getFloatTuple("lrs")[i], dtype);
        params.wd = dispatch::scalar(attrs.getFloatTuple("wds")[i], dtype);
      }
      params.rescale = attrs.getFloat("rescale_grad");
      params.clip = attrs.getFloat("clip_gradient");
      params.hasMomentum = momentum;
      if (momentum)
        params.momentum = attrs.getFloat("momentum");
      NDArray target = outputFor(op, outs, i, weight);
      sgdStep(op, indexSuffix(i), weight, in[group * i + 1],
              momentum ? in[group * i + 2] : NDArray(),
              mixed ? in[group * i + group - 1] : NDArray(), target, params);
      results.push_back(target);
    }
    return results;
  };
}

ComputeOutputs multiAdamW(const std::string &op, bool mixed) {
  Layout layout;
  layout.names = {"weight", "grad", "mean", "var"};
  if (mixed)
    layout.names.push_back("weight32");
  layout.trailing = 1; // rescale_grad
  return [=](const std::vector<NDArray> &in, const Attrs &attrs,
             const std::vector<NDArray> &outs) {
    const int64_t count =
        checkLayout(op, layout, in, attrs, outs, {"lrs", "wds", "etas"});
    const size_t group = layout.names.size();
    const NDArray rescale = elementOf(op, "rescale_grad", in.back());
    std::vector<NDArray> results;
    for (int64_t i = 0; i < count; ++i) {
      const NDArray &weight = in[group * i];
      const DType dtype = mixed ? DType::Float32 : weight.dtype();
      AdamWParams params;
      params.lr = dispatch::scalar(attrs.getFloatTuple("lrs")[i], dtype);
      params.wd = dispatch::scalar(attrs.getFloatTuple("wds")[i], dtype);
      params.eta = dispatch::scalar(attrs.getFloatTuple("etas")[i], dtype);
      params.rescale = rescale;
      params.beta1 = attrs.getFloat("beta1");
      params.beta2 = attrs.getFloat("beta2");
      params.epsilon = attrs.getFloat("epsilon");
      params.clip = attrs.getFloat("clip_gradient");
      NDArray target = outputFor(op, outs, i, weight);
      adamwStep(op, indexSuffix(i), weight, in[group * i + 1],
                in[group * i + 2], in[group * i + 3],
                mixed ? in[group * i + 4] : NDArray(), target, params);
      results.push_back(target);
    }
    return results;
  };
}

/// sqrt(sum(x * x)) as a rank-0 float32 array.
NDArray normOf(const std::string &op, const NDArray &x) {
  NDArray sum = sumOfSquares(op, x);
  UpdateKernel root(op, 0);
  return root.run(sqrt(root.input(sum)), {});
}

/// Phase 1, the norms of the weight and of its direction, phase 2, for
/// each weight.
ComputeOutputs multiLamb(const std::string &op, bool mixed) {
  Layout layout;
  layout.names = {"weight", "grad", "mean", "var"};
  if (mixed)
    layout.names.push_back("weight32");
  layout.countAttr = "num_tensors";
  return [=](const std::vector<NDArray> &in, const Attrs &attrs,
             const std::vector<NDArray> &outs) {
    const int64_t count =
        checkLayout(op, layout, in, attrs, outs, {"learning_rates", "wds"});
    const std::vector<int64_t> steps = attrs.getIntTuple("step_count");
    if (static_cast<int64_t>(steps.size()) != count)
      throw Error(formatMessage(op, ": step_count has ", steps.size(),
                                " values, expected num_tensors=", count));
    const size_t group = layout.names.size();
    std::vector<NDArray> results;
    for (int64_t i = 0; i < count; ++i) {
      const NDArray &weight = in[group * i];
      const NDArray weight32 = mixed ? in[group * i + 4] : NDArray();
      const DType dtype = mixed ? DType::Float32 : weight.dtype();
      LambParams params;
      params.beta1 = attrs.getFloat("beta1");
      params.beta2 = attrs.getFloat("beta2");
      params.epsilon = attrs.getFloat("epsilon");
      params.wd = attrs.getFloatTuple("wds")[i];
      params.rescale = attrs.getFloat("rescale_grad");
      params.clip = attrs.getFloat("clip_gradient");
      params.t = steps[i];
      params.biasCorrection = attrs.getBool("bias_correction");
      NDArray direction = NDArray::empty(weight.shape(), dtype);
      lambPhase1(op, indexSuffix(i), weight, in[group * i + 1],
                 in[group * i + 2], in[group * i + 3], weight32, direction,
                 params);
      // As MXNet: r1 is the norm of the weight itself (float16 squares for
      // mixed precision), not of its master copy.
      NDArray r1 = normOf(op, weight);
      NDArray r2 = normOf(op, direction);
      if (dtype != DType::Float32) {
        r1 = dispatch::cast(r1, dtype);
        r2 = dispatch::cast(r2, dtype);
      }
      NDArray target = outputFor(op, outs, i, weight);
      lambPhase2(
          op, weight, direction, r1, r2, weight32, target,
          dispatch::scalar(attrs.getFloatTuple("learning_rates")[i], dtype),
          attrs.getFloat("lower_bound"), attrs.getFloat("upper_bound"),
          /*updateMaster=*/true);
      results.push_back(target);
    }
    return results;
  };
}

/// multi_sum_sq: one float32 element per array.
NDArray multiSumSq(const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
  const std::string op = "multi_sum_sq";
  const int64_t count = attrs.getInt("num_arrays");
  if (count != static_cast<int64_t>(in.size()))
    throw Error(formatMessage(op, ": num_arrays is ", count, " but ", in.size(),
                              " arrays were given"));
  for (size_t i = 0; i < in.size(); ++i) {
    requireFloat(op, in[i]);
    if (in[i].dtype() != in[0].dtype())
      throw Error(formatMessage(op, ": array ", i, " has dtype ",
                                dtypeName(in[i].dtype()), ", expected ",
                                dtypeName(in[0].dtype()), " (as array 0)"));
  }
  NDArray target = updateTarget(op, out, {count}, DType::Float32);
  for (int64_t i = 0; i < count; ++i) {
    UpdateKernel k(op, in[i].shape().size());
    // As MXNet: squares in the arrays' dtype, summed in float32.
    k.into(k.sumAll(k.cast(square(k.input(in[i])), DType::Float32)),
           elementOf(op, "out", target, i));
  }
  return target;
}

/// multi_lars: lrs * eta * |w| / (|g| + wd * |w| + eps), |g| =
/// sqrt(grads_sum_sq) * rescale_grad, where both norms are positive; lrs
/// elsewhere.
NDArray multiLars(const std::vector<NDArray> &in, const Attrs &attrs,
                  const NDArray &out) {
  const std::string op = "multi_lars";
  const NDArray &lrs = in[0];
  if (lrs.shape().size() != 1)
    throw Error(formatMessage(op, ": lrs has shape ",
                              shapeToString(lrs.shape()),
                              ", expected one dimension"));
  requireFloat(op, lrs);
  const char *names[] = {"lrs", "weights_sum_sq", "grads_sum_sq", "wds"};
  for (size_t i = 1; i < in.size(); ++i)
    requireLike(op, names[i], in[i], lrs.shape(), lrs.dtype());
  UpdateKernel k(op, 1);
  KValue rate = k.input(lrs), weightNorm = sqrt(k.input(in[1])),
         gradNorm = sqrt(k.input(in[2])) * attrs.getFloat("rescale_grad");
  KValue scaled =
      rate * attrs.getFloat("eta") * weightNorm /
      (gradNorm + k.input(in[3]) * weightNorm + attrs.getFloat("eps"));
  KValue value =
      select(logicalAnd(weightNorm > 0.0, gradNorm > 0.0), scaled, rate);
  NDArray target = updateTarget(op, out, lrs.shape(), lrs.dtype());
  k.into(value, target);
  return target;
}

OpSpec multiOp(const std::string &name, std::vector<AttrSpec> attrs,
               const std::string &doc, ComputeOutputs compute) {
  OpSpec spec{name, {"*data"}, std::move(attrs), doc, nullptr};
  spec.computeOutputs = std::move(compute);
  return spec;
}

} // namespace

void registerMultiTensorOptimizerOps(OpRegistry &registry) {
  const AttrSpec lrs = {"lrs", AttrSpec::Kind::FloatTuple, std::nullopt};
  const AttrSpec wds = {"wds", AttrSpec::Kind::FloatTuple, std::nullopt};
  const AttrSpec momentum = floatSpec("momentum", "0");
  const AttrSpec rescale = floatSpec("rescale_grad", "1");
  const AttrSpec clip = floatSpec("clip_gradient", "-1");
  const AttrSpec numWeights = {"num_weights", AttrSpec::Kind::Int, "1"};
  for (bool mixed : {false, true})
    for (bool withMomentum : {false, true}) {
      const std::string core = std::string(mixed ? "mp_" : "") + "sgd" +
                               (withMomentum ? "_mom" : "") + "_update";
      const std::string per = std::string("weight, grad") +
                              (withMomentum ? ", mom" : "") +
                              (mixed ? ", weight32" : "");
      const std::string what =
          (withMomentum ? "sgd_mom_update" : "sgd_update") +
          std::string(mixed ? " on float32 master copies" : "");
      std::vector<AttrSpec> attrs = {lrs, wds};
      if (withMomentum)
        attrs.push_back(momentum);
      for (const AttrSpec &spec : {rescale, clip, numWeights})
        attrs.push_back(spec);
      registry.add(
          multiOp("multi_" + core, attrs,
                  what + " of num_weights weights; data is (" + per +
                      ") per weight; lrs and wds give each its own. "
                      "Returns the new weights.",
                  multiSgd("multi_" + core, withMomentum, mixed, false)));
      std::vector<AttrSpec> preloadedAttrs;
      if (withMomentum)
        preloadedAttrs.push_back(momentum);
      for (const AttrSpec &spec : {rescale, clip, numWeights})
        preloadedAttrs.push_back(spec);
      registry.add(multiOp(
          "preloaded_multi_" + core, preloadedAttrs,
          what + " of num_weights weights; data is (" + per +
              ") per weight, then arrays of the learning rates and weight "
              "decays. Returns the new weights.",
          multiSgd("preloaded_multi_" + core, withMomentum, mixed, true)));
    }
  const std::vector<AttrSpec> adamwAttrs = {
      lrs,
      floatSpec("beta1", "0.9"),
      floatSpec("beta2", "0.999"),
      floatSpec("epsilon", "1e-08"),
      wds,
      {"etas", AttrSpec::Kind::FloatTuple, std::nullopt},
      clip,
      numWeights};
  registry.add(multiOp("_multi_adamw_update", adamwAttrs,
                       "_adamw_update of num_weights weights; data is "
                       "(weight, grad, mean, var) per weight, then "
                       "rescale_grad. Returns the new weights.",
                       multiAdamW("_multi_adamw_update", false)));
  registry.add(multiOp("_multi_mp_adamw_update", adamwAttrs,
                       "_mp_adamw_update of num_weights weights; data is "
                       "(weight, grad, mean, var, weight32) per weight, then "
                       "rescale_grad. Returns the new weights.",
                       multiAdamW("_multi_mp_adamw_update", true)));
  const std::vector<AttrSpec> lambAttrs = {
      {"learning_rates", AttrSpec::Kind::FloatTuple, std::nullopt},
      floatSpec("beta1", "0.9"),
      floatSpec("beta2", "0.999"),
      floatSpec("epsilon", "1e-06"),
      wds,
      rescale,
      floatSpec("lower_bound", "-1"),
      floatSpec("upper_bound", "-1"),
      clip,
      {"bias_correction", AttrSpec::Kind::Bool, "True"},
      {"step_count", AttrSpec::Kind::IntTuple, std::nullopt},
      {"num_tensors", AttrSpec::Kind::Int, "1"}};
  registry.add(multiOp("_multi_lamb_update", lambAttrs,
                       "LAMB (lamb_update_phase1, the norms, phase2) of "
                       "num_tensors weights; data is (weight, grad, mean, "
                       "var) per weight. Returns the new weights.",
                       multiLamb("_multi_lamb_update", false)));
  registry.add(multiOp("_multi_mp_lamb_update", lambAttrs,
                       "_multi_lamb_update on float32 master copies; data is "
                       "(weight, grad, mean, var, weight32) per weight.",
                       multiLamb("_multi_mp_lamb_update", true)));
  registry.add({"multi_sum_sq",
                {"*data"},
                {{"num_arrays", AttrSpec::Kind::Int, std::nullopt}},
                "The sum of squares of each array, as a float32 array of "
                "num_arrays elements.",
                multiSumSq});
  registry.add({"multi_lars",
                {"lrs", "weights_sum_sq", "grads_sum_sq", "wds"},
                {floatSpec("eta"), floatSpec("eps"), rescale},
                "LARS learning rates: lrs * eta * |w| / (|g| + wd * |w| + "
                "eps), with |w| = sqrt(weights_sum_sq) and |g| = "
                "sqrt(grads_sum_sq) * rescale_grad, where both are positive.",
                multiLars});
}

} // namespace ops
} // namespace kiln
