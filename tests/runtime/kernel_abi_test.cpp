#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

namespace kiln {
namespace {

// A hand-written kernel with the ABI's shape: adds 1 to every element of a
// rank-2 f32 input, writing a rank-2 output, honouring offsets and strides.
extern "C" void addOneKernel(void **descriptors) {
  auto *in = static_cast<int64_t *>(descriptors[0]);
  auto *out = static_cast<int64_t *>(descriptors[1]);
  auto *inData = reinterpret_cast<float *>(in[1]) + in[2];
  auto *outData = reinterpret_cast<float *>(out[1]) + out[2];
  for (int64_t i = 0; i < in[3]; ++i)
    for (int64_t j = 0; j < in[4]; ++j)
      outData[i * out[5] + j * out[6]] = inData[i * in[5] + j * in[6]] + 1.0f;
}

TEST(KernelAbi, DescriptorHasMlirLayout) {
  Tensor tensor = Tensor::empty({2, 3}, DType::Float32);
  MemRefDescriptor descriptor(tensor);
  auto *words = static_cast<int64_t *>(descriptor.get());
  EXPECT_EQ(reinterpret_cast<void *>(words[0]), tensor.storage()->data());
  EXPECT_EQ(reinterpret_cast<void *>(words[1]), tensor.storage()->data());
  EXPECT_EQ(words[2], 0); // offset
  EXPECT_EQ(words[3], 2); // sizes
  EXPECT_EQ(words[4], 3);
  EXPECT_EQ(words[5], 3); // strides
  EXPECT_EQ(words[6], 1);
}

TEST(KernelAbi, InvokePassesInputsThenOutputs) {
  Tensor in = Tensor::empty({2, 3}, DType::Float32);
  Tensor out = Tensor::empty({2, 3}, DType::Float32);
  auto *inData = static_cast<float *>(in.data());
  for (int i = 0; i < 6; ++i)
    inData[i] = static_cast<float>(i);
  invokeKernel(&addOneKernel, {in, out});
  auto *outData = static_cast<float *>(out.data());
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(outData[i], static_cast<float>(i) + 1.0f);
}

// A rank-2 elementwise kernel with broadcasting: out[i][j] = lhs[i][j] +
// rhs[j], where rhs is rank 1 (a missing leading dimension). Counts calls.
std::atomic<int> addRowCalls{0};
extern "C" void addRowKernel(void **descriptors) {
  ++addRowCalls;
  auto *lhs = static_cast<int64_t *>(descriptors[0]);
  auto *rhs = static_cast<int64_t *>(descriptors[1]);
  auto *out = static_cast<int64_t *>(descriptors[2]);
  auto *l = reinterpret_cast<float *>(lhs[1]) + lhs[2];
  auto *r = reinterpret_cast<float *>(rhs[1]) + rhs[2];
  auto *o = reinterpret_cast<float *>(out[1]) + out[2];
  for (int64_t i = 0; i < out[3]; ++i)
    for (int64_t j = 0; j < out[4]; ++j)
      o[i * out[5] + j * out[6]] = l[i * lhs[5] + j * lhs[6]] + r[j * rhs[4]];
}

TEST(KernelAbi, ElementwiseKernelsRunInSlicesWithBroadcastInputsWhole) {
  const int64_t rows = 1000, columns = 300; // Above the parallel threshold.
  ASSERT_GE(rows * columns, kParallelElementwiseThreshold);
  // lhs is a transposed view, to check that slices keep strides.
  Tensor base = Tensor::empty({columns, rows}, DType::Float32);
  Tensor lhs = base.strided({rows, columns}, {1, rows}, 0);
  Tensor rhs = Tensor::empty({columns}, DType::Float32);
  Tensor out = Tensor::empty({rows, columns}, DType::Float32);
  auto *b = static_cast<float *>(base.data());
  for (int64_t k = 0; k < rows * columns; ++k)
    b[k] = static_cast<float>(k % 977);
  auto *r = static_cast<float *>(rhs.data());
  for (int64_t j = 0; j < columns; ++j)
    r[j] = static_cast<float>(j) * 0.5f;
  addRowCalls = 0;
  invokeElementwiseKernel(&addRowKernel, {lhs, rhs, out});
  EXPECT_GT(addRowCalls.load(), 1) << "a large output should be split";
  auto *o = static_cast<float *>(out.data());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < columns; ++j)
      ASSERT_EQ(o[i * columns + j],
                static_cast<float>((j * rows + i) % 977) + j * 0.5f)
          << i << "," << j;
}

// Sums a rank-2 f32 input over axis `reducedAxis` into a rank-1 output.
template <int reducedAxis> void sumKernel(void **descriptors) {
  auto *in = static_cast<int64_t *>(descriptors[0]);
  auto *out = static_cast<int64_t *>(descriptors[1]);
  auto *i = reinterpret_cast<float *>(in[1]) + in[2];
  auto *o = reinterpret_cast<float *>(out[1]) + out[2];
  const int64_t kept = reducedAxis == 0 ? 1 : 0;
  for (int64_t k = 0; k < in[3 + kept]; ++k) {
    float sum = 0;
    for (int64_t r = 0; r < in[3 + reducedAxis]; ++r)
      sum += i[k * in[5 + kept] + r * in[5 + reducedAxis]];
    o[k * out[4]] = sum;
  }
}

TEST(KernelAbi, ReductionKernelsSplitAlongAKeptAxis) {
  const int64_t rows = 700, columns = 300;
  Tensor in = Tensor::empty({rows, columns}, DType::Float32);
  auto *data = static_cast<float *>(in.data());
  for (int64_t k = 0; k < rows * columns; ++k)
    data[k] = static_cast<float>(k % 13);
  for (int axis : {0, 1}) {
    const int64_t kept = axis == 0 ? columns : rows;
    Tensor out = Tensor::empty({kept}, DType::Float32);
    invokeReductionKernel(axis == 0 ? &sumKernel<0> : &sumKernel<1>, in, out,
                          {axis}, /*keepdims=*/false, /*associative=*/true);
    auto *o = static_cast<float *>(out.data());
    for (int64_t k = 0; k < kept; ++k) {
      float expected = 0;
      for (int64_t r = 0; r < (axis == 0 ? rows : columns); ++r)
        expected += axis == 0 ? data[r * columns + k] : data[k * columns + r];
      ASSERT_EQ(o[k], expected) << "axis " << axis << " index " << k;
    }
  }
}

TEST(KernelAbi, SmallElementwiseKernelsRunOnce) {
  Tensor lhs = Tensor::empty({4, 3}, DType::Float32);
  Tensor rhs = Tensor::empty({3}, DType::Float32);
  Tensor out = Tensor::empty({4, 3}, DType::Float32);
  addRowCalls = 0;
  invokeElementwiseKernel(&addRowKernel, {lhs, rhs, out});
  EXPECT_EQ(addRowCalls.load(), 1);
}

// A streaming kernel's view of its arguments: rank-1 identity layouts
// (offset 0, stride 1), the output 64-byte aligned. Writes in[i] * scale,
// where scale is a rank-0 input, and checks the layout it is promised.
std::atomic<int> streamingCalls{0};
std::atomic<bool> streamingLayoutOk{true};
extern "C" void scaleStreamingKernel(void **descriptors) {
  ++streamingCalls;
  auto *in = static_cast<int64_t *>(descriptors[0]);
  auto *scale = static_cast<int64_t *>(descriptors[1]);
  auto *out = static_cast<int64_t *>(descriptors[2]);
  if (in[2] != 0 || out[2] != 0 || scale[2] != 0 || in[4] != 1 || out[4] != 1 ||
      in[3] != out[3] || out[1] % 64 != 0)
    streamingLayoutOk = false;
  const float *x = reinterpret_cast<const float *>(in[1]);
  const float factor = *reinterpret_cast<const float *>(scale[1]);
  float *y = reinterpret_cast<float *>(out[1]);
  for (int64_t i = 0; i < out[3]; ++i)
    y[i] = x[i] * factor;
}

TEST(KernelAbi, StreamingSlicesAreAlignedRebasedAndCoverEverything) {
  const int64_t n = (int64_t{1} << 20) + 7; // a ragged last slice
  Tensor in = Tensor::empty({n}, DType::Float32);
  Tensor scale = Tensor::empty({}, DType::Float32);
  Tensor out = Tensor::empty({n}, DType::Float32);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(out.data()) % 64, 0u);
  auto *x = static_cast<float *>(in.data());
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(i % 1000);
  *static_cast<float *>(scale.data()) = 2.0f;
  streamingCalls = 0;
  invokeFlatKernel(&scaleStreamingKernel, {in, scale, out});
  EXPECT_TRUE(streamingLayoutOk);
  EXPECT_GE(streamingCalls.load(), 1);
  const auto *y = static_cast<const float *>(out.data());
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(y[i], 2.0f * static_cast<float>(i % 1000)) << i;
}

} // namespace
} // namespace kiln
