//===- CorrelationOps.cpp - FlowNet's correlation layer -------------------===//
//
// MXNet 1.9.1's Correlation on the runtime's CPU loops
// (runtime/cpu/Correlation.h), pushed to the engine with data1 and data2
// read and the output written; float16 computes in float32. MXNet's two
// hidden outputs (the padded channel-last copies its backward reads) are not
// kept: the gradient rule pads the inputs again, which costs one pass. The
// rule runs the backward loops, which record nothing, so a second-order
// gradient is refused (MXNet 1.9.1 has none either). Unlike MXNet, kiln
// checks everything at the call: an even kernel_size (MXNet fails in its
// kernel), data2 of another shape and negative attributes (where MXNet reads
// out of bounds or wraps around).
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/ops/Ops.h"

#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "runtime/Engine.h"
#include "runtime/Error.h"
#include "runtime/cpu/Correlation.h"

namespace kiln {
namespace ops {
namespace {

using Kind = AttrSpec::Kind;

constexpr const char *kOp = "Correlation";

/// The attributes, each checked against MXNet's bounds (kernel_size odd).
CorrelationParams parseParams(const Attrs &attrs) {
  CorrelationParams params;
  const auto read = [&attrs](const char *name, int64_t lowest) {
    const int64_t value = attrs.getInt(name);
    // An upper bound keeps the extent arithmetic far from overflow.
    constexpr int64_t kMost = int64_t{1} << 30;
    if (value < lowest || value > kMost)
      throw Error(formatMessage(kOp, ": ", name, " expected an integer from ",
                                lowest, " to ", kMost, ", got ", value));
    return value;
  };
  params.kernelSize = read("kernel_size", 1);
  if (params.kernelSize % 2 == 0)
    throw Error(formatMessage(kOp, ": kernel_size expected an odd number, got ",
                              params.kernelSize));
  params.maxDisplacement = read("max_displacement", 0);
  params.stride1 = read("stride1", 1);
  params.stride2 = read("stride2", 1);
  params.padSize = read("pad_size", 0);
  params.multiply = attrs.getBool("is_multiply");
  return params;
}

/// The output shape for data1 and data2; kiln::Error on bad inputs.
Shape checkedOutputShape(const NDArray &data1, const NDArray &data2,
                         const CorrelationParams &params) {
  const Shape &shape = data1.shape();
  if (shape.size() != 4)
    throw Error(formatMessage(kOp, ": data1 expected 4 dimensions (N, C, H, ",
                              "W), got shape ", shapeToString(shape)));
  if (data2.shape() != shape)
    throw Error(formatMessage(kOp, ": data2 expected data1's shape ",
                              shapeToString(shape), ", got ",
                              shapeToString(data2.shape())));
  const DType dtype = data1.dtype();
  if (dtype != DType::Float16 && dtype != DType::Float32 &&
      dtype != DType::Float64)
    throw Error(formatMessage(kOp, ": data1 expected dtype float16, float32 ",
                              "or float64, got ", dtypeName(dtype)));
  if (data2.dtype() != dtype)
    throw Error(formatMessage(kOp, ": data2 expected data1's dtype ",
                              dtypeName(dtype), ", got ",
                              dtypeName(data2.dtype())));
  const int64_t border = params.maxDisplacement + params.kernelRadius();
  for (int axis : {2, 3})
    if (params.outputExtent(shape[axis]) < 1)
      throw Error(formatMessage(
          kOp, ": the neighbourhood and kernel do not fit: ",
          axis == 2 ? "height" : "width", " + 2 * pad_size expected more than ",
          "2 * (max_displacement + kernel_size // 2) = ", 2 * border, ", got ",
          shape[axis] + 2 * params.padSize, " (data1's shape ",
          shapeToString(shape), ")"));
  const Shape out{shape[0], params.outputChannels(),
                  params.outputExtent(shape[2]), params.outputExtent(shape[3])};
  checkedNumElements(formatMessage(kOp, ": the output"), out, dtype);
  // The padded copies the kernel makes.
  checkedNumElements(formatMessage(kOp, ": pad_size"),
                     {shape[0], shape[1], shape[2] + 2 * params.padSize,
                      shape[3] + 2 * params.padSize},
                     dtype);
  return out;
}

/// float16 computes in float32.
DType computeType(DType dtype) {
  return dtype == DType::Float16 ? DType::Float32 : dtype;
}

/// `x` as a contiguous array of `dtype` (itself when it is one).
NDArray contiguousAs(const NDArray &x, DType dtype) {
  return x.dtype() == dtype && x.tensor().isContiguous()
             ? x
             : dispatch::cast(x, dtype);
}

NDArray correlation(const std::vector<NDArray> &in, const Attrs &attrs) {
  const CorrelationParams params = parseParams(attrs);
  const Shape shape = checkedOutputShape(in[0], in[1], params);
  const DType dtype = in[0].dtype(), compute = computeType(dtype);
  NDArray data1 = contiguousAs(in[0], compute);
  NDArray data2 = contiguousAs(in[1], compute);
  NDArray out = NDArray::empty(shape, compute, in[0].device());
  Engine::global().push(
      [params, data1 = data1.tensor(), data2 = data2.tensor(),
       out = out.tensor()] { correlationForward(data1, data2, params, out); },
      in[0].device(), {data1.var(), data2.var()}, {out.var()}, 0, kOp);
  return compute == dtype ? out : dispatch::cast(out, dtype);
}

std::vector<NDArray> correlationGradient(const GradientArgs &args) {
  // The loops record nothing: under create_graph the gradient would
  // silently be a constant.
  if (autograd::isRecording())
    throw Error(formatMessage(kOp, ": is not differentiable again ",
                              "(create_graph=True); second-order gradients ",
                              "through Correlation are not supported"));
  const CorrelationParams params = parseParams(args.attrs);
  const DType dtype = args.inputs[0].dtype(), compute = computeType(dtype);
  NDArray data1 = contiguousAs(args.inputs[0], compute);
  NDArray data2 = contiguousAs(args.inputs[1], compute);
  NDArray outGrad = contiguousAs(args.outputGrad, compute);
  const Device device = data1.device();
  NDArray grad1 = NDArray::empty(data1.shape(), compute, device);
  NDArray grad2 = NDArray::empty(data1.shape(), compute, device);
  Engine::global().push(
      [params, outGrad = outGrad.tensor(), data1 = data1.tensor(),
       data2 = data2.tensor(), grad1 = grad1.tensor(), grad2 = grad2.tensor()] {
        correlationBackward(outGrad, data1, data2, params, grad1, grad2);
      },
      device, {outGrad.var(), data1.var(), data2.var()},
      {grad1.var(), grad2.var()}, 0, "_backward_Correlation");
  if (compute == dtype)
    return {grad1, grad2};
  return {dispatch::cast(grad1, dtype), dispatch::cast(grad2, dtype)};
}

} // namespace

void registerCorrelationOps(OpRegistry &registry) {
  OpSpec spec{
      kOp,
      {"data1", "data2"},
      {{"kernel_size", Kind::Int, "1"},
       {"max_displacement", Kind::Int, "1"},
       {"stride1", Kind::Int, "1"},
       {"stride2", Kind::Int, "1"},
       {"pad_size", Kind::Int, "0"},
       {"is_multiply", Kind::Bool, "True"}},
      "FlowNet's correlation of two feature maps, as MXNet 1.9.1's "
      "Correlation: out[n, q, i, j] compares the kernel_size x kernel_size "
      "patch of data1 at (i * stride1, j * stride1) of the maps zero-padded "
      "by pad_size (offset by max_displacement) with the patch of data2 "
      "displaced by displacement q, q running row-major over the (2 * r + 1)^2 "
      "displacements (dy, dx) in stride2 * [-r, r], r = max_displacement // "
      "stride2: the sum over the patch and the channels of data1 * data2 "
      "(is_multiply, the default) or |data1 - data2|, divided by kernel_size^2 "
      "* C.\n"
      "data1, data2: (N, C, H, W), one shape, float16, float32 or float64 "
      "(float16 computes in float32). Returns (N, (2 * r + 1)^2, h, w) in "
      "their dtype, h = ceil((H + 2 * pad_size - 2 * (max_displacement + "
      "kernel_size // 2)) / stride1), w likewise. Both inputs take gradients "
      "(with |a - b|, the sign of a - b counts as +1 where they are equal, "
      "as MXNet's); no second order. One visible output, as MXNet's (its "
      "padded copies are hidden).\n"
      "Errors: inputs not of rank 4, of different shapes or dtypes, not "
      "floating point; kernel_size even or below 1, stride1 or stride2 below "
      "1, max_displacement or pad_size negative; an output extent below 1 "
      "(the neighbourhood and kernel do not fit).",
      [](const std::vector<NDArray> &in, const Attrs &attrs, const NDArray &) {
        return correlation(in, attrs);
      }};
  spec.gradient = correlationGradient;
  registry.add(std::move(spec));
}

} // namespace ops
} // namespace kiln
