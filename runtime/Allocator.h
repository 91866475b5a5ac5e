//===- Allocator.h - pooled host memory -------------------------*- C++ -*-===//
//
// Deep-learning programs allocate and free the same sizes over and over (one
// step looks like the last), so freed blocks are kept in per-size-class free
// lists and handed out again instead of going back to malloc.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ALLOCATOR_H
#define KILN_RUNTIME_ALLOCATOR_H

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace kiln {

struct AllocatorStats {
  size_t bytesInUse = 0;   // Handed out and not yet released (size-class bytes).
  size_t peakBytesInUse = 0;
  size_t bytesPooled = 0;  // Released and waiting in free lists.
  uint64_t allocations = 0;
  uint64_t poolHits = 0;   // Allocations served from a free list.
};

class PooledAllocator {
public:
  /// Every block is aligned to this many bytes (a cache line, and enough for
  /// AVX-512 loads).
  static constexpr size_t kAlignment = 64;

  /// `pooling` false sends every release straight back to the system.
  explicit PooledAllocator(bool pooling = true);
  ~PooledAllocator();
  PooledAllocator(const PooledAllocator &) = delete;
  PooledAllocator &operator=(const PooledAllocator &) = delete;

  /// The process-wide host allocator; pooling is off when KILN_MEMORY_POOL=0.
  static PooledAllocator &host();

  /// Returns a block of at least `bytes` bytes, or throws kiln::Error when the
  /// system has no memory left.
  void *allocate(size_t bytes);
  /// Returns a block obtained from allocate(bytes) with the same `bytes`.
  void release(void *block, size_t bytes);

  /// Frees every pooled block back to the system.
  void trim();

  AllocatorStats stats() const;
  bool pooling() const { return pooling_; }

  /// The size class a request of `bytes` is served from.
  static size_t sizeClassBytes(size_t bytes);

private:
  static int sizeClassIndex(size_t bytes);

  const bool pooling_;
  mutable std::mutex mutex_;
  std::vector<std::vector<void *>> freeLists_;
  AllocatorStats stats_;
};

} // namespace kiln

#endif // KILN_RUNTIME_ALLOCATOR_H
