#include "runtime/Allocator.h"
#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

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
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{63}, size_t{4096},
                       size_t{1} << 20}) {
    void *block = allocator.allocate(bytes);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % PooledAllocator::kAlignment,
              0u);
    std::memset(block, 0xab, bytes);
    allocator.release(block, bytes);
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

} // namespace
} // namespace kiln
