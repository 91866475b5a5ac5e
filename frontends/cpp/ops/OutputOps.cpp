//===- OutputOps.cpp - MXNet's output layers ------------------------------===//
//
// SoftmaxOutput (and its old name Softmax), LogisticRegressionOutput,
// LinearRegressionOutput, MAERegressionOutput, SVMOutput, MakeLoss and
// make_loss: the forward pass is the prediction (softmax, sigmoid, the data
// itself), and the backward pass ignores the gradient flowing in and returns
// the loss's gradient computed from the label, as MXNet 1.9.1 does. The
// label's gradient is zero. Each is a decomposition into registered ops with a
// gradient rule of its own (OpSpec::gradient), recorded whole.
//
// Measured on MXNet 1.9.1 and kept: SoftmaxOutput's out_grad multiplies the
// gradient by the forward output, not by the head gradient (MXNet passes
// the output where the head gradient belongs); normalization 'valid'
// divides by the count of labels other than ignore_label even without
// use_ignore; with multi_output, 'null' and 'batch' also divide by the
// spatial size.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/SymbolInference.h"
#include "runtime/Error.h"

#include <cmath>

namespace kiln {
namespace ops {
namespace {

/// A copy of `x` (written into `out` when given): the output of an op whose
/// forward pass is the identity.
NDArray copyOf(const NDArray &x, const NDArray &out = NDArray()) {
  return dispatch::cast(x, x.dtype(), out);
}

/// `x` as `shape` (a view where its layout allows).
NDArray reshaped(const NDArray &x, const Shape &shape) {
  return dispatch::reshape(x, shape);
}

NDArray mul(const NDArray &a, const NDArray &b) {
  return call("broadcast_mul", {a, b});
}

/// data must be floating point and label of its dtype.
void checkDTypes(const std::string &op, const NDArray &data,
                 const NDArray &label) {
  if (!isFloatDType(data.dtype()))
    throw Error(formatMessage(op,
                              ": data expected a floating-point array, "
                              "got ",
                              dtypeName(data.dtype())));
  if (label.dtype() != data.dtype())
    throw Error(formatMessage(op, ": label expected dtype ",
                              dtypeName(data.dtype()), " (data's), got ",
                              dtypeName(label.dtype())));
}

//===----------------------------------------------------------------------===//
// SoftmaxOutput
//===----------------------------------------------------------------------===//

const char *const kSoftmaxOutput = "SoftmaxOutput";

/// data as (rows, classes, spatial): multi_output takes the softmax along
/// axis 1 of (n, k, rest); preserve_shape along the last axis; otherwise
/// over everything after the first axis.
Shape softmaxLayout(const Shape &shape, const Attrs &attrs) {
  const int64_t rank = shape.size(), size = numElements(shape);
  if (attrs.getBool("multi_output")) {
    const int64_t n = shape[0], k = shape[1];
    return {n, k, n * k == 0 ? 0 : size / (n * k)};
  }
  if (attrs.getBool("preserve_shape")) {
    const int64_t k = shape[rank - 1];
    return {k == 0 ? 0 : size / k, k, 1};
  }
  const int64_t n = shape[0];
  return {n, n == 0 ? 0 : size / n, 1};
}

void checkSoftmaxOutput(const NDArray &data, const NDArray &label,
                        const Attrs &attrs) {
  const std::string op = kSoftmaxOutput;
  checkDTypes(op, data, label);
  const Shape &shape = data.shape();
  const int64_t rank = shape.size();
  attrs.getChoice("normalization", {"null", "batch", "valid"});
  if (rank == 0)
    throw Error(op + ": data expected an array of rank 1 or more, got a "
                     "scalar");
  const bool multi = attrs.getBool("multi_output");
  if (multi && rank < 2)
    throw Error(formatMessage(op,
                              ": data expected rank 2 or more with "
                              "multi_output, got shape ",
                              shapeToString(shape)));
  // A label of data's shape holds probabilities; else class indices.
  if (label.shape() == shape)
    return;
  if (multi) {
    const Shape layout = softmaxLayout(shape, attrs);
    Shape flat = {shape[0], layout[2]};
    Shape squeezed = shape, kept = shape;
    squeezed.erase(squeezed.begin() + 1);
    kept[1] = 1;
    if (label.shape() != flat && label.shape() != squeezed &&
        label.shape() != kept)
      throw Error(formatMessage(
          op, ": label expected shape ", shapeToString(flat), ", ",
          shapeToString(squeezed), ", ", shapeToString(kept),
          " or data's for data of shape ", shapeToString(shape), ", got ",
          shapeToString(label.shape())));
    return;
  }
  const Shape expected(shape.begin(), shape.end() - 1);
  if (label.shape() != expected)
    throw Error(formatMessage(
        op, ": label expected shape ", shapeToString(expected), " or data's ",
        shapeToString(shape), ", got ", shapeToString(label.shape())));
}

NDArray softmaxOutput(const std::vector<NDArray> &in, const Attrs &attrs,
                      const NDArray &out) {
  const NDArray &data = in[0];
  checkSoftmaxOutput(data, in[1], attrs);
  const Shape layout = softmaxLayout(data.shape(), attrs);
  NDArray probabilities =
      call("softmax", {reshaped(data, layout)}, {{"axis", "1"}});
  NDArray result = reshaped(probabilities, data.shape());
  return out.isNone() ? result : copyOf(result, out);
}

std::vector<NDArray> softmaxOutputGradient(const GradientArgs &args) {
  const NDArray &data = args.inputs[0], &label = args.inputs[1];
  const NDArray &out = args.output;
  const Attrs &attrs = args.attrs;
  const double gradScale = static_cast<float>(attrs.getFloat("grad_scale"));
  const bool outGrad = attrs.getBool("out_grad");
  NDArray grad;
  if (label.shape() == data.shape()) {
    // Probabilities as the label: no normalization, no ignored label.
    grad = callScalar("_mul_scalar", call("broadcast_sub", {out, label}),
                      gradScale);
    if (outGrad)
      grad = mul(grad, out);
  } else {
    const bool multi = attrs.getBool("multi_output");
    const Shape layout = softmaxLayout(data.shape(), attrs);
    const int64_t rows = layout[0], classes = layout[1], spatial = layout[2];
    NDArray probabilities = reshaped(out, layout);
    // The class of each row: the label truncated, as MXNet's int cast.
    NDArray all = call("trunc", {label});
    NDArray picked =
        multi ? reshaped(all, {rows, 1, spatial})
              : reshaped(call("slice", {reshaped(all, {label.size()})},
                              {{"begin", "(0,)"}, {"end", shapeAttr({rows})}}),
                         {rows, 1, 1});
    NDArray classIds = reshaped(call("_arange", {},
                                     {{"start", "0"},
                                      {"stop", std::to_string(classes)},
                                      {"dtype", dtypeName(data.dtype())}}),
                                {1, classes, 1});
    NDArray hit = call("broadcast_equal", {classIds, picked});
    // Label smoothing applies without multi_output only (MXNet 1.9.1
    // ignores smooth_alpha there): 1 - alpha at the label's class, alpha /
    // (k - 1) at the others.
    const double alpha = static_cast<float>(attrs.getFloat("smooth_alpha"));
    NDArray target = hit;
    if (alpha != 0 && !multi) {
      const double spread = static_cast<float>(alpha / (classes - 1));
      target = callScalar("_plus_scalar",
                          callScalar("_mul_scalar", hit, 1 - alpha - spread),
                          spread);
    }
    grad = call("broadcast_sub", {probabilities, target});
    const double ignored =
        std::trunc(static_cast<float>(attrs.getFloat("ignore_label")));
    if (attrs.getBool("use_ignore"))
      grad = mul(grad, callScalar("_not_equal_scalar", picked, ignored));
    // MXNet computes the scale in float32 (grad_scale is a float), whatever
    // the dtype.
    const float scale = static_cast<float>(gradScale);
    const std::string normalization =
        attrs.getChoice("normalization", {"null", "batch", "valid"});
    if (normalization == "valid") {
      // Labels other than ignore_label, at least 1 (use_ignore or not).
      NDArray valid = dispatch::cast(
          callScalar(
              "_maximum_scalar",
              call("sum", {callScalar("_not_equal_scalar", all, ignored)}), 1),
          DType::Float32);
      NDArray factor = dispatch::cast(callScalar("_rdiv_scalar", valid, scale),
                                      data.dtype());
      grad = mul(grad, factor);
    } else {
      float factor = multi ? scale / static_cast<float>(spatial) : scale;
      if (normalization == "batch")
        factor /= static_cast<float>(multi ? rows : label.size());
      grad = callScalar("_mul_scalar", grad, factor);
    }
    if (outGrad)
      grad = mul(grad, probabilities);
    grad = reshaped(grad, data.shape());
  }
  // No gradient for the label: MXNet leaves its gradient buffer untouched.
  return {grad, NDArray()};
}

const std::vector<AttrSpec> kSoftmaxOutputAttrs = {
    {"grad_scale", AttrSpec::Kind::Float, "1"},
    {"ignore_label", AttrSpec::Kind::Float, "-1"},
    {"multi_output", AttrSpec::Kind::Bool, "False"},
    {"use_ignore", AttrSpec::Kind::Bool, "False"},
    {"preserve_shape", AttrSpec::Kind::Bool, "False"},
    {"normalization", AttrSpec::Kind::String, "null"},
    {"out_grad", AttrSpec::Kind::Bool, "False"},
    {"smooth_alpha", AttrSpec::Kind::Float, "0"}};

//===----------------------------------------------------------------------===//
// Regression outputs
//===----------------------------------------------------------------------===//

enum class Regression { Linear, Logistic, MAE };

/// label must have data's size and first extent.
void checkRegression(const std::string &op, const NDArray &data,
                     const NDArray &label) {
  checkDTypes(op, data, label);
  if (data.shape().empty())
    throw Error(op + ": data expected an array of rank 1 or more, got a "
                     "scalar");
  if (label.shape().empty() || label.shape()[0] != data.shape()[0] ||
      label.size() != data.size())
    throw Error(formatMessage(op, ": label expected data's shape ",
                              shapeToString(data.shape()),
                              " or another of its size and first extent, "
                              "got ",
                              shapeToString(label.shape())));
}

OpSpec regressionOutput(const std::string &name, Regression kind,
                        const std::string &doc) {
  OpSpec spec{name,
              {"data", "label"},
              {{"grad_scale", AttrSpec::Kind::Float, "1"}},
              doc,
              [name, kind](const std::vector<NDArray> &in, const Attrs &,
                           const NDArray &out) {
                checkRegression(name, in[0], in[1]);
                if (kind == Regression::Logistic)
                  return out.isNone() ? call("sigmoid", {in[0]})
                                      : invokeOp("sigmoid", {in[0]}, {}, out);
                return copyOf(in[0], out);
              }};
  spec.gradient = [kind](const GradientArgs &args) -> std::vector<NDArray> {
    const NDArray &data = args.inputs[0], &label = args.inputs[1];
    NDArray diff =
        call("broadcast_sub", {args.output, reshaped(label, data.shape())});
    if (kind == Regression::MAE)
      diff = call("sign", {diff});
    // Scaled by the number of outputs per example, in float32 as MXNet.
    const int64_t first = label.shape()[0];
    const float outputs = first == 0 ? 1 : label.size() / first;
    const float scale = static_cast<float>(args.attrs.getFloat("grad_scale"));
    // No gradient for the label, as MXNet (its buffer is left untouched).
    return {callScalar("_mul_scalar", diff, scale / outputs), NDArray()};
  };
  return spec;
}

//===----------------------------------------------------------------------===//
// SVMOutput
//===----------------------------------------------------------------------===//

const char *const kSVMOutput = "SVMOutput";

/// label must have data's shape without its last axis (the classes).
void checkSVMOutput(const NDArray &data, const NDArray &label) {
  checkDTypes(kSVMOutput, data, label);
  const Shape &shape = data.shape();
  if (shape.empty())
    throw Error(formatMessage(kSVMOutput, ": data expected an array of rank 1 "
                                          "or more, got a scalar"));
  const Shape expected(shape.begin(), shape.end() - 1);
  if (label.shape() != expected)
    throw Error(formatMessage(
        kSVMOutput, ": label expected shape ", shapeToString(expected),
        " (data's without its last axis), got ", shapeToString(label.shape())));
}

/// The hinge loss's gradient, ignoring the head gradient: with s = -1 at
/// the label's class (truncated, as MXNet's int cast; one out of range
/// matches none) and +1 elsewhere, and slack = margin + s * out, L2 gives
/// 2 * max(slack, 0) * s * reg and L1 (use_linear) (slack > 0) * s * reg,
/// which is MXNet's arithmetic operation for operation.
std::vector<NDArray> svmOutputGradient(const GradientArgs &args) {
  const NDArray &out = args.output, &label = args.inputs[1];
  const Attrs &attrs = args.attrs;
  // margin and the coefficient are float parameters in MXNet.
  const float margin = static_cast<float>(attrs.getFloat("margin"));
  const float coefficient =
      static_cast<float>(attrs.getFloat("regularization_coefficient"));
  const Shape &shape = out.shape();
  Shape classShape(shape.size(), 1), labelShape = label.shape();
  classShape.back() = shape.back();
  labelShape.push_back(1);
  NDArray classIds = reshaped(call("_arange", {},
                                   {{"start", "0"},
                                    {"stop", std::to_string(shape.back())},
                                    {"dtype", dtypeName(out.dtype())}}),
                              classShape);
  NDArray hit = call("broadcast_equal",
                     {classIds, reshaped(call("trunc", {label}), labelShape)});
  NDArray sign =
      callScalar("_rminus_scalar", callScalar("_mul_scalar", hit, 2), 1);
  NDArray slack = callScalar("_plus_scalar", mul(sign, out), margin);
  NDArray hinge = attrs.getBool("use_linear")
                      ? callScalar("_greater_scalar", slack, 0)
                      : callScalar("_mul_scalar", call("relu", {slack}), 2);
  NDArray grad = mul(hinge, callScalar("_mul_scalar", sign, coefficient));
  // No gradient for the label, as MXNet (its buffer is left untouched).
  return {grad, NDArray()};
}

/// mx.sym's label: data's shape without its last axis.
void inferSVMLabel(const Attrs &, std::vector<std::optional<Shape>> &shapes) {
  if (!shapes[0] || shapes[0]->empty())
    return;
  const Shape &data = *shapes[0];
  symbolic::setInputShape(shapes, 1, Shape(data.begin(), data.end() - 1),
                          "label");
}

//===----------------------------------------------------------------------===//
// MakeLoss
//===----------------------------------------------------------------------===//

std::vector<NDArray> makeLossGradient(const GradientArgs &args) {
  const NDArray &data = args.inputs[0];
  const Attrs &attrs = args.attrs;
  const double scale = static_cast<float>(attrs.getFloat("grad_scale"));
  const std::string normalization =
      attrs.getChoice("normalization", {"null", "batch", "valid"});
  NDArray ones = call("ones_like", {data});
  if (normalization == "valid") {
    // Elements above valid_thresh, at least 1.
    const double threshold = static_cast<float>(attrs.getFloat("valid_thresh"));
    NDArray valid =
        call("sum", {callScalar("_greater_scalar", data, threshold)});
    NDArray factor = callScalar("_rdiv_scalar",
                                callScalar("_maximum_scalar", valid, 1), scale);
    return {mul(ones, factor)};
  }
  double divisor = 1;
  if (normalization == "batch")
    // MXNet's batch is every axis but the last (the data seen in 2-D).
    for (size_t d = 0; d + 1 < data.shape().size(); ++d)
      divisor *= data.shape()[d];
  // In float32, as MXNet (grad_scale is a float).
  const float factor =
      divisor == 0 ? static_cast<float>(scale)
                   : static_cast<float>(scale) / static_cast<float>(divisor);
  return {callScalar("_mul_scalar", ones, factor)};
}

} // namespace

void registerOutputOps(OpRegistry &registry) {
  OpSpec softmax{
      kSoftmaxOutput,
      {"data", "label"},
      kSoftmaxOutputAttrs,
      "Softmax of data, with the cross-entropy gradient from label in "
      "backward (the head gradient is ignored), as MXNet 1.9.1's "
      "SoftmaxOutput.\n\n"
      "Forward: softmax over everything after the first axis (data seen as "
      "(n, size / n)); along the last axis with preserve_shape; along axis 1 "
      "with multi_output. Backward: (out - onehot(label)) * grad_scale; "
      "label holds class indices (truncated) of shape data.shape[:-1] (with "
      "multi_output (n, rest), data's shape without axis 1, or with axis 1 "
      "of extent 1), or probabilities of data's shape (then out - label, "
      "unnormalized). use_ignore zeroes the rows whose label is "
      "ignore_label; normalization divides by 1 ('null'), the label count "
      "('batch') or the labels other than ignore_label ('valid'); with "
      "multi_output 'null' and 'batch' also divide by the spatial size. "
      "smooth_alpha smooths the one-hot target (1 - alpha at the label, "
      "alpha / (k - 1) elsewhere); out_grad multiplies the gradient by the "
      "output, as MXNet 1.9.1 does. The label's gradient is zero.\n"
      "Errors: data not floating point, label of another dtype or shape, "
      "an unknown normalization.",
      softmaxOutput};
  softmax.gradient = softmaxOutputGradient;
  registry.add(std::move(softmax), {"Softmax"});

  registry.add(regressionOutput(
      "LinearRegressionOutput", Regression::Linear,
      "data itself; backward (out - label) * grad_scale / m, m = label.size "
      "/ label.shape[0] (the head gradient is ignored), as MXNet 1.9.1's "
      "LinearRegressionOutput. label: data's size and first extent, of its "
      "dtype; its gradient is zero."));
  registry.add(regressionOutput(
      "LogisticRegressionOutput", Regression::Logistic,
      "sigmoid(data); backward (out - label) * grad_scale / m, m = "
      "label.size / label.shape[0] (the head gradient is ignored), as MXNet "
      "1.9.1's LogisticRegressionOutput. label: data's size and first "
      "extent, of its dtype; its gradient is zero."));
  registry.add(regressionOutput(
      "MAERegressionOutput", Regression::MAE,
      "data itself; backward sign(out - label) * grad_scale / m, m = "
      "label.size / label.shape[0] (the head gradient is ignored), as MXNet "
      "1.9.1's MAERegressionOutput. label: data's size and first extent, of "
      "its dtype; its gradient is zero."));

  OpSpec svm{
      kSVMOutput,
      {"data", "label"},
      {{"margin", AttrSpec::Kind::Float, "1"},
       {"regularization_coefficient", AttrSpec::Kind::Float, "1"},
       {"use_linear", AttrSpec::Kind::Bool, "False"}},
      "data itself; backward the gradient of the multi-class hinge loss "
      "(the head gradient is ignored), as MXNet 1.9.1's SVMOutput. The "
      "classes lie along the last axis; label (data's shape without it, "
      "data's dtype) holds class indices, truncated (one out of range "
      "matches no class). With s = -1 at the label's class and +1 "
      "elsewhere and slack = margin + s * data, the gradient is 2 * "
      "max(slack, 0) * s * regularization_coefficient (L2-SVM, the "
      "default) or (slack > 0) * s * regularization_coefficient "
      "(use_linear, L1-SVM). margin and regularization_coefficient are "
      "float32, as MXNet's. The label's gradient is zero.\n"
      "Errors: data not floating point or a scalar, label of another dtype "
      "or shape.",
      [](const std::vector<NDArray> &in, const Attrs &attrs,
         const NDArray &out) {
        checkSVMOutput(in[0], in[1]);
        // Bad values are errors at the call, not in backward.
        attrs.getFloat("margin");
        attrs.getFloat("regularization_coefficient");
        attrs.getBool("use_linear");
        return copyOf(in[0], out);
      }};
  svm.gradient = svmOutputGradient;
  svm.symbol.inferInputShapes = inferSVMLabel;
  registry.add(std::move(svm));

  OpSpec makeLoss{
      "MakeLoss",
      {"data"},
      {{"grad_scale", AttrSpec::Kind::Float, "1"},
       {"valid_thresh", AttrSpec::Kind::Float, "0"},
       {"normalization", AttrSpec::Kind::String, "null"}},
      "data itself, as a loss: backward gives grad_scale everywhere, "
      "ignoring the head gradient, divided by 1 ('null'), the product of "
      "every extent but the last ('batch'), or the count of elements above "
      "valid_thresh, at least 1 ('valid'), as MXNet 1.9.1's MakeLoss.\n"
      "Errors: data not floating point, an unknown normalization.",
      [](const std::vector<NDArray> &in, const Attrs &attrs,
         const NDArray &out) {
        requireFloat("MakeLoss", in[0]);
        attrs.getChoice("normalization", {"null", "batch", "valid"});
        return copyOf(in[0], out);
      }};
  makeLoss.gradient = makeLossGradient;
  registry.add(std::move(makeLoss));

  OpSpec plainLoss{
      "make_loss",
      {"data"},
      {},
      "data itself, as a loss: backward gives ones, ignoring the head "
      "gradient, as MXNet 1.9.1's make_loss (MakeLoss has the options).",
      [](const std::vector<NDArray> &in, const Attrs &, const NDArray &out) {
        requireFloat("make_loss", in[0]);
        return copyOf(in[0], out);
      }};
  plainLoss.gradient = [](const GradientArgs &args) -> std::vector<NDArray> {
    return {call("ones_like", {args.inputs[0]})};
  };
  // MXNet's make_loss names its output "loss" (make_loss0_loss); MakeLoss
  // keeps "output".
  plainLoss.symbol.listOutputs = [](const Attrs &) {
    return std::vector<std::string>{"loss"};
  };
  registry.add(std::move(plainLoss));
}

} // namespace ops
} // namespace kiln
