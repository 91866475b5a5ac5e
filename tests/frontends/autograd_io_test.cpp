// The C++ API beyond operators: autograd through invokeOp, MXNet-format
// serialization and DLPack ownership.
#include "frontends/cpp/Autograd.h"
#include "frontends/cpp/DLPack.h"
#include "frontends/cpp/OpRegistry.h"
#include "frontends/cpp/Serialization.h"
#include "runtime/Error.h"

#include "tests/frontends/TestArrays.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

NDArray floats(std::vector<float> data, Shape shape) {
  return NDArray::fromData(data.data(), shape, DType::Float32);
}

TEST(Autograd, BackwardThroughRecordedOps) {
  NDArray x = floats({1, 2, 3}, {3});
  autograd::attachGrad(x, autograd::GradReq::Write);
  NDArray loss;
  {
    autograd::RecordingScope recording(true);
    NDArray squared = invokeOp("square", {x}, {});
    loss = invokeOp("sum", {invokeOp("broadcast_mul", {squared, x}, {})}, {});
  }
  autograd::backward({loss}, {}, /*retainGraph=*/false, /*trainMode=*/true);
  EXPECT_EQ(values(autograd::gradBuffer(x)), (std::vector<float>{3, 12, 27}));
  EXPECT_FALSE(autograd::isRecording());
}

TEST(Autograd, NotRecordedMeansNoGraph) {
  NDArray x = floats({1}, {1});
  autograd::attachGrad(x, autograd::GradReq::Write);
  NDArray y = invokeOp("exp", {x}, {});
  EXPECT_EQ(y.autogradEntry(), nullptr);
  EXPECT_THROW(autograd::backward({y}, {}, false, true), Error);
}

TEST(Serialization, RoundTripKeepsNamesShapesAndDTypes) {
  std::vector<int64_t> ints = {-1, 5};
  NamedArrays contents{{floats({1.5f, -2, 3, 4}, {2, 2}),
                        NDArray::fromData(ints.data(), {2}, DType::Int64)},
                       {"weight", "steps"}};
  NamedArrays loaded = deserializeNDArrays(serializeNDArrays(contents));
  ASSERT_EQ(loaded.names, contents.names);
  EXPECT_EQ(loaded.arrays[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values(loaded.arrays[0]), (std::vector<float>{1.5f, -2, 3, 4}));
  EXPECT_EQ(loaded.arrays[1].dtype(), DType::Int64);
  std::vector<int64_t> back(2);
  loaded.arrays[1].copyTo(back.data());
  EXPECT_EQ(back, ints);
}

TEST(Serialization, TruncatedInputIsAnError) {
  const std::string bytes = serializeNDArrays({{floats({1, 2, 3}, {3})}, {}});
  for (size_t cut : {size_t(0), size_t(8), size_t(30), bytes.size() - 1})
    EXPECT_THROW(deserializeNDArrays(bytes.substr(0, cut)), Error) << cut;
}

TEST(DLPack, ImportedMemoryIsSharedAndReleasedOnce) {
  static int deletions = 0;
  static float data[4] = {1, 2, 3, 4};
  static int64_t shape[1] = {4};
  deletions = 0;
  auto *managed = new DLManagedTensor{};
  managed->dl_tensor = {data, {1, 0}, 1, {2, 32, 1}, shape, nullptr, 0};
  managed->deleter = [](DLManagedTensor *self) {
    ++deletions;
    delete self;
  };
  {
    NDArray array = fromDLPack(managed);
    data[2] = 30;
    EXPECT_EQ(values(array), (std::vector<float>{1, 2, 30, 4}));
    NDArray doubled = invokeOp("_mul_scalar", {array}, {{"scalar", "2"}});
    EXPECT_EQ(values(doubled), (std::vector<float>{2, 4, 60, 8}));
    EXPECT_EQ(deletions, 0);
  }
  Engine::global().waitAll();
  EXPECT_EQ(deletions, 1);
}

TEST(DLPack, UnsupportedTensorsAreRejectedAndReleased) {
  static int deletions = 0;
  static float data[1] = {0};
  static int64_t shape[1] = {1};
  auto *managed = new DLManagedTensor{};
  managed->dl_tensor = {data, {2, 0}, 1, {2, 32, 1}, shape, nullptr, 0};
  managed->deleter = [](DLManagedTensor *self) {
    ++deletions;
    delete self;
  };
  EXPECT_THROW(fromDLPack(managed), Error); // device type 2 (CUDA)
  EXPECT_EQ(deletions, 1);
}

TEST(DLPack, ExportKeepsTheArrayAlive) {
  DLManagedTensor *managed = nullptr;
  {
    NDArray array = floats({7, 8, 9}, {3});
    managed = toDLPack(array);
  }
  const float *data = static_cast<const float *>(managed->dl_tensor.data);
  EXPECT_EQ(data[2], 9);
  EXPECT_EQ(managed->dl_tensor.ndim, 1);
  EXPECT_EQ(managed->dl_tensor.shape[0], 3);
  managed->deleter(managed);
}

} // namespace
} // namespace kiln
