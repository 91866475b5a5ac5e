// kiln.matmul compiled end to end: f32 through oneDNN, other float types
// through loops; batch broadcasting, transposed operands, empty extents.
#include "tests/compiler/TestTensors.h"

#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

/// `shape` filled with random values in [-1, 1]; `transposed` stores them
/// through a view whose last two dimensions are swapped in memory.
Tensor randomMatrix(const Shape &shape, DType dtype, bool transposed,
                    std::mt19937 &random) {
  std::uniform_real_distribution<double> uniform(-1, 1);
  Tensor tensor = Tensor::empty(shape, dtype);
  if (transposed && shape.size() >= 2) {
    Shape flipped = shape;
    std::swap(flipped[flipped.size() - 1], flipped[flipped.size() - 2]);
    Tensor storage = Tensor::empty(flipped, dtype);
    Shape strides = contiguousStrides(flipped);
    std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
    tensor = storage.strided(shape, strides, 0);
  }
  Shape index(shape.size(), 0);
  if (tensor.numElements() > 0)
    do
      store(tensor, broadcastOffset(tensor, index), uniform(random));
    while (nextIndex(index, shape));
  return tensor;
}

void checkMatmul(KernelCache &cache, DType dtype, const Shape &lhsShape,
                 const Shape &rhsShape, bool transposeLhs = false,
                 bool transposeRhs = false) {
  SCOPED_TRACE(dtypeName(dtype) + " " + shapeToString(lhsShape) + " @ " +
               shapeToString(rhsShape) + (transposeLhs ? " lhsT" : "") +
               (transposeRhs ? " rhsT" : ""));
  std::mt19937 random(
      static_cast<unsigned>(lhsShape.size() * 13 + rhsShape.size()));
  Tensor lhs = randomMatrix(lhsShape, dtype, transposeLhs, random);
  Tensor rhs = randomMatrix(rhsShape, dtype, transposeRhs, random);
  // Result: broadcast batch, then M x N.
  Shape lhsBatch(lhsShape.begin(), lhsShape.end() - 2);
  Shape rhsBatch(rhsShape.begin(), rhsShape.end() - 2);
  const size_t batchRank = std::max(lhsBatch.size(), rhsBatch.size());
  Shape outShape(batchRank, 1);
  for (const Shape *batch : {&lhsBatch, &rhsBatch})
    for (size_t d = 0; d < batch->size(); ++d)
      if ((*batch)[d] != 1)
        outShape[batchRank - batch->size() + d] = (*batch)[d];
  const int64_t m = lhsShape[lhsShape.size() - 2], k = lhsShape.back(),
                n = rhsShape.back();
  outShape.push_back(m);
  outShape.push_back(n);
  Tensor out = Tensor::empty(outShape, dtype);

  KernelSignature signature{"matmul",
                            {{dtype, static_cast<int64_t>(lhsShape.size())},
                             {dtype, static_cast<int64_t>(rhsShape.size())}},
                            {{dtype, static_cast<int64_t>(outShape.size())}}};
  // Broadcast batch dimensions are part of the signature, as for add.
  for (size_t d = 0; d + 2 < lhsShape.size(); ++d)
    if (lhsShape[d] == 1)
      signature.inputs[0].unitDims |= 1u << d;
  for (size_t d = 0; d + 2 < rhsShape.size(); ++d)
    if (rhsShape[d] == 1)
      signature.inputs[1].unitDims |= 1u << d;
  invokeKernel(cache.get(signature), {lhs, rhs, out});

  Shape index(outShape.size(), 0);
  if (out.numElements() == 0)
    return;
  do {
    Shape lhsIndex(lhsShape.size()), rhsIndex(rhsShape.size());
    // Batch positions aligned at the right; broadcast ones at 0.
    for (size_t d = 0; d + 2 < lhsShape.size(); ++d)
      lhsIndex[d] =
          lhsShape[d] == 1 ? 0 : index[batchRank - (lhsShape.size() - 2) + d];
    for (size_t d = 0; d + 2 < rhsShape.size(); ++d)
      rhsIndex[d] =
          rhsShape[d] == 1 ? 0 : index[batchRank - (rhsShape.size() - 2) + d];
    double sum = 0, magnitude = 0;
    for (int64_t p = 0; p < k; ++p) {
      lhsIndex[lhsShape.size() - 2] = index[batchRank];
      lhsIndex[lhsShape.size() - 1] = p;
      rhsIndex[rhsShape.size() - 2] = p;
      rhsIndex[rhsShape.size() - 1] = index[batchRank + 1];
      int64_t lhsOffset = 0, rhsOffset = 0;
      for (size_t d = 0; d < lhsShape.size(); ++d)
        lhsOffset += lhsIndex[d] * lhs.strides()[d];
      for (size_t d = 0; d < rhsShape.size(); ++d)
        rhsOffset += rhsIndex[d] * rhs.strides()[d];
      const double term = load(lhs, lhsOffset) * load(rhs, rhsOffset);
      sum += term;
      magnitude += std::fabs(term);
    }
    const double relative = dtype == DType::Float64    ? 1e-13
                            : dtype == DType::Float16  ? 2e-3
                            : dtype == DType::BFloat16 ? 1e-2
                                                       : 1e-5;
    ASSERT_NEAR(load(out, broadcastOffset(out, index)), roundTo(dtype, sum),
                relative * (magnitude + std::fabs(sum)) + 1e-6)
        << "at " << shapeToString(index);
  } while (nextIndex(index, outShape));
}

TEST(Matmul, Float32OnOneDnn) {
  KernelCache cache("");
  checkMatmul(cache, DType::Float32, {5, 7}, {7, 3});
  checkMatmul(cache, DType::Float32, {64, 128}, {128, 96});
  checkMatmul(cache, DType::Float32, {33, 17}, {17, 65}, true, false);
  checkMatmul(cache, DType::Float32, {33, 17}, {17, 65}, false, true);
  checkMatmul(cache, DType::Float32, {33, 17}, {17, 65}, true, true);
  checkMatmul(cache, DType::Float32, {1, 1}, {1, 1});
}

TEST(Matmul, BatchesBroadcast) {
  KernelCache cache("");
  checkMatmul(cache, DType::Float32, {4, 5, 7}, {4, 7, 3});
  checkMatmul(cache, DType::Float32, {2, 1, 5, 7}, {3, 7, 4});
  checkMatmul(cache, DType::Float32, {5, 7}, {4, 7, 3});
  checkMatmul(cache, DType::Float32, {6, 5, 7}, {7, 3}, true, false);
}

TEST(Matmul, EmptyExtents) {
  KernelCache cache("");
  checkMatmul(cache, DType::Float32, {4, 0}, {0, 3});    // K = 0: zeros
  checkMatmul(cache, DType::Float32, {0, 5}, {5, 3});    // M = 0
  checkMatmul(cache, DType::Float32, {0, 4, 5}, {5, 3}); // no batches
}

TEST(Matmul, OtherFloatTypesInLoops) {
  KernelCache cache("");
  for (DType dtype : {DType::Float64, DType::Float16, DType::BFloat16}) {
    checkMatmul(cache, dtype, {9, 13}, {13, 4});
    checkMatmul(cache, dtype, {2, 9, 13}, {1, 13, 4}, true, false);
  }
}

TEST(Matmul, BadSignaturesAreErrors) {
  KernelCache cache("");
  EXPECT_THROW(cache.get({"matmul",
                          {{DType::Float32, 1}, {DType::Float32, 2}},
                          {{DType::Float32, 1}}}),
               Error)
      << "rank 1";
  EXPECT_THROW(cache.get({"matmul",
                          {{DType::Int32, 2}, {DType::Int32, 2}},
                          {{DType::Int32, 2}}}),
               Error)
      << "integers";
  EXPECT_THROW(cache.get({"matmul",
                          {{DType::Float32, 2}, {DType::Float64, 2}},
                          {{DType::Float32, 2}}}),
               Error)
      << "mixed types";
}

} // namespace
} // namespace compiler
} // namespace kiln
