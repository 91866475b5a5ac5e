//===- Allocator.cpp - pooled host memory ---------------------------------===//
#include "runtime/Allocator.h"

#include "runtime/Error.h"
#include "runtime/Profiler.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <string>

#include <sys/mman.h>

namespace kiln {
namespace {

// Size classes are powers of two from 64 bytes up: at most 2x waste, and few
// enough classes that a released block is likely to be reused.
constexpr int kMinClassLog2 = 6;
constexpr int kNumClasses = 64 - kMinClassLog2;

/// KILN_MEMORY_POOL: off for 0/false/off/no, on for 1/true/on/yes or
/// unset (any case); anything else is an error rather than silently on.
bool poolingFromEnvironment() {
  const char *value = std::getenv("KILN_MEMORY_POOL");
  if (!value || !*value)
    return true;
  std::string word(value);
  for (char &c : word)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (word == "0" || word == "false" || word == "off" || word == "no")
    return false;
  if (word == "1" || word == "true" || word == "on" || word == "yes")
    return true;
  throw Error(formatMessage("KILN_MEMORY_POOL: expected 0/false/off/no or "
                            "1/true/on/yes, got '",
                            value, "'"));
}

/// KILN_MEMORY_POOL_LIMIT_MB in bytes, else the automatic limit.
size_t poolLimitFromEnvironment() {
  const char *value = std::getenv("KILN_MEMORY_POOL_LIMIT_MB");
  if (!value || !*value)
    return PooledAllocator::kAutomaticPoolLimit;
  char *end = nullptr;
  errno = 0;
  const unsigned long long mebibytes = std::strtoull(value, &end, 10);
  // strtoull takes leading spaces and a sign (" -1" wraps): digits only.
  if (!std::isdigit(static_cast<unsigned char>(value[0])) || *end != '\0' ||
      errno == ERANGE || mebibytes > (size_t{1} << 43))
    throw Error(formatMessage("KILN_MEMORY_POOL_LIMIT_MB: expected a whole "
                              "number of MiB, got '",
                              value, "'"));
  return static_cast<size_t>(mebibytes) << 20;
}

using MemoryFactory = std::function<std::unique_ptr<DeviceMemory>(int)>;

/// Device backends and the allocators made from them. Leaked, like the host
/// allocator, so that late releases still find their pool.
struct DeviceAllocators {
  std::mutex mutex;
  std::map<DeviceType, MemoryFactory> backends;
  std::map<std::pair<DeviceType, int>, PooledAllocator *> allocators;

  static DeviceAllocators &get() {
    static DeviceAllocators *registry = new DeviceAllocators();
    return *registry;
  }
};

/// `bytes` rounded up to whole pages of `page` bytes.
size_t roundUp(size_t bytes, size_t page) {
  return (bytes + page - 1) / page * page;
}

/// The page size of mapped blocks of `bytes`: huge pages' for large ones.
size_t mappedAlignment(size_t bytes) {
  return bytes >= HostMemory::kHugePageThreshold ? HostMemory::kHugePageBytes
                                                 : size_t{4096};
}

} // namespace

void *HostMemory::allocate(size_t bytes, size_t alignment) {
  if (bytes < kMapThreshold || alignment > kHugePageBytes)
    return std::aligned_alloc(alignment, roundUp(bytes, alignment));
  // Mapped: page-aligned already; a huge-page block maps one huge page more
  // and unmaps what lies outside its 2 MB-aligned span.
  const size_t page = mappedAlignment(bytes);
  const size_t length = roundUp(bytes, page);
  const size_t mapped = page > 4096 ? length + page : length;
  void *start = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (start == MAP_FAILED)
    return nullptr;
  auto *first = static_cast<char *>(start);
  char *block = first;
  if (mapped != length) {
    block = reinterpret_cast<char *>(
        roundUp(reinterpret_cast<uintptr_t>(first), page));
    if (block != first)
      munmap(first, block - first);
    if (char *end = block + length; end != first + mapped)
      munmap(end, first + mapped - end);
    // Large blocks go on transparent huge pages, as numpy's do: streaming
    // kernels over them take a TLB miss per 2 MB instead of per 4 KB (each
    // one a two-level walk under a hypervisor). Advice only: may be refused.
    madvise(block, length, MADV_HUGEPAGE);
  }
  return block;
}

void HostMemory::free(void *block, size_t bytes) {
  if (bytes < kMapThreshold)
    std::free(block);
  else
    munmap(block, roundUp(bytes, mappedAlignment(bytes)));
}

PooledAllocator::PooledAllocator(bool pooling)
    : PooledAllocator(Device::cpu(), std::make_unique<HostMemory>(), pooling) {}

PooledAllocator::PooledAllocator(Device device,
                                 std::unique_ptr<DeviceMemory> memory,
                                 bool pooling)
    : device_(device), memory_(std::move(memory)), pooling_(pooling),
      freeLists_(kNumClasses), classLastUse_(kNumClasses, 0) {}

PooledAllocator::~PooledAllocator() { trim(); }

PooledAllocator &PooledAllocator::host() {
  // Leaked on purpose: blocks may be released by objects destroyed during
  // static destruction, after a function-local static would be gone.
  static PooledAllocator *allocator = [] {
    auto *made = new PooledAllocator(poolingFromEnvironment());
    made->setPoolLimit(poolLimitFromEnvironment());
    return made;
  }();
  return *allocator;
}

PooledAllocator &PooledAllocator::forDevice(Device device) {
  if (device.type == DeviceType::CPU)
    return host();
  DeviceAllocators &registry = DeviceAllocators::get();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto key = std::make_pair(device.type, device.id);
  auto found = registry.allocators.find(key);
  if (found != registry.allocators.end())
    return *found->second;
  auto backend = registry.backends.find(device.type);
  if (backend == registry.backends.end())
    throw Error(formatMessage("cannot allocate on ", device.toString(),
                              ": this build of kiln has no backend for it "
                              "(built without CUDA?)"));
  auto *allocator = new PooledAllocator(device, backend->second(device.id),
                                        poolingFromEnvironment());
  allocator->setPoolLimit(poolLimitFromEnvironment());
  registry.allocators.emplace(key, allocator);
  return *allocator;
}

void PooledAllocator::registerBackend(DeviceType type,
                                      MemoryFactory makeMemory) {
  if (type == DeviceType::CPU)
    throw Error("registerBackend: cpu memory is built in");
  DeviceAllocators &registry = DeviceAllocators::get();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.backends[type] = std::move(makeMemory);
}

void PooledAllocator::reportUsage(size_t bytesInUse) const {
  Profiler &profiler = Profiler::global();
  if (profiler.recordingMemory())
    profiler.recordCounter("Memory: " + device_.toString(), device_,
                           static_cast<int64_t>(bytesInUse));
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
    throw Error(formatMessage("out of memory on ", device_.toString(),
                              ": cannot allocate ", bytes, " bytes"));
  const int index = sizeClassIndex(bytes);
  const size_t classBytes = size_t{1} << (index + kMinClassLog2);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.allocations;
    classLastUse_[index] = ++useClock_;
    auto &freeList = freeLists_[index];
    if (!freeList.empty()) {
      void *block = freeList.back();
      freeList.pop_back();
      ++stats_.poolHits;
      stats_.bytesPooled -= classBytes;
      stats_.bytesInUse += classBytes;
      if (stats_.bytesInUse > stats_.peakBytesInUse)
        stats_.peakBytesInUse = stats_.bytesInUse;
      reportUsage(stats_.bytesInUse);
      return block;
    }
  }
  void *block = memory_->allocate(classBytes, kAlignment);
  if (!block) {
    // Pooled blocks of other sizes may be what stands in the way.
    trim();
    block = memory_->allocate(classBytes, kAlignment);
  }
  if (!block)
    throw Error(formatMessage("out of memory on ", device_.toString(),
                              ": cannot allocate ", bytes,
                              " bytes (size class ", classBytes, ")"));
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.bytesInUse += classBytes;
  if (stats_.bytesInUse > stats_.peakBytesInUse)
    stats_.peakBytesInUse = stats_.bytesInUse;
  reportUsage(stats_.bytesInUse);
  return block;
}

void PooledAllocator::release(void *block, size_t bytes) {
  if (!block)
    return;
  const int index = sizeClassIndex(bytes);
  const size_t classBytes = size_t{1} << (index + kMinClassLog2);
  std::vector<std::pair<void *, size_t>> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bytesInUse -= classBytes;
    reportUsage(stats_.bytesInUse);
    if (pooling_ && classBytes > poolLimitLocked()) {
      // Larger than the whole pool may be: kept, it would only push out
      // every other class first.
      evicted.emplace_back(block, classBytes);
      ++stats_.poolEvictions;
    } else if (pooling_) {
      classLastUse_[index] = ++useClock_;
      freeLists_[index].push_back(block);
      stats_.bytesPooled += classBytes;
      evictOverLimit(evicted);
    } else {
      evicted.emplace_back(block, classBytes);
    }
  }
  giveBack(evicted);
}

size_t PooledAllocator::poolLimitLocked() const {
  if (poolLimit_ != kAutomaticPoolLimit)
    return poolLimit_;
  return std::max(kMinAutomaticPoolLimit, stats_.peakBytesInUse);
}

void PooledAllocator::evictOverLimit(
    std::vector<std::pair<void *, size_t>> &evicted) {
  const size_t limit = poolLimitLocked();
  while (stats_.bytesPooled > limit) {
    int oldest = -1;
    for (int index = 0; index < kNumClasses; ++index)
      if (!freeLists_[index].empty() &&
          (oldest < 0 || classLastUse_[index] < classLastUse_[oldest]))
        oldest = index;
    const size_t classBytes = size_t{1} << (oldest + kMinClassLog2);
    evicted.emplace_back(freeLists_[oldest].back(), classBytes);
    freeLists_[oldest].pop_back();
    stats_.bytesPooled -= classBytes;
    ++stats_.poolEvictions;
  }
}

void PooledAllocator::setPoolLimit(size_t bytes) {
  std::vector<std::pair<void *, size_t>> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    poolLimit_ = bytes;
    evictOverLimit(evicted);
  }
  giveBack(evicted);
}

void PooledAllocator::giveBack(
    const std::vector<std::pair<void *, size_t>> &blocks) {
  for (const auto &[block, classBytes] : blocks)
    memory_->free(block, classBytes);
}

void PooledAllocator::trim() {
  std::vector<std::pair<void *, size_t>> blocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t index = 0; index < freeLists_.size(); ++index) {
      for (void *block : freeLists_[index])
        blocks.emplace_back(block, size_t{1} << (index + kMinClassLog2));
      freeLists_[index].clear();
    }
    stats_.bytesPooled = 0;
  }
  giveBack(blocks);
}

AllocatorStats PooledAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  AllocatorStats stats = stats_;
  stats.poolLimitBytes = poolLimitLocked();
  return stats;
}

} // namespace kiln
