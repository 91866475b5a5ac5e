#include "runtime/Allocator.h"
#include "runtime/Error.h"
#include "runtime/Storage.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <sys/mman.h>

namespace kiln {
namespace {

TEST(PooledAllocator, SizeClassesArePowersOfTwoFrom64Bytes) {
  EXPECT_EQ(PooledAllocator::sizeClassBytes(0), 64u);
  EXPECT_EQ(PooledAllocator::sizeClassBytes(1), 64u);
  EXPECT_EQ(PooledAllocator::sizeClassBytes(64), 64u);
  EXPECT_EQ(PooledAllocator::sizeClassBytes(65), 128u);
  EXPECT_EQ(PooledAllocator::sizeClassBytes(1000), 1024u);
  EXPECT_EQ(PooledAllocator::sizeClassBytes(1 << 20), size_t{1} << 20);
}

TEST(PooledAllocator, BlocksAreAlignedAndWritable) {
  PooledAllocator allocator;
  for (size_t bytes :
       {size_t{0}, size_t{1}, size_t{63}, size_t{4096}, size_t{1} << 20}) {
    void *block = allocator.allocate(bytes);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % PooledAllocator::kAlignment,
              0u);
    std::memset(block, 0xab, bytes);
    allocator.release(block, bytes);
  }
}

TEST(HostMemory, LargeBlocksStartOnAHugePage) {
  HostMemory memory;
  for (size_t bytes :
       {HostMemory::kHugePageThreshold, HostMemory::kHugePageThreshold + 4096,
        size_t{64} << 20}) {
    void *block = memory.allocate(bytes, PooledAllocator::kAlignment);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % HostMemory::kHugePageBytes,
              0u)
        << bytes;
    std::memset(block, 0xab, bytes);
    memory.free(block, bytes);
  }
  // Small blocks are aligned as asked.
  void *small = memory.allocate(4096, 64);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 64, 0u);
  memory.free(small, 4096);
}

TEST(HostMemory, MappedBlocksLeaveTheProcessWhenFreed) {
  // From kMapThreshold up, a freed block is unmapped: glibc's heaps kept
  // such blocks resident after the first frees (its mmap threshold rises).
  HostMemory memory;
  for (size_t bytes : {HostMemory::kMapThreshold, size_t{1} << 20,
                       HostMemory::kHugePageThreshold}) {
    auto *block = static_cast<unsigned char *>(
        memory.allocate(bytes, PooledAllocator::kAlignment));
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 4096, 0u) << bytes;
    std::memset(block, 0xcd, bytes);
    unsigned char resident[1];
    EXPECT_EQ(mincore(block, 4096, resident), 0) << bytes;
    memory.free(block, bytes);
    errno = 0;
    EXPECT_EQ(mincore(block, 4096, resident), -1) << bytes;
    EXPECT_EQ(errno, ENOMEM) << bytes; // no longer mapped
  }
}

TEST(PooledAllocator, ReleasedBlockIsReusedForTheSameSizeClass) {
  PooledAllocator allocator;
  void *first = allocator.allocate(1000);
  allocator.release(first, 1000);
  void *second = allocator.allocate(900); // Same 1 KiB class.
  EXPECT_EQ(first, second);
  AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.allocations, 2u);
  EXPECT_EQ(stats.poolHits, 1u);
  allocator.release(second, 900);
}

TEST(PooledAllocator, StatisticsTrackUseAndPeak) {
  PooledAllocator allocator;
  void *a = allocator.allocate(100);  // 128
  void *b = allocator.allocate(1000); // 1024
  EXPECT_EQ(allocator.stats().bytesInUse, 1152u);
  allocator.release(a, 100);
  EXPECT_EQ(allocator.stats().bytesInUse, 1024u);
  EXPECT_EQ(allocator.stats().bytesPooled, 128u);
  EXPECT_EQ(allocator.stats().peakBytesInUse, 1152u);
  allocator.release(b, 1000);
  allocator.trim();
  EXPECT_EQ(allocator.stats().bytesPooled, 0u);
  EXPECT_EQ(allocator.stats().bytesInUse, 0u);
}

TEST(PooledAllocator, WithoutPoolingNothingIsKept) {
  PooledAllocator allocator(/*pooling=*/false);
  void *block = allocator.allocate(256);
  allocator.release(block, 256);
  EXPECT_EQ(allocator.stats().bytesPooled, 0u);
  void *again = allocator.allocate(256);
  EXPECT_EQ(allocator.stats().poolHits, 0u);
  allocator.release(again, 256);
}

TEST(PooledAllocator, ImpossibleRequestIsAnErrorNotACrash) {
  PooledAllocator allocator;
  try {
    allocator.allocate(size_t{1} << 63);
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("out of memory"),
              std::string::npos)
        << error.what();
  }
}

TEST(PooledAllocator, EveryCpuSharesTheHostPool) {
  EXPECT_EQ(&PooledAllocator::forDevice(Device::cpu(0)),
            &PooledAllocator::host());
  EXPECT_EQ(&PooledAllocator::forDevice(Device::cpu(3)),
            &PooledAllocator::host());
}

TEST(PooledAllocator, DeviceWithoutABackendIsAnError) {
  try {
    PooledAllocator::forDevice(Device::cpuPinned(0));
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("cpu_pinned(0)"),
              std::string::npos)
        << error.what();
  }
}

/// Stands in for a device's memory: counts what the pool asks of it.
class CountingMemory : public DeviceMemory {
public:
  explicit CountingMemory(int *liveBlocks) : liveBlocks_(liveBlocks) {}
  void *allocate(size_t bytes, size_t alignment) override {
    ++*liveBlocks_;
    return std::aligned_alloc(alignment, bytes);
  }
  void free(void *block, size_t) override {
    --*liveBlocks_;
    std::free(block);
  }

private:
  int *liveBlocks_;
};

TEST(PooledAllocator, RegisteredBackendServesItsDevices) {
  // The registry outlives the test: what the factory touches must too.
  static int liveBlocks = 0;
  static std::vector<int> created;
  PooledAllocator::registerBackend(DeviceType::GPU, [](int id) {
    created.push_back(id);
    return std::make_unique<CountingMemory>(&liveBlocks);
  });
  PooledAllocator &gpu1 = PooledAllocator::forDevice(Device::gpu(1));
  EXPECT_EQ(&PooledAllocator::forDevice(Device::gpu(1)), &gpu1);
  EXPECT_EQ(gpu1.device(), Device::gpu(1));
  EXPECT_EQ(created, std::vector<int>{1});

  auto storage = Storage::allocate(1000, Device::gpu(1));
  EXPECT_EQ(storage->device(), Device::gpu(1));
  EXPECT_EQ(liveBlocks, 1);
  EXPECT_EQ(gpu1.stats().bytesInUse, 1024u);
  storage.reset();
  EXPECT_EQ(gpu1.stats().bytesPooled, 1024u);
  gpu1.trim();
  EXPECT_EQ(liveBlocks, 0);
  EXPECT_THROW(PooledAllocator::registerBackend(DeviceType::CPU, nullptr),
               Error);
}

TEST(PooledAllocator, PastItsLimitThePoolGivesBackTheOldestSizeClass) {
  int liveBlocks = 0;
  PooledAllocator allocator(Device::cpu(),
                            std::make_unique<CountingMemory>(&liveBlocks),
                            /*pooling=*/true);
  allocator.setPoolLimit(3072);
  void *large = allocator.allocate(2048);
  void *small = allocator.allocate(1024);
  allocator.release(large, 2048);
  allocator.release(small, 1024); // 3072 pooled: at the limit, kept
  EXPECT_EQ(allocator.stats().bytesPooled, 3072u);
  // The 1024-byte class is used again, so the 2048 one is now the oldest.
  small = allocator.allocate(1000);
  allocator.release(small, 1000);
  void *tiny = allocator.allocate(512);
  allocator.release(tiny, 512); // 3584 pooled: the 2048 block goes
  AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.bytesPooled, 1536u);
  EXPECT_EQ(stats.poolEvictions, 1u);
  EXPECT_EQ(stats.poolLimitBytes, 3072u);
  EXPECT_EQ(liveBlocks, 2);
  // What stayed still serves its class.
  small = allocator.allocate(1024);
  EXPECT_EQ(allocator.stats().poolHits, 2u);
  EXPECT_EQ(liveBlocks, 2);
  allocator.release(small, 1024);
  // A block larger than the limit is not kept at all.
  void *huge = allocator.allocate(8192);
  allocator.release(huge, 8192);
  EXPECT_EQ(allocator.stats().bytesPooled, 1536u);
  EXPECT_EQ(liveBlocks, 2);
  // Lowering the limit gives back at once.
  allocator.setPoolLimit(0);
  EXPECT_EQ(allocator.stats().bytesPooled, 0u);
  EXPECT_EQ(liveBlocks, 0);
}

TEST(PooledAllocator, AutomaticLimitFollowsThePeakInUse) {
  int liveBlocks = 0;
  PooledAllocator allocator(Device::cpu(),
                            std::make_unique<CountingMemory>(&liveBlocks),
                            /*pooling=*/true);
  EXPECT_EQ(allocator.stats().poolLimitBytes,
            PooledAllocator::kMinAutomaticPoolLimit);
  // Twice the floor in use at once (never touched: no pages are made).
  const size_t half = PooledAllocator::kMinAutomaticPoolLimit;
  void *first = allocator.allocate(half);
  void *second = allocator.allocate(half);
  allocator.release(first, half);
  allocator.release(second, half);
  AllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.poolLimitBytes, 2 * half);
  EXPECT_EQ(stats.bytesPooled, 2 * half); // a step like it reuses both
  EXPECT_EQ(stats.poolEvictions, 0u);
  allocator.trim();
  EXPECT_EQ(liveBlocks, 0);
}

TEST(PooledAllocator, SystemOutOfMemoryIsAnError) {
  // Large enough that no machine has it, small enough to reach the system.
  PooledAllocator allocator;
  try {
    allocator.allocate(size_t{1} << 58);
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("out of memory on cpu(0)"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(allocator.stats().bytesInUse, 0u);
}

} // namespace
} // namespace kiln
