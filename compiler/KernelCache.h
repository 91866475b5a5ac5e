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
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kiln {
namespace compiler {

struct KernelCacheStats {
  uint64_t hits = 0;         // Served from memory.
  uint64_t misses = 0;       // Not in memory: loaded from disk or compiled.
  uint64_t diskHits = 0;     // Misses loaded from the disk cache.
  uint64_t compilations = 0; // Misses compiled.
  size_t entries = 0;
};

class DiskCache;
class Graph;

/// Kernels by signature: in memory, then on disk (see DiskCache), then
/// compiled. Disk entries are keyed by a SHA-256 of the signature (which
/// determines the kernel's IR), the host CPU and its features, the LLVM
/// version and the identity of the kiln build (the binary's path, size and
/// modification time), so no stale or foreign code is ever loaded.
class KernelCache {
public:
  /// A cache backed by DiskCache::directoryFromEnvironment().
  KernelCache();
  /// A cache backed by `diskDirectory`; empty means memory only.
  explicit KernelCache(std::string diskDirectory);
  ~KernelCache();

  /// The process-wide cache.
  static KernelCache &global();

  /// The kernel for `signature`, compiled on first request. Thread-safe:
  /// compilations run one at a time, and requests for kernels already in
  /// memory never wait for them. Throws kiln::Error if it cannot be built or
  /// compiled.
  KernelEntryFn get(const KernelSignature &signature);

  /// The kernel for a whole graph: `source` is MLIR text with one func.func
  /// of kiln ops on ranked tensors (see buildGraphKernelModule); its entry
  /// takes the function's arguments, then one output per result. Cached like
  /// primitives, keyed by the text. Throws kiln::Error for invalid graphs.
  /// With `identityLayouts` the kernel assumes every memref has offset 0
  /// and unit strides (contiguous arrays, as invokeFlatKernel passes them),
  /// which vectorizes better than the strided form.
  KernelEntryFn getGraph(const std::string &source,
                         bool identityLayouts = false);
  /// The kernel of a graph built with GraphBuilder.h: getGraph of its
  /// source (defined with the builder, in //compiler:graph_builder).
  KernelEntryFn get(const Graph &graph);

  KernelCacheStats stats() const;

  /// The disk cache's directory, empty when there is none.
  std::string diskDirectory() const;

private:
  class Compiler;
  /// Builds the kiln module of a kernel, given its function name.
  using ModuleSource =
      std::function<std::string(Compiler &, const std::string &)>;
  enum class Source { Disk, Compiled };
  KernelEntryFn lookup(const std::string &key, const ModuleSource &emit);
  /// Under compileMutex_; says in `source` where the kernel came from.
  KernelEntryFn loadOrCompile(const std::string &key, const ModuleSource &emit,
                              Source &source);

  // Under compileMutex_, which serializes misses (one MLIR context):
  std::mutex compileMutex_;
  std::unique_ptr<Compiler> compiler_; // Created on first miss.
  std::unique_ptr<DiskCache> disk_;
  // Under mutex_, held only briefly, so hits never wait for a compilation:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, KernelEntryFn> kernels_;
  KernelCacheStats stats_;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_KERNELCACHE_H
