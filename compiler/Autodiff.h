//===- Autodiff.h - gradients of kiln functions, for frontends --*- C++ -*-===//
//
// The kiln-autodiff pass behind a text interface free of MLIR headers, like
// KernelCache.h: a frontend that built a graph (GraphBuilder.h) asks for its
// gradient graph and compiles that with KernelCache::getGraph.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_AUTODIFF_H
#define KILN_COMPILER_AUTODIFF_H

#include <string>

namespace kiln {
namespace compiler {

/// The reverse-mode gradient of a kiln function. `source` is MLIR text with
/// one func.func of kiln ops on ranked tensors (what KernelCache::getGraph
/// takes). Returns MLIR text with one func.func, `@<name>_grad`, whose
/// arguments are the function's followed by one cotangent per floating-point
/// result, and whose results are the function's followed by the gradient of
/// each floating-point argument, in argument order (integer arguments take
/// none). The gradients follow MXNet 1.9.1's backward rules (kiln's eager
/// autograd). Throws kiln::Error with the compiler's diagnostics when the
/// text does not parse, is not one function, or holds an op without a
/// gradient rule on the gradient's path.
std::string gradientSource(const std::string &source);

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_AUTODIFF_H
