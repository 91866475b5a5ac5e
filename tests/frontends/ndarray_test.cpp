#include "frontends/cpp/NDArray.h"
#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/Operators.h"
#include "runtime/Error.h"

#include "tests/frontends/TestArrays.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

TEST(NDArray, AddProducesTheSum) {
  std::vector<float> data = {1, 2, 3};
  NDArray a = NDArray::fromData(data.data(), {3}, DType::Float32);
  NDArray sum = a + a;
  EXPECT_EQ(sum.shape(), (Shape{3}));
  EXPECT_EQ(sum.dtype(), DType::Float32);
  EXPECT_EQ(values(sum), (std::vector<float>{2, 4, 6}));
}

TEST(NDArray, ChainedOpsSeeEachOthersResults) {
  std::vector<float> data(1000, 1.0f);
  NDArray total = NDArray::fromData(data.data(), {10, 100}, DType::Float32);
  NDArray one = total;
  for (int i = 0; i < 50; ++i)
    total = total + one;
  EXPECT_EQ(values(total), std::vector<float>(1000, 51.0f));
}

TEST(NDArray, DifferentShapesAreAnErrorNamingOpAndShapes) {
  std::vector<float> data(6, 1.0f);
  NDArray a = NDArray::fromData(data.data(), {2, 3}, DType::Float32);
  NDArray b = NDArray::fromData(data.data(), {3, 2}, DType::Float32);
  try {
    a + b;
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_STREQ(error.what(),
                 "elemwise_add: operands must have the same shape, got lhs "
                 "(2, 3) and rhs (3, 2) (elemwise ops do not broadcast, as in "
                 "MXNet; broadcast_add does)");
  }
}

TEST(NDArray, DifferentDTypesAreAnError) {
  std::vector<double> data(3, 1.0);
  std::vector<float> floats(3, 1.0f);
  NDArray a = NDArray::fromData(data.data(), {3}, DType::Float64);
  NDArray b = NDArray::fromData(floats.data(), {3}, DType::Float32);
  try {
    a + b;
    FAIL() << "expected kiln::Error";
  } catch (const Error &error) {
    EXPECT_STREQ(error.what(), "elemwise_add: operands must have the same "
                               "dtype, got lhs float64 and rhs float32");
  }
}

TEST(NDArray, DefaultConstructedIsAnErrorNotACrash) {
  NDArray none;
  EXPECT_TRUE(none.isNone());
  EXPECT_THROW(none.shape(), Error);
  std::vector<float> data(3, 1.0f);
  NDArray a = NDArray::fromData(data.data(), {3}, DType::Float32);
  EXPECT_THROW(a + none, Error);
}

TEST(NDArray, ResultsLiveOnTheFirstInputsDevice) {
  // As MXNet: CPU ids mix (one host memory), the first input's id wins.
  std::vector<float> data = {1, 2, 3};
  NDArray a =
      NDArray::fromData(data.data(), {3}, DType::Float32, Device::cpu(1));
  NDArray b = NDArray::fromData(data.data(), {3}, DType::Float32);
  EXPECT_EQ((a + b).device(), Device::cpu(1));
  EXPECT_EQ((b + a).device(), Device::cpu(0));
  EXPECT_EQ(values(a + b), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(invokeOp("broadcast_add", {b, a}, {}).device(), Device::cpu(0));
  for (const char *op : {"relu", "sum", "transpose", "ones_like"})
    EXPECT_EQ(invokeOp(op, {a}, {}).device(), Device::cpu(1)) << op;
  EXPECT_EQ(invokeOp("broadcast_to", {a}, {{"shape", "(2, 3)"}}).device(),
            Device::cpu(1));
}

TEST(NDArray, OpsWithoutInputsUseTheCurrentDevice) {
  {
    DeviceScope scope(Device::cpu(2));
    EXPECT_EQ(NDArray::empty({2}).device(), Device::cpu(2));
    EXPECT_EQ(invokeOp("_zeros", {}, {{"shape", "(2,)"}}).device(),
              Device::cpu(2));
    EXPECT_EQ(invokeOp("_random_uniform", {}, {{"shape", "(2,)"}}).device(),
              Device::cpu(2));
    // An op with inputs still runs on its first input's device.
    NDArray zeros = NDArray::empty({2}, DType::Float32, Device::cpu(3));
    EXPECT_EQ(invokeOp("relu", {zeros}, {}).device(), Device::cpu(3));
  }
  EXPECT_FALSE(hasDeviceScope());
  EXPECT_EQ(invokeOp("_zeros", {}, {{"shape", "(2,)"}}).device(),
            Device::cpu());
}

} // namespace
} // namespace kiln
