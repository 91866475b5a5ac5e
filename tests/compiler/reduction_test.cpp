// Reductions (sum, prod, mean, max, min over any set of axes, keepdims or
// not; argmax and argmin along an axis) compiled through the whole pipeline,
// against references computed here in double precision.
#include "tests/compiler/TestTensors.h"

#include "compiler/KernelCache.h"
#include "runtime/Error.h"
#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace kiln {
namespace compiler {
namespace {

using namespace testing_support;

Tensor randomTensor(const Shape &shape, DType dtype, const std::string &op,
                    std::mt19937 &random) {
  Tensor tensor = Tensor::empty(shape, dtype);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    double value;
    if (op == "reduce_prod")
      value = isFloat(dtype) ? 0.5 + unit(random) : (random() % 3) - 1.0;
    else if (isFloat(dtype))
      value = unit(random) * 20 - 10;
    else
      value = static_cast<double>(static_cast<int>(random() % 41) - 20);
    store(tensor, i, value);
  }
  return tensor;
}

/// Runs `op` over `axes` of a random `shape` tensor and compares with the
/// reference. `transpose` reads the input through a transposed view.
void checkReduction(KernelCache &cache, const std::string &op, DType dtype,
                    const Shape &shape, std::vector<int64_t> axes,
                    bool keepdims, bool transpose = false) {
  std::string trace =
      op + " " + dtypeName(dtype) + " " + shapeToString(shape) + " axes";
  for (int64_t axis : axes)
    trace += " " + std::to_string(axis);
  trace += keepdims ? " keepdims" : "";
  SCOPED_TRACE(trace);
  std::mt19937 random(static_cast<unsigned>(shape.size() * 7 + axes.size()));
  Tensor input = randomTensor(shape, dtype, op, random);
  if (transpose && shape.size() >= 2) {
    // The same values, read through a non-contiguous layout.
    Shape flipped = shape;
    std::swap(flipped[0], flipped[1]);
    Tensor storage = Tensor::empty(flipped, dtype);
    Shape strides = contiguousStrides(flipped);
    std::swap(strides[0], strides[1]);
    Tensor view = storage.strided(shape, strides, 0);
    Shape index(shape.size(), 0);
    if (input.numElements() > 0)
      do
        store(view, broadcastOffset(view, index),
              load(input, broadcastOffset(input, index)));
      while (nextIndex(index, shape));
    input = view;
  }

  const bool isArg = op == "argmax" || op == "argmin";
  std::vector<bool> reduced(shape.size(), false);
  for (int64_t axis : axes)
    reduced[axis] = true;
  Shape outShape;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!reduced[d])
      outShape.push_back(shape[d]);
    else if (keepdims)
      outShape.push_back(1);
  const DType outType = isArg ? DType::Int64 : dtype;
  Tensor out = Tensor::empty(outShape, outType);

  KernelSignature signature{op,
                            {{dtype, static_cast<int64_t>(shape.size())}},
                            {{outType, static_cast<int64_t>(outShape.size())}}};
  if (isArg)
    signature.attributes["axis"] = axes;
  else
    signature.attributes["axes"] = axes;
  signature.attributes["keepdims"] = {keepdims ? 1 : 0};
  const bool associative = op == "reduce_sum" || op == "reduce_prod" ||
                           op == "reduce_max" || op == "reduce_min";
  invokeReductionKernel(cache.get(signature), input, out, axes, keepdims,
                        associative);

  // Reference: walk every input element, accumulate into its output cell.
  const int64_t outCount = out.numElements();
  std::vector<double> accumulated(outCount);
  // Sums are compared relative to the sum of magnitudes: their condition.
  std::vector<double> magnitude(outCount, 0);
  std::vector<int64_t> count(outCount, 0), bestIndex(outCount, 0);
  const double inf = std::numeric_limits<double>::infinity();
  // The type's lowest and highest values: the identities of max and min.
  const double bits = static_cast<double>(dtypeSize(dtype)) * 8;
  const double lowest = isFloat(dtype)          ? -inf
                        : dtype == DType::UInt8 ? 0
                                                : -std::ldexp(1.0, bits - 1);
  const double highest = isFloat(dtype) ? inf
                         : dtype == DType::UInt8
                             ? 255
                             : std::ldexp(1.0, bits - 1) - 1;
  for (double &value : accumulated)
    value = op == "reduce_prod"                    ? 1
            : op == "reduce_max" || op == "argmax" ? lowest
            : op == "reduce_min" || op == "argmin" ? highest
                                                   : 0;
  Shape outContiguous = contiguousStrides(outShape);
  Shape index(shape.size(), 0);
  if (input.numElements() > 0) {
    do {
      int64_t cell = 0, o = 0;
      for (size_t d = 0; d < shape.size(); ++d) {
        if (!reduced[d])
          cell += index[d] * outContiguous[o++];
        else if (keepdims)
          ++o;
      }
      const double x = load(input, broadcastOffset(input, index));
      double &acc = accumulated[cell];
      const int64_t position = isArg ? index[axes[0]] : 0;
      magnitude[cell] += std::fabs(x);
      if (op == "reduce_sum" || op == "reduce_mean")
        acc += x;
      else if (op == "reduce_prod")
        acc *= x;
      else if (op == "reduce_max")
        acc = std::max(acc, x);
      else if (op == "reduce_min")
        acc = std::min(acc, x);
      else if ((op == "argmax" && (x > acc || position == 0)) ||
               (op == "argmin" && (x < acc || position == 0))) {
        acc = x;
        bestIndex[cell] = position;
      }
      ++count[cell];
    } while (nextIndex(index, shape));
  }
  for (int64_t cell = 0; cell < outCount; ++cell) {
    double expected = accumulated[cell];
    if (op == "reduce_mean")
      expected = count[cell] ? expected / count[cell] : NAN;
    if (isArg)
      expected = static_cast<double>(bestIndex[cell]);
    expected = roundTo(outType, expected);
    const double got = load(out, cell);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(got)) << "cell " << cell;
    } else if (!isFloat(outType) || std::isinf(expected)) {
      ASSERT_EQ(got, expected) << "cell " << cell;
    } else {
      // Accumulation order differs (vectorized); f16/bf16 round at the end.
      const double relative = outType == DType::Float64    ? 1e-12
                              : outType == DType::Float16  ? 2e-3
                              : outType == DType::BFloat16 ? 8e-3
                                                           : 2e-6;
      double scale = std::fabs(expected);
      if (op == "reduce_sum")
        scale = magnitude[cell];
      else if (op == "reduce_mean")
        scale = magnitude[cell] / std::max<int64_t>(count[cell], 1);
      ASSERT_NEAR(got, expected, relative * scale + relative)
          << "cell " << cell;
    }
  }
}

const std::vector<std::vector<int64_t>> kAxisSets = {
    {}, {0}, {1}, {2}, {0, 2}, {2, 0}, {0, 1, 2}};

TEST(Reduction, EveryOpOverEveryAxisSetFloat32) {
  KernelCache cache("");
  for (const char *op :
       {"reduce_sum", "reduce_prod", "reduce_mean", "reduce_max", "reduce_min"})
    for (const auto &axes : kAxisSets)
      for (bool keepdims : {false, true})
        checkReduction(cache, op, DType::Float32, {3, 5, 37}, axes, keepdims);
}

TEST(Reduction, OtherDTypes) {
  KernelCache cache("");
  for (DType dtype : {DType::Float64, DType::Float16, DType::BFloat16,
                      DType::Int8, DType::UInt8, DType::Int32, DType::Int64})
    for (const char *op : {"reduce_sum", "reduce_prod", "reduce_mean",
                           "reduce_max", "reduce_min"}) {
      if (std::string(op) == "reduce_mean" && !isFloat(dtype))
        continue;
      checkReduction(cache, op, dtype, {6, 4, 9}, {0, 2}, false,
                     /*transpose=*/true);
      checkReduction(cache, op, dtype, {6, 4, 9}, {1}, true);
    }
}

TEST(Reduction, RankZeroRankOneAndEmpty) {
  KernelCache cache("");
  for (const char *op : {"reduce_sum", "reduce_mean", "reduce_max"}) {
    checkReduction(cache, op, DType::Float32, {}, {}, false);
    checkReduction(cache, op, DType::Float32, {1000}, {0}, false);
    checkReduction(cache, op, DType::Float32, {1000}, {0}, true);
    // Nothing to reduce: sum 0, mean NaN, max -inf.
    checkReduction(cache, op, DType::Float32, {4, 0, 3}, {1}, false);
    // Nothing left: an empty result.
    checkReduction(cache, op, DType::Float32, {0, 5}, {1}, false);
  }
}

// Large enough to run in parallel: split along a kept axis, or into partial
// results along the outermost reduced axis that the kernel then combines.
TEST(Reduction, LargeReductionsInParallel) {
  KernelCache cache("");
  checkReduction(cache, "reduce_sum", DType::Float32, {3, 100000}, {1}, false);
  for (const char *op :
       {"reduce_sum", "reduce_max", "reduce_min", "reduce_mean", "argmax"})
    for (bool keepdims : {false, true}) {
      checkReduction(cache, op, DType::Float32, {1000, 77}, {0}, keepdims);
      checkReduction(cache, op, DType::Float32, {2, 1000, 77}, {1}, keepdims);
    }
  for (bool keepdims : {false, true})
    checkReduction(cache, "reduce_sum", DType::Float32, {500, 300}, {0, 1},
                   keepdims);
  checkReduction(cache, "reduce_max", DType::Int32, {400, 3, 200}, {0, 2}, true,
                 /*transpose=*/true);
}

TEST(Reduction, ArgmaxAndArgmin) {
  KernelCache cache("");
  for (const char *op : {"argmax", "argmin"})
    for (int64_t axis : {0, 1, 2})
      for (bool keepdims : {false, true})
        for (DType dtype :
             {DType::Float32, DType::Int32, DType::Float16, DType::UInt8})
          checkReduction(cache, op, dtype, {4, 6, 5}, {axis}, keepdims,
                         /*transpose=*/axis == 1);
  // Ties go to the first index: integers in [-20, 20] over 1000 elements.
  checkReduction(cache, "argmax", DType::Int64, {1000}, {0}, false);
}

TEST(Reduction, BadAttributesAreErrors) {
  KernelCache cache("");
  KernelSignature signature{
      "reduce_sum", {{DType::Float32, 2}}, {{DType::Float32, 1}}};
  EXPECT_THROW(cache.get(signature), Error) << "missing axes";
  signature.attributes["axes"] = {2};
  try {
    cache.get(signature);
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_NE(
        std::string(error.what()).find("axis 2 is out of range for rank 2"),
        std::string::npos)
        << error.what();
  }
  signature.attributes["axes"] = {0, 0};
  EXPECT_THROW(cache.get(signature), Error) << "repeated axis";
  signature.attributes["axes"] = {0};
  signature.attributes["keepdims"] = {2};
  EXPECT_THROW(cache.get(signature), Error) << "keepdims not 0 or 1";
  EXPECT_THROW(cache.get({"reduce_mean",
                          {{DType::Int32, 1}},
                          {{DType::Int32, 0}},
                          {{"axes", {0}}}}),
               Error)
      << "mean of integers is the frontend's business";
}

} // namespace
} // namespace compiler
} // namespace kiln
