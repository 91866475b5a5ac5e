//===- Allocator.h - pooled host memory -------------------------*- C++ -*-===//
//
// Deep-learning programs allocate and free the same sizes over and over (one
// step looks like the last), so freed blocks are kept in per-size-class free
// lists and handed out again instead of going back to malloc.
//
// The pool is bounded: a program whose sizes keep changing (variable-length
// sequences, a hybridized block's executors for many shapes) used to keep
// every block it ever freed (1 GiB pooled beside 0.6 GiB in use after 120
// sequence lengths of a Dense layer). Past the limit, the blocks of the size
// classes used least recently go back to the system. The limit follows the
// peak bytes in use (at least kMinAutomaticPoolLimit): a program in a steady
// loop frees at most what it once held at the same time, so its steps are
// still served from the pool, and memory held stays within twice the peak.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ALLOCATOR_H
#define KILN_RUNTIME_ALLOCATOR_H

#include "runtime/Device.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace kiln {

/// Where a pooled allocator gets its blocks: host memory here; a CUDA backend
/// registers device and pinned memory with PooledAllocator::registerBackend.
class DeviceMemory {
public:
  virtual ~DeviceMemory() = default;
  /// Returns `bytes` bytes aligned to `alignment`, or null when out of memory.
  virtual void *allocate(size_t bytes, size_t alignment) = 0;
  virtual void free(void *block, size_t bytes) = 0;
};

/// Host memory. Blocks of kMapThreshold bytes and more are mapped from the
/// system (mmap) and unmapped when freed, so what the pool gives back (or
/// every block, with pooling off) leaves the process: from malloc, glibc
/// raises its mmap threshold after the first large frees and keeps later
/// blocks in its heaps (1 GB of 1 MB arrays freed with KILN_MEMORY_POOL=0
/// stayed resident). Blocks of kHugePageThreshold bytes and more are
/// aligned to kHugePageBytes and advised onto transparent huge pages, as
/// numpy does for its large arrays: a kernel streaming through them misses
/// the TLB once per 2 MB instead of per 4 KB. Smaller blocks are malloc's.
class HostMemory : public DeviceMemory {
public:
  static constexpr size_t kHugePageBytes = size_t{2} << 20;
  static constexpr size_t kHugePageThreshold = size_t{4} << 20;
  static constexpr size_t kMapThreshold = size_t{256} << 10;

  void *allocate(size_t bytes, size_t alignment) override;
  void free(void *block, size_t bytes) override;
};

struct AllocatorStats {
  size_t bytesInUse = 0; // Handed out and not yet released (size-class bytes).
  size_t peakBytesInUse = 0;
  size_t bytesPooled = 0; // Released and waiting in free lists.
  uint64_t allocations = 0;
  uint64_t poolHits = 0; // Allocations served from a free list.
  // Pooled blocks given back to the system to stay within the limit.
  uint64_t poolEvictions = 0;
  size_t poolLimitBytes = 0; // The limit on bytesPooled now.
};

class PooledAllocator {
public:
  /// Every block is aligned to this many bytes (a cache line, and enough for
  /// AVX-512 loads).
  static constexpr size_t kAlignment = 64;
  /// The least the automatic limit on pooled bytes is.
  static constexpr size_t kMinAutomaticPoolLimit = size_t{256} << 20;
  /// setPoolLimit's "follow the peak bytes in use".
  static constexpr size_t kAutomaticPoolLimit = ~size_t{0};

  /// `pooling` false sends every release straight back to the system.
  explicit PooledAllocator(bool pooling = true);
  /// A pool over `memory`'s blocks on `device`.
  PooledAllocator(Device device, std::unique_ptr<DeviceMemory> memory,
                  bool pooling);
  ~PooledAllocator();
  PooledAllocator(const PooledAllocator &) = delete;
  PooledAllocator &operator=(const PooledAllocator &) = delete;

  /// The process-wide host allocator; pooling is off when KILN_MEMORY_POOL=0,
  /// and KILN_MEMORY_POOL_LIMIT_MB=n keeps at most n MiB pooled (throws
  /// kiln::Error naming the variable when n is not a number).
  static PooledAllocator &host();

  /// The process-wide allocator of `device`: every CPU id shares host(); other
  /// device types need a registered backend, else this throws kiln::Error.
  static PooledAllocator &forDevice(Device device);

  /// Makes forDevice() serve devices of `type`, creating each device's memory
  /// with `makeMemory(id)` on first use. For device backends (CUDA).
  static void
  registerBackend(DeviceType type,
                  std::function<std::unique_ptr<DeviceMemory>(int)> makeMemory);

  /// Returns a block of at least `bytes` bytes, or throws kiln::Error when the
  /// system has no memory left.
  void *allocate(size_t bytes);
  /// Returns a block obtained from allocate(bytes) with the same `bytes`.
  void release(void *block, size_t bytes);

  /// Frees every pooled block back to the system.
  void trim();

  /// Keeps at most `bytes` pooled from now on (kAutomaticPoolLimit: the
  /// larger of kMinAutomaticPoolLimit and the peak bytes in use, the
  /// default), giving back the least recently used size classes' blocks.
  void setPoolLimit(size_t bytes);

  AllocatorStats stats() const;
  bool pooling() const { return pooling_; }
  Device device() const { return device_; }

  /// The size class a request of `bytes` is served from.
  static size_t sizeClassBytes(size_t bytes);

private:
  static int sizeClassIndex(size_t bytes);
  /// Reports bytes in use to the profiler when it records memory.
  void reportUsage(size_t bytesInUse) const;
  /// The limit on pooled bytes now. Under mutex_.
  size_t poolLimitLocked() const;
  /// Moves pooled blocks of the least recently used size classes into
  /// `evicted` (block, bytes) until the pool is within its limit, for the
  /// caller to free outside the lock. Under mutex_.
  void evictOverLimit(std::vector<std::pair<void *, size_t>> &evicted);
  /// Frees (block, bytes) pairs to the system. Outside mutex_.
  void giveBack(const std::vector<std::pair<void *, size_t>> &blocks);

  const Device device_;
  const std::unique_ptr<DeviceMemory> memory_;
  const bool pooling_;
  mutable std::mutex mutex_;
  std::vector<std::vector<void *>> freeLists_;
  // When each size class was last allocated or released (useClock_ ticks).
  std::vector<uint64_t> classLastUse_;
  uint64_t useClock_ = 0;
  size_t poolLimit_ = kAutomaticPoolLimit;
  AllocatorStats stats_;
};

} // namespace kiln

#endif // KILN_RUNTIME_ALLOCATOR_H
