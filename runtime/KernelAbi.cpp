//===- KernelAbi.cpp ------------------------------------------------------===//
#include "runtime/KernelAbi.h"

#include "runtime/Error.h"
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

void invokeKernel(KernelEntryFn entry, const Tensor *const *arguments,
                  size_t count) {
  constexpr size_t kStackArguments = 8;
  constexpr int64_t kStackRank = 8;
  bool small = count <= kStackArguments;
  for (size_t i = 0; small && i < count; ++i)
    small = arguments[i]->rank() <= kStackRank;
  if (!small) {
    std::vector<Tensor> copies;
    for (size_t i = 0; i < count; ++i)
      copies.push_back(*arguments[i]);
    invokeKernel(entry, copies);
    return;
  }
  int64_t words[kStackArguments][3 + 2 * kStackRank];
  void *pointers[kStackArguments];
  for (size_t i = 0; i < count; ++i) {
    const Tensor &tensor = *arguments[i];
    int64_t *word = words[i];
    const auto base = reinterpret_cast<int64_t>(tensor.storage()->data());
    *word++ = base; // allocated
    *word++ = base; // aligned
    *word++ = tensor.offset();
    word = std::copy(tensor.shape().begin(), tensor.shape().end(), word);
    std::copy(tensor.strides().begin(), tensor.strides().end(), word);
    pointers[i] = words[i];
  }
  entry(pointers);
}

void invokeElementwiseKernel(KernelEntryFn entry,
                             const Tensor *const *arguments, size_t count) {
  const Tensor &output = *arguments[count - 1];
  if (output.rank() == 0 ||
      output.numElements() < kParallelElementwiseThreshold ||
      output.shape()[0] < 2) {
    invokeKernel(entry, arguments, count);
    return;
  }
  std::vector<Tensor> copies;
  for (size_t i = 0; i < count; ++i)
    copies.push_back(*arguments[i]);
  invokeElementwiseKernel(entry, copies);
}

void invokeFlatKernel(KernelEntryFn entry,
                      const std::vector<Tensor> &arguments) {
  const Tensor &output = arguments.back();
  const int64_t total = output.numElements();
  const int64_t alignment = std::max<int64_t>(
      1, 64 / static_cast<int64_t>(dtypeSize(output.dtype())));
  // Each rank-1 argument sliced and rebased: aligned pointer at the slice,
  // offset 0, stride 1 (the kernel assumes the identity layout).
  if (arguments.size() > kMaxFlatKernelArguments)
    throw Error(formatMessage("invokeFlatKernel: ", arguments.size(),
                              " arguments, at most ", kMaxFlatKernelArguments));
  auto run = [&](int64_t begin, int64_t end) {
    int64_t words[kMaxFlatKernelArguments][5];
    void *pointers[kMaxFlatKernelArguments];
    for (size_t i = 0; i < arguments.size(); ++i) {
      const Tensor &argument = arguments[i];
      auto *base = static_cast<char *>(argument.data());
      if (argument.rank() == 1)
        base += begin * static_cast<int64_t>(dtypeSize(argument.dtype()));
      const auto start = reinterpret_cast<int64_t>(base);
      words[i][0] = start;
      words[i][1] = start;
      words[i][2] = 0;
      words[i][3] = end - begin;
      words[i][4] = 1;
      pointers[i] = words[i];
    }
    entry(pointers);
  };
  const int64_t blocks = (total + alignment - 1) / alignment;
  ThreadPool::global().parallelFor(
      0, blocks,
      std::max<int64_t>(1, kParallelElementwiseThreshold / alignment),
      [&](int64_t first, int64_t last) {
        run(first * alignment, std::min(total, last * alignment));
      });
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

namespace {

/// `tensor` restricted to [begin, end) along `dim`.
Tensor sliceAlong(const Tensor &tensor, int64_t dim, int64_t begin,
                  int64_t end) {
  Shape shape = tensor.shape();
  shape[dim] = end - begin;
  return tensor.strided(shape, tensor.strides(),
                        tensor.offset() + begin * tensor.strides()[dim]);
}

/// `tensor` without the dimensions in `dropped` (all of extent 1).
Tensor dropUnitDims(const Tensor &tensor, const std::vector<bool> &dropped) {
  Shape shape, strides;
  for (int64_t dim = 0; dim < tensor.rank(); ++dim)
    if (!dropped[dim]) {
      shape.push_back(tensor.shape()[dim]);
      strides.push_back(tensor.strides()[dim]);
    }
  return tensor.strided(shape, strides, tensor.offset());
}

} // namespace

void invokeReductionKernel(KernelEntryFn entry, const Tensor &input,
                           const Tensor &output,
                           const std::vector<int64_t> &reducedAxes,
                           bool keepdims, bool associative) {
  std::vector<bool> reduced(input.rank(), false);
  for (int64_t axis : reducedAxes)
    reduced[axis] = true;
  ThreadPool &pool = ThreadPool::global();
  if (input.numElements() < kParallelElementwiseThreshold ||
      pool.numThreads() < 2) {
    invokeKernel(entry, {input, output});
    return;
  }
  // The outermost axis with more than one element decides the split.
  int64_t outer = 0;
  while (outer < input.rank() && input.shape()[outer] < 2)
    ++outer;
  if (outer == input.rank()) {
    invokeKernel(entry, {input, output});
    return;
  }

  if (reduced[outer] && associative) {
    // Partials: the input's shape with every reduced axis 1 except `outer`,
    // which has one entry per chunk; the same kernel reduces them at the end.
    const int64_t extent = input.shape()[outer];
    const int64_t chunks = std::min<int64_t>(extent, pool.numThreads());
    Shape partialShape = input.shape();
    for (int64_t dim = 0; dim < input.rank(); ++dim)
      if (reduced[dim])
        partialShape[dim] = dim == outer ? chunks : 1;
    Tensor partials = Tensor::empty(partialShape, output.dtype());
    std::vector<bool> dropped =
        keepdims ? std::vector<bool>(input.rank()) : reduced;
    pool.parallelFor(0, chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t chunk = first; chunk < last; ++chunk) {
        const int64_t begin = extent * chunk / chunks;
        const int64_t end = extent * (chunk + 1) / chunks;
        invokeKernel(
            entry, {sliceAlong(input, outer, begin, end),
                    dropUnitDims(sliceAlong(partials, outer, chunk, chunk + 1),
                                 dropped)});
      }
    });
    invokeKernel(entry, {partials, output});
    return;
  }

  // Split along the first kept axis, and the output dimension it becomes.
  int64_t splitAxis = -1, outputAxis = 0;
  for (int64_t dim = 0; dim < input.rank(); ++dim) {
    if (!reduced[dim] && input.shape()[dim] >= 2) {
      splitAxis = dim;
      break;
    }
    if (!reduced[dim] || keepdims)
      ++outputAxis;
  }
  if (splitAxis < 0) {
    invokeKernel(entry, {input, output});
    return;
  }
  const int64_t extent = input.shape()[splitAxis];
  const int64_t perIndex = input.numElements() / extent;
  const int64_t grain =
      std::max<int64_t>(1, kParallelElementwiseThreshold / perIndex);
  pool.parallelFor(0, extent, grain, [&](int64_t begin, int64_t end) {
    invokeKernel(entry, {sliceAlong(input, splitAxis, begin, end),
                         sliceAlong(output, outputAxis, begin, end)});
  });
}

} // namespace kiln
