//===- Allocator.cpp - pooled host memory ---------------------------------===//
#include "runtime/Allocator.h"

#include "runtime/Error.h"

#include <cstdlib>
#include <cstring>

namespace kiln {
namespace {

// Size classes are powers of two from 64 bytes up: at most 2x waste, and few
// enough classes that a released block is likely to be reused.
constexpr int kMinClassLog2 = 6;
constexpr int kNumClasses = 64 - kMinClassLog2;

bool poolingFromEnvironment() {
  const char *value = std::getenv("KILN_MEMORY_POOL");
  return !(value && std::strcmp(value, "0") == 0);
}

} // namespace

PooledAllocator::PooledAllocator(bool pooling)
    : pooling_(pooling), freeLists_(kNumClasses) {}

PooledAllocator::~PooledAllocator() { trim(); }

PooledAllocator &PooledAllocator::host() {
  // Leaked on purpose: blocks may be released by objects destroyed during
  // static destruction, after a function-local static would be gone.
  static PooledAllocator *allocator =
      new PooledAllocator(poolingFromEnvironment());
  return *allocator;
}

int PooledAllocator::sizeClassIndex(size_t bytes) {
  int log2 = kMinClassLog2;
  while ((size_t{1} << log2) < bytes)
    ++log2;
  return log2 - kMinClassLog2;
}

size_t PooledAllocator::sizeClassBytes(size_t bytes) {
  return size_t{1} << (sizeClassIndex(bytes) + kMinClassLog2);
}

void *PooledAllocator::allocate(size_t bytes) {
  if (bytes > (size_t{1} << 62))
    throw Error(formatMessage("out of memory: cannot allocate ", bytes,
                              " bytes"));
  const int index = sizeClassIndex(bytes);
  const size_t classBytes = size_t{1} << (index + kMinClassLog2);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.allocations;
    auto &freeList = freeLists_[index];
    if (!freeList.empty()) {
      void *block = freeList.back();
      freeList.pop_back();
      ++stats_.poolHits;
      stats_.bytesPooled -= classBytes;
      stats_.bytesInUse += classBytes;
      if (stats_.bytesInUse > stats_.peakBytesInUse)
        stats_.peakBytesInUse = stats_.bytesInUse;
      return block;
    }
  }
  void *block = std::aligned_alloc(kAlignment, classBytes);
  if (!block) {
    // Pooled blocks of other sizes may be what stands in the way.
    trim();
    block = std::aligned_alloc(kAlignment, classBytes);
  }
  if (!block)
    throw Error(formatMessage("out of memory: cannot allocate ", bytes,
                              " bytes (size class ", classBytes, ")"));
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.bytesInUse += classBytes;
  if (stats_.bytesInUse > stats_.peakBytesInUse)
    stats_.peakBytesInUse = stats_.bytesInUse;
  return block;
}

void PooledAllocator::release(void *block, size_t bytes) {
  if (!block)
    return;
  const int index = sizeClassIndex(bytes);
  const size_t classBytes = size_t{1} << (index + kMinClassLog2);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bytesInUse -= classBytes;
    if (pooling_) {
      freeLists_[index].push_back(block);
      stats_.bytesPooled += classBytes;
      return;
    }
  }
  std::free(block);
}

void PooledAllocator::trim() {
  std::vector<void *> blocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &freeList : freeLists_) {
      blocks.insert(blocks.end(), freeList.begin(), freeList.end());
      freeList.clear();
    }
    stats_.bytesPooled = 0;
  }
  for (void *block : blocks)
    std::free(block);
}

AllocatorStats PooledAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

} // namespace kiln
