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
#include <vector>

namespace kiln {
namespace compiler {

/// The reverse-mode gradient of a kiln function (the kiln-autodiff pass).
/// `source` is MLIR text with one func.func of kiln ops on ranked tensors
/// (what KernelCache::getGraph takes). `gradReq` gives MXNet's grad_req of
/// each argument ("write", "add" or "null"); empty means write for every
/// floating-point argument and null for the others. Returns MLIR text with
/// one func.func, `@<name>_grad`, whose arguments are the function's, then
/// one cotangent (head gradient) per floating-point result, then the
/// gradient so far of each "add" argument; and whose results are the
/// function's, then the gradient of each "write" or "add" argument in
/// argument order ("add" ones summed with the gradient passed in). The
/// gradients follow MXNet 1.9.1's backward rules (kiln's eager autograd).
/// Throws kiln::Error with the compiler's diagnostics when the text does
/// not parse, is not one function, holds an op without a gradient rule on
/// the gradient's path, or `gradReq` does not fit the arguments. With
/// `gradientsOnly` the function's results are left out of `@<name>_grad`'s.
std::string gradientSource(const std::string &source,
                           const std::vector<std::string> &gradReq = {},
                           bool gradientsOnly = false);

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_AUTODIFF_H
