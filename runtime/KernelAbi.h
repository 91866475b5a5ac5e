//===- KernelAbi.h - how the runtime calls compiled kernels -----*- C++ -*-===//
//
// The one contract between compiler/ and runtime/: every compiled kernel,
// JIT'd now or loaded from an artifact later, is a C function taking an array
// of pointers, one per tensor argument (inputs first, then outputs), each to
// an MLIR strided memref descriptor:
//
//   { void *allocated, void *aligned, int64 offset,
//     int64 sizes[rank], int64 strides[rank] }     (offset/strides in elements)
//
// Sizes and strides are runtime values, so one kernel serves every shape of
// its rank.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_KERNELABI_H
#define KILN_RUNTIME_KERNELABI_H

#include "runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace kiln {

extern "C" {
typedef void (*KernelEntryFn)(void **memrefDescriptors);
}

/// The descriptor of one tensor argument, laid out as MLIR expects.
class MemRefDescriptor {
public:
  explicit MemRefDescriptor(const Tensor &tensor);
  void *get() { return words_.data(); }

private:
  // Every field is 8 bytes wide, so the struct is an array of words.
  std::vector<int64_t> words_;
};

/// Calls `entry` on `arguments` (inputs then outputs).
void invokeKernel(KernelEntryFn entry, const std::vector<Tensor> &arguments);
/// The same over `count` tensors; builds the descriptors on the stack when
/// there are few arguments of small rank (the per-op fast path).
void invokeKernel(KernelEntryFn entry, const Tensor *const *arguments,
                  size_t count);

/// Calls an elementwise kernel (each output element depends only on the
/// inputs at the same index, after broadcasting) on slices of the arguments
/// along the output's first dimension, in parallel on the global thread pool
/// when the output is large enough to be worth it. The last argument is the
/// output; inputs align with it at the right, and an input dimension of extent
/// 1 where the output's is not broadcasts (it is not sliced).
void invokeElementwiseKernel(KernelEntryFn entry,
                             const std::vector<Tensor> &arguments);
void invokeElementwiseKernel(KernelEntryFn entry,
                             const Tensor *const *arguments, size_t count);

/// Calls a flat elementwise kernel (compiled for rank-1 arrays with identity
/// layouts: offset 0, stride 1): the output is rank 1 and contiguous; inputs
/// are rank 1 of the same extent and contiguous, or rank 0. Slices split at
/// 64-byte boundaries of the output and are passed rebased (offset 0), so a
/// streaming kernel, which assumes its output 64-byte aligned, keeps that
/// alignment in every slice when the whole output starts aligned.
void invokeFlatKernel(KernelEntryFn entry,
                      const std::vector<Tensor> &arguments);
/// The most arguments (inputs and outputs) invokeFlatKernel takes; more is
/// a kiln::Error.
constexpr size_t kMaxFlatKernelArguments = 48;

/// Bytes of output from which contiguous elementwise kernels stream their
/// stores: smaller outputs are likely read again soon, from the cache that
/// non-temporal stores bypass.
constexpr int64_t kStreamingOutputBytes = int64_t{1} << 23;

/// Calls a reduction kernel (one input, one output) over `reducedAxes` of the
/// input, in parallel when the input is large enough. `keepdims` says whether
/// the output keeps reduced axes as 1s. When the outermost axis is kept, the
/// work is split along it. Otherwise, for an `associative` reduction (sum,
/// prod, max, min), the outermost reduced axis is split: each thread reduces
/// its rows into a partial result, and the same kernel reduces the partials.
/// Other reductions split along the first kept axis, if any.
void invokeReductionKernel(KernelEntryFn entry, const Tensor &input,
                           const Tensor &output,
                           const std::vector<int64_t> &reducedAxes,
                           bool keepdims, bool associative);

/// Output elements below which invokeElementwiseKernel runs on one thread.
constexpr int64_t kParallelElementwiseThreshold = int64_t{1} << 16;

} // namespace kiln

#endif // KILN_RUNTIME_KERNELABI_H
