//===- Ops.h - the built-in operator families -------------------*- C++ -*-===//
#ifndef KILN_FRONTENDS_CPP_OPS_OPS_H
#define KILN_FRONTENDS_CPP_OPS_OPS_H

#include "frontends/cpp/OpRegistry.h"

namespace kiln {
namespace ops {

/// Broadcasting binary ops, scalar ops, unary math.
void registerElementwiseOps(OpRegistry &registry);
/// sum, mean, max, min, prod, argmax, argmin.
void registerReductionOps(OpRegistry &registry);
/// dot and cast.
void registerLinalgOps(OpRegistry &registry);

/// `op: the dtype expected ... got ...` when `array` is not floating point.
void requireFloat(const std::string &op, const NDArray &array);
bool isFloatDType(DType dtype);

} // namespace ops
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPS_OPS_H
