#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace kiln {
namespace compiler {
namespace {

template <typename T> T *elements(const Tensor &tensor) {
  return static_cast<T *>(tensor.storage()->data()) + tensor.offset();
}

template <typename T>
Tensor filledTensor(const Shape &shape, DType dtype, int seed) {
  Tensor tensor = Tensor::empty(shape, dtype);
  std::mt19937 random(seed);
  T *data = elements<T>(tensor);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    data[i] = static_cast<T>(static_cast<int>(random() % 1000) - 500) /
              static_cast<T>(
                  dtype == DType::Float32 || dtype == DType::Float64 ? 8 : 1);
  return tensor;
}

KernelSignature addSignature(DType dtype, int64_t rank) {
  return {"add", {{dtype, rank}, {dtype, rank}}, {{dtype, rank}}};
}

/// Element offset of multi-index `index` in `tensor`.
int64_t offsetOf(const Tensor &tensor, const Shape &index) {
  int64_t offset = 0;
  for (size_t d = 0; d < index.size(); ++d)
    offset += index[d] * tensor.strides()[d];
  return offset;
}

/// Checks out = lhs + rhs elementwise over every multi-index.
template <typename T>
void expectSum(const Tensor &lhs, const Tensor &rhs, const Tensor &out) {
  Shape index(out.rank(), 0);
  for (int64_t n = 0; n < out.numElements(); ++n) {
    T expected = elements<T>(lhs)[offsetOf(lhs, index)] +
                 elements<T>(rhs)[offsetOf(rhs, index)];
    ASSERT_EQ(elements<T>(out)[offsetOf(out, index)], expected)
        << "at flat index " << n;
    for (int64_t d = out.rank() - 1; d >= 0; --d) {
      if (++index[d] < out.shape()[d])
        break;
      index[d] = 0;
    }
  }
}

template <typename T>
void checkAdd(KernelCache &cache, DType dtype, const Shape &shape) {
  Tensor lhs = filledTensor<T>(shape, dtype, 1);
  Tensor rhs = filledTensor<T>(shape, dtype, 2);
  Tensor out = Tensor::empty(shape, dtype);
  KernelEntryFn kernel =
      cache.get(addSignature(dtype, static_cast<int64_t>(shape.size())));
  invokeKernel(kernel, {lhs, rhs, out});
  expectSum<T>(lhs, rhs, out);
}

TEST(KernelCache, AddComputesSumsForEveryDTypeAndRank) {
  KernelCache cache;
  checkAdd<float>(cache, DType::Float32, {1000});
  checkAdd<float>(cache, DType::Float32, {7, 33});
  checkAdd<float>(cache, DType::Float32, {});                 // rank 0
  checkAdd<float>(cache, DType::Float32, {2, 1, 3, 1, 2, 5}); // rank 6
  checkAdd<double>(cache, DType::Float64, {5, 4});
  checkAdd<int32_t>(cache, DType::Int32, {129});
  checkAdd<int64_t>(cache, DType::Int64, {3, 3});
  checkAdd<int8_t>(cache, DType::Int8, {64});
}

TEST(KernelCache, EmptyTensorsRunWithoutTouchingMemory) {
  KernelCache cache;
  checkAdd<float>(cache, DType::Float32, {0});
  checkAdd<float>(cache, DType::Float32, {4, 0, 3});
}

TEST(KernelCache, OneKernelServesEveryShapeOfItsRank) {
  KernelCache cache;
  checkAdd<float>(cache, DType::Float32, {2, 3});
  checkAdd<float>(cache, DType::Float32, {100, 17});
  checkAdd<float>(cache, DType::Float32, {1, 1});
  KernelCacheStats stats = cache.stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.entries, 1u);
  // Another rank or dtype is another kernel.
  checkAdd<float>(cache, DType::Float32, {2});
  checkAdd<double>(cache, DType::Float64, {2, 3});
  EXPECT_EQ(cache.stats().misses, 3u);
}

TEST(KernelCache, StridedViewsAreReadWithoutACopy) {
  KernelCache cache;
  // lhs: the transpose of a 3x4 array; rhs: a row broadcast with stride 0;
  // out: every other column of a 4x6 array, from element 1.
  Tensor base = filledTensor<float>({3, 4}, DType::Float32, 3);
  Tensor lhs = base.strided({4, 3}, {1, 4}, 0);
  Tensor row = filledTensor<float>({3}, DType::Float32, 4);
  Tensor rhs = row.strided({4, 3}, {0, 1}, 0);
  Tensor wide = Tensor::empty({4, 6}, DType::Float32);
  Tensor out = wide.strided({4, 3}, {6, 2}, 1);
  invokeKernel(cache.get(addSignature(DType::Float32, 2)), {lhs, rhs, out});
  expectSum<float>(lhs, rhs, out);
}

TEST(KernelCache, HitsDoNotWaitForAnotherThreadsCompilation) {
  using Clock = std::chrono::steady_clock;
  KernelCache cache(""); // memory only: every miss compiles
  const KernelEntryFn cached = cache.get(addSignature(DType::Float32, 1));
  // A compilation takes tens of milliseconds; a hit that starts during one
  // must not last until it ends.
  for (int rank = 2; rank <= 6; ++rank) {
    std::atomic<bool> started{false};
    Clock::time_point compiled;
    std::thread compiling([&] {
      started = true;
      cache.get(addSignature(DType::Float64, rank));
      compiled = Clock::now();
    });
    while (!started)
      std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const Clock::time_point hitStart = Clock::now();
    EXPECT_EQ(cache.get(addSignature(DType::Float32, 1)), cached);
    const Clock::time_point hitEnd = Clock::now();
    compiling.join();
    if (compiled <= hitStart)
      continue; // that compilation was over before the hit began
    // Waiting on the compilation would end the hit as it ends (within
    // microseconds); a hit that does not wait is over long before.
    const double marginMs =
        std::chrono::duration<double, std::milli>(compiled - hitEnd).count();
    EXPECT_GT(marginMs, 5.0)
        << "a memory hit waited for another thread's compilation";
    EXPECT_EQ(cache.stats().compilations, static_cast<uint64_t>(rank));
    return;
  }
  ADD_FAILURE() << "no compilation lasted past 3 ms: nothing was observed";
}

TEST(KernelCache, ConcurrentRequestsForOneNewKernelCompileItOnce) {
  KernelCache cache("");
  std::vector<KernelEntryFn> kernels(4, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kernels.size(); ++i)
    threads.emplace_back(
        [&, i] { kernels[i] = cache.get(addSignature(DType::Int32, 3)); });
  for (std::thread &thread : threads)
    thread.join();
  for (KernelEntryFn kernel : kernels)
    EXPECT_EQ(kernel, kernels[0]);
  KernelCacheStats stats = cache.stats();
  EXPECT_EQ(stats.compilations, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 3u);
}

TEST(KernelCache, AsyncScopeCompilesInTheBackgroundAndEntriesWait) {
  KernelCache cache("");
  std::vector<KernelEntryFn> waiting;
  {
    KernelCache::AsyncScope scope;
    for (int64_t rank = 1; rank <= 4; ++rank)
      waiting.push_back(cache.get(addSignature(DType::Float32, rank)));
    // Requested again while compiling: the same waiting entry.
    EXPECT_EQ(cache.get(addSignature(DType::Float32, 2)), waiting[1]);
    scope.wait(); // All four compiled, without an error.
  }
  EXPECT_EQ(cache.stats().compilations, 4u);
  EXPECT_EQ(cache.stats().backgroundCompilations, 4u);
  // Outside the scope a miss compiles in the caller.
  cache.get(addSignature(DType::Float32, 5));
  EXPECT_EQ(cache.stats().compilations, 5u);
  EXPECT_EQ(cache.stats().backgroundCompilations, 4u);
  for (int64_t rank = 1; rank <= 4; ++rank) {
    Shape shape(rank, 3);
    Tensor lhs = filledTensor<float>(shape, DType::Float32, 1);
    Tensor rhs = filledTensor<float>(shape, DType::Float32, 2);
    Tensor out = Tensor::empty(shape, DType::Float32);
    invokeKernel(waiting[rank - 1], {lhs, rhs, out});
    expectSum<float>(lhs, rhs, out);
    // Compiled now: later requests get the kernel itself.
    KernelEntryFn direct = cache.get(addSignature(DType::Float32, rank));
    EXPECT_NE(direct, waiting[rank - 1]);
    Tensor again = Tensor::empty(shape, DType::Float32);
    invokeKernel(direct, {lhs, rhs, again});
    expectSum<float>(lhs, rhs, again);
  }
  EXPECT_EQ(cache.stats().compilations, 5u);
}

TEST(KernelCache, AsyncCompileErrorsSurfaceWhereTheEntryRuns) {
  KernelCache cache("");
  const std::string bad = R"mlir(
func.func @f(%x: tensor<3xf32>, %y: tensor<4xf32>) -> tensor<3xf32> {
  %0 = kiln.add %x, %y : tensor<3xf32>, tensor<4xf32>
  return %0 : tensor<3xf32>
})mlir";
  KernelEntryFn entry;
  {
    KernelCache::AsyncScope scope;
    entry = cache.getGraph(bad); // Returns before compiling.
    // The scope's owner (a capture) waits for its compiles at its end.
    EXPECT_THROW(scope.wait(), Error);
  }
  Tensor x = Tensor::empty({3}, DType::Float32);
  Tensor y = Tensor::empty({4}, DType::Float32);
  Tensor out = Tensor::empty({3}, DType::Float32);
  for (int run = 0; run < 2; ++run) {
    try {
      invokeKernel(entry, {x, y, out});
      FAIL() << "expected kiln::Error";
    } catch (const Error &error) {
      EXPECT_NE(std::string(error.what()).find("do not broadcast"),
                std::string::npos)
          << error.what();
    }
  }
  // Forgotten after failing: the next request compiles in the caller.
  EXPECT_THROW(cache.getGraph(bad), Error);
}

TEST(KernelCache, UnknownPrimitiveIsAnError) {
  KernelCache cache;
  KernelSignature signature{"no_such_primitive", {}, {}};
  try {
    cache.get(signature);
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("no_such_primitive"),
              std::string::npos)
        << error.what();
  }
}

TEST(KernelCache, WrongArityIsAnError) {
  KernelCache cache;
  KernelSignature signature{
      "add", {{DType::Float32, 1}}, {{DType::Float32, 1}}};
  EXPECT_THROW(cache.get(signature), Error);
}

TEST(KernelCache, DTypeThePrimitiveDoesNotTakeIsAnError) {
  KernelCache cache("");
  EXPECT_THROW(cache.get({"exp", {{DType::UInt8, 1}}, {{DType::UInt8, 1}}}),
               Error);
}

TEST(KernelSignature, KeyNamesPrimitiveTypesAndRanks) {
  EXPECT_EQ(addSignature(DType::Float32, 2).key(),
            "add(float32[?,?],float32[?,?])->(float32[?,?])");
}

} // namespace
} // namespace compiler
} // namespace kiln
