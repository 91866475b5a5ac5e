//===- ActivationOps.cpp - activations, dropout and embedding -------------===//
//
// MXNet 1.9.1's Activation, LeakyReLU, SoftmaxActivation, Dropout and
// Embedding.
//
// Activation and LeakyReLU run each formula as one fused kernel over the
// flattened array (FusedGraph.h) and have gradient rules of their own,
// written from the output (relu, sigmoid, tanh, softrelu, selu) or the input
// (softsign, gelu, leaky, rrelu, elu, prelu) as MXNet's float32 (oneDNN)
// path computes them: the rules run fused too, or as recorded primitives
// under create_graph, so they differentiate again. selu's gradient is the
// true derivative, lambda * alpha * e^x below 0; MXNet 1.9.1's computes
// lambda * (alpha + out) there, which is not (see
// tests/python/test_activation_ops.py).
//
// Dropout and Embedding are decompositions (a random mask and a product;
// take with clipped indices), so autograd differentiates their primitives:
// Dropout's gradient is the same mask, Embedding's a scatter-add that sums
// repeated indices.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Calls.h"
#include "frontends/cpp/ops/FusedGraph.h"
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "runtime/Error.h"

#include <utility>

namespace kiln {
namespace ops {
namespace {

enum class Act {
  Relu,
  Sigmoid,
  Tanh,
  SoftRelu,
  SoftSign,
  Leaky,
  RRelu,
  Elu,
  Selu,
  Gelu
};

// MXNet's constants (mshadow_op.h).
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluLambda = 1.0507009873554804934193349852946;
constexpr double kSqrtHalf = 0.70710678118654752440;   // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794; // 1 / sqrt(2 pi)
/// softrelu(x) is x itself above this, as MXNet's (no overflow in exp).
constexpr double kSoftReluLinear = 20;

/// Whether the formula takes a slope: a number (leaky, elu) or an array of
/// them (rrelu's mask).
bool takesSlope(Act act) {
  return act == Act::Leaky || act == Act::RRelu || act == Act::Elu;
}

/// Whether the gradient is written from the input (as MXNet's oneDNN path
/// for float32 does for leaky and elu), else from the output.
bool gradientReadsInput(Act act) {
  return act == Act::SoftSign || act == Act::Gelu || act == Act::Leaky ||
         act == Act::RRelu || act == Act::Elu;
}

template <class V> V activate(Act act, const V &x, const V &slope) {
  switch (act) {
  case Act::Relu:
    // Not the relu primitive: MXNet's Activation maps NaN to 0, its relu
    // op keeps NaN.
    return select(x > 0.0, x, number(x, 0));
  case Act::Sigmoid:
    return fn("sigmoid", x);
  case Act::Tanh:
    return fn("tanh", x);
  case Act::SoftRelu:
    // exp sees at most 20, so the branch not taken stays finite.
    return select(x > kSoftReluLinear, x,
                  fn("log1p", fn("exp", minimum(x, kSoftReluLinear))));
  case Act::SoftSign:
    return x / (1.0 + fn("abs", x));
  case Act::Leaky:
  case Act::RRelu:
    return select(x > 0.0, x, x * slope);
  case Act::Elu:
    return select(x > 0.0, x, fn("expm1", minimum(x, 0.0)) * slope);
  case Act::Selu:
    return select(x > 0.0, x, fn("expm1", minimum(x, 0.0)) * kSeluAlpha) *
           kSeluLambda;
  case Act::Gelu:
    return x * (1.0 + fn("erf", x * kSqrtHalf)) * 0.5;
  }
  return x;
}

/// The input's gradient from `v` (the input or the output, as
/// gradientReadsInput says) and the output's gradient `g`.
template <class V>
V activationGradient(Act act, const V &v, const V &g, const V &slope) {
  switch (act) {
  case Act::Relu:
    return select(v > 0.0, g, number(g, 0));
  case Act::Sigmoid:
    return g * v * (1.0 - v);
  case Act::Tanh:
    return g * (1.0 - v * v);
  case Act::SoftRelu:
    return -(g * fn("expm1", -v)); // sigmoid(x) = 1 - e^-softrelu(x)
  case Act::SoftSign: {
    V d = 1.0 + fn("abs", v);
    return g / (d * d);
  }
  case Act::Leaky:
  case Act::RRelu:
    return select(v > 0.0, g, g * slope);
  case Act::Elu:
    return select(v > 0.0, g, g * slope * fn("exp", minimum(v, 0.0)));
  case Act::Selu:
    return select(v > 0.0, g * kSeluLambda, g * (v + kSeluLambda * kSeluAlpha));
  case Act::Gelu:
    return g * (0.5 * (1.0 + fn("erf", v * kSqrtHalf)) +
                v * fn("exp", v * v * -0.5) * kInvSqrt2Pi);
  }
  return g;
}

/// One activation call: the op's name, the formula and its slope (a number,
/// or rrelu's mask of data's shape).
struct ActCall {
  std::string op;
  Act act;
  double slope = 0;
  NDArray mask;
};

/// `arrays` flattened as inputs of a rank-1 graph in `dtype`; the slope as a
/// number or an array after them.
std::vector<GValue> flatInputs(FusedGraph &graph, const ActCall &call,
                               const std::vector<NDArray> &arrays,
                               DType dtype) {
  std::vector<GValue> values;
  for (const NDArray &array : arrays)
    values.push_back(
        graph.input(dispatch::reshape(array, {array.size()}), dtype));
  if (!takesSlope(call.act))
    values.push_back(values.front()); // Unused.
  else if (call.mask.isNone())
    values.push_back(graph.number(call.slope, dtype));
  else
    values.push_back(
        graph.input(dispatch::reshape(call.mask, {call.mask.size()}), dtype));
  return values;
}

/// Whether the formula runs as primitives that join the elementwise fusion
/// of the graph being captured (ElementwiseFusion.h): then an activation
/// shares one kernel with the elementwise ops around it (a residual add,
/// an LSTM cell's gates) instead of being a kernel of its own. Activation's
/// act_types on float32/float64 (computed in their own dtype, so the
/// result is the same as the graph kernel's).
bool joinsFusion(const ActCall &call, const NDArray &x) {
  return fusion::ElementwiseFusion::current() && !takesSlope(call.act) &&
         call.act != Act::Selu && call.act != Act::Gelu &&
         computeTypeOf(x.dtype()) == x.dtype();
}

NDArray activationForward(const ActCall &call, const NDArray &x) {
  if (x.size() == 0)
    return NDArray::empty(x.shape(), x.dtype());
  if (joinsFusion(call, x)) {
    Ew e(call.op, x.dtype());
    return activate(call.act, EValue{&e, x}, EValue{&e, x}).a;
  }
  FusedGraph graph(call.op, 1);
  std::vector<GValue> v =
      flatInputs(graph, call, {x}, computeTypeOf(x.dtype()));
  NDArray y = graph.run(activate(call.act, v[0], v[1]), {x.size()}, x.dtype(),
                        /*splitRows=*/true);
  return dispatch::reshape(y, x.shape());
}

NDArray activationBackward(const ActCall &call, const NDArray &x,
                           const NDArray &out, const NDArray &g) {
  const NDArray &v = gradientReadsInput(call.act) ? x : out;
  if (autograd::isRecording() || (x.size() != 0 && joinsFusion(call, x))) {
    // create_graph: recorded primitives, so the gradient differentiates.
    Ew e(call.op, x.dtype());
    EValue slope{&e, v};
    if (takesSlope(call.act))
      slope.a = call.mask.isNone() ? e.c(call.slope) : call.mask;
    return activationGradient(call.act, EValue{&e, v}, EValue{&e, g}, slope).a;
  }
  if (x.size() == 0)
    return NDArray::empty(x.shape(), x.dtype());
  FusedGraph graph(call.op, 1);
  std::vector<GValue> values =
      flatInputs(graph, call, {v, g}, computeTypeOf(x.dtype()));
  NDArray grad =
      graph.run(activationGradient(call.act, values[0], values[1], values[2]),
                {x.size()}, x.dtype(), /*splitRows=*/true);
  return dispatch::reshape(grad, x.shape());
}

/// Activation ops take floating-point arrays of rank 1 or more, as MXNet
/// (whose legacy shapes make rank 0 an unknown shape).
void requireActivationInput(const std::string &op, const NDArray &x) {
  requireFloat(op, x);
  if (x.shape().empty())
    throw Error(formatMessage(op, ": data expected rank 1 or more, got a "
                                  "rank-0 array"));
}

Act activationType(const Attrs &attrs) {
  const std::string type = attrs.getChoice(
      "act_type", {"relu", "sigmoid", "tanh", "softrelu", "softsign"});
  return type == "relu"       ? Act::Relu
         : type == "sigmoid"  ? Act::Sigmoid
         : type == "tanh"     ? Act::Tanh
         : type == "softrelu" ? Act::SoftRelu
                              : Act::SoftSign;
}

/// U[low, high) of `shape` in `dtype` from the random generator that
/// mx.random.seed seeds.
NDArray uniform(double low, double high, const Shape &shape, DType dtype) {
  const DType drawn = dtype == DType::BFloat16 ? DType::Float32 : dtype;
  NDArray u = call("_random_uniform", {},
                   {{"low", floatAttr(low)},
                    {"high", floatAttr(high)},
                    {"shape", shapeAttr(shape)},
                    {"dtype", dtypeName(drawn)}});
  return drawn == dtype ? u : dispatch::cast(u, dtype);
}

// prelu: gamma broadcast onto data's first two axes.

/// gamma's shape aligned to data's as MXNet 1.9.1's LeakyReLU does: from the
/// right, each of gamma's extents goes onto data's axis 1, then 0, where it
/// equals data's extent or is 1; the other axes broadcast.
Shape preluGammaShape(const Shape &data, const Shape &gamma) {
  Shape aligned(data.size(), 1);
  int64_t next = static_cast<int64_t>(gamma.size()) - 1;
  for (int64_t axis = static_cast<int64_t>(data.size()) - 1; axis >= 0; --axis)
    if (next >= 0 && axis <= 1 &&
        (data[axis] == gamma[next] || gamma[next] == 1))
      aligned[axis] = gamma[next--];
  if (next != -1)
    throw Error(formatMessage(
        "LeakyReLU: gamma of shape ", shapeToString(gamma),
        " does not broadcast to data of shape ", shapeToString(data),
        " (prelu places gamma's extents on data's axes 1 and 0, e.g. (C,) "
        "for data (N, C, ...))"));
  return aligned;
}

/// The dimensions along which gamma (aligned to `shape`) broadcasts.
uint64_t broadcastUnits(const Shape &aligned) {
  uint64_t units = 0;
  for (size_t axis = 0; axis < aligned.size(); ++axis)
    if (aligned[axis] == 1)
      units |= uint64_t{1} << axis;
  return units;
}

template <class V> V preluForward(const V &x, const V &gamma) {
  return select(x > 0.0, x, x * gamma);
}
template <class V>
std::pair<V, V> preluGradient(const V &x, const V &gamma, const V &g) {
  V positive = x > 0.0;
  return {select(positive, g, g * gamma),
          select(positive, number(g, 0), g * x)};
}

NDArray prelu(const NDArray &x, const NDArray &gamma) {
  const Shape aligned = preluGammaShape(x.shape(), gamma.shape());
  const int64_t rank = x.shape().size();
  FusedGraph graph("LeakyReLU", rank);
  const DType dtype = computeTypeOf(x.dtype());
  GValue y = preluForward(graph.input(x, dtype),
                          graph.input(dispatch::reshape(gamma, aligned), dtype,
                                      broadcastUnits(aligned)));
  return graph.run(y, x.shape(), x.dtype(), /*splitRows=*/true);
}

std::vector<NDArray> preluBackward(const NDArray &x, const NDArray &gamma,
                                   const NDArray &g) {
  const Shape aligned = preluGammaShape(x.shape(), gamma.shape());
  const uint64_t units = broadcastUnits(aligned);
  std::vector<int64_t> axes;
  for (size_t axis = 0; axis < aligned.size(); ++axis)
    if (units >> axis & 1)
      axes.push_back(axis);
  NDArray gradX, gradGamma;
  if (autograd::isRecording()) {
    Ew e("LeakyReLU", x.dtype());
    auto [dx, dgamma] = preluGradient(
        EValue{&e, x}, EValue{&e, dispatch::reshape(gamma, aligned)},
        EValue{&e, g});
    gradX = dx.a;
    gradGamma = axes.empty() ? dgamma.a : sumOver(dgamma, axes).a;
  } else {
    const DType dtype = computeTypeOf(x.dtype());
    for (int part = 0; part < 2; ++part) {
      FusedGraph graph("LeakyReLU", x.shape().size());
      auto grads = preluGradient(
          graph.input(x, dtype),
          graph.input(dispatch::reshape(gamma, aligned), dtype, units),
          graph.input(g, dtype));
      NDArray grad = graph.run(part == 0 ? grads.first : grads.second,
                               x.shape(), x.dtype(), /*splitRows=*/true);
      if (part == 0)
        gradX = grad;
      else
        gradGamma = axes.empty() ? grad
                                 : dispatch::reduction("reduce_sum", grad, axes,
                                                       true, x.dtype());
    }
  }
  return {gradX, dispatch::reshape(gradGamma, gamma.shape())};
}

/// LeakyReLU's formula and slope from its attributes (rrelu's mask aside).
ActCall leakyCall(const std::string &type, const Attrs &attrs) {
  ActCall call{"LeakyReLU", Act::Leaky};
  call.slope = attrs.getFloat("slope");
  if (type == "rrelu")
    call.act = Act::RRelu;
  else if (type == "elu")
    call.act = Act::Elu;
  else if (type == "selu")
    call.act = Act::Selu;
  else if (type == "gelu")
    call.act = Act::Gelu;
  return call;
}

std::vector<NDArray> leakyRelu(const std::vector<NDArray> &in,
                               const Attrs &attrs,
                               const std::vector<NDArray> &outs) {
  const std::string op = "LeakyReLU";
  const std::string type = attrs.getChoice(
      "act_type", {"leaky", "prelu", "rrelu", "elu", "selu", "gelu"});
  const NDArray &x = in[0];
  requireActivationInput(op, x);
  if (type == "prelu") {
    if (in.size() < 2)
      throw Error("LeakyReLU: act_type 'prelu' needs the gamma input");
    const NDArray &gamma = in[1];
    if (gamma.dtype() != x.dtype())
      throw Error(formatMessage("LeakyReLU: gamma expected dtype ",
                                dtypeName(x.dtype()), " (data's), got ",
                                dtypeName(gamma.dtype())));
    return deliverOutputs(op, {prelu(x, gamma)}, outs);
  }
  if (in.size() > 1)
    throw Error(formatMessage("LeakyReLU: gamma is taken only with act_type "
                              "'prelu', got act_type '",
                              type, "'"));
  ActCall call = leakyCall(type, attrs);
  if (call.act != Act::RRelu)
    return deliverOutputs(op, {activationForward(call, x)}, outs);
  // rrelu: a slope drawn from U[lower, upper) per element in training, their
  // mean otherwise. The second output holds the slopes used.
  const double lower = attrs.getFloat("lower_bound"),
               upper = attrs.getFloat("upper_bound");
  if (autograd::isTraining()) {
    // As MXNet: lower + U[0, 1) (upper - lower), also when lower > upper.
    NDArray u = uniform(0, 1, x.shape(), x.dtype());
    FusedGraph graph(op, 1);
    const DType dtype = computeTypeOf(x.dtype());
    GValue unit = graph.input(dispatch::reshape(u, {u.size()}), dtype);
    GValue slope =
        graph.number(lower, dtype) + unit * graph.number(upper - lower, dtype);
    call.mask = dispatch::reshape(graph.run(slope, {u.size()}, x.dtype(), true),
                                  x.shape());
  } else {
    // MXNet computes the mean in float.
    const double mean = static_cast<float>(lower + upper) / 2.0f;
    call.mask = invokeOp("_full", {},
                         {{"shape", shapeAttr(x.shape())},
                          {"dtype", dtypeName(x.dtype())},
                          {"value", floatAttr(mean)}});
  }
  return deliverOutputs(op, {activationForward(call, x), call.mask}, outs);
}

std::vector<NDArray> leakyReluGradient(const OutputsGradientArgs &args) {
  const std::string type = args.attrs.getString("act_type");
  const NDArray &x = args.inputs[0], &g = args.outputGrads[0];
  if (type == "prelu")
    return preluBackward(x, args.inputs[1], g);
  ActCall call = leakyCall(type, args.attrs);
  if (call.act == Act::RRelu)
    call.mask = args.outputs[1];
  return {activationBackward(call, x, args.outputs[0], g)};
}

// Dropout and Embedding.

NDArray dropout(const NDArray &x, const Attrs &attrs, const NDArray &out) {
  const std::string op = "Dropout";
  requireFloat(op, x);
  const double p = attrs.getFloat("p");
  if (!(p >= 0 && p <= 1))
    throw Error(
        formatMessage("Dropout: p expected a value in [0, 1], got ", p));
  const std::string mode = attrs.getChoice("mode", {"training", "always"});
  if (!attrs.isNone("cudnn_off"))
    attrs.getBool("cudnn_off"); // Checked; there is no cuDNN on the CPU.
  const int64_t rank = x.shape().size();
  Shape maskShape = x.shape();
  for (int64_t axis : attrs.getIntTuple("axes")) {
    // As MXNet, axes are not counted from the end.
    if (axis < 0 || axis >= rank)
      throw Error(formatMessage("Dropout: axes expected axes in [0, ", rank,
                                ") (data's rank), got ", axis));
    maskShape[axis] = 1;
  }
  if (p == 0 || (mode == "training" && !autograd::isTraining()))
    return dispatch::cast(x, x.dtype(), out); // The identity.
  // Kept with probability 1 - p and scaled by 1 / (1 - p); p = 1 drops
  // everything (MXNet's 0 * inf makes that NaN).
  const double keep = 1 - p;
  const DType dtype = computeTypeOf(x.dtype());
  NDArray u = uniform(0, 1, maskShape, dtype);
  FusedGraph graph(op, rank);
  GValue kept = graph.number(keep, dtype) > graph.input(u, dtype);
  GValue scale = graph.number(keep > 0 ? 1 / keep : 0, dtype);
  NDArray mask = graph.run(select(kept, scale, graph.literal(0, dtype)),
                           maskShape, x.dtype(), /*splitRows=*/true);
  // The product is a recorded primitive: the gradient is g * mask.
  return dispatch::elementwise(op, "mul", {x, mask}, x.dtype(), out);
}

NDArray embedding(const NDArray &data, const NDArray &weight,
                  const Attrs &attrs, const NDArray &out) {
  const int64_t inputDim = attrs.getInt("input_dim"),
                outputDim = attrs.getInt("output_dim");
  if (inputDim < 1 || outputDim < 1)
    throw Error(formatMessage("Embedding: input_dim and output_dim expected "
                              "1 or more, got ",
                              inputDim, " and ", outputDim));
  attrs.getDType("dtype"); // Checked; the weight's dtype rules, as in MXNet.
  attrs.getBool("sparse_grad");
  if (weight.shape() != Shape{inputDim, outputDim})
    throw Error(formatMessage("Embedding: weight expected shape ",
                              shapeToString({inputDim, outputDim}),
                              " (input_dim, output_dim), got ",
                              shapeToString(weight.shape())));
  if (data.dtype() == DType::Bool)
    throw Error("Embedding: data expected numeric indices, got bool");
  return invokeOp("take", {weight, data}, {{"axis", "0"}, {"mode", "clip"}},
                  out);
}

void registerActivations(OpRegistry &registry) {
  registry.add(
      {"Activation",
       {"data"},
       {{"act_type", AttrSpec::Kind::String, std::nullopt}},
       "An elementwise activation, as MXNet 1.9.1's Activation: act_type "
       "(required) 'relu' max(x, 0), 'sigmoid' 1 / (1 + e^-x), 'tanh', "
       "'softrelu' log(1 + e^x) (x itself above 20), 'softsign' x / (1 + "
       "|x|). One fused kernel.\n\ndata: float16, bfloat16, float32 or "
       "float64 of rank 1 or more (float16/bfloat16 compute in float32); "
       "the output has its shape and dtype. Gradients as MXNet's: relu, "
       "sigmoid, tanh and softrelu from the output (relu's is 1 where the "
       "output is positive), softsign from the input.\n\nErrors: integer "
       "data, rank 0, an unknown act_type.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         requireActivationInput("Activation", in[0]);
         return activationForward({"Activation", activationType(attrs)}, in[0]);
       },
       nullptr,
       [](const GradientArgs &args) -> std::vector<NDArray> {
         return {activationBackward({"Activation", activationType(args.attrs)},
                                    args.inputs[0], args.output,
                                    args.outputGrad)};
       }});

  OpSpec leaky{
      "LeakyReLU",
      {"data", "gamma?"},
      {{"act_type", AttrSpec::Kind::String, "leaky"},
       {"slope", AttrSpec::Kind::Float, "0.25"},
       {"lower_bound", AttrSpec::Kind::Float, "0.125"},
       {"upper_bound", AttrSpec::Kind::Float, "0.334"}},
      "The leaky-ReLU family, as MXNet 1.9.1's LeakyReLU (act_type, default "
      "'leaky'):\n- leaky: x > 0 ? x : slope * x (slope default 0.25)\n- "
      "prelu: the same with the slopes in the second input gamma, placed "
      "on data's axis 1 (or 0) as MXNet does: gamma (C,) or (1,) for data "
      "(N, C, ...), also (N, C)-like shapes covering both axes\n- rrelu: "
      "slope drawn per element from U[lower_bound, upper_bound) (defaults "
      "0.125, 0.334) while training (autograd's training state, seeded by "
      "mx.random.seed), their mean otherwise; returns [output, mask], the "
      "mask holding the slopes used (MXNet leaves it unwritten when not "
      "training)\n- elu: x > 0 ? x : slope * (e^x - 1)\n- selu: lambda * (x "
      "> 0 ? x : alpha * (e^x - 1)), lambda = 1.0507009873554805, alpha = "
      "1.6732632423543772\n- gelu: x * (1 + erf(x / sqrt(2))) / 2\n\ndata: "
      "floating point, rank 1 or more; gamma of data's dtype. One fused "
      "kernel. Gradients as MXNet's, except selu's, which is the true "
      "derivative (MXNet 1.9.1 computes lambda * (alpha + out) below 0); "
      "prelu also gives gamma's gradient, summed over the broadcast "
      "axes.\n\nErrors: integer data, rank 0, an unknown act_type, prelu "
      "without gamma or gamma with another act_type, a gamma that does not "
      "broadcast or of another dtype."};
  leaky.computeOutputs = leakyRelu;
  leaky.outputsGradient = leakyReluGradient;
  registry.add(std::move(leaky));

  registry.add(
      {"SoftmaxActivation",
       {"data"},
       {{"mode", AttrSpec::Kind::String, "instance"}},
       "softmax over each instance or channel, as MXNet 1.9.1's "
       "SoftmaxActivation: mode 'instance' (default) along the last axis "
       "(MXNet flattens the leading axes), 'channel' along axis 1 (data of "
       "rank 3 or more).\n\ndata: floating point (MXNet takes float32 "
       "only). The gradient is softmax's along the same axis (MXNet 1.9.1's "
       "always reduces axis 1, which is wrong for instance mode on rank 3 "
       "or more).\n\nErrors: integer data, rank 0, channel mode below rank "
       "3, an unknown mode.",
       [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
         const NDArray &x = in[0];
         const bool channel =
             attrs.getChoice("mode", {"instance", "channel"}) == "channel";
         requireActivationInput("SoftmaxActivation", x);
         if (channel && x.shape().size() < 3)
           throw Error(formatMessage(
               "SoftmaxActivation: mode 'channel' expected data of rank 3 "
               "or more, got shape ",
               shapeToString(x.shape())));
         return call("softmax", {x}, {{"axis", channel ? "1" : "-1"}});
       }});
}

void registerDropoutAndEmbedding(OpRegistry &registry) {
  registry.add(
      {"Dropout",
       {"data"},
       {{"p", AttrSpec::Kind::Float, "0.5"},
        {"mode", AttrSpec::Kind::String, "training"},
        {"axes", AttrSpec::Kind::IntTuple, "()"},
        {"cudnn_off", AttrSpec::Kind::Bool, "False"}},
       "MXNet 1.9.1's Dropout: each element is zeroed with probability p "
       "(default 0.5) and the others are scaled by 1 / (1 - p), when "
       "autograd is training (mx.autograd.record() or train_mode()) or with "
       "mode='always'; otherwise the identity. axes (non-negative) share one "
       "mask value along them (variational dropout). The mask comes from "
       "the random generator mx.random.seed seeds (not MXNet's stream); the "
       "gradient is the output's gradient times the same mask. cudnn_off is "
       "accepted and ignored.\n\ndata: floating point, any shape. p = 1 "
       "gives zeros (MXNet 1.9.1 gives NaN).\n\nErrors: integer data, p "
       "outside [0, 1], an axis outside [0, rank), an unknown mode.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) { return dropout(in[0], attrs, out); }});
  registry.add(
      {"Embedding",
       {"data", "weight"},
       {{"input_dim", AttrSpec::Kind::Int, std::nullopt},
        {"output_dim", AttrSpec::Kind::Int, std::nullopt},
        {"dtype", AttrSpec::Kind::DType, "float32"},
        {"sparse_grad", AttrSpec::Kind::Bool, "False"}},
       "Rows of weight at the indices in data, as MXNet 1.9.1's Embedding: "
       "output shape data.shape + (output_dim,), weight's dtype. Indices "
       "are truncated to integers and clipped to [0, input_dim - 1], as "
       "MXNet does.\n\nweight: (input_dim, output_dim), both required and 1 "
       "or more. dtype names the weight's dtype in MXNet's graphs; here the "
       "weight given decides, as in mx.nd. The weight's gradient sums the "
       "output's gradient rows of repeated indices; data takes none. kiln "
       "has no sparse storage: sparse_grad=True gives the same dense "
       "gradient (MXNet 1.9.1 gives a row_sparse one, and raises at backward "
       "when the weight's gradient buffer is dense, as attach_grad() makes "
       "it).\n\nErrors: a weight of another shape, input_dim or "
       "output_dim below 1, bool indices.",
       [](const std::vector<NDArray> &in, const Attrs &attrs,
          const NDArray &out) { return embedding(in[0], in[1], attrs, out); }});
}

} // namespace

void registerActivationOps(OpRegistry &registry) {
  registerActivations(registry);
  registerDropoutAndEmbedding(registry);
}

} // namespace ops
} // namespace kiln
