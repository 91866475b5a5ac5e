//===- Calls.h - ops calling ops --------------------------------*- C++ -*-===//
//
// Gradient rules and composite ops (pick, tile, norm, ...) are written as
// calls to registered ops through invokeOp, so that autograd records them:
// a composite needs no rule of its own, and every rule is differentiable
// again.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPS_CALLS_H
#define KILN_FRONTENDS_CPP_OPS_CALLS_H

#include "frontends/cpp/OpRegistry.h"

namespace kiln {
namespace ops {

/// A shape as MXNet writes it: "(2, 3)", "(5,)", "()".
std::string shapeAttr(const Shape &shape);
/// A number written so that parsing it gives back the same double.
std::string floatAttr(double value);

inline NDArray call(const std::string &op, const std::vector<NDArray> &inputs,
                    const AttrMap &attrs = {}) {
  return invokeOp(op, inputs, attrs);
}
inline NDArray callScalar(const std::string &op, const NDArray &x,
                          double scalar) {
  return invokeOp(op, {x}, {{"scalar", floatAttr(scalar)}});
}

/// `axis` in [-rank, rank) made non-negative; kiln::Error naming `op`
/// otherwise.
int64_t checkedAxis(const std::string &op, int64_t axis, int64_t rank);
/// Zeros of `shape` and `dtype` (the _zeros op).
NDArray zerosOf(const Shape &shape, DType dtype);
/// MXNet's broadcast_to target for `input` given `shape` (0 keeps an
/// extent); kiln::Error naming `op` when it does not broadcast.
Shape broadcastTarget(const std::string &op, const Shape &input,
                      const Shape &shape);

/// `x` with its last axis moved to position `axis` (a transposed view).
NDArray moveLastAxisTo(const NDArray &x, int64_t axis);
/// The inverse: `x` with axis `axis` moved last (a transposed view).
NDArray moveAxisToLast(const NDArray &x, int64_t axis);

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_CALLS_H
