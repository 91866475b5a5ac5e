//===- primitive_gradient_test.cpp - rules no frontend op reaches yet -----===//
//
// transpose, reshape, pad and slice are kernel primitives whose gradient
// rules (PrimitiveGradients.cpp) no mx.nd op runs today: the frontends make
// those as views. The whole-graph compiler will emit them, so each rule is
// checked here on a kernel dispatched directly: loss = sum(y * weights),
// whose gradient is the weights carried back through the primitive.
//
//===----------------------------------------------------------------------===//
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/Dispatch.h"
#include "frontends/cpp/OpRegistry.h"

#include "tests/frontends/TestArrays.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

namespace kiln {
namespace {

NDArray floats(std::vector<float> data, Shape shape) {
  return NDArray::fromData(data.data(), shape, DType::Float32);
}

/// 0, 1, 2, ... in `shape`.
NDArray iota(Shape shape) {
  std::vector<float> data(numElements(shape));
  std::iota(data.begin(), data.end(), 0.0f);
  return floats(data, shape);
}

/// d sum(primitive(x) * weights) / dx for x = iota(inputShape).
std::vector<float> gradientThrough(const compiler::KernelSignature &signature,
                                   const Shape &inputShape,
                                   const Shape &outputShape,
                                   const NDArray &weights) {
  NDArray x = iota(inputShape);
  autograd::attachGrad(x, autograd::GradReq::Write);
  NDArray loss;
  {
    autograd::RecordingScope recording(true);
    NDArray y = dispatch::generate("test", signature, {x}, outputShape,
                                   DType::Float32);
    loss = invokeOp("sum", {invokeOp("broadcast_mul", {y, weights}, {})}, {});
  }
  autograd::backward({loss}, {}, /*retainGraph=*/false, /*trainMode=*/true);
  return values(autograd::gradBuffer(x));
}

TEST(PrimitiveGradient, TransposeCarriesTheGradientBack) {
  compiler::KernelSignature transpose{"transpose", {}, {}};
  transpose.attributes["permutation"] = {1, 0};
  // weights[j][i] lands on x[i][j].
  EXPECT_EQ(gradientThrough(transpose, {2, 3}, {3, 2}, iota({3, 2})),
            (std::vector<float>{0, 2, 4, 1, 3, 5}));
}

TEST(PrimitiveGradient, ReshapeCarriesTheGradientBack) {
  compiler::KernelSignature reshape{"reshape", {}, {}};
  EXPECT_EQ(gradientThrough(reshape, {2, 3}, {3, 2}, iota({3, 2})),
            (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(PrimitiveGradient, PadDropsThePadding) {
  compiler::KernelSignature pad{"pad", {}, {}};
  pad.attributes["low"] = {1, 0};
  pad.attributes["high"] = {0, 2};
  pad.floatAttributes["value"] = {0.0};
  // y is (3, 5): x sits at rows 1..2, columns 0..2.
  EXPECT_EQ(gradientThrough(pad, {2, 3}, {3, 5}, iota({3, 5})),
            (std::vector<float>{5, 6, 7, 10, 11, 12}));
}

TEST(PrimitiveGradient, SliceScattersIntoZeros) {
  compiler::KernelSignature slice{"slice", {}, {}};
  const int64_t none = std::numeric_limits<int64_t>::min();
  // x[1:, ::2] of a (3, 4) array: rows 1..2, columns 0 and 2.
  slice.attributes["begin"] = {1, none};
  slice.attributes["end"] = {none, none};
  slice.attributes["step"] = {1, 2};
  EXPECT_EQ(gradientThrough(slice, {3, 4}, {2, 2},
                            floats({1, 2, 3, 4}, {2, 2})),
            (std::vector<float>{0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0}));
}

TEST(PrimitiveGradient, SliceWithNegativeBegin) {
  compiler::KernelSignature slice{"slice", {}, {}};
  slice.attributes["begin"] = {-2};
  slice.attributes["end"] = {std::numeric_limits<int64_t>::min()};
  slice.attributes["step"] = {1};
  EXPECT_EQ(gradientThrough(slice, {5}, {2}, floats({7, 9}, {2})),
            (std::vector<float>{0, 0, 0, 7, 9}));
}

} // namespace
} // namespace kiln
