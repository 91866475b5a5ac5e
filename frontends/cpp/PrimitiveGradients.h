//===- PrimitiveGradients.h - gradient rules of the primitives --*- C++ -*-===//
//
// Autograd differentiates the primitives that frontend ops dispatch
// (elementwise math, reductions, broadcast_to, concat, take, scatter_add,
// matmul, and views), so a frontend op needs no rule of its own: its
// gradient comes from its decomposition. Rules are written with the same
// dispatch calls, so backward runs through the kernel cache and, recorded
// again, gives higher-order gradients. A frontend op overrides only where it
// runs a fused graph kernel or writes through an internal view (OpSpec::
// gradient).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTENDS_CPP_PRIMITIVEGRADIENTS_H
#define KILN_FRONTENDS_CPP_PRIMITIVEGRADIENTS_H

#include "compiler/KernelSignature.h"
#include "frontends/cpp/Autograd.h"

namespace kiln {
namespace autograd {

/// Each returns null for primitives with no gradient (comparisons, rounding,
/// argmax, iota, random, ...): their outputs are constants.
BackwardFn elementwiseGradient(const std::string &primitive);
BackwardFn reductionGradient(const std::string &primitive,
                             const std::vector<int64_t> &axes);
BackwardFn generatedGradient(const compiler::KernelSignature &signature);
BackwardFn matmulGradient();

/// Every primitive that has a rule (views included), for coverage checks.
std::vector<std::string> differentiablePrimitives();

} // namespace autograd
} // namespace kiln

#endif // KILN_FRONTENDS_CPP_PRIMITIVEGRADIENTS_H
