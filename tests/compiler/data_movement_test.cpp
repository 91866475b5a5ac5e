// Shape primitives and generators compiled end to end: transpose,
// broadcast_to, iota, slice, concat, take, random_uniform, random_normal.
#include "tests/compiler/TestTensors.h"

#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

/// A float32 tensor whose element at flat index i is i.
Tensor counting(const Shape &shape) {
  Tensor tensor = Tensor::empty(shape, DType::Float32);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    store(tensor, i, static_cast<double>(i));
  return tensor;
}

/// The flat (row-major) index of `index` in `shape`.
int64_t flat(const Shape &index, const Shape &shape) {
  int64_t offset = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    offset = offset * shape[d] + index[d];
  return offset;
}

KernelSignature signatureFor(const std::string &op,
                             const std::vector<Tensor> &inputs,
                             const Shape &outShape, DType outType) {
  KernelSignature signature{
      op, {}, {{outType, static_cast<int64_t>(outShape.size())}}};
  for (const Tensor &input : inputs)
    signature.inputs.push_back({input.dtype(), input.rank()});
  return signature;
}

TEST(DataMovement, Transpose) {
  KernelCache cache("");
  Tensor x = counting({2, 3, 4});
  Tensor out = Tensor::empty({4, 2, 3}, DType::Float32);
  KernelSignature signature =
      signatureFor("transpose", {x}, out.shape(), DType::Float32);
  signature.attributes["permutation"] = {2, 0, 1};
  invokeKernel(cache.get(signature), {x, out});
  Shape index(3, 0);
  do // out[k, i, j] = x[i, j, k]
    ASSERT_EQ(load(out, flat(index, out.shape())),
              flat({index[1], index[2], index[0]}, x.shape()));
  while (nextIndex(index, out.shape()));
  signature.attributes["permutation"] = {0, 0, 1};
  EXPECT_THROW(cache.get(signature), Error) << "not a permutation";
}

TEST(DataMovement, BroadcastTo) {
  KernelCache cache("");
  Tensor x = counting({3, 1});
  Tensor out = Tensor::empty({2, 3, 5}, DType::Float32);
  KernelSignature signature =
      signatureFor("broadcast_to", {x}, out.shape(), DType::Float32);
  signature.inputs[0].unitDims = 0b10;
  invokeKernel(cache.get(signature), {x, out});
  Shape index(3, 0);
  do
    ASSERT_EQ(load(out, flat(index, out.shape())), index[1]);
  while (nextIndex(index, out.shape()));
}

TEST(DataMovement, Iota) {
  KernelCache cache("");
  for (DType dtype : {DType::Int32, DType::Float32, DType::Int64}) {
    Tensor out = Tensor::empty({3, 7}, dtype);
    KernelSignature signature = signatureFor("iota", {}, out.shape(), dtype);
    signature.attributes["dimension"] = {1};
    invokeKernel(cache.get(signature), {out});
    for (int64_t i = 0; i < 21; ++i)
      ASSERT_EQ(load(out, i), i % 7);
  }
  KernelSignature bad = signatureFor("iota", {}, {3}, DType::Int32);
  bad.attributes["dimension"] = {1};
  EXPECT_THROW(cache.get(bad), Error) << "dimension out of range";
}

/// Python's slice of range(extent).
std::vector<int64_t> pythonSlice(int64_t extent, int64_t begin, int64_t end,
                                 int64_t step) {
  auto clamp = [extent](int64_t index, int64_t none) {
    if (index == kNone)
      return none;
    if (index < 0)
      index += extent;
    return std::min(std::max<int64_t>(index, 0), extent);
  };
  std::vector<int64_t> kept;
  for (int64_t i = clamp(begin, 0); i < clamp(end, extent); i += step)
    kept.push_back(i);
  return kept;
}

TEST(DataMovement, SliceLikePython) {
  KernelCache cache("");
  Tensor x = counting({9, 10});
  const std::vector<std::array<int64_t, 6>> cases = {
      {1, -1, 2, kNone, 10, 3}, // x[1:-1:2, ::3]
      {-100, 100, 1, 3, 3, 1},  // clamped; an empty column range
      {kNone, kNone, 4, -3, kNone, 1},
      {5, 2, 1, 0, 10, 7}, // empty rows
  };
  for (const auto &c : cases) {
    std::vector<int64_t> rows = pythonSlice(9, c[0], c[1], c[2]);
    std::vector<int64_t> columns = pythonSlice(10, c[3], c[4], c[5]);
    Shape outShape = {static_cast<int64_t>(rows.size()),
                      static_cast<int64_t>(columns.size())};
    Tensor out = Tensor::empty(outShape, DType::Float32);
    KernelSignature signature =
        signatureFor("slice", {x}, outShape, DType::Float32);
    signature.attributes["begin"] = {c[0], c[3]};
    signature.attributes["end"] = {c[1], c[4]};
    signature.attributes["step"] = {c[2], c[5]};
    invokeKernel(cache.get(signature), {x, out});
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t j = 0; j < columns.size(); ++j)
        ASSERT_EQ(load(out, i * columns.size() + j), rows[i] * 10 + columns[j]);
  }
  KernelSignature bad = signatureFor("slice", {x}, {9, 10}, DType::Float32);
  bad.attributes["begin"] = {0, 0};
  bad.attributes["end"] = {9, 10};
  bad.attributes["step"] = {1, -1};
  EXPECT_THROW(cache.get(bad), Error) << "negative step";
}

TEST(DataMovement, ConcatAlongEachAxis) {
  KernelCache cache("");
  Tensor a = counting({2, 3}), b = counting({4, 3}), empty = counting({0, 3});
  // A transposed operand too.
  Tensor base = counting({3, 1});
  Tensor c = base.strided({1, 3}, {1, 1}, 0);
  Tensor out = Tensor::empty({7, 3}, DType::Float32);
  KernelSignature signature =
      signatureFor("concat", {a, b, empty, c}, out.shape(), DType::Float32);
  signature.attributes["axis"] = {0};
  invokeKernel(cache.get(signature), {a, b, empty, c, out});
  for (int64_t i = 0; i < 21; ++i) {
    const double expected = i < 6 ? i : i < 18 ? i - 6 : i - 18;
    ASSERT_EQ(load(out, i), expected) << i;
  }
  Tensor wide = Tensor::empty({2, 6}, DType::Float32);
  KernelSignature alongColumns =
      signatureFor("concat", {a, a}, wide.shape(), DType::Float32);
  alongColumns.attributes["axis"] = {1};
  invokeKernel(cache.get(alongColumns), {a, a, wide});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 6; ++j)
      ASSERT_EQ(load(wide, i * 6 + j), i * 3 + j % 3);
}

TEST(DataMovement, TakeClipsOrWraps) {
  KernelCache cache("");
  Tensor x = counting({4, 5});
  Tensor indices = Tensor::empty({2, 3}, DType::Int64);
  const int64_t values[] = {0, 3, -1, 7, 2, -6};
  for (int i = 0; i < 6; ++i)
    store(indices, i, static_cast<double>(values[i]));
  for (int64_t mode : {0, 1}) {
    // Along axis 1: result (4, 2, 3).
    Tensor out = Tensor::empty({4, 2, 3}, DType::Float32);
    KernelSignature signature =
        signatureFor("take", {x, indices}, out.shape(), DType::Float32);
    signature.attributes["axis"] = {1};
    signature.attributes["mode"] = {mode};
    invokeKernel(cache.get(signature), {x, indices, out});
    for (int64_t row = 0; row < 4; ++row)
      for (int i = 0; i < 6; ++i) {
        int64_t column = values[i];
        column = mode == 0 ? std::min<int64_t>(std::max<int64_t>(column, 0), 4)
                           : ((column % 5) + 5) % 5;
        ASSERT_EQ(load(out, row * 6 + i), row * 5 + column)
            << "mode " << mode << " index " << values[i];
      }
  }
  KernelSignature bad =
      signatureFor("take", {x, indices}, {4, 2, 3}, DType::Float32);
  bad.attributes["axis"] = {2};
  EXPECT_THROW(cache.get(bad), Error) << "axis out of range";
}

TEST(DataMovement, ReshapeKeepsRowMajorOrder) {
  KernelCache cache("");
  Tensor x = counting({3, 4});
  // Contiguous, and a transposed view (which the kernel copies first).
  for (bool transposed : {false, true}) {
    Tensor input = x;
    if (transposed) {
      Tensor storage = counting({4, 3});
      input = storage.strided({3, 4}, {1, 3}, 0);
    }
    Tensor out = Tensor::empty({2, 6}, DType::Float32);
    invokeKernel(cache.get(signatureFor("reshape", {input}, out.shape(),
                                        DType::Float32)),
                 {input, out});
    Shape index(2, 0);
    int64_t n = 0;
    do {
      const double expected =
          transposed ? index[1] * 3 + index[0] : index[0] * 4 + index[1];
      ASSERT_EQ(load(out, n++), expected);
    } while (nextIndex(index, input.shape()));
  }
}

TEST(DataMovement, PadWithAConstant) {
  KernelCache cache("");
  Tensor x = counting({2, 3});
  Tensor out = Tensor::empty({3, 6}, DType::Float32);
  KernelSignature signature =
      signatureFor("pad", {x}, out.shape(), DType::Float32);
  signature.attributes["low"] = {1, 2};
  signature.attributes["high"] = {0, 1};
  signature.floatAttributes["value"] = {-1.5};
  invokeKernel(cache.get(signature), {x, out});
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      const bool inside = i >= 1 && j >= 2 && j < 5;
      ASSERT_EQ(load(out, i * 6 + j), inside ? (i - 1) * 3 + (j - 2) : -1.5)
          << i << "," << j;
    }
  signature.attributes["low"] = {-1, 0};
  EXPECT_THROW(cache.get(signature), Error) << "negative pad";
}

TEST(DataMovement, ScatterAddAccumulatesRepeatedIndices) {
  KernelCache cache("");
  for (DType dtype : {DType::Float32, DType::Int32}) {
    Tensor dest = Tensor::empty({4, 2}, dtype);
    for (int64_t i = 0; i < 8; ++i)
      store(dest, i, 100);
    Tensor indices = Tensor::empty({5}, DType::Int32);
    const int32_t values[] = {1, 3, 1, 9, -2};
    for (int i = 0; i < 5; ++i)
      store(indices, i, values[i]);
    Tensor updates = Tensor::empty({5, 2}, dtype);
    for (int64_t i = 0; i < 10; ++i)
      store(updates, i, i + 1);
    for (int64_t mode : {0, 1}) {
      Tensor out = Tensor::empty({4, 2}, dtype);
      KernelSignature signature = signatureFor(
          "scatter_add", {dest, indices, updates}, out.shape(), dtype);
      signature.attributes["axis"] = {0};
      signature.attributes["mode"] = {mode};
      invokeKernel(cache.get(signature), {dest, indices, updates, out});
      std::vector<double> expected(8, 100);
      for (int i = 0; i < 5; ++i) {
        int64_t row = values[i];
        row = mode == 0 ? std::min<int64_t>(std::max<int64_t>(row, 0), 3)
                        : ((row % 4) + 4) % 4;
        for (int64_t c = 0; c < 2; ++c)
          expected[row * 2 + c] += i * 2 + c + 1;
      }
      for (int64_t i = 0; i < 8; ++i)
        ASSERT_EQ(load(out, i), expected[i])
            << dtypeName(dtype) << " mode " << mode << " at " << i;
      EXPECT_EQ(load(dest, 0), 100) << "dest must not change";
    }
  }
}

TEST(DataMovement, RandomNumbersAreReproducibleAndDistributed) {
  KernelCache cache("");
  const int64_t n = 200000;
  auto sample = [&](const char *op, int64_t seed, double a, double b,
                    DType dtype) {
    Tensor out = Tensor::empty({n}, dtype);
    Tensor seedTensor = Tensor::empty({}, DType::Int64);
    store(seedTensor, 0, static_cast<double>(seed));
    KernelSignature signature =
        signatureFor(op, {seedTensor}, out.shape(), dtype);
    const bool normal = std::string(op) == "random_normal";
    signature.floatAttributes[normal ? "mean" : "low"] = {a};
    signature.floatAttributes[normal ? "stddev" : "high"] = {b};
    invokeKernel(cache.get(signature), {seedTensor, out});
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i)
      values[i] = load(out, i);
    return values;
  };
  auto moments = [](const std::vector<double> &values) {
    double mean = 0, square = 0;
    for (double v : values)
      mean += v;
    mean /= values.size();
    for (double v : values)
      square += (v - mean) * (v - mean);
    return std::make_pair(mean, std::sqrt(square / values.size()));
  };
  std::vector<double> uniform =
      sample("random_uniform", 7, -2.0, 3.0, DType::Float32);
  for (double v : uniform)
    ASSERT_TRUE(v >= -2.0 && v < 3.0) << v;
  auto [uniformMean, uniformStddev] = moments(uniform);
  EXPECT_NEAR(uniformMean, 0.5, 0.02);
  EXPECT_NEAR(uniformStddev, 5.0 / std::sqrt(12.0), 0.02);
  EXPECT_EQ(uniform, sample("random_uniform", 7, -2.0, 3.0, DType::Float32))
      << "a seed must give the same numbers";
  EXPECT_NE(uniform, sample("random_uniform", 8, -2.0, 3.0, DType::Float32));
  EXPECT_EQ(cache.stats().compilations, 1u)
      << "the seed is read at run time: one kernel for every seed";

  for (DType dtype : {DType::Float32, DType::Float64}) {
    std::vector<double> normal = sample("random_normal", 11, 1.0, 2.0, dtype);
    auto [mean, stddev] = moments(normal);
    EXPECT_NEAR(mean, 1.0, 0.02) << dtypeName(dtype);
    EXPECT_NEAR(stddev, 2.0, 0.02) << dtypeName(dtype);
    for (double v : normal)
      ASSERT_TRUE(std::isfinite(v));
  }
  KernelSignature bad = signatureFor(
      "random_uniform", {Tensor::empty({}, DType::Int64)}, {4}, DType::Float32);
  bad.floatAttributes["low"] = {1.0};
  bad.floatAttributes["high"] = {1.0};
  EXPECT_THROW(cache.get(bad), Error) << "empty range";
}

} // namespace
} // namespace compiler
} // namespace kiln
