//===- Dispatch.h - from NDArrays to queued kernels -------------*- C++ -*-===//
//
// What every eager op does after checking its arguments: work out the
// kernel signature (primitive, dtypes, ranks, broadcast pattern), fetch the
// compiled kernel from the cache, allocate the output (or use the caller's
// `out`) and push the kernel to the engine with the right reads and writes.
// Shape inference and error messages stay with the ops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_DISPATCH_H
#define KILN_FRONTENDS_CPP_DISPATCH_H

#include "compiler/KernelSignature.h"
#include "frontends/cpp/NDArray.h"

#include <string>
#include <vector>

namespace kiln {
namespace dispatch {

/// numpy's broadcast of `shapes`; throws kiln::Error naming `op` when they
/// do not broadcast.
Shape broadcastShapes(const std::string &op, const std::vector<Shape> &shapes);

/// An elementwise primitive over `inputs` (broadcasting), writing an output
/// of the broadcast shape and `outType`, into `out` when given (whose shape
/// and dtype must match). Large outputs run in parallel slices.
NDArray elementwise(const std::string &op, const std::string &primitive,
                    const std::vector<NDArray> &inputs, DType outType,
                    const NDArray &out = NDArray());

/// A reduction primitive ("reduce_sum", ..., "argmax") over `axes`
/// (normalized, sorted) of `input`.
NDArray reduction(const std::string &primitive, const NDArray &input,
                  const std::vector<int64_t> &axes, bool keepdims,
                  DType outType);

/// A primitive with a given output shape (generators, broadcast_to), run as
/// one kernel call (random generators must not be split: their numbers
/// depend on each element's position in the whole output).
NDArray generate(const std::string &op, compiler::KernelSignature signature,
                 const std::vector<NDArray> &inputs, const Shape &shape,
                 DType outType, const NDArray &out = NDArray());

/// A graph kernel (MLIR text of one kiln function, see
/// KernelCache::getGraph) over `inputs`, writing one output of `shape` and
/// `outType`. `splitRows` runs it in parallel slices along dimension 0, for
/// graphs whose rows are independent.
NDArray graph(const std::string &op, const std::string &source,
              const std::vector<NDArray> &inputs, const Shape &shape,
              DType outType, bool splitRows);

/// The same, writing its one result into `output`, which may be among the
/// inputs: an elementwise graph can update an array in place. `mayRunInline`
/// runs it on the calling thread when its arrays are idle, whatever its
/// size: for a kernel right after an inline matrix product (a dense layer's
/// bias), where handing it to an engine worker costs more than it does.
void graphInto(const std::string &op, const std::string &source,
               const std::vector<NDArray> &inputs, const NDArray &output,
               bool splitRows, bool mayRunInline = false);

/// A graph kernel over contiguous rank-1 arrays (or rank-0 scalars) of
/// `output`'s length, writing its one result into `output` (contiguous,
/// rank 1, which may be among the inputs: an in-place update): compiled
/// with identity layouts and run in parallel slices, as flat elementwise
/// kernels are, so its one loop vectorizes. For graphs whose element i
/// reads only element i of each input.
void graphIntoFlat(const std::string &op, const std::string &source,
                   const std::vector<NDArray> &inputs, const NDArray &output);
/// The same for a graph of several results, each written to the output at
/// its index (contiguous, rank 1, of one length). An output may be among
/// the inputs only when the graph is one pass (Graph::requireOnePass, which
/// fails to compile otherwise): separate loops would let a later result read
/// an input an earlier one had already overwritten.
void graphIntoFlat(const std::string &op, const std::string &source,
                   const std::vector<NDArray> &inputs,
                   const std::vector<NDArray> &outputs, bool onePass);
/// Matrix products up to this many multiply-adds run on the calling thread
/// when their arrays are idle, as PyTorch's do: handing one to an engine
/// worker costs two thread wake-ups, as much as the product itself at the
/// MLP's shapes, and the product uses every free core either way.
constexpr int64_t kInlineMatmulMacs = int64_t{1} << 27;

/// `x` as `shape` (the same size): a view, of a contiguous copy when x's
/// layout does not allow one.
NDArray reshape(const NDArray &x, const Shape &shape);

/// `x` broadcast to `shape` (numpy's rules: aligned at the right) by the
/// broadcast_to primitive; errors name `op`.
NDArray broadcastTo(const NDArray &x, const Shape &shape,
                    const std::string &op = "broadcast_to");

/// `x` with its last two dimensions swapped (a view).
NDArray swapLastTwo(const NDArray &x);

/// Batched matrix product of two float arrays (rank >= 2).
NDArray matmul(const NDArray &lhs, const NDArray &rhs);

/// 0, 1, 2, ... along `dimension` of a new array of `shape` and `dtype`
/// (the iota primitive); errors name `op`.
NDArray iota(const std::string &op, const Shape &shape, int64_t dimension,
             DType dtype);

/// A rank-0 array of `dtype` holding `value` converted as C does
/// (MXNet's scalar operands).
NDArray scalar(double value, DType dtype);

/// `input` converted to `dtype` (a copy even when the dtype is the same).
NDArray cast(const NDArray &input, DType dtype, const NDArray &out = NDArray());

/// `source` converted into `destination`'s dtype and written there. When
/// the two share memory (a view of the destination's array), the copy goes
/// through a new array first, as memmove does, so overlapping regions move
/// whole.
NDArray copyInto(const NDArray &source, const NDArray &destination);

} // namespace dispatch
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_DISPATCH_H
