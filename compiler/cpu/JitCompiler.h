//===- JitCompiler.h - LLVM dialect to callable host code -------*- C++ -*-===//
#ifndef KILN_COMPILER_CPU_JITCOMPILER_H
#define KILN_COMPILER_CPU_JITCOMPILER_H

#include "runtime/KernelAbi.h"

#include <memory>
#include <string>

namespace mlir {
class ModuleOp;
}

namespace kiln {
namespace compiler {

/// Compiles modules in the LLVM dialect for the host CPU (its exact features:
/// AVX-512 where present) with LLVM's O3 pipeline, and keeps the code alive
/// for the life of the process.
class JitCompiler {
public:
  JitCompiler();
  ~JitCompiler();

  /// Translates `module` to LLVM IR, adds a packed entry point for the
  /// function `functionName` (which must have an `llvm.emit_c_interface`
  /// wrapper), optimizes, compiles and returns that entry. Throws kiln::Error
  /// on failure.
  KernelEntryFn compile(mlir::ModuleOp module, const std::string &functionName);

  /// The first half of compile(): optimized object code (an ELF relocatable
  /// file) defining the entry point of `functionName`.
  /// With `streaming` (an elementwise kernel whose rank-1 output the runtime
  /// passes 64-byte aligned), the output's alignment is asserted and the
  /// vector stores LLVM then proves aligned become non-temporal. With
  /// `elementwise` (each output element depends only on the inputs at its
  /// index, as in flat kernels), the loops are marked free of dependences
  /// between iterations, so an output aliasing an input still vectorizes
  /// (compiler/cpu/LoopHints.h).
  std::string emitObject(mlir::ModuleOp module, const std::string &functionName,
                         bool streaming = false, bool elementwise = false);

  /// The second half: links `object` (from emitObject, perhaps in another
  /// process) into the JIT and returns the entry of `functionName`. With
  /// KILN_PERF_MAP=1 its functions are added to /tmp/perf-<pid>.map under
  /// `label` (what the kernel computes), so that `perf report` names them.
  KernelEntryFn loadObject(const std::string &object,
                           const std::string &functionName,
                           const std::string &label = "");

  /// The name of the packed entry point emitObject adds for `functionName`.
  static std::string entryName(const std::string &functionName);

  /// "x86_64-unknown-linux-gnu skylake-avx512 +avx512f,...": what the code is
  /// specialized for; part of any persistent cache key.
  const std::string &targetDescription() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_CPU_JITCOMPILER_H
