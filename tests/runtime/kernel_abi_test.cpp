#include "runtime/KernelAbi.h"

#include <gtest/gtest.h>

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

} // namespace
} // namespace kiln
