//===- Passes.h - kiln compiler passes --------------------------*- C++ -*-===//
#ifndef KILN_COMPILER_PASSES_H
#define KILN_COMPILER_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
namespace kiln {

#define GEN_PASS_DECL
#include "compiler/Passes.h.inc"

/// The full CPU lowering, from kiln primitives in destination-passing kernel
/// functions to the LLVM dialect:
///   kiln -> linalg on tensors -> bufferized linalg -> loops -> LLVM.
/// Kernel functions take their outputs as `bufferization.writable` tensor
/// arguments and write them with `bufferization.materialize_in_destination`.
/// With `identityLayouts`, function arguments get the identity layout
/// (contiguous, offset 0) instead of fully dynamic strides: the variant for
/// streaming kernels over contiguous arrays.
void buildLowerToLLVMPipeline(OpPassManager &pm, bool identityLayouts = false);

/// Registers every kiln pass and pipeline with the global registry, for
/// kiln-opt.
void registerKilnPassesAndPipelines();

#define GEN_PASS_REGISTRATION
#include "compiler/Passes.h.inc"

} // namespace kiln
} // namespace mlir

#endif // KILN_COMPILER_PASSES_H
