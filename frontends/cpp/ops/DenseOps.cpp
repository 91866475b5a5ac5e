//===- DenseOps.cpp - FullyConnected --------------------------------------===//
//
// MXNet's dense layer, y = x W^T + b: in float32 one oneDNN matmul with its
// bias (the weight read through a transposed view, no copy); in other
// dtypes the matmul primitive, then the bias added in place. Its gradient
// is a rule of its own rather than its primitives': the weight's gradient
// is then one product g^T x in the weight's layout, where the primitives'
// rules would compute x^T g and scatter it through the transposed view.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"

#include "compiler/GraphBuilder.h"
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/cpu/DnnlMatmul.h"

#include <functional>
#include <numeric>

namespace kiln {
namespace ops {
namespace {

constexpr const char kOp[] = "FullyConnected";

int64_t product(Shape::const_iterator begin, Shape::const_iterator end) {
  return std::accumulate(begin, end, int64_t{1}, std::multiplies<int64_t>());
}

/// The layer's shapes: data seen as a (rows, inUnits) matrix, and the
/// output's shape.
struct Dense {
  int64_t numHidden, rows, inUnits;
  bool hasBias;
  Shape outShape;
};

/// Checks the inputs and attributes as MXNet 1.9.1 does (before anything
/// is queued) and works out the shapes.
Dense checkedDense(const std::vector<NDArray> &in, const Attrs &attrs) {
  const bool noBias = attrs.getBool("no_bias");
  if (!noBias && in.size() != 3)
    throw Error(formatMessage(kOp,
                              ": expected 3 inputs (data, weight, bias), "
                              "got ",
                              in.size(), "; no_bias=True leaves the bias out"));
  if (noBias && in.size() != 2)
    throw Error(formatMessage(kOp,
                              ": with no_bias=True expected 2 inputs (data, "
                              "weight), got ",
                              in.size()));
  Dense dense;
  dense.hasBias = !noBias;
  dense.numHidden = attrs.getInt("num_hidden");
  if (dense.numHidden < 1)
    throw Error(formatMessage(kOp, ": num_hidden expected >= 1, got ",
                              dense.numHidden));
  const NDArray &data = in[0], &weight = in[1];
  if (!isFloatDType(data.dtype()))
    throw Error(formatMessage(kOp,
                              ": data expected a floating-point dtype, got ",
                              dtypeName(data.dtype())));
  const char *names[] = {"data", "weight", "bias"};
  for (size_t i = 1; i < in.size(); ++i)
    if (in[i].dtype() != data.dtype())
      throw Error(formatMessage(kOp, ": ", names[i], " expected dtype ",
                                dtypeName(data.dtype()), " (data's), got ",
                                dtypeName(in[i].dtype())));
  const Shape &shape = data.shape();
  if (shape.empty())
    throw Error(formatMessage(kOp, ": data expected rank 1 or more, got shape ",
                              shapeToString(shape)));
  // flatten=True: all but the first axis are the input units (a rank-1
  // input is a batch of single units); flatten=False: the last axis is.
  if (attrs.getBool("flatten")) {
    dense.rows = shape[0];
    dense.inUnits = product(shape.begin() + 1, shape.end());
    dense.outShape = {shape[0], dense.numHidden};
  } else {
    dense.rows = product(shape.begin(), shape.end() - 1);
    dense.inUnits = shape.back();
    dense.outShape.assign(shape.begin(), shape.end() - 1);
    dense.outShape.push_back(dense.numHidden);
  }
  const Shape wanted = {dense.numHidden, dense.inUnits};
  if (weight.shape() != wanted)
    throw Error(formatMessage(
        kOp, ": weight expected shape ", shapeToString(wanted),
        " (num_hidden, input units), got ", shapeToString(weight.shape())));
  if (dense.hasBias) {
    // MXNet's shape inference also takes a (num_hidden, 1) column.
    const Shape &bias = in[2].shape();
    if (bias != Shape{dense.numHidden} && bias != Shape{dense.numHidden, 1})
      throw Error(formatMessage(kOp, ": bias expected shape (", dense.numHidden,
                                ",) (num_hidden,), got ", shapeToString(bias)));
  }
  return dense;
}

/// The kiln function of y + b, y (rows, hidden) and b (1, hidden), run in
/// place on y (other dtypes than float32).
std::string biasSource(DType dtype) {
  compiler::Graph graph("bias", kOp);
  const compiler::Value y = graph.argument(dtype, 2);
  const compiler::Value b = graph.argument(dtype, 2, /*unitDims=*/0b01);
  graph.result(graph.binary(compiler::Binary::Add, y, b));
  return graph.source();
}

StridedMatrix matrixOf(const Tensor &tensor) {
  return {static_cast<float *>(tensor.data()), tensor.shape()[0],
          tensor.shape()[1], tensor.strides()[0], tensor.strides()[1]};
}

/// y = x w + bias in float32 as one oneDNN primitive (x (rows, in), w the
/// transposed weight (in, hidden), bias contiguous), queued like
/// dispatch::matmul: on the calling thread when the arrays are idle and the
/// product is not large.
void denseFloat32(const NDArray &x, const NDArray &w, const NDArray &bias,
                  const NDArray &y, int64_t macs) {
  auto run = [x = x.tensor(), w = w.tensor(), bias = bias.tensor(),
              y = y.tensor()] {
    dnnlMatmulBias(matrixOf(x), matrixOf(w),
                   static_cast<const float *>(bias.data()), matrixOf(y));
  };
  claimOpenMPTeam(); // As dispatch::matmul does.
  const std::vector<VarPtr> reads = {x.var(), w.var(), bias.var()};
  if (macs <= dispatch::kInlineMatmulMacs)
    Engine::global().pushOrRunInline(run, y.device(), reads, {y.var()}, kOp);
  else
    Engine::global().push(run, y.device(), reads, {y.var()}, 0, kOp);
}

NDArray fullyConnected(const std::vector<NDArray> &in, const Attrs &attrs,
                       const NDArray &out) {
  const Dense dense = checkedDense(in, attrs);
  const NDArray &data = in[0];
  NDArray x = dispatch::reshape(data, {dense.rows, dense.inUnits});
  NDArray w = dispatch::swapLastTwo(in[1]);
  if (!dense.hasBias)
    return dispatch::reshape(dispatch::matmul(x, w), dense.outShape);
  const Shape matrix = {dense.rows, dense.numHidden};
  // The result goes straight into `out` when that is the plain matrix and
  // none of the inputs.
  bool intoOut = !out.isNone() && out.shape() == matrix &&
                 dense.outShape == matrix && out.dtype() == data.dtype();
  for (const NDArray &input : in)
    intoOut = intoOut && input.var() != out.var();
  NDArray y =
      intoOut ? out : NDArray::empty(matrix, data.dtype(), data.device());
  NDArray bias = dispatch::reshape(in[2], {dense.numHidden});
  if (data.dtype() == DType::Float32) {
    if (!bias.tensor().isContiguous())
      bias = dispatch::cast(bias, DType::Float32);
    denseFloat32(x, w, bias, y, dense.rows * dense.numHidden * dense.inUnits);
  } else {
    // The product, then the bias added in place, on the calling thread
    // when the arrays are idle (as the product runs).
    dispatch::graphInto(
        kOp, biasSource(data.dtype()),
        {dispatch::matmul(x, w), dispatch::reshape(bias, {1, dense.numHidden})},
        y, /*splitRows=*/true, /*mayRunInline=*/true);
  }
  return dispatch::reshape(y, dense.outShape);
}

std::vector<NDArray> fullyConnectedGradient(const GradientArgs &args) {
  const Dense dense = checkedDense(args.inputs, args.attrs);
  const NDArray &data = args.inputs[0], &weight = args.inputs[1];
  NDArray g = dispatch::reshape(args.outputGrad, {dense.rows, dense.numHidden});
  std::vector<NDArray> grads(args.inputs.size());
  if (autograd::takesGradient(data))
    grads[0] = dispatch::reshape(dispatch::matmul(g, weight), data.shape());
  if (autograd::takesGradient(weight))
    grads[1] =
        dispatch::matmul(dispatch::swapLastTwo(g),
                         dispatch::reshape(data, {dense.rows, dense.inUnits}));
  if (dense.hasBias && autograd::takesGradient(args.inputs[2]))
    grads[2] = dispatch::reshape(
        dispatch::reduction("reduce_sum", g, {0}, false, data.dtype()),
        args.inputs[2].shape());
  return grads;
}

} // namespace

void registerDenseOps(OpRegistry &registry) {
  OpSpec spec{
      kOp,
      {"data", "weight", "bias?"},
      {{"num_hidden", AttrSpec::Kind::Int, std::nullopt},
       {"no_bias", AttrSpec::Kind::Bool, "False"},
       {"flatten", AttrSpec::Kind::Bool, "True"}},
      "MXNet's dense layer: out = data weight^T + bias. flatten=True (the "
      "default) reads data (batch, x1, ..., xn) as a (batch, x1*...*xn) "
      "matrix and gives (batch, num_hidden); flatten=False applies the layer "
      "to the last axis, (x1, ..., xn, in) giving (x1, ..., xn, num_hidden). "
      "weight is (num_hidden, input units); bias (num_hidden,) (or "
      "(num_hidden, 1)), left out with no_bias=True. Float dtypes, all three "
      "alike (float32 runs on oneDNN). Errors: a weight or bias of another "
      "shape, num_hidden < 1, mixed dtypes, a bias given with no_bias=True or "
      "missing without it. MXNet 1.9.1: src/operator/nn/fully_connected.cc.",
      fullyConnected};
  spec.gradient = fullyConnectedGradient;
  registry.add(std::move(spec));
}

} // namespace ops
} // namespace kiln
