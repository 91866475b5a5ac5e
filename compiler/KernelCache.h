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
#include <vector>

namespace kiln {
namespace compiler {

struct KernelCacheStats {
  uint64_t hits = 0;         // Served from memory.
  uint64_t misses = 0;       // Not in memory: loaded from disk or compiled.
  uint64_t diskHits = 0;     // Misses loaded from the disk cache.
  uint64_t compilations = 0; // Misses compiled.
  /// Of the compilations, those sent to the background (AsyncScope).
  uint64_t backgroundCompilations = 0;
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

  /// While one is alive on a thread (an executable's capture, which runs
  /// nothing until it ends), that thread's requests for kernels that are
  /// neither in memory nor on disk return at once: each gets an entry point
  /// that waits for its kernel the first time it runs, while the kernel
  /// compiles on a background thread (one per core, each with its own MLIR
  /// context and JIT). A graph's kernels then compile side by side instead
  /// of one after another. A kernel that fails to compile throws its error
  /// where it runs, and later requests compile it again in the caller.
  class AsyncScope {
  public:
    AsyncScope();
    ~AsyncScope();
    AsyncScope(const AsyncScope &) = delete;
    AsyncScope &operator=(const AsyncScope &) = delete;

    /// Waits for the kernels this scope sent to the background; throws the
    /// first one's compile error (kiln::Error), as a compile in the caller
    /// would have thrown it during the scope.
    void wait() const;

  private:
    friend class KernelCache;
    AsyncScope *previous_;
    std::vector<size_t> slots_; // The waiting entries handed out.
  };

  /// The disk cache's directory, empty when there is none.
  std::string diskDirectory() const;

private:
  class Compiler;
  class Background;
  /// Builds the kiln module of a kernel, given its function name.
  using ModuleSource =
      std::function<std::string(Compiler &, const std::string &)>;
  /// A ModuleSource that owns what it reads (for a background compile),
  /// made only when one is needed.
  using DetachedSource = std::function<ModuleSource()>;
  enum class Source { Disk, Compiled, Background };
  KernelEntryFn lookup(const std::string &key, const ModuleSource &emit,
                       const DetachedSource &detach);
  /// Under compileMutex_; says in `source` where the kernel came from.
  KernelEntryFn loadOrCompile(const std::string &key, const ModuleSource &emit,
                              const DetachedSource &detach, Source &source);
  /// A background compile's end: `kernel` (null on failure) replaces the
  /// waiting entry `pending` that memory holds for `key`.
  void backgroundDone(const std::string &key, KernelEntryFn pending,
                      KernelEntryFn kernel);

  // Under compileMutex_, which serializes misses (one MLIR context):
  std::mutex compileMutex_;
  std::unique_ptr<Compiler> compiler_; // Created on first miss.
  std::unique_ptr<DiskCache> disk_;
  std::unique_ptr<Background> background_; // Started on first use.
  std::once_flag backgroundStarted_;
  // Under mutex_, held only briefly, so hits never wait for a compilation:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, KernelEntryFn> kernels_;
  KernelCacheStats stats_;
};

} // namespace compiler
} // namespace kiln

#endif // KILN_COMPILER_KERNELCACHE_H
