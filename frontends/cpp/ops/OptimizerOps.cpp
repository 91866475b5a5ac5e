//===- OptimizerOps.cpp - MXNet's SGD-family updates ----------------------===//
//
// sgd_update, sgd_mom_update, mp_sgd_update, mp_sgd_mom_update,
// nag_mom_update, mp_nag_mom_update, signsgd_update, signum_update and
// adam_update, as MXNet 1.9.1's optimizers call them: each array an update
// writes (states first, then the weight) is one fused kernel
// (UpdateKernel.h) with the hyperparameters as run-time inputs. The new
// weight goes to `out` (the weight itself when the optimizer passes
// out=weight), else to a new array; states are updated in place. The mp_
// forms keep a float32 master copy (weight32, updated in place) of a
// float16 weight and write the weight as its rounding.
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

/// The weight's rank and shape checks every single-weight update starts
/// with; `states` are checked against the weight's shape and dtype
/// (`stateDType` for mixed precision's float32 states).
void checkArrays(const std::string &op, const NDArray &weight,
                 const std::vector<std::pair<const char *, NDArray>> &arrays,
                 DType stateDType) {
  requireFloat(op, weight);
  for (const auto &[name, array] : arrays) {
    if (array.isNone())
      continue;
    const bool state = std::string(name).compare(0, 4, "grad") != 0;
    requireLike(op, name, array, weight.shape(),
                state ? stateDType : weight.dtype());
  }
}

/// The float32 master copy's dtype when mixed precision, else the weight's.
DType computeDType(const NDArray &weight, const NDArray &weight32) {
  return weight32.isNone() ? weight.dtype() : DType::Float32;
}

NDArray numberArray(double value, DType dtype) {
  return dispatch::scalar(value, dtype);
}

/// Whether two of an update's arguments share memory: a caller passing one
/// array as two of them (mom=weight, mean=var). MXNet's kernels then see
/// one statement's writes in the next, so such an update runs one kernel
/// per array written, in MXNet's order, rather than one pass that reads
/// every input before writing.
bool argumentsAlias(const std::vector<NDArray> &arrays) {
  for (size_t i = 0; i < arrays.size(); ++i)
    for (size_t j = i + 1; j < arrays.size(); ++j)
      if (!arrays[i].isNone() && !arrays[j].isNone() &&
          arrays[i].tensor().storage() == arrays[j].tensor().storage())
        return true;
  return false;
}

/// Runs `kernel` writing `states` (new values and the arrays they go to)
/// and the new weight `value`: into weight32 and its rounding into the
/// weight (target) for mixed precision, else into target.
void writeWeight(UpdateKernel &kernel,
                 std::vector<std::pair<KValue, NDArray>> states,
                 const KValue &value, const NDArray &weight32,
                 const NDArray &target) {
  if (!weight32.isNone()) {
    states.emplace_back(value, weight32);
    states.emplace_back(kernel.cast(value, target.dtype()), target);
  } else {
    states.emplace_back(value, target);
  }
  std::vector<KValue> results;
  std::vector<NDArray> targets;
  for (auto &[result, array] : states) {
    results.push_back(result);
    targets.push_back(array);
  }
  kernel.into(results, targets);
}

} // namespace

AttrSpec floatSpec(const char *name, const char *defaultValue) {
  return {name, AttrSpec::Kind::Float32,
          defaultValue ? std::optional<std::string>(defaultValue)
                       : std::nullopt};
}

std::vector<AttrSpec> decayAndClip(std::vector<AttrSpec> before,
                                   std::vector<AttrSpec> after) {
  for (AttrSpec spec : {floatSpec("wd", "0"), floatSpec("rescale_grad", "1"),
                        floatSpec("clip_gradient", "-1")})
    before.push_back(spec);
  before.insert(before.end(), after.begin(), after.end());
  return before;
}

void sgdStep(const std::string &op, const std::string &suffix,
             const NDArray &weight, const NDArray &grad, const NDArray &mom,
             const NDArray &weight32, const NDArray &target,
             const SgdParams &params) {
  const DType dtype = computeDType(weight, weight32);
  checkArrays(op, weight,
              {{("grad" + suffix).c_str(), grad},
               {("mom" + suffix).c_str(), mom},
               {("weight32" + suffix).c_str(), weight32}},
              dtype);
  const int64_t rank = weight.shape().size();
  const NDArray &master = weight32.isNone() ? weight : weight32;
  auto gradient = [&](UpdateKernel &k) {
    KValue w = k.input(master);
    KValue g = clipTo(k.input(grad, dtype) * params.rescale, params.clip);
    return std::make_pair(w, g + k.input(params.wd, dtype) * w);
  };
  UpdateKernel step(op, rank);
  auto [w, g] = gradient(step);
  if (!params.hasMomentum) {
    writeWeight(step, {}, w - step.input(params.lr, dtype) * g, weight32,
                target);
    return;
  }
  KValue velocity =
      step.input(mom) * params.momentum - step.input(params.lr, dtype) * g;
  if (argumentsAlias({weight, grad, mom, weight32})) {
    // MXNet's order: mom first; the weight then reads it (and the weight)
    // back from memory.
    step.into(velocity, mom);
    UpdateKernel next(op, rank);
    writeWeight(next, {}, next.input(master) + next.input(mom), weight32,
                target);
    return;
  }
  writeWeight(step, {{velocity, mom}}, w + velocity, weight32, target);
}

namespace {

NDArray sgdFamily(const std::string &op, const std::vector<NDArray> &in,
                  const Attrs &attrs, const NDArray &out, bool momentum,
                  bool mixed) {
  const NDArray &weight = in[0];
  SgdParams params;
  const DType dtype = mixed ? DType::Float32 : weight.dtype();
  params.lr = numberArray(attrs.getFloat("lr"), dtype);
  params.wd = numberArray(attrs.getFloat("wd"), dtype);
  params.rescale = attrs.getFloat("rescale_grad");
  params.clip = attrs.getFloat("clip_gradient");
  params.hasMomentum = momentum;
  if (momentum)
    params.momentum = attrs.getFloat("momentum");
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  sgdStep(op, "", weight, in[1], momentum ? in[2] : NDArray(),
          mixed ? in[momentum ? 3 : 2] : NDArray(), target, params);
  return target;
}

/// NAG: weight += momentum * mom' - lr * grad with mom' = momentum * mom -
/// lr * grad, grad = clip(rescale * g) + wd * weight. As in MXNet, mom is
/// written after the weight and reads it again: with out=weight (or the
/// master copy, for mp_) its decay term sees the new weight.
NDArray nag(const std::string &op, const std::vector<NDArray> &in,
            const Attrs &attrs, const NDArray &out, bool mixed) {
  const NDArray &weight = in[0], &grad = in[1], &mom = in[2];
  const NDArray weight32 = mixed ? in[3] : NDArray();
  const DType dtype = computeDType(weight, weight32);
  checkArrays(op, weight,
              {{"grad", grad}, {"mom", mom}, {"weight32", weight32}}, dtype);
  const int64_t rank = weight.shape().size();
  const double momentum = attrs.getFloat("momentum"), lr = attrs.getFloat("lr"),
               wd = attrs.getFloat("wd"),
               rescale = attrs.getFloat("rescale_grad"),
               clip = attrs.getFloat("clip_gradient");
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  auto gradient = [&](UpdateKernel &k, const KValue &w) {
    return clipTo(k.input(grad, dtype) * rescale, clip) + w * wd;
  };
  if (mixed) {
    // MXNet's mixed-precision kernel in one pass: it reads every input
    // before writing mom, weight32 and out, in that order, and its momentum
    // decays with the new master weight.
    UpdateKernel step(op, rank);
    const KValue w = step.input(weight32);
    const KValue m = step.input(mom) * momentum;
    const KValue g = clipTo(step.input(grad, dtype) * rescale, clip);
    const KValue updated = w - m + (momentum + 1) * (m - (g + w * wd) * lr);
    writeWeight(step, {{m - (g + updated * wd) * lr, mom}}, updated, weight32,
                target);
    return target;
  }
  if (argumentsAlias({weight, grad, mom}) || argumentsAlias({target, grad}) ||
      argumentsAlias({target, mom})) {
    // One array as two arguments (or out= a state or the gradient):
    // MXNet's three statements, each reading what the one before wrote.
    //   mom = momentum * mom
    //   out = weight - mom + (momentum + 1) * (mom - lr * gradient)
    //   mom = mom - lr * gradient
    UpdateKernel decay(op, rank);
    decay.into(decay.input(mom) * momentum, mom);
    UpdateKernel step(op, rank);
    KValue m = step.input(mom);
    step.into(step.input(weight) - m +
                  (momentum + 1) *
                      (m - gradient(step, step.input(weight)) * lr),
              target);
    UpdateKernel update(op, rank);
    update.into(update.input(mom) - gradient(update, update.input(weight)) * lr,
                mom);
    return target;
  }
  UpdateKernel step(op, rank);
  KValue w = step.input(weight);
  KValue g = gradient(step, w);
  KValue velocity = step.input(mom) * momentum - g * lr;
  step.into(w + velocity * momentum - g * lr, target);
  UpdateKernel update(op, rank);
  update.into(update.input(mom) * momentum -
                  gradient(update, update.input(weight)) * lr,
              mom);
  return target;
}

/// signsgd: weight = (1 - lr * wd) * weight - lr * sign(clip(rescale * g)).
/// signum: mom = momentum * mom - (1 - momentum) * (wd * weight +
/// clip(rescale * g)); weight = (1 - lr * wd_lh) * weight + lr * sign(mom).
NDArray signFamily(const std::string &op, const std::vector<NDArray> &in,
                   const Attrs &attrs, const NDArray &out, bool momentum) {
  const NDArray &weight = in[0], &grad = in[1];
  const NDArray mom = momentum ? in[2] : NDArray();
  checkArrays(op, weight, {{"grad", grad}, {"mom", mom}}, weight.dtype());
  const int64_t rank = weight.shape().size();
  const double lr = attrs.getFloat("lr"), wd = attrs.getFloat("wd");
  const double rescale = attrs.getFloat("rescale_grad"),
               clip = attrs.getFloat("clip_gradient");
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  if (!momentum) {
    UpdateKernel step(op, rank);
    KValue w = step.input(weight);
    KValue g = clipTo(step.input(grad) * rescale, clip);
    step.into(w * (1 - lr * wd) - sign(g) * lr, target);
    return target;
  }
  const double beta = attrs.getFloat("momentum");
  UpdateKernel velocity(op, rank);
  KValue g = clipTo(velocity.input(grad) * rescale, clip);
  velocity.into(velocity.input(mom) * beta -
                    (velocity.input(weight) * wd + g) * (1 - beta),
                mom);
  UpdateKernel step(op, rank);
  step.into(step.input(weight) * (1 - lr * attrs.getFloat("wd_lh")) +
                sign(step.input(mom)) * lr,
            target);
  return target;
}

/// Adam without bias correction (the caller folds it into lr): the decay
/// joins the gradient before the clip.
NDArray adam(const std::vector<NDArray> &in, const Attrs &attrs,
             const NDArray &out) {
  const std::string op = "adam_update";
  const NDArray &weight = in[0], &grad = in[1], &mean = in[2], &var = in[3];
  checkArrays(op, weight, {{"grad", grad}, {"mean", mean}, {"var", var}},
              weight.dtype());
  const int64_t rank = weight.shape().size();
  const double beta1 = attrs.getFloat("beta1"), beta2 = attrs.getFloat("beta2");
  auto gradient = [&](UpdateKernel &k) {
    return clipTo(k.input(grad) * attrs.getFloat("rescale_grad") +
                      k.input(weight) * attrs.getFloat("wd"),
                  attrs.getFloat("clip_gradient"));
  };
  NDArray target = updateTarget(op, out, weight.shape(), weight.dtype());
  const double lr = attrs.getFloat("lr"), epsilon = attrs.getFloat("epsilon");
  if (argumentsAlias({weight, grad, mean, var})) {
    // MXNet's order, each array read back from memory: mean, var, weight.
    UpdateKernel first(op, rank);
    first.into(first.input(mean) * beta1 + gradient(first) * (1 - beta1), mean);
    UpdateKernel second(op, rank);
    second.into(second.input(var) * beta2 +
                    square(gradient(second)) * (1 - beta2),
                var);
    UpdateKernel step(op, rank);
    step.into(step.input(weight) -
                  step.input(mean) * lr / (sqrt(step.input(var)) + epsilon),
              target);
    return target;
  }
  UpdateKernel step(op, rank);
  const KValue g = gradient(step);
  const KValue newMean = step.input(mean) * beta1 + g * (1 - beta1);
  const KValue newVar = step.input(var) * beta2 + square(g) * (1 - beta2);
  step.into({newMean, newVar,
             step.input(weight) - newMean * lr / (sqrt(newVar) + epsilon)},
            {mean, var, target});
  return target;
}

using Compute = std::function<NDArray(const std::vector<NDArray> &,
                                      const Attrs &, const NDArray &)>;

const AttrSpec kLr = floatSpec("lr");
const AttrSpec kMomentum = floatSpec("momentum", "0");
const AttrSpec kLazyUpdate = {"lazy_update", AttrSpec::Kind::Bool, "True"};

} // namespace

void registerOptimizerOps(OpRegistry &registry) {
  auto sgd = [](const char *name, bool momentum, bool mixed) -> Compute {
    return [=](const std::vector<NDArray> &in, const Attrs &attrs,
               const NDArray &out) {
      return sgdFamily(name, in, attrs, out, momentum, mixed);
    };
  };
  registry.add({"sgd_update",
                {"weight", "grad"},
                decayAndClip({kLr}, {kLazyUpdate}),
                "weight -= lr * (clip(rescale_grad * grad) + wd * weight).",
                sgd("sgd_update", false, false)});
  registry.add({"sgd_mom_update",
                {"weight", "grad", "mom"},
                decayAndClip({kLr, kMomentum}, {kLazyUpdate}),
                "mom = momentum * mom - lr * (clip(rescale_grad * grad) + wd "
                "* weight) (in place); weight += mom.",
                sgd("sgd_mom_update", true, false)});
  registry.add({"mp_sgd_update",
                {"weight", "grad", "weight32"},
                decayAndClip({kLr}, {kLazyUpdate}),
                "sgd_update on the float32 master copy weight32 (updated in "
                "place); the weight is its rounding.",
                sgd("mp_sgd_update", false, true)});
  registry.add({"mp_sgd_mom_update",
                {"weight", "grad", "mom", "weight32"},
                decayAndClip({kLr, kMomentum}, {kLazyUpdate}),
                "sgd_mom_update on the float32 master copy weight32 (mom and "
                "weight32 updated in place); the weight is its rounding.",
                sgd("mp_sgd_mom_update", true, true)});
  registry.add(
      {"nag_mom_update",
       {"weight", "grad", "mom"},
       decayAndClip({kLr, kMomentum}),
       "Nesterov momentum: g = clip(rescale_grad * grad) + wd * weight; "
       "weight += momentum * (momentum * mom - lr * g) - lr * g; then mom = "
       "momentum * mom - lr * g (in place, reading the weight again).",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return nag("nag_mom_update", in, attrs, out, false);
       }});
  registry.add(
      {"mp_nag_mom_update",
       {"weight", "grad", "mom", "weight32"},
       decayAndClip({kLr, kMomentum}),
       "nag_mom_update on the float32 master copy weight32 (mom and weight32 "
       "updated in place); the weight is its rounding.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return nag("mp_nag_mom_update", in, attrs, out, true);
       }});
  registry.add(
      {"signsgd_update",
       {"weight", "grad"},
       decayAndClip({kLr}),
       "weight = (1 - lr * wd) * weight - lr * sign(clip(rescale_grad * "
       "grad)).",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return signFamily("signsgd_update", in, attrs, out, false);
       }});
  registry.add(
      {"signum_update",
       {"weight", "grad", "mom"},
       decayAndClip({kLr, kMomentum}, {floatSpec("wd_lh", "0")}),
       "mom = momentum * mom - (1 - momentum) * (wd * weight + "
       "clip(rescale_grad * grad)) (in place); weight = (1 - lr * wd_lh) * "
       "weight + lr * sign(mom).",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return signFamily("signum_update", in, attrs, out, true);
       }});
  registry.add({"adam_update",
                {"weight", "grad", "mean", "var"},
                decayAndClip({kLr, floatSpec("beta1", "0.9"),
                              floatSpec("beta2", "0.999"),
                              floatSpec("epsilon", "1e-08")},
                             {kLazyUpdate}),
                "Adam's step (without bias correction, which the caller "
                "folds into lr): mean and var updated in place, the new "
                "weight written to out.",
                adam});
}

} // namespace ops
} // namespace kiln
