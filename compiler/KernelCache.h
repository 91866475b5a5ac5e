//===- KernelCache.h - compiled kernels by signature ------------*- C++ -*-===//
//
// The compiler's face to the frontends: ask for a kernel by signature, get a
// callable entry point, compiling it on first use. This header carries no
// LLVM or MLIR, so frontends that include it compile quickly.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_KERNELCACHE_H
#define KILN_COMPILER_KERNELCACHE_H

#include "compiler/KernelSignature.h"
#include "runtime/KernelAbi.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kiln {
namespace compiler {

struct KernelCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0; // Each one a compilation.
  size_t entries = 0;
};

class KernelCache {
public:
  KernelCache();
  ~KernelCache();

  /// The process-wide cache.
  static KernelCache &global();

  /// The kernel for `signature`, compiled on first request. Thread-safe.
  /// Throws kiln::Error if it cannot be built or compiled.
  KernelEntryFn get(const KernelSignature &signature);

  KernelCacheStats stats() const;

private:
  class Compiler;
  std::unique_ptr<Compiler> compiler_; // Created on first miss.
  mutable std::mutex mutex_;
  std::unordered_map<std::string, KernelEntryFn> kernels_;
  KernelCacheStats stats_;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_KERNELCACHE_H
