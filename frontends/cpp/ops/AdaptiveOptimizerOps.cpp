//===- AdaptiveOptimizerOps.cpp - per-element adaptive updates ------------===//
//
// rmsprop_update, rmspropalex_update, ftml_update, ftrl_update,
// _adamw_update, _mp_adamw_update, lamb_update_phase1/2 and their mp_ forms,
// with MXNet 1.9.1's formulas, attributes and in-place behaviour (measured
// against the real package; tests/python/test_optimizer_ops_more.py). As in
// OptimizerOps.cpp, each array written is one fused kernel, states first.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"
#include "frontends/cpp/ops/OptimizerSteps.h"
#include "frontends/cpp/ops/UpdateKernel.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace {

using Compute = std::function<NDArray(const std::vector<NDArray> &,
                                      const Attrs &, const NDArray &)>;

/// Checks `arrays` (name, array) against the weight's shape; the gradient
/// has the weight's dtype, states `stateDType`.
void checkArrays(const std::string &op, const NDArray &weight,
                 const std::vector<std::pair<std::string, NDArray>> &arrays,
                 DType stateDType) {
  requireFloat(op, weight);
  for (const auto &[name, array] : arrays)
    if (!array.isNone())
      requireLike(op, name, array, weight.shape(),
                  name.compare(0, 4, "grad") == 0 ? weight.dtype()
                                                  : stateDType);
}

int64_t rankOf(const NDArray &array) { return array.shape().size(); }

/// rmsprop (centered=False): g = clip(rescale * grad + wd * weight);
/// n = (1 - gamma1) * g^2 + gamma1 * n; weight -= lr * g / sqrt(n + eps),
/// then clipped to clip_weights. rmspropalex (centered) also keeps
/// g_avg and delta: delta = gamma2 * delta - lr * g / sqrt(n - g_avg^2 +
/// eps); weight += delta.
NDArray rmsprop(const std::string &op, const std::vector<NDArray> &in,
                const Attrs &attrs, const NDArray &out, bool centered) {
  const NDArray &weight = in[0], &grad = in[1], &n = in[2];
  const NDArray average = centered ? in[3] : NDArray(),
                delta = centered ? in[4] : NDArray();
  checkArrays(op, weight,
              {{"grad", grad}, {"n", n}, {"g", average}, {"delta", delta}},
              weight.dtype());
  const double gamma1 = attrs.getFloat("gamma1"), lr = attrs.getFloat("lr");
  auto gradient = [&](UpdateKernel &k) {
    return clipTo(k.input(grad) * attrs.getFloat("rescale_grad") +
                      k.input(weight) * attrs.getFloat("wd"),
                  attrs.getFloat("clip_gradient"));
  };
  const int64_t rank = rankOf(weight);
  UpdateKernel squares(op, rank);
  squares.into(
      square(gradient(squares)) * (1 - gamma1) + squares.input(n) * gamma1, n);
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  const double epsilon = attrs.getFloat("epsilon"),
               clipWeights = attrs.getFloat("clip_weights");
  if (!centered) {
    UpdateKernel step(op, rank);
    KValue change = gradient(step) * lr / sqrt(step.input(n) + epsilon);
    step.into(clipTo(step.input(weight) - change, clipWeights), target);
    return target;
  }
  UpdateKernel mean(op, rank);
  mean.into(gradient(mean) * (1 - gamma1) + mean.input(average) * gamma1,
            average);
  UpdateKernel momentum(op, rank);
  KValue g = momentum.input(average);
  momentum.into(momentum.input(delta) * attrs.getFloat("gamma2") -
                    gradient(momentum) * lr /
                        sqrt(momentum.input(n) - g * g + epsilon),
                delta);
  UpdateKernel step(op, rank);
  step.into(clipTo(step.input(weight) + step.input(delta), clipWeights),
            target);
  return target;
}

/// FTML (Zheng & Kwok 2017) as MXNet writes it: g = clip(rescale * grad +
/// wd * weight, clip_grad); v = beta2 * v + (1 - beta2) * g^2;
/// d' = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon);
/// z = beta1 * z + (1 - beta1) * g - (d' - beta1 * d) * weight; d = d';
/// weight = -z / d.
NDArray ftml(const std::vector<NDArray> &in, const Attrs &attrs,
             const NDArray &out) {
  const std::string op = "ftml_update";
  const NDArray &weight = in[0], &grad = in[1], &d = in[2], &v = in[3],
                &z = in[4];
  checkArrays(op, weight, {{"grad", grad}, {"d", d}, {"v", v}, {"z", z}},
              weight.dtype());
  const DType dtype = weight.dtype();
  const double beta1 = attrs.getFloat("beta1"), beta2 = attrs.getFloat("beta2");
  const int64_t t = attrs.getInt("t");
  auto gradient = [&](UpdateKernel &k) {
    return clipTo(k.input(grad) * attrs.getFloat("rescale_grad") +
                      k.input(weight) * attrs.getFloat("wd"),
                  attrs.getFloat("clip_grad"));
  };
  auto newD = [&](UpdateKernel &k) {
    KValue corrected =
        k.input(v) / k.number(1 - std::pow(beta2, double(t)), dtype);
    return (sqrt(corrected) + attrs.getFloat("epsilon")) *
           ((1 - std::pow(beta1, double(t))) / attrs.getFloat("lr"));
  };
  const int64_t rank = rankOf(weight);
  UpdateKernel second(op, rank);
  second.into(second.input(v) * beta2 + square(gradient(second)) * (1 - beta2),
              v);
  UpdateKernel accumulated(op, rank);
  KValue sigma = newD(accumulated) - accumulated.input(d) * beta1;
  accumulated.into(accumulated.input(z) * beta1 +
                       gradient(accumulated) * (1 - beta1) -
                       sigma * accumulated.input(weight),
                   z);
  UpdateKernel scale(op, rank);
  scale.into(newD(scale), d);
  NDArray target = updateTarget(op, out, weight.shape(), dtype);
  UpdateKernel step(op, rank);
  step.into(-step.input(z) / step.input(d), target);
  return target;
}

/// FTRL-proximal (McMahan et al. 2013): g = clip(rescale * grad);
/// z += g - (sqrt(n + g^2) - sqrt(n)) * weight / lr; n += g^2;
/// weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) where
/// |z| > lamda1, else 0.
NDArray ftrl(const std::vector<NDArray> &in, const Attrs &attrs,
             const NDArray &out) {
  const std::string op = "ftrl_update";
  const NDArray &weight = in[0], &grad = in[1], &z = in[2], &n = in[3];
  checkArrays(op, weight, {{"grad", grad}, {"z", z}, {"n", n}}, weight.dtype());
  const double lr = attrs.getFloat("lr"), lamda1 = attrs.getFloat("lamda1");
  auto gradient = [&](UpdateKernel &k) {
    return clipTo(k.input(grad) * attrs.getFloat("rescale_grad"),
                  attrs.getFloat("clip_gradient"));
  };
  const int64_t rank = rankOf(weight);
  UpdateKernel linear(op, rank);
  KValue g = gradient(linear), sum = linear.input(n);
  linear.into(linear.input(z) + g -
                  (sqrt(sum + g * g) - sqrt(sum)) * linear.input(weight) *
                      (1 / lr),
              z);
  UpdateKernel squares(op, rank);
  squares.into(squares.input(n) + square(gradient(squares)), n);
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  UpdateKernel step(op, rank);
  KValue zs = step.input(z);
  KValue value = (sign(zs) * lamda1 - zs) /
                 ((sqrt(step.input(n)) + attrs.getFloat("beta")) * (1 / lr) +
                  attrs.getFloat("wd"));
  step.into(select(abs(zs) > lamda1, value, step.number(0, value.dtype())),
            target);
  return target;
}

NDArray adamw(const std::string &op, const std::vector<NDArray> &in,
              const Attrs &attrs, const NDArray &out, bool mixed) {
  const NDArray &weight = in[0];
  const DType dtype = mixed ? DType::Float32 : weight.dtype();
  AdamWParams params;
  params.lr = dispatch::scalar(attrs.getFloat("lr"), dtype);
  params.wd = dispatch::scalar(attrs.getFloat("wd"), dtype);
  params.eta = dispatch::scalar(attrs.getFloat("eta"), dtype);
  params.rescale = elementOf(op, "rescale_grad", in[mixed ? 5 : 4]);
  params.beta1 = attrs.getFloat("beta1");
  params.beta2 = attrs.getFloat("beta2");
  params.epsilon = attrs.getFloat("epsilon");
  params.clip = attrs.getFloat("clip_gradient");
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  const NDArray &grad = in[1];
  adamwStep(op, "", weight, grad, in[2], in[3], mixed ? in[4] : NDArray(),
            target, params);
  if (!mixed) {
    // MXNet 1.9.1's _adamw_update (not the mp_ or multi_ forms) leaves the
    // rescaled, clipped gradient in grad, unless it skipped the step.
    UpdateKernel scale(op, rankOf(weight));
    KValue g = scale.input(grad), rescale = scale.input(params.rescale, dtype);
    KValue skip =
        rescale == 0.0 || scale.unary("logical_not", isFinite(rescale));
    scale.into(select(skip, g, clipTo(g * rescale, params.clip)), grad);
  }
  return target;
}

LambParams lambParams(const Attrs &attrs) {
  LambParams params;
  params.beta1 = attrs.getFloat("beta1");
  params.beta2 = attrs.getFloat("beta2");
  params.epsilon = attrs.getFloat("epsilon");
  params.wd = attrs.getFloat("wd");
  params.rescale = attrs.getFloat("rescale_grad");
  params.clip = attrs.getFloat("clip_gradient");
  params.t = attrs.getInt("t");
  params.biasCorrection = attrs.getBool("bias_correction");
  return params;
}

} // namespace

void adamwStep(const std::string &op, const std::string &suffix,
               const NDArray &weight, const NDArray &grad, const NDArray &mean,
               const NDArray &var, const NDArray &weight32,
               const NDArray &target, const AdamWParams &params) {
  const DType dtype = weight32.isNone() ? weight.dtype() : DType::Float32;
  checkArrays(op, weight,
              {{"grad" + suffix, grad},
               {"mean" + suffix, mean},
               {"var" + suffix, var},
               {"weight32" + suffix, weight32}},
              dtype);
  const NDArray &master = weight32.isNone() ? weight : weight32;
  const int64_t rank = rankOf(weight);
  // A NaN, infinite or zero rescale_grad skips the step: every array keeps
  // its value.
  auto kernel = [&](UpdateKernel &k, KValue &rescale, KValue &skip) {
    rescale = k.input(params.rescale, dtype);
    skip = rescale == 0.0 || k.unary("logical_not", isFinite(rescale));
  };
  auto gradient = [&](UpdateKernel &k, const KValue &rescale) {
    return clipTo(k.input(grad, dtype) * rescale, params.clip);
  };
  for (int moment = 0; moment < 2; ++moment) {
    const NDArray &state = moment == 0 ? mean : var;
    const double beta = moment == 0 ? params.beta1 : params.beta2;
    UpdateKernel update(op, rank);
    KValue rescale, skip;
    kernel(update, rescale, skip);
    KValue g = gradient(update, rescale);
    KValue old = update.input(state);
    KValue added = moment == 0 ? g * (1 - beta) : square(g) * (1 - beta);
    update.into(select(skip, old, old * beta + added), state);
  }
  UpdateKernel step(op, rank);
  KValue rescale, skip;
  kernel(step, rescale, skip);
  KValue w = step.input(master);
  KValue direction = step.input(mean) * step.input(params.lr, dtype) /
                     (sqrt(step.input(var)) + params.epsilon);
  KValue updated = w - step.input(params.eta, dtype) *
                           (direction + w * step.input(params.wd, dtype));
  KValue value = select(skip, w, updated);
  if (weight32.isNone()) {
    step.into(value, target);
    return;
  }
  step.into(value, weight32);
  UpdateKernel round(op, rank);
  round.into(round.cast(round.input(weight32), target.dtype()), target);
}

void lambPhase1(const std::string &op, const std::string &suffix,
                const NDArray &weight, const NDArray &grad, const NDArray &mean,
                const NDArray &var, const NDArray &weight32,
                const NDArray &target, const LambParams &params) {
  const DType dtype = weight32.isNone() ? weight.dtype() : DType::Float32;
  checkArrays(op, weight,
              {{"grad" + suffix, grad},
               {"mean" + suffix, mean},
               {"var" + suffix, var},
               {"weight32" + suffix, weight32}},
              dtype);
  const int64_t rank = rankOf(weight);
  auto gradient = [&](UpdateKernel &k) {
    return clipTo(k.input(grad, dtype) * params.rescale, params.clip);
  };
  UpdateKernel first(op, rank);
  first.into(first.input(mean) * params.beta1 +
                 gradient(first) * (1 - params.beta1),
             mean);
  UpdateKernel second(op, rank);
  second.into(second.input(var) * params.beta2 +
                  square(gradient(second)) * (1 - params.beta2),
              var);
  UpdateKernel direction(op, rank);
  KValue m = direction.input(mean), v = direction.input(var);
  if (params.biasCorrection) {
    const double t = static_cast<double>(params.t);
    m = m / direction.number(1 - std::pow(params.beta1, t), dtype);
    v = v / direction.number(1 - std::pow(params.beta2, t), dtype);
  }
  const NDArray &master = weight32.isNone() ? weight : weight32;
  direction.into(m / (sqrt(v) + params.epsilon) +
                     direction.input(master) * params.wd,
                 target);
}

void lambPhase2(const std::string &op, const NDArray &weight, const NDArray &g,
                const NDArray &r1, const NDArray &r2, const NDArray &weight32,
                const NDArray &target, const NDArray &lr, double lowerBound,
                double upperBound, bool updateMaster) {
  const DType dtype = weight32.isNone() ? weight.dtype() : DType::Float32;
  requireFloat(op, weight);
  requireLike(op, "g", g, weight.shape(), dtype);
  if (!weight32.isNone())
    requireLike(op, "weight32", weight32, weight.shape(), dtype);
  const NDArray &master = weight32.isNone() ? weight : weight32;
  UpdateKernel step(op, rankOf(weight));
  KValue ratio = step.input(r1, dtype), norm = step.input(r2, dtype);
  if (lowerBound >= 0)
    ratio = maximum(ratio, lowerBound);
  if (upperBound >= 0)
    ratio = minimum(ratio, upperBound);
  // The trust ratio r1 / r2, or 1 when either norm is 0.
  KValue trust =
      select(ratio == 0.0 || norm == 0.0, step.number(1, dtype), ratio / norm);
  KValue value =
      step.input(master) - step.input(lr, dtype) * trust * step.input(g);
  if (weight32.isNone()) {
    step.into(value, target);
  } else if (!updateMaster) {
    step.into(step.cast(value, weight.dtype()), target);
  } else {
    step.into(value, weight32);
    UpdateKernel round(op, rankOf(weight));
    round.into(round.cast(round.input(weight32), target.dtype()), target);
  }
}

NDArray sumOfSquares(const std::string &op, const NDArray &x) {
  // As MXNet: squares in x's dtype, summed in float32.
  UpdateKernel k(op, rankOf(x));
  return k.run(k.sumAll(k.cast(square(k.input(x)), DType::Float32)), {});
}

void registerAdaptiveOptimizerOps(OpRegistry &registry) {
  const AttrSpec lr = floatSpec("lr");
  const AttrSpec clipWeights = floatSpec("clip_weights", "-1");
  registry.add({"rmsprop_update",
                {"weight", "grad", "n"},
                decayAndClip({lr, floatSpec("gamma1", "0.95"),
                              floatSpec("epsilon", "1e-08")},
                             {clipWeights}),
                "RMSProp (Tieleman & Hinton): n = (1 - gamma1) * g^2 + "
                "gamma1 * n (in place), g = clip(rescale_grad * grad + wd * "
                "weight); weight -= lr * g / sqrt(n + epsilon), clipped to "
                "clip_weights when that is >= 0.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return rmsprop("rmsprop_update", in, attrs, out, false);
                }});
  registry.add(
      {"rmspropalex_update",
       {"weight", "grad", "n", "g", "delta"},
       decayAndClip({lr, floatSpec("gamma1", "0.95"),
                     floatSpec("gamma2", "0.9"), floatSpec("epsilon", "1e-08")},
                    {clipWeights}),
       "Centered RMSProp (Graves 2013): n, g and delta updated in place, "
       "delta = gamma2 * delta - lr * grad / sqrt(n - g^2 + epsilon); "
       "weight += delta.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return rmsprop("rmspropalex_update", in, attrs, out, true);
       }});
  registry.add({"ftml_update",
                {"weight", "grad", "d", "v", "z"},
                {lr,
                 floatSpec("beta1", "0.6"),
                 floatSpec("beta2", "0.999"),
                 floatSpec("epsilon", "1e-08"),
                 {"t", AttrSpec::Kind::Int, std::nullopt},
                 floatSpec("wd", "0"),
                 floatSpec("rescale_grad", "1"),
                 floatSpec("clip_grad", "-1")},
                "FTML (Follow the Moving Leader): d, v, z updated in place; "
                "weight = -z / d.",
                ftml});
  registry.add(
      {"ftrl_update",
       {"weight", "grad", "z", "n"},
       decayAndClip({lr, floatSpec("lamda1", "0.01"), floatSpec("beta", "1")}),
       "FTRL-proximal: z and n updated in place; weight = (sign(z) "
       "* lamda1 - z) / ((beta + sqrt(n)) / lr + wd) where |z| > "
       "lamda1, else 0.",
       ftrl});
  const std::vector<AttrSpec> adamwAttrs = {lr,
                                            floatSpec("beta1", "0.9"),
                                            floatSpec("beta2", "0.999"),
                                            floatSpec("epsilon", "1e-08"),
                                            floatSpec("wd", "0"),
                                            floatSpec("eta"),
                                            floatSpec("clip_gradient", "-1")};
  registry.add({"_adamw_update",
                {"weight", "grad", "mean", "var", "rescale_grad"},
                adamwAttrs,
                "AdamW: mean and var updated in place; weight -= eta * (lr * "
                "mean / (sqrt(var) + epsilon) + wd * weight). rescale_grad "
                "is an array; NaN, infinite or 0 skips the step.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return adamw("_adamw_update", in, attrs, out, false);
                }});
  registry.add({"_mp_adamw_update",
                {"weight", "grad", "mean", "var", "weight32", "rescale_grad"},
                adamwAttrs,
                "_adamw_update on the float32 master copy weight32 (updated "
                "in place); the weight is its rounding.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return adamw("_mp_adamw_update", in, attrs, out, true);
                }});
  const std::vector<AttrSpec> phase1Attrs = {
      floatSpec("beta1", "0.9"),
      floatSpec("beta2", "0.999"),
      floatSpec("epsilon", "1e-06"),
      {"t", AttrSpec::Kind::Int, std::nullopt},
      {"bias_correction", AttrSpec::Kind::Bool, "True"},
      floatSpec("wd"),
      floatSpec("rescale_grad", "1"),
      floatSpec("clip_gradient", "-1")};
  auto phase1 = [](const char *op, bool mixed) -> Compute {
    return [=](const std::vector<NDArray> &in, const Attrs &attrs,
               const NDArray &out) {
      const NDArray &weight = in[0];
      NDArray target = updateTarget(op, out, weight.shape(),
                                    mixed ? DType::Float32 : weight.dtype());
      lambPhase1(op, "", weight, in[1], in[2], in[3], mixed ? in[4] : NDArray(),
                 target, lambParams(attrs));
      return target;
    };
  };
  registry.add({"lamb_update_phase1",
                {"weight", "grad", "mean", "var"},
                phase1Attrs,
                "LAMB's phase 1: mean and var updated in place (g = "
                "clip(rescale_grad * grad)); returns mean_hat / "
                "(sqrt(var_hat) + epsilon) + wd * weight (bias-corrected "
                "with t when bias_correction).",
                phase1("lamb_update_phase1", false)});
  registry.add({"mp_lamb_update_phase1",
                {"weight", "grad", "mean", "var", "weight32"},
                phase1Attrs,
                "lamb_update_phase1 against the float32 master copy; returns "
                "float32.",
                phase1("mp_lamb_update_phase1", true)});
  const std::vector<AttrSpec> phase2Attrs = {lr, floatSpec("lower_bound", "-1"),
                                             floatSpec("upper_bound", "-1")};
  auto phase2 = [](const char *op, bool mixed) -> Compute {
    return [=](const std::vector<NDArray> &in, const Attrs &attrs,
               const NDArray &out) {
      const NDArray &weight = in[0];
      NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
      const DType dtype = mixed ? DType::Float32 : weight.dtype();
      lambPhase2(op, weight, in[1], elementOf(op, "r1", in[2]),
                 elementOf(op, "r2", in[3]), mixed ? in[4] : NDArray(), target,
                 dispatch::scalar(attrs.getFloat("lr"), dtype),
                 attrs.getFloat("lower_bound"), attrs.getFloat("upper_bound"),
                 /*updateMaster=*/false);
      return target;
    };
  };
  registry.add({"lamb_update_phase2",
                {"weight", "g", "r1", "r2"},
                phase2Attrs,
                "LAMB's phase 2: r1 bounded to [lower_bound, upper_bound] "
                "(each when >= 0); weight -= lr * r1 / r2 * g (lr alone when "
                "r1 or r2 is 0).",
                phase2("lamb_update_phase2", false)});
  registry.add({"mp_lamb_update_phase2",
                {"weight", "g", "r1", "r2", "weight32"},
                phase2Attrs,
                "lamb_update_phase2 from the float32 master copy; the weight "
                "is the rounded result (weight32 is left as it was, as in "
                "MXNet 1.9.1).",
                phase2("mp_lamb_update_phase2", true)});
}

} // namespace ops
} // namespace kiln
