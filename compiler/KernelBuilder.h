//===- KernelBuilder.h - kiln IR for one kernel signature -------*- C++ -*-===//
#ifndef KILN_COMPILER_KERNELBUILDER_H
#define KILN_COMPILER_KERNELBUILDER_H

#include "compiler/KernelSignature.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace kiln {
namespace compiler {

/// Builds a module with one destination-passing kernel function named
/// `functionName`: inputs, then outputs as writable tensor arguments, every
/// extent dynamic. Throws kiln::Error for a primitive the builder does not
/// know or argument types that do not fit it.
mlir::OwningOpRef<mlir::ModuleOp>
buildKernelModule(mlir::MLIRContext &context, const KernelSignature &signature,
                  const std::string &functionName);

/// Parses `source`, MLIR text with one func.func with a body (a graph).
/// Throws kiln::Error, its message starting with `what`, with the parser's
/// diagnostics, or when the text holds another number of functions.
mlir::OwningOpRef<mlir::ModuleOp> parseGraph(mlir::MLIRContext &context,
                                             const std::string &source,
                                             const std::string &what);

/// Builds a kernel module from `source`: MLIR text with one func.func of
/// kiln ops on ranked tensors, arguments then results (a whole graph, as
/// hybridize and the ahead-of-time compiler produce). The function is renamed
/// `functionName` and turned into destination-passing style. Throws
/// kiln::Error with the parser's or verifier's diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
buildGraphKernelModule(mlir::MLIRContext &context, const std::string &source,
                       const std::string &functionName);

/// Whether buildKernelModule can build a kernel of `primitive` (a kiln op's
/// mnemonic): every elementwise primitive can, from its ODS definition; the
/// others need an entry in KernelBuilder.cpp's table (kernel_builder_test
/// checks every op of the dialect).
bool hasKernelBuilder(mlir::MLIRContext &context, const std::string &primitive);

/// The MLIR element type for `dtype`.
mlir::Type elementTypeFor(mlir::MLIRContext &context, DType dtype);

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_KERNELBUILDER_H
