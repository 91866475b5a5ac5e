//===- Operators.h - MXNet operators on NDArrays ----------------*- C++ -*-===//
//
// Each operator checks its arguments eagerly (before anything is queued),
// allocates its outputs, fetches a compiled kernel by signature and pushes it
// to the engine. It returns before the kernel runs.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_OPERATORS_H
#define KILN_FRONTENDS_CPP_OPERATORS_H

#include "frontends/cpp/NDArray.h"

namespace kiln {
namespace op {

/// MXNet's elemwise_add: `lhs + rhs` for arrays of one shape and dtype.
NDArray elemwiseAdd(const NDArray &lhs, const NDArray &rhs);

} // namespace op
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_OPERATORS_H
