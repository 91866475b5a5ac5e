//===- KernelCache.cpp - compiled kernels by signature --------------------===//
#include "compiler/KernelCache.h"

#include "compiler/KernelBuilder.h"
#include "compiler/Passes.h"
#include "compiler/Registration.h"
#include "compiler/cpu/JitCompiler.h"
#include "runtime/Error.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

namespace kiln {
namespace compiler {

/// Owns the MLIR context, the lowering pipeline and the JIT. Used under the
/// cache's mutex only.
class KernelCache::Compiler {
public:
  Compiler()
      : context_(makeRegistry(), mlir::MLIRContext::Threading::DISABLED) {
    context_.loadAllAvailableDialects();
  }

  KernelEntryFn compile(const KernelSignature &signature) {
    const std::string name = "kiln_kernel_" + std::to_string(counter_++);
    mlir::OwningOpRef<mlir::ModuleOp> module =
        buildKernelModule(context_, signature, name);

    // Pipeline failures are compiler bugs, but still errors, not aborts:
    // collect the diagnostics into the message.
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context_, [&](mlir::Diagnostic &d) {
      diagnostics += "\n  " + d.str();
      return mlir::success();
    });
    mlir::PassManager pipeline(&context_);
    mlir::kiln::buildLowerToLLVMPipeline(pipeline);
    if (mlir::failed(pipeline.run(*module)))
      throw Error("compiler: lowering " + signature.key() +
                  " failed:" + diagnostics);
    return jit_.compile(*module, name);
  }

private:
  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    mlir::kiln::registerCompilerDialects(registry);
    return registry;
  }

  mlir::MLIRContext context_;
  JitCompiler jit_;
  uint64_t counter_ = 0;
};

KernelCache::KernelCache() = default;
KernelCache::~KernelCache() = default;

KernelCache &KernelCache::global() {
  // Leaked on purpose: compiled code must outlive every kernel still queued
  // in the engine at exit.
  static KernelCache *cache = new KernelCache();
  return *cache;
}

KernelEntryFn KernelCache::get(const KernelSignature &signature) {
  const std::string key = signature.key();
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = kernels_.find(key);
  if (found != kernels_.end()) {
    ++stats_.hits;
    return found->second;
  }
  ++stats_.misses;
  if (!compiler_)
    compiler_ = std::make_unique<Compiler>();
  KernelEntryFn kernel = compiler_->compile(signature);
  kernels_.emplace(key, kernel);
  stats_.entries = kernels_.size();
  return kernel;
}

KernelCacheStats KernelCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

} // namespace compiler
} // namespace kiln
