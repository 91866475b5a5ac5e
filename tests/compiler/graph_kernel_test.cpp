// Kernels compiled from whole kiln functions (graphs), fused by the
// pipeline: results against references, several results, bad graphs.
#include "tests/compiler/TestTensors.h"

#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

// The chain the fusion benchmark runs: eight elementwise ops, three scalars.
constexpr const char *kChain = R"mlir(
func.func @chain(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = kiln.constant dense<1.5> : tensor<f32>
  %b = kiln.constant dense<0.5> : tensor<f32>
  %c = kiln.constant dense<0.25> : tensor<f32>
  %t1 = kiln.mul %x, %a : tensor<?xf32>, tensor<f32>
  %t2 = kiln.add %t1, %b : tensor<?xf32>, tensor<f32>
  %t3 = kiln.mul %t2, %x : tensor<?xf32>, tensor<?xf32>
  %t4 = kiln.sub %t3, %b : tensor<?xf32>, tensor<f32>
  %t5 = kiln.relu %t4 : tensor<?xf32>
  %t6 = kiln.mul %t5, %t5 : tensor<?xf32>, tensor<?xf32>
  %t7 = kiln.add %t6, %x : tensor<?xf32>, tensor<?xf32>
  %t8 = kiln.mul %t7, %c : tensor<?xf32>, tensor<f32>
  return %t8 : tensor<?xf32>
}
)mlir";

double chainReference(double x) {
  double t = (x * 1.5 + 0.5) * x - 0.5;
  t = t > 0 ? t : 0;
  return (t * t + x) * 0.25;
}

TEST(GraphKernel, FusedChainMatchesTheReference) {
  KernelCache cache("");
  KernelEntryFn kernel = cache.getGraph(kChain);
  for (int64_t n : {0, 1, 1000, 300000}) { // 300000: in parallel slices
    Tensor x = Tensor::empty({n}, DType::Float32);
    for (int64_t i = 0; i < n; ++i)
      store(x, i, (i % 97) * 0.1 - 4.0);
    Tensor y = Tensor::empty({n}, DType::Float32);
    invokeElementwiseKernel(kernel, {x, y});
    for (int64_t i = 0; i < n; ++i)
      ASSERT_NEAR(load(y, i), chainReference(load(x, i)),
                  1e-5 * std::fabs(chainReference(load(x, i))) + 1e-6)
          << "at " << i;
  }
  EXPECT_EQ(cache.stats().compilations, 1u);
  cache.getGraph(kChain);
  EXPECT_EQ(cache.stats().hits, 1u) << "the same text is the same kernel";
}

TEST(GraphKernel, SoftmaxWithTwoResults) {
  KernelCache cache("");
  KernelEntryFn kernel = cache.getGraph(R"mlir(
func.func @softmax(%x: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?xi64>) {
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
  %d = kiln.sub %x, %m : tensor<?x?xf32>, tensor<?x1xf32>
  %e = kiln.exp %d : tensor<?x?xf32>
  %s = kiln.reduce_sum %e {axes = array<i64: 1>, keepdims = true} : tensor<?x?xf32> -> tensor<?x1xf32>
  %p = kiln.div %e, %s : tensor<?x?xf32>, tensor<?x1xf32>
  %i = kiln.argmax %x {axis = 1 : i64} : tensor<?x?xf32> -> tensor<?xi64>
  return %p, %i : tensor<?x?xf32>, tensor<?xi64>
}
)mlir");
  const int64_t rows = 7, columns = 11;
  Tensor x = Tensor::empty({rows, columns}, DType::Float32);
  for (int64_t i = 0; i < rows * columns; ++i)
    store(x, i, std::sin(static_cast<double>(i)) * 5);
  Tensor probabilities = Tensor::empty({rows, columns}, DType::Float32);
  Tensor best = Tensor::empty({rows}, DType::Int64);
  invokeKernel(kernel, {x, probabilities, best});
  for (int64_t r = 0; r < rows; ++r) {
    double largest = -1e30, total = 0;
    int64_t argmax = 0;
    for (int64_t c = 0; c < columns; ++c)
      if (load(x, r * columns + c) > largest) {
        largest = load(x, r * columns + c);
        argmax = c;
      }
    for (int64_t c = 0; c < columns; ++c)
      total += std::exp(load(x, r * columns + c) - largest);
    for (int64_t c = 0; c < columns; ++c)
      ASSERT_NEAR(load(probabilities, r * columns + c),
                  std::exp(load(x, r * columns + c) - largest) / total, 1e-6);
    EXPECT_EQ(load(best, r), argmax);
  }
}

// A value returned twice (what fusion writes for a value and its copy).
constexpr const char *kTwice = R"mlir(
func.func @fused_elementwise(%x: tensor<?xf32>, %y: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %s = kiln.add %x, %y : tensor<?xf32>, tensor<?xf32>
  return %s, %s : tensor<?xf32>, tensor<?xf32>
}
)mlir";

TEST(GraphKernel, AValueReturnedTwiceIsWrittenToBothOutputs) {
  // Each cache has an MLIR context of its own: one-shot bufferization once
  // found a read-after-write conflict here in some contexts and not others
  // (the order it visited aliases in followed addresses).
  for (int attempt = 0; attempt < 8; ++attempt) {
    KernelCache cache("");
    KernelEntryFn kernel = cache.getGraph(kTwice, /*identityLayouts=*/true);
    const int64_t n = 1000;
    Tensor x = Tensor::empty({n}, DType::Float32),
           y = Tensor::empty({n}, DType::Float32);
    for (int64_t i = 0; i < n; ++i) {
      store(x, i, i * 0.5);
      store(y, i, 3.0 - i);
    }
    Tensor first = Tensor::empty({n}, DType::Float32),
           second = Tensor::empty({n}, DType::Float32);
    invokeFlatKernel(kernel, {x, y, first, second});
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(load(first, i), i * 0.5 + (3.0 - i)) << "at " << i;
      ASSERT_EQ(load(second, i), i * 0.5 + (3.0 - i)) << "at " << i;
    }
  }
}

TEST(GraphKernel, BadGraphsAreErrorsWithDiagnostics) {
  KernelCache cache("");
  try {
    cache.getGraph("func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> {");
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("cannot parse"), std::string::npos)
        << error.what();
  }
  try {
    cache.getGraph(R"mlir(
func.func @f(%x: tensor<3xf32>, %y: tensor<4xf32>) -> tensor<3xf32> {
  %0 = kiln.add %x, %y : tensor<3xf32>, tensor<4xf32>
  return %0 : tensor<3xf32>
})mlir");
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(std::string(error.what()).find("do not broadcast"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(cache.getGraph(""), Error) << "no function";
  EXPECT_THROW(cache.getGraph("func.func private @f(tensor<?xf32>)"), Error)
      << "a declaration";
}

} // namespace
} // namespace compiler
} // namespace kiln
