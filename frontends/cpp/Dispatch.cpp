//===- Dispatch.cpp - from NDArrays to queued kernels ---------------------===//
#include "frontends/cpp/Dispatch.h"

#include "compiler/KernelCache.h"
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/ElementwiseFusion.h"
#include "frontends/cpp/PrimitiveGradients.h"
#include "runtime/Error.h"
#include "runtime/Executable.h"
#include "runtime/KernelAbi.h"
#include "runtime/ShapeOnly.h"
#include "runtime/cpu/DnnlMatmul.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace kiln {
namespace dispatch {
namespace {

uint32_t unitDimsOf(const Shape &shape) {
  uint32_t mask = 0;
  for (size_t dim = 0; dim < shape.size(); ++dim)
    if (shape[dim] == 1)
      mask |= 1u << dim;
  return mask;
}

enum class Invocation { Elementwise, Reduction, Whole, Flat };

/// An elementwise kernel's signature as plain bytes, for a per-thread memo
/// in front of the kernel cache: it skips building the cache's string key
/// and taking its lock on every call (kernels are never evicted).
struct ElementwiseKernelKey {
  static constexpr size_t kMaxInputs = 8;
  char primitive[24];
  uint8_t inputCount, outType, outRank;
  uint8_t variant; // 0 general, 1 flat, 2 flat and streaming
  uint8_t dtypes[kMaxInputs];
  uint8_t ranks[kMaxInputs];
  uint32_t units[kMaxInputs];

  ElementwiseKernelKey() { std::memset(this, 0, sizeof(*this)); }
  /// False when the signature does not fit (then it is not memoized).
  bool set(const std::string &name, size_t inputs, DType out, size_t rank) {
    if (name.size() >= sizeof(primitive) || inputs > kMaxInputs)
      return false;
    std::memcpy(primitive, name.data(), name.size());
    inputCount = static_cast<uint8_t>(inputs);
    outType = static_cast<uint8_t>(out);
    outRank = static_cast<uint8_t>(rank);
    return true;
  }
  void setInput(size_t i, DType dtype, int64_t rank, uint32_t unit) {
    dtypes[i] = static_cast<uint8_t>(dtype);
    ranks[i] = static_cast<uint8_t>(rank);
    units[i] = unit;
  }
  bool operator==(const ElementwiseKernelKey &other) const {
    return std::memcmp(this, &other, sizeof(*this)) == 0;
  }
};

struct ElementwiseKernelKeyHash {
  size_t operator()(const ElementwiseKernelKey &key) const {
    // Word by word (padding is zeroed by the constructor).
    const auto *bytes = reinterpret_cast<const unsigned char *>(&key);
    uint64_t hash = 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= sizeof(key); i += 8) {
      uint64_t word;
      std::memcpy(&word, bytes + i, 8);
      hash = (hash ^ word) * 0xFF51AFD7ED558CCDull;
      hash ^= hash >> 32;
    }
    for (; i < sizeof(key); ++i)
      hash = (hash ^ bytes[i]) * 0x100000001B3ull;
    return hash;
  }
};

using KernelMemo = std::unordered_map<ElementwiseKernelKey, KernelEntryFn,
                                      ElementwiseKernelKeyHash>;

KernelMemo &kernelMemo() {
  thread_local KernelMemo memo;
  return memo;
}

KernelEntryFn memoizedKernel(const ElementwiseKernelKey &key) {
  auto found = kernelMemo().find(key);
  return found == kernelMemo().end() ? nullptr : found->second;
}

void memoize(const ElementwiseKernelKey &key, KernelEntryFn kernel) {
  kernelMemo().emplace(key, kernel);
}

/// The kernel for `key` from the memo, else from the kernel cache by the
/// signature `makeSignature()` builds (then memoized). A null key skips the
/// memo.
template <typename MakeSignature>
KernelEntryFn memoizedOrCompiled(const ElementwiseKernelKey *key,
                                 const MakeSignature &makeSignature) {
  if (key)
    if (KernelEntryFn kernel = memoizedKernel(*key))
      return kernel;
  KernelEntryFn kernel = compiler::KernelCache::global().get(makeSignature());
  // Shape-only mode hands out a placeholder, never to be remembered.
  if (key && !shapeOnly())
    memoize(*key, kernel);
  return kernel;
}

bool isFloat(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Float16 || dtype == DType::BFloat16;
}

/// Outputs up to this many elements take the engine's inline path.
constexpr int64_t kInlineElements = 4096;

/// Runs `kernel` at once when the work is tiny (or `anySize`) and its
/// arrays are idle, without copying tensors or building an owning closure;
/// false otherwise.
bool runTinyInline(const char *name, KernelEntryFn kernel,
                   const std::vector<NDArray> &inputs, const NDArray &output,
                   Invocation invocation, bool anySize = false) {
  constexpr size_t kMaxInputs = 7;
  // A small reduction is one kernel call too (see invokeReductionKernel).
  // Flat kernels need their rebased slices (invokeFlatKernel).
  if (invocation == Invocation::Flat || inputs.size() > kMaxInputs ||
      (!anySize && output.size() > kInlineElements))
    return false;
  const Tensor *tensors[kMaxInputs + 1];
  Var *reads[kMaxInputs];
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!anySize && inputs[i].size() > kInlineElements)
      return false;
    tensors[i] = &inputs[i].tensor();
    reads[i] = inputs[i].var().get();
  }
  tensors[inputs.size()] = &output.tensor();
  Var *write = output.var().get();
  struct Call {
    KernelEntryFn kernel;
    const Tensor *const *tensors;
    size_t count;
    Invocation invocation;
  } call{kernel, tensors, inputs.size() + 1, invocation};
  // Captures one pointer, so std::function does not allocate.
  return Engine::global().runInlineIfIdle(
      [&call] {
        if (call.invocation == Invocation::Elementwise)
          invokeElementwiseKernel(call.kernel, call.tensors, call.count);
        else
          invokeKernel(call.kernel, call.tensors, call.count);
      },
      output.device(), reads, inputs.size(), &write, 1, name);
}

/// The bytes of `output`, for the engine's backpressure: memory a queued
/// op holds until it runs (Engine::push). An output that is one of the
/// inputs (an in-place update: an optimizer's weight, +=) holds nothing
/// new.
size_t heldBytes(const NDArray &output, const std::vector<NDArray> &inputs) {
  for (const NDArray &input : inputs)
    if (input.tensor().storage() == output.tensor().storage())
      return 0;
  return static_cast<size_t>(output.size()) * dtypeSize(output.dtype());
}

/// Pushes `kernel` over inputs then `output` on the global engine.
void push(const char *name, KernelEntryFn kernel,
          const std::vector<NDArray> &inputs, const NDArray &output,
          Invocation invocation, std::vector<int64_t> axes = {},
          bool keepdims = false, bool associative = false) {
  if (runTinyInline(name, kernel, inputs, output, invocation))
    return;
  std::vector<Tensor> arguments;
  std::vector<VarPtr> reads;
  arguments.reserve(inputs.size() + 1);
  reads.reserve(inputs.size());
  for (const NDArray &input : inputs) {
    arguments.push_back(input.tensor());
    reads.push_back(input.var());
  }
  arguments.push_back(output.tensor());
  // The captured tensors keep their storage alive until the kernel has run.
  Engine::global().push(
      [kernel, arguments = std::move(arguments), invocation,
       axes = std::move(axes), keepdims, associative] {
        switch (invocation) {
        case Invocation::Elementwise:
          invokeElementwiseKernel(kernel, arguments);
          break;
        case Invocation::Reduction:
          invokeReductionKernel(kernel, arguments[0], arguments[1], axes,
                                keepdims, associative);
          break;
        case Invocation::Whole:
          invokeKernel(kernel, arguments);
          break;
        case Invocation::Flat:
          invokeFlatKernel(kernel, arguments);
          break;
        }
      },
      output.device(), reads, {output.var()}, /*priority=*/0, name,
      QueueKind::Compute, heldBytes(output, inputs));
}

/// Where a new output goes: the device of the op being run (DeviceScope),
/// else its first input's, else cpu(0).
Device outputDevice(const std::vector<NDArray> &inputs) {
  if (hasDeviceScope() || inputs.empty())
    return currentDevice();
  return inputs.front().device();
}

/// `out` if given (after checking it fits), else a new array.
NDArray outputFor(const std::string &op, const NDArray &out, const Shape &shape,
                  DType dtype, Device device) {
  if (out.isNone())
    return NDArray::empty(shape, dtype, device);
  if (out.shape() != shape)
    throw Error(formatMessage(op, ": out has shape ",
                              shapeToString(out.shape()), ", expected ",
                              shapeToString(shape)));
  if (out.dtype() != dtype)
    throw Error(formatMessage(op, ": out has dtype ", dtypeName(out.dtype()),
                              ", expected ", dtypeName(dtype)));
  return out;
}

} // namespace

Shape broadcastShapes(const std::string &op, const std::vector<Shape> &shapes) {
  size_t rank = 0;
  for (const Shape &shape : shapes)
    rank = std::max(rank, shape.size());
  Shape result(rank, 1);
  for (const Shape &shape : shapes)
    for (size_t dim = 0; dim < shape.size(); ++dim) {
      int64_t &extent = result[rank - shape.size() + dim];
      const int64_t other = shape[dim];
      if (other == extent || other == 1)
        continue;
      if (extent != 1) {
        std::string listed;
        for (size_t i = 0; i < shapes.size(); ++i)
          listed += (i ? " and " : "") + shapeToString(shapes[i]);
        throw Error(formatMessage(op,
                                  ": operands could not be broadcast "
                                  "together with shapes ",
                                  listed));
      }
      extent = other;
    }
  return result;
}

namespace {

/// Whether an elementwise kernel can run flat (see invokeFlatKernel): more
/// than a tiny output, contiguous, and inputs contiguous with its shape or
/// scalars. Flat kernels index with offset 0 and stride 1, which vectorizes
/// better than the general strided code.
bool flattenable(const std::vector<NDArray> &inputs, const NDArray &output) {
  if (output.size() <= kInlineElements || !output.tensor().isContiguous() ||
      inputs.size() > ElementwiseKernelKey::kMaxInputs)
    return false;
  for (const NDArray &input : inputs)
    if (!input.shape().empty() &&
        (input.shape() != output.shape() || !input.tensor().isContiguous()))
      return false;
  return true;
}

/// Whether a flat kernel should also stream its output with non-temporal
/// stores: large (kStreamingOutputBytes), 64-byte aligned, 4- or 8-byte
/// elements.
bool streams(const NDArray &output) {
  const int64_t elementBytes = static_cast<int64_t>(dtypeSize(output.dtype()));
  return (elementBytes == 4 || elementBytes == 8) &&
         output.size() * elementBytes >= kStreamingOutputBytes &&
         reinterpret_cast<uintptr_t>(output.tensor().data()) % 64 == 0;
}

/// For a kernel whose output element i reads only element i of its
/// inputs (or scalars): when every input also spans its whole storage at
/// the output's element size, a captured executable may run it in place
/// (Launch::inPlaceSafe): element i is read before it is written, in every
/// slice.
void markInPlaceSafe(const std::vector<NDArray> &inputs,
                     const NDArray &output) {
  ExecutableCapture *capture = Executable::current();
  if (!capture)
    return;
  const size_t elementBytes = dtypeSize(output.dtype());
  const size_t bytes = static_cast<size_t>(output.size()) * elementBytes;
  for (const NDArray &input : inputs)
    if (!input.shape().empty() && (input.tensor().offset() != 0 ||
                                   dtypeSize(input.dtype()) != elementBytes ||
                                   input.tensor().storage()->bytes() != bytes))
      return;
  capture->markInPlaceSafe();
}

/// The flat variant: every array as rank 1 (scalars stay rank 0).
void pushFlat(const std::string &op, const std::string &primitive,
              const std::vector<NDArray> &inputs, const NDArray &output) {
  const int64_t count = output.size();
  const bool streaming = streams(output);
  ElementwiseKernelKey key;
  key.set(primitive, inputs.size(), output.dtype(), 1);
  key.variant = streaming ? 2 : 1;
  // The rank-1 views are the kernel's business, not part of the recorded
  // graph (elementwise() records the op on the arrays it was given).
  autograd::RecordingScope paused(false);
  std::vector<NDArray> flat;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool scalar = inputs[i].shape().empty();
    key.setInput(i, inputs[i].dtype(), scalar ? 0 : 1, 0);
    flat.push_back(scalar ? inputs[i] : reshape(inputs[i], {count}));
  }
  KernelEntryFn kernel = memoizedOrCompiled(&key, [&] {
    compiler::KernelSignature signature{primitive, {}, {}};
    for (size_t i = 0; i < inputs.size(); ++i)
      signature.inputs.push_back(
          {inputs[i].dtype(), inputs[i].shape().empty() ? 0 : 1, 0});
    signature.outputs.push_back({output.dtype(), 1});
    signature.attributes[streaming ? "streaming" : "flat"] = {1};
    return signature;
  });
  markInPlaceSafe(inputs, output);
  push(op.c_str(), kernel, flat, output.view(output.tensor().reshaped({count})),
       Invocation::Flat);
}

/// The general variant: strided arrays of the output's rank, broadcasting.
void pushGeneral(const std::string &op, const std::string &primitive,
                 const std::vector<NDArray> &inputs, const NDArray &output,
                 const Shape &shape) {
  const DType outType = output.dtype();
  ElementwiseKernelKey key;
  const bool memoizable =
      key.set(primitive, inputs.size(), outType, shape.size());
  std::vector<compiler::ArgumentType> arguments;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const NDArray &input = inputs[i];
    // A unit dimension broadcasts only where the output's extent is not 1;
    // marking the others too would make needless kernel variants.
    uint32_t unit = unitDimsOf(input.shape());
    const size_t lead = shape.size() - input.shape().size();
    for (size_t dim = 0; dim < input.shape().size(); ++dim)
      if (shape[lead + dim] == 1)
        unit &= ~(1u << dim);
    const int64_t rank = input.shape().size();
    if (memoizable)
      key.setInput(i, input.dtype(), rank, unit);
    else
      arguments.push_back({input.dtype(), rank, unit});
  }
  KernelEntryFn kernel = memoizedOrCompiled(memoizable ? &key : nullptr, [&] {
    compiler::KernelSignature signature{primitive, {}, {}};
    if (memoizable)
      for (size_t i = 0; i < inputs.size(); ++i)
        signature.inputs.push_back(
            {static_cast<DType>(key.dtypes[i]), key.ranks[i], key.units[i]});
    else
      signature.inputs = std::move(arguments);
    signature.outputs.push_back({outType, static_cast<int64_t>(shape.size())});
    return signature;
  });
  push(op.c_str(), kernel, inputs, output, Invocation::Elementwise);
}

} // namespace

NDArray elementwise(const std::string &op, const std::string &primitive,
                    const std::vector<NDArray> &inputs, DType outType,
                    const NDArray &out) {
  Shape shape;
  if (inputs.size() == 1 ||
      (inputs.size() == 2 && inputs[0].shape() == inputs[1].shape())) {
    shape = inputs[0].shape(); // The common case, without building a list.
  } else {
    std::vector<Shape> shapes;
    for (const NDArray &input : inputs)
      shapes.push_back(input.shape());
    shape = broadcastShapes(op, shapes);
  }
  if (static_cast<int64_t>(shape.size()) > compiler::kMaxKernelRank)
    throw Error(formatMessage(op, ": rank ", shape.size(), " is more than the ",
                              compiler::kMaxKernelRank, " supported"));
  NDArray output = outputFor(op, out, shape, outType, outputDevice(inputs));
  // While a graph is captured, elementwise chains become one kernel.
  fusion::ElementwiseFusion *fusion = fusion::ElementwiseFusion::current();
  if (fusion && fusion->defer(op, primitive, inputs, output, !out.isNone())) {
    // Launched with its group.
  } else if (flattenable(inputs, output)) {
    pushFlat(op, primitive, inputs, output);
  } else {
    pushGeneral(op, primitive, inputs, output, shape);
  }
  if (autograd::isRecording()) {
    if (isFloat(outType) && (primitive != "cast" || isFloat(inputs[0].dtype())))
      autograd::recordPrimitive(primitive, inputs, output,
                                autograd::elementwiseGradient(primitive));
    else
      autograd::recordReachOnly(primitive, inputs, {output});
  }
  return output;
}

NDArray reduction(const std::string &primitive, const NDArray &input,
                  const std::vector<int64_t> &axes, bool keepdims,
                  DType outType) {
  const Shape &shape = input.shape();
  Shape outShape;
  for (int64_t dim = 0; dim < static_cast<int64_t>(shape.size()); ++dim) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), dim);
    if (!reduced)
      outShape.push_back(shape[dim]);
    else if (keepdims)
      outShape.push_back(1);
  }
  NDArray output = NDArray::empty(outShape, outType, input.device());
  compiler::KernelSignature signature{
      primitive,
      {{input.dtype(), static_cast<int64_t>(shape.size())}},
      {{outType, static_cast<int64_t>(outShape.size())}}};
  const bool isArg = primitive == "argmax" || primitive == "argmin";
  signature.attributes[isArg ? "axis" : "axes"] = axes;
  signature.attributes["keepdims"] = {keepdims ? 1 : 0};
  KernelEntryFn kernel = compiler::KernelCache::global().get(signature);
  const bool associative =
      primitive == "reduce_sum" || primitive == "reduce_prod" ||
      primitive == "reduce_max" || primitive == "reduce_min";
  push(primitive.c_str(), kernel, {input}, output, Invocation::Reduction, axes,
       keepdims, associative);
  if (autograd::isRecording()) {
    if (isFloat(outType))
      autograd::recordPrimitive(primitive, {input}, output,
                                autograd::reductionGradient(primitive, axes));
    else
      autograd::recordReachOnly(primitive, {input}, {output});
  }
  return output;
}

NDArray generate(const std::string &op, compiler::KernelSignature signature,
                 const std::vector<NDArray> &inputs, const Shape &shape,
                 DType outType, const NDArray &out) {
  if (static_cast<int64_t>(shape.size()) > compiler::kMaxKernelRank)
    throw Error(formatMessage(op, ": rank ", shape.size(), " is more than the ",
                              compiler::kMaxKernelRank, " supported"));
  for (int64_t extent : shape)
    if (extent < 0)
      throw Error(formatMessage(op, ": shape ", shapeToString(shape),
                                " has a negative extent"));
  NDArray output = outputFor(op, out, shape, outType, outputDevice(inputs));
  signature.inputs.clear();
  for (const NDArray &input : inputs)
    signature.inputs.push_back({input.dtype(),
                                static_cast<int64_t>(input.shape().size()),
                                unitDimsOf(input.shape())});
  signature.outputs = {{outType, static_cast<int64_t>(shape.size())}};
  KernelEntryFn kernel = compiler::KernelCache::global().get(signature);
  push(op.c_str(), kernel, inputs, output, Invocation::Whole);
  if (autograd::isRecording()) {
    if (isFloat(outType))
      autograd::recordPrimitive(signature.primitive, inputs, output,
                                autograd::generatedGradient(signature));
    else
      autograd::recordReachOnly(signature.primitive, inputs, {output});
  }
  return output;
}

NDArray graph(const std::string &op, const std::string &source,
              const std::vector<NDArray> &inputs, const Shape &shape,
              DType outType, bool splitRows) {
  NDArray output = NDArray::empty(shape, outType, inputs.front().device());
  graphInto(op, source, inputs, output, splitRows);
  return output;
}

void graphInto(const std::string &op, const std::string &source,
               const std::vector<NDArray> &inputs, const NDArray &output,
               bool splitRows, bool mayRunInline) {
  // A graph kernel records nothing for autograd: reached while recording
  // from arrays that take a gradient (a gradient rule run under
  // create_graph), its result would silently be a constant.
  if (autograd::isRecording() && autograd::anyTakesGradient(inputs))
    throw Error(formatMessage(op, ": is not differentiable again (its "
                                  "gradient runs as one fused kernel); "
                                  "second-order gradients through it are not "
                                  "supported"));
  KernelEntryFn kernel = compiler::KernelCache::global().getGraph(source);
  const Invocation invocation =
      splitRows ? Invocation::Elementwise : Invocation::Whole;
  // A rank-1 graph of independent rows is elementwise (activations and
  // their gradients): in place when its arrays allow.
  if (splitRows && output.shape().size() == 1)
    markInPlaceSafe(inputs, output);
  if (!mayRunInline || !runTinyInline(op.c_str(), kernel, inputs, output,
                                      invocation, /*anySize=*/true))
    push(op.c_str(), kernel, inputs, output, invocation);
}

namespace {

/// What both graphIntoFlat forms require: no recording through the inputs
/// (the kernel has no gradient), contiguous rank-1 outputs of one length,
/// and inputs that are scalars or contiguous arrays of that length.
void checkFlatArguments(const std::string &op,
                        const std::vector<NDArray> &inputs,
                        const std::vector<NDArray> &outputs) {
  if (autograd::isRecording() && autograd::anyTakesGradient(inputs))
    throw Error(formatMessage(op, ": is not differentiable again (it runs "
                                  "as one fused kernel)"));
  const Shape &shape = outputs.front().shape();
  for (const NDArray &output : outputs)
    if (output.shape() != shape || shape.size() != 1 ||
        !output.tensor().isContiguous())
      throw Error(formatMessage(op, ": internal: a flat graph kernel writes "
                                    "contiguous rank-1 arrays of one length"));
  for (const NDArray &input : inputs)
    if (!input.shape().empty() &&
        (input.shape() != shape || !input.tensor().isContiguous()))
      throw Error(formatMessage(op, ": internal: a flat graph kernel reads "
                                    "scalars or contiguous arrays of its "
                                    "outputs' length"));
}

} // namespace

void graphIntoFlat(const std::string &op, const std::string &source,
                   const std::vector<NDArray> &inputs, const NDArray &output) {
  checkFlatArguments(op, inputs, {output});
  KernelEntryFn kernel = compiler::KernelCache::global().getGraph(
      source, /*identityLayouts=*/true);
  markInPlaceSafe(inputs, output);
  push(op.c_str(), kernel, inputs, output, Invocation::Flat);
}

void graphIntoFlat(const std::string &op, const std::string &source,
                   const std::vector<NDArray> &inputs,
                   const std::vector<NDArray> &outputs, bool onePass) {
  if (outputs.size() == 1) {
    graphIntoFlat(op, source, inputs, outputs.front());
    return;
  }
  checkFlatArguments(op, inputs, outputs);
  std::vector<Tensor> arguments;
  std::vector<VarPtr> reads, writes;
  size_t held = 0;
  for (const NDArray &input : inputs) {
    arguments.push_back(input.tensor());
    reads.push_back(input.var());
  }
  for (const NDArray &output : outputs) {
    for (const NDArray &input : inputs)
      if (!onePass && input.tensor().storage() == output.tensor().storage())
        throw Error(formatMessage(op, ": internal: a flat graph kernel of "
                                      "several results writes an input"));
    arguments.push_back(output.tensor());
    writes.push_back(output.var());
    held += heldBytes(output, inputs);
  }
  KernelEntryFn kernel = compiler::KernelCache::global().getGraph(
      source, /*identityLayouts=*/true);
  Engine::global().push(
      [kernel, arguments = std::move(arguments)] {
        invokeFlatKernel(kernel, arguments);
      },
      outputs.front().device(), reads, writes, /*priority=*/0, op.c_str(),
      QueueKind::Compute, held);
}

NDArray reshape(const NDArray &x, const Shape &shape) {
  if (x.shape() == shape)
    return x;
  NDArray contiguous = x.tensor().isContiguous() ? x : cast(x, x.dtype());
  return contiguous.view(contiguous.tensor().reshaped(shape));
}

NDArray broadcastTo(const NDArray &x, const Shape &shape,
                    const std::string &op) {
  if (x.shape() == shape)
    return x;
  // The primitive broadcasts unit dimensions of an input of the same rank.
  Shape padded(shape.size() - x.shape().size(), 1);
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  compiler::KernelSignature signature{"broadcast_to", {}, {}};
  return generate(op, signature, {reshape(x, padded)}, shape, x.dtype());
}

NDArray swapLastTwo(const NDArray &x) {
  Shape shape = x.shape(), strides = x.tensor().strides();
  const size_t rank = shape.size();
  std::swap(shape[rank - 1], shape[rank - 2]);
  std::swap(strides[rank - 1], strides[rank - 2]);
  return x.view(x.tensor().strided(shape, strides, x.tensor().offset()));
}

NDArray matmul(const NDArray &lhs, const NDArray &rhs) {
  Shape lhsBatch(lhs.shape().begin(), lhs.shape().end() - 2);
  Shape rhsBatch(rhs.shape().begin(), rhs.shape().end() - 2);
  Shape shape = broadcastShapes("dot", {lhsBatch, rhsBatch});
  shape.push_back(lhs.shape()[lhs.shape().size() - 2]);
  shape.push_back(rhs.shape().back());
  NDArray output = NDArray::empty(shape, lhs.dtype(), lhs.device());
  compiler::KernelSignature signature{
      "matmul",
      {{lhs.dtype(), static_cast<int64_t>(lhs.shape().size()),
        unitDimsOf(lhsBatch)},
       {rhs.dtype(), static_cast<int64_t>(rhs.shape().size()),
        unitDimsOf(rhsBatch)}},
      {{lhs.dtype(), static_cast<int64_t>(shape.size())}}};
  KernelEntryFn kernel = compiler::KernelCache::global().get(signature);
  // The thread dispatching products runs them on oneDNN's OpenMP team.
  claimOpenMPTeam();
  const int64_t k = lhs.shape().back();
  if (output.size() > kInlineMatmulMacs / std::max<int64_t>(k, 1) ||
      !runTinyInline("dot", kernel, {lhs, rhs}, output, Invocation::Whole,
                     /*anySize=*/true))
    push("dot", kernel, {lhs, rhs}, output, Invocation::Whole);
  if (autograd::isRecording())
    autograd::recordPrimitive("matmul", {lhs, rhs}, output,
                              autograd::matmulGradient());
  return output;
}

NDArray iota(const std::string &op, const Shape &shape, int64_t dimension,
             DType dtype) {
  compiler::KernelSignature signature{"iota", {}, {}};
  signature.attributes["dimension"] = {dimension};
  return generate(op, signature, {}, shape, dtype);
}

NDArray scalar(double value, DType dtype) {
  NDArray array = NDArray::empty({}, dtype);
  void *data = array.tensor().data();
  double stored = value; // What the element holds, for kernels' constants.
  switch (dtype) {
  case DType::Float32: {
    float v = static_cast<float>(value);
    std::memcpy(data, &v, 4);
    stored = v;
    break;
  }
  case DType::Float64:
    std::memcpy(data, &value, 8);
    break;
  case DType::Int8:
    *static_cast<int8_t *>(data) = static_cast<int8_t>(value);
    stored = *static_cast<int8_t *>(data);
    break;
  case DType::UInt8:
    *static_cast<uint8_t *>(data) =
        static_cast<uint8_t>(static_cast<int64_t>(value));
    stored = *static_cast<uint8_t *>(data);
    break;
  case DType::Int32: {
    int32_t v = static_cast<int32_t>(value);
    std::memcpy(data, &v, 4);
    stored = v;
    break;
  }
  case DType::Int64: {
    int64_t v = static_cast<int64_t>(value);
    std::memcpy(data, &v, 8);
    stored = static_cast<double>(v);
    break;
  }
  case DType::Bool:
    *static_cast<uint8_t *>(data) = value != 0;
    stored = value != 0;
    break;
  case DType::Float16:
  case DType::BFloat16: {
    // Through a float32 scalar and a cast kernel: rounding as the kernels do.
    return cast(scalar(value, DType::Float32), dtype);
  }
  }
  if (fusion::ElementwiseFusion *fusion = fusion::ElementwiseFusion::current())
    if (!shapeOnly())
      fusion->noteScalar(array, stored);
  return array;
}

NDArray cast(const NDArray &input, DType dtype, const NDArray &out) {
  return elementwise("cast", "cast", {input}, dtype, out);
}

NDArray copyInto(const NDArray &source, const NDArray &destination) {
  const NDArray moved =
      source.tensor().storage() == destination.tensor().storage()
          ? cast(source, source.dtype())
          : source;
  return cast(moved, destination.dtype(), destination);
}

} // namespace dispatch
} // namespace kiln
