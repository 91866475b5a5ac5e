//===- OptimizerOps.cpp - MXNet's fused optimizer updates -----------------===//
//
// sgd_update, sgd_mom_update and adam_update, as MXNet's optimizers call
// them: each is one fused graph kernel that reads the weight, gradient and
// states once and writes the new weight and states in place. The
// hyperparameters are kernel inputs (rank-0 tensors), so one compiled
// kernel serves every step of a learning-rate schedule.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "runtime/Error.h"

namespace kiln {
namespace ops {
namespace {

enum class Rule { Sgd, SgdMomentum, Adam };

/// Builds one single-result kiln function over named array and scalar
/// arguments. Each kernel writes one array in place; reading and writing
/// the same element in one elementwise pass is safe, while a kernel with
/// several in-place results is not (its results may be computed in separate
/// loops that reread an already updated input).
class UpdateFunction {
public:
  UpdateFunction(int64_t rank, DType dtype)
      : t_(dispatch::mlirTensorType(rank, dtype)),
        s_("tensor<" + dispatch::mlirElementType(dtype) + ">") {}

  void array(const std::string &name) { arguments_.push_back({name, t_}); }
  void scalar(const std::string &name) { arguments_.push_back({name, s_}); }
  /// %result = kiln.op %a[, %b]; b is a scalar argument when `scalarB`.
  void line(const std::string &result, const std::string &op,
            const std::string &a, const std::string &b = "",
            bool scalarB = false) {
    body_ += "  %" + result + " = kiln." + op + " %" + a +
             (b.empty() ? " : " + t_
                        : ", %" + b + " : " + t_ + ", " + (scalarB ? s_ : t_)) +
             "\n";
  }
  /// The clipped, rescaled gradient (with weight decay before or after the
  /// clip, as MXNet's rules differ), named "gt".
  void gradient(bool clip, bool decayBeforeClip) {
    line("gs", "mul", "g", "rescale", true);
    std::string grad = "gs";
    if (decayBeforeClip) {
      line("decay", "mul", "w", "wd", true);
      line("gd", "add", "gs", "decay");
      grad = "gd";
    }
    if (clip) {
      body_ += "  %lo = kiln.neg %clip : " + s_ + "\n";
      line("gl", "maximum", grad, "lo", true);
      line("gc", "minimum", "gl", "clip", true);
      grad = "gc";
    }
    if (!decayBeforeClip) {
      line("decay", "mul", "w", "wd", true);
      line("gt", "add", grad, "decay");
    } else {
      line("gt", "add", grad, "zero", true);
    }
  }
  std::string source(const std::string &result) const {
    std::string text = "func.func @update(";
    for (size_t i = 0; i < arguments_.size(); ++i)
      text +=
          (i ? ", %" : "%") + arguments_[i].first + ": " + arguments_[i].second;
    return text + ") -> " + t_ + " {\n" + body_ + "  return %" + result +
           " : " + t_ + "\n}\n";
  }

private:
  std::string t_, s_, body_;
  std::vector<std::pair<std::string, std::string>> arguments_;
};

/// The scalars every rule's gradient takes, in argument order.
void gradientArguments(UpdateFunction &function) {
  for (const char *name : {"w", "g"})
    function.array(name);
  for (const char *name : {"wd", "rescale", "clip", "zero"})
    function.scalar(name);
}

NDArray runUpdate(const std::string &op, Rule rule,
                  const std::vector<NDArray> &in, const Attrs &attrs,
                  const NDArray &out) {
  const NDArray &weight = in[0];
  requireFloat(op, weight);
  const char *names[] = {"weight", "grad", rule == Rule::Adam ? "mean" : "mom",
                         "var"};
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].shape() != weight.shape())
      throw Error(formatMessage(
          op, ": ", names[i], " has shape ", shapeToString(in[i].shape()),
          ", expected the weight's ", shapeToString(weight.shape())));
    if (in[i].dtype() != weight.dtype())
      throw Error(formatMessage(op, ": ", names[i], " has dtype ",
                                dtypeName(in[i].dtype()), ", expected ",
                                dtypeName(weight.dtype())));
  }
  NDArray result = out.isNone() ? dispatch::cast(weight, weight.dtype()) : out;
  if (result.shape() != weight.shape() || result.dtype() != weight.dtype())
    throw Error(formatMessage(op, ": out must match the weight's shape and "
                                  "dtype"));
  if (result.var() != weight.var())
    dispatch::cast(weight, weight.dtype(), result); // Update a copy.
  const DType dtype = weight.dtype();
  const int64_t rank = weight.shape().size();
  const bool clip = attrs.getFloat("clip_gradient") >= 0;
  auto scalar = [&](double value) { return dispatch::scalar(value, dtype); };
  const std::vector<NDArray> common = {result,
                                       in[1],
                                       scalar(attrs.getFloat("wd")),
                                       scalar(attrs.getFloat("rescale_grad")),
                                       scalar(attrs.getFloat("clip_gradient")),
                                       scalar(0)};
  auto run = [&](const UpdateFunction &function, const std::string &value,
                 std::vector<NDArray> extra, const NDArray &target) {
    std::vector<NDArray> inputs = common;
    inputs.insert(inputs.end(), extra.begin(), extra.end());
    dispatch::graphInto(op, function.source(value), inputs, target,
                        /*splitRows=*/rank > 0);
  };
  const NDArray lr = scalar(attrs.getFloat("lr"));
  if (rule == Rule::Sgd) {
    UpdateFunction step(rank, dtype);
    gradientArguments(step);
    step.scalar("lr");
    step.gradient(clip, false);
    step.line("change", "mul", "gt", "lr", true);
    step.line("wn", "sub", "w", "change");
    run(step, "wn", {lr}, result);
    return result;
  }
  if (rule == Rule::SgdMomentum) {
    // mom = momentum * mom - lr * gradient, then weight += mom.
    UpdateFunction velocity(rank, dtype);
    gradientArguments(velocity);
    velocity.array("mom");
    velocity.scalar("lr");
    velocity.scalar("momentum");
    velocity.gradient(clip, false);
    velocity.line("kept", "mul", "mom", "momentum", true);
    velocity.line("change", "mul", "gt", "lr", true);
    velocity.line("momn", "sub", "kept", "change");
    run(velocity, "momn", {in[2], lr, scalar(attrs.getFloat("momentum"))},
        in[2]);
    UpdateFunction step(rank, dtype);
    step.array("w");
    step.array("mom");
    step.line("wn", "add", "w", "mom");
    dispatch::graphInto(op, step.source("wn"), {result, in[2]}, result,
                        rank > 0);
    return result;
  }
  // Adam: the moments, then the weight from the new moments.
  const double beta1 = attrs.getFloat("beta1"), beta2 = attrs.getFloat("beta2");
  for (int moment = 0; moment < 2; ++moment) {
    UpdateFunction update(rank, dtype);
    gradientArguments(update);
    update.array("state");
    update.scalar("beta");
    update.scalar("rest");
    update.gradient(clip, /*decayBeforeClip=*/true);
    update.line("kept", "mul", "state", "beta", true);
    if (moment == 1) {
      update.line("gsq", "square", "gt");
      update.line("added", "mul", "gsq", "rest", true);
    } else {
      update.line("added", "mul", "gt", "rest", true);
    }
    update.line("staten", "add", "kept", "added");
    const double beta = moment == 0 ? beta1 : beta2;
    run(update, "staten", {in[2 + moment], scalar(beta), scalar(1 - beta)},
        in[2 + moment]);
  }
  UpdateFunction step(rank, dtype);
  for (const char *name : {"w", "m", "v"})
    step.array(name);
  step.scalar("lr");
  step.scalar("eps");
  step.line("root", "sqrt", "v");
  step.line("den", "add", "root", "eps", true);
  step.line("ratio", "div", "m", "den");
  step.line("change", "mul", "ratio", "lr", true);
  step.line("wn", "sub", "w", "change");
  dispatch::graphInto(
      op, step.source("wn"),
      {result, in[2], in[3], lr, scalar(attrs.getFloat("epsilon"))}, result,
      rank > 0);
  return result;
}

const std::vector<AttrSpec> kCommonAttrs = {
    {"lr", AttrSpec::Kind::Float, std::nullopt},
    {"wd", AttrSpec::Kind::Float, "0"},
    {"rescale_grad", AttrSpec::Kind::Float, "1"},
    {"clip_gradient", AttrSpec::Kind::Float, "-1"},
    {"lazy_update", AttrSpec::Kind::Bool, "True"}};

std::vector<AttrSpec> withCommon(std::vector<AttrSpec> specific) {
  specific.insert(specific.begin(), kCommonAttrs.begin(), kCommonAttrs.end());
  return specific;
}

} // namespace

void registerOptimizerOps(OpRegistry &registry) {
  registry.add({"sgd_update",
                {"weight", "grad"},
                withCommon({}),
                "weight -= lr * (rescale_grad * clip(grad) + wd * weight), "
                "as one kernel.",
                [](const std::vector<NDArray> &in, const Attrs &attrs,
                   const NDArray &out) {
                  return runUpdate("sgd_update", Rule::Sgd, in, attrs, out);
                }});
  registry.add(
      {"sgd_mom_update",
       {"weight", "grad", "mom"},
       withCommon({{"momentum", AttrSpec::Kind::Float, "0"}}),
       "mom = momentum * mom - lr * gradient; weight += mom (mom updated in "
       "place), as one kernel.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return runUpdate("sgd_mom_update", Rule::SgdMomentum, in, attrs, out);
       }});
  registry.add(
      {"adam_update",
       {"weight", "grad", "mean", "var"},
       withCommon({{"beta1", AttrSpec::Kind::Float, "0.9"},
                   {"beta2", AttrSpec::Kind::Float, "0.999"},
                   {"epsilon", AttrSpec::Kind::Float, "1e-08"}}),
       "Adam's step (without bias correction, which the caller folds into "
       "lr): mean and var updated in place, the new weight written to out, "
       "as one kernel.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) {
         return runUpdate("adam_update", Rule::Adam, in, attrs, out);
       }});
}

} // namespace ops
} // namespace kiln
