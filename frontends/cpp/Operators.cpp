//===- Operators.cpp - MXNet operators on NDArrays ------------------------===//
#include "frontends/cpp/Operators.h"

#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

namespace kiln {
namespace op {
namespace {

compiler::ArgumentType argumentTypeOf(const NDArray &array) {
  return {array.dtype(), static_cast<int64_t>(array.shape().size())};
}

/// Queues elementwise `kernel` over `inputs` then `outputs` on the global
/// engine; large outputs are computed in slices on the thread pool.
void pushKernel(const char *name, KernelEntryFn kernel,
                const std::vector<NDArray> &inputs,
                const std::vector<NDArray> &outputs) {
  std::vector<Tensor> arguments;
  std::vector<VarPtr> reads, writes;
  const Device device = outputs.front().device();
  for (const NDArray &input : inputs) {
    arguments.push_back(input.tensor());
    reads.push_back(input.var());
  }
  for (const NDArray &output : outputs) {
    arguments.push_back(output.tensor());
    writes.push_back(output.var());
  }
  // The captured tensors keep their storage alive until the kernel has run.
  Engine::global().push(
      [kernel, arguments = std::move(arguments)] {
        invokeElementwiseKernel(kernel, arguments);
      },
      device, reads, writes, /*priority=*/0, name);
}

} // namespace

NDArray elemwiseAdd(const NDArray &lhs, const NDArray &rhs) {
  const char *name = "elemwise_add";
  if (lhs.isNone() || rhs.isNone())
    throw Error(
        formatMessage(name, ": an argument is an empty NDArray handle"));
  if (lhs.shape() != rhs.shape())
    throw Error(formatMessage(name,
                              ": operands must have the same shape, got "
                              "lhs ",
                              shapeToString(lhs.shape()), " and rhs ",
                              shapeToString(rhs.shape())));
  if (lhs.dtype() != rhs.dtype())
    throw Error(formatMessage(name,
                              ": operands must have the same dtype, got "
                              "lhs ",
                              dtypeName(lhs.dtype()), " and rhs ",
                              dtypeName(rhs.dtype())));
  if (lhs.device() != rhs.device())
    throw Error(formatMessage(name,
                              ": operands must be on the same device, "
                              "got lhs ",
                              lhs.device().toString(), " and rhs ",
                              rhs.device().toString()));

  compiler::KernelSignature signature{
      "add", {argumentTypeOf(lhs), argumentTypeOf(rhs)}, {argumentTypeOf(lhs)}};
  KernelEntryFn kernel = compiler::KernelCache::global().get(signature);
  NDArray result = NDArray::empty(lhs.shape(), lhs.dtype(), lhs.device());
  pushKernel(name, kernel, {lhs, rhs}, {result});
  return result;
}

} // namespace op
} // namespace kiln
