//===- ShapeOnly.h - evaluating ops for their shapes alone ------*- C++ -*-===//
//
// While a ShapeOnlyScope lives on a thread, work there is evaluated for the
// shapes and dtypes of its results only, as PyTorch's meta tensors and JAX's
// abstract evaluation do: large new tensors get no memory, kernels are not
// compiled, pushed work is dropped, and waiting for a value is an error (a
// result whose shape depends on values cannot be inferred). The symbolic
// API infers a graph's shapes this way by running each operator's own
// checks and shape logic, so inference and eager execution cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_SHAPEONLY_H
#define KILN_RUNTIME_SHAPEONLY_H

#include <cstddef>

namespace kiln {

/// Whether this thread evaluates for shapes only.
bool shapeOnly();

/// New tensors up to this many bytes still get memory in shape-only mode:
/// ops build small constants on the host (scalars, per-block counts) and
/// write them at once.
constexpr size_t kShapeOnlyBackedBytes = 64 * 1024;

class ShapeOnlyScope {
public:
  ShapeOnlyScope();
  ~ShapeOnlyScope();
  ShapeOnlyScope(const ShapeOnlyScope &) = delete;
  ShapeOnlyScope &operator=(const ShapeOnlyScope &) = delete;

private:
  bool previous_;
};

} // namespace kiln

#endif // KILN_RUNTIME_SHAPEONLY_H
