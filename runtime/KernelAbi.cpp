//===- KernelAbi.cpp ------------------------------------------------------===//
#include "runtime/KernelAbi.h"

#include "runtime/ThreadPool.h"

#include <algorithm>

namespace kiln {

MemRefDescriptor::MemRefDescriptor(const Tensor &tensor) {
  const int64_t rank = tensor.rank();
  words_.reserve(3 + 2 * rank);
  const auto base = reinterpret_cast<int64_t>(tensor.storage()->data());
  words_.push_back(base); // allocated
  words_.push_back(base); // aligned
  words_.push_back(tensor.offset());
  words_.insert(words_.end(), tensor.shape().begin(), tensor.shape().end());
  words_.insert(words_.end(), tensor.strides().begin(), tensor.strides().end());
}

void invokeKernel(KernelEntryFn entry, const std::vector<Tensor> &arguments) {
  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(arguments.size());
  std::vector<void *> pointers;
  pointers.reserve(arguments.size());
  for (const Tensor &argument : arguments) {
    descriptors.emplace_back(argument);
    pointers.push_back(descriptors.back().get());
  }
  entry(pointers.data());
}

void invokeElementwiseKernel(KernelEntryFn entry,
                             const std::vector<Tensor> &arguments) {
  const Tensor &output = arguments.back();
  const int64_t total = output.numElements();
  if (output.rank() == 0 || total < kParallelElementwiseThreshold ||
      output.shape()[0] < 2) {
    invokeKernel(entry, arguments);
    return;
  }
  const int64_t rows = output.shape()[0];
  const int64_t rowElements = total / rows;
  // Chunks of at least the threshold's worth of elements.
  const int64_t grain =
      std::max<int64_t>(1, kParallelElementwiseThreshold / rowElements);
  ThreadPool::global().parallelFor(
      0, rows, grain, [&](int64_t begin, int64_t end) {
        std::vector<Tensor> slices;
        slices.reserve(arguments.size());
        for (const Tensor &argument : arguments) {
          // The argument's dimension aligned with the output's first one.
          const int64_t dim = argument.rank() - output.rank();
          if (dim < 0 || argument.shape()[dim] != rows) {
            slices.push_back(argument); // Missing or broadcast: whole.
            continue;
          }
          Shape shape = argument.shape();
          shape[dim] = end - begin;
          slices.push_back(argument.strided(
              shape, argument.strides(),
              argument.offset() + begin * argument.strides()[dim]));
        }
        invokeKernel(entry, slices);
      });
}

void invokeReductionKernel(KernelEntryFn entry, const Tensor &input,
                           const Tensor &output,
                           const std::vector<int64_t> &reducedAxes,
                           bool keepdims) {
  std::vector<bool> reduced(input.rank(), false);
  for (int64_t axis : reducedAxes)
    reduced[axis] = true;
  int64_t splitAxis = -1, outputAxis = 0;
  for (int64_t dim = 0; dim < input.rank(); ++dim) {
    if (!reduced[dim] && input.shape()[dim] >= 2) {
      splitAxis = dim;
      break;
    }
    if (!reduced[dim] || keepdims)
      ++outputAxis;
  }
  if (splitAxis < 0 || input.numElements() < kParallelElementwiseThreshold) {
    invokeKernel(entry, {input, output});
    return;
  }
  const int64_t extent = input.shape()[splitAxis];
  const int64_t perIndex = input.numElements() / extent;
  const int64_t grain =
      std::max<int64_t>(1, kParallelElementwiseThreshold / perIndex);
  auto slice = [](const Tensor &tensor, int64_t dim, int64_t begin,
                  int64_t end) {
    Shape shape = tensor.shape();
    shape[dim] = end - begin;
    return tensor.strided(shape, tensor.strides(),
                          tensor.offset() + begin * tensor.strides()[dim]);
  };
  ThreadPool::global().parallelFor(
      0, extent, grain, [&](int64_t begin, int64_t end) {
        invokeKernel(entry, {slice(input, splitAxis, begin, end),
                             slice(output, outputAxis, begin, end)});
      });
}

} // namespace kiln
